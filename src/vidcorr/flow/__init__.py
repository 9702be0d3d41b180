"""Optical-flow stage: compute (OpenCV or ptlflow), store (HDF5 per video), read, picture, validate."""

from .compute import compute_video_flow, make_backend
from .config import FlowConfig
from .reader import FlowReader, crop_flow, resize_flow, write_flow_index
from .store import FlowFile, write_flow_file

__all__ = ["FlowConfig", "FlowFile", "FlowReader", "compute_video_flow", "crop_flow", "make_backend",
           "resize_flow", "write_flow_file", "write_flow_index"]
