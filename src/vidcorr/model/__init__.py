"""Networks and their checkpoints."""

from .checkpoint import load_encoder, save_encoder
from .encoder import ResNet18Stride4

__all__ = ["ResNet18Stride4", "load_encoder", "save_encoder"]
