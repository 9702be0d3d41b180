"""Frames stage: decode raw videos into JPEG frame folders with a manifest per video."""

from ..lazy_exports import lazy_exports

_EXPORTS = {"VIDEO_EXTENSIONS": "listing", "list_videos": "listing", "VideoDecodeError": "decode",
            "decode_video": "decode", "probe_video": "decode", "extract_video": "extract"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
