"""Seeded synthetic evaluation benchmark: real photographs as moving layers, with exact labels and flow."""

from .generate import generate_benchmark
from .scene import Scene, sample_scene

__all__ = ["Scene", "sample_scene", "generate_benchmark"]
