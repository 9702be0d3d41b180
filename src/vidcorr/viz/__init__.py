"""Pictures for the report: label overlays and frame strips."""

from .overlay import draw_keypoints, mask_overlay, sequence_strip, tile, write_rows_png
from .pictures import dataset_preview, prediction_overlays

__all__ = ["draw_keypoints", "mask_overlay", "sequence_strip", "tile", "write_rows_png", "dataset_preview",
           "prediction_overlays"]
