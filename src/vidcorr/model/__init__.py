"""Networks and their checkpoints."""

from .checkpoint import build_encoder, encoder_config, load_encoder, read_checkpoint, save_encoder, write_checkpoint
from .encoder import ResNet18Stride4

__all__ = ["ResNet18Stride4", "build_encoder", "encoder_config", "load_encoder", "read_checkpoint", "save_encoder",
           "write_checkpoint"]
