"""Settings of the flow stage (the `flow:` block of the workflow config)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..settings_schema import FLOW_METHOD, check

OPENCV_MODELS = ("dis_ultrafast", "dis_fast", "dis_medium", "farneback")


@dataclass(frozen=True)
class FlowConfig:
    backend: str = "opencv"  # opencv (DIS / Farneback, no weights) or ptlflow (RAFT and friends)
    model: str = "dis_medium"  # opencv: one of OPENCV_MODELS; ptlflow: any ptlflow model name
    checkpoint: str | None = None  # ptlflow: a local file, or a named checkpoint already in the torch hub cache
    allow_random_weights: bool = False  # ptlflow without a checkpoint; for tests only
    gaps: tuple[int, ...] = (1,)  # forward flow from frame t to t + gap, for each gap
    short_side: int | None = None  # compute at this short side; None = the frames' stored size
    dtype: str = "int16"  # int16 (with `steps_per_pixel`) or float16
    steps_per_pixel: int = 64  # int16 quantisation step 1/64 px, range +-512 px
    compression: str = "blosc-lz4hc"  # blosc-lz4hc, blosc-zstd (hdf5plugin), gzip or lzf (any HDF5 reader)
    batch_size: int = 4  # pairs per forward pass (ptlflow)
    threads: int = 0  # OpenCV threads; 0 = OpenCV's default

    @classmethod
    def from_dict(cls, d: dict | None) -> FlowConfig:
        d = dict(d or {})
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown flow setting(s) {unknown}")
        check(d, FLOW_METHOD, "flow")
        if "gaps" in d:
            d["gaps"] = tuple(d["gaps"])
        cfg = cls(**d)
        if cfg.backend == "opencv" and cfg.model not in OPENCV_MODELS:
            raise ValueError(f"opencv flow model must be one of {list(OPENCV_MODELS)}, not {cfg.model!r}")
        return cfg

    def to_dict(self) -> dict:
        d = asdict(self)
        d["gaps"] = list(self.gaps)
        return d
