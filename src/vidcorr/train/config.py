"""Settings of one training stage (the `warmup:` / `inter:` blocks of a training run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class TrainConfig:
    stage: str = "warmup"  # warmup: intra-video only; inter: adds the memory bank of other videos
    epochs: int = 1
    steps_per_epoch: int = 50
    batch_size: int = 8  # global batch, split over DDP ranks
    lr: float = 1e-3
    schedule: str = "constant"  # constant or cosine
    crop: int = 64  # square training crop (pixels)
    max_gap: int = 10  # reference frame at most this many frames from the query
    radius: int = 6  # local window (feature pixels) for the training affinity
    temperature: float = 0.07
    position: str = "none"  # none, 2dspe, 1dape, 2dape (Table 5b)
    modulation: str = "none"  # none, shuffle, shift on the inter-video path (Table 5c)
    bank_frames: int = 0  # negatives' frames in the memory bank (Table 5a: 0 / 480 / 960 / 1440)
    bank_points: int = 4  # feature points kept per frame
    momentum: float = 0.999  # EMA of the momentum encoder
    compactness: bool = False  # spatial-compactness regulariser on intra-video affinities
    compactness_k: int = 3
    compactness_sigma: float = 1.5
    compactness_weight: float = 0.01
    workers: int = 0  # data-loading processes
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict | None) -> "TrainConfig":
        d = dict(d or {})
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}")
        cfg = cls(**d)
        if cfg.stage not in ("warmup", "inter"):
            raise ValueError(f"training stage must be warmup or inter, not {cfg.stage!r}")
        if cfg.stage == "warmup" and cfg.bank_frames:
            raise ValueError("the warm-up stage is intra-video only: set bank_frames: 0")
        if cfg.crop % 4:
            raise ValueError("crop must be a multiple of 4 (the encoder's stride)")
        return cfg

    def to_dict(self) -> dict:
        return asdict(self)
