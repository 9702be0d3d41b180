"""Offline flow backends from OpenCV: DIS (three presets) and Farneback. No weights, CPU only."""

from __future__ import annotations

import cv2
import numpy as np

DIS_PRESETS = {
    "dis_ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "dis_fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "dis_medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
# Farneback parameters of OpenCV's own dense-flow sample (pyramid 0.5 x 3 levels, window 15).
FARNEBACK = {"pyr_scale": 0.5, "levels": 3, "winsize": 15, "iterations": 3, "poly_n": 5, "poly_sigma": 1.2, "flags": 0}


class OpenCVFlow:
    """Forward flow between RGB uint8 frames with one OpenCV method."""

    backend = "opencv"
    checkpoint = None
    checkpoint_sha256 = ""

    def __init__(self, model: str, threads: int = 0):
        if model not in (*DIS_PRESETS, "farneback"):
            raise ValueError(f"unknown opencv flow model {model!r}; choose from {[*DIS_PRESETS, 'farneback']}")
        self.model = model
        if threads:
            cv2.setNumThreads(threads)
        self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[model]) if model in DIS_PRESETS else None

    def __call__(self, first: list[np.ndarray], second: list[np.ndarray]) -> list[np.ndarray]:
        """(2, H, W) float32 flow from each first frame to its second frame."""
        out = []
        for a, b in zip(first, second):
            ga, gb = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
            if self._dis is not None:
                flow = self._dis.calc(ga, gb, None)
            else:
                flow = cv2.calcOpticalFlowFarneback(ga, gb, None, **FARNEBACK)
            out.append(np.ascontiguousarray(flow.transpose(2, 0, 1), dtype=np.float32))
        return out
