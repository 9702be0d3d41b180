"""Label propagation: one engine for object masks, part masks and keypoints."""

from .config import PropagationConfig
from .features import CopyFirst, LabFeatures, NetworkFeatures, make_features
from .propagator import Propagator

__all__ = ["PropagationConfig", "Propagator", "CopyFirst", "LabFeatures", "NetworkFeatures", "make_features"]
