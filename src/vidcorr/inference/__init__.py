"""Label propagation: one engine for object masks, part masks and keypoints."""

from ..lazy_exports import lazy_exports

_EXPORTS = {"PropagationConfig": "config", "Propagator": "propagator", "CopyFirst": "features",
            "LabFeatures": "features", "NetworkFeatures": "features", "make_features": "features"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
