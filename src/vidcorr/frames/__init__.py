"""Frames stage: decode raw videos into JPEG frame folders with a manifest per video."""

from .decode import VIDEO_EXTENSIONS, VideoDecodeError, decode_video, probe_video
from .extract import extract_video, list_videos

__all__ = ["VIDEO_EXTENSIONS", "VideoDecodeError", "decode_video", "probe_video", "extract_video", "list_videos"]
