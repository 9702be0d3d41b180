"""Settings of the propagation engine (the `propagation:` section of the pipeline config)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..settings_schema import PROPAGATION, check
from .presets import expand


@dataclass(frozen=True)
class PropagationConfig:
    radius: int | None = 12  # local window radius in feature pixels (short-term memory); None = the whole frame
    long_term_radius: int | None = 12  # the same for long-term memory (first, kept and periodic frames)
    topk: int = 10  # candidates kept per query pixel over all memory frames
    temperature: float = 0.05  # softmax temperature of the affinity
    normalize: bool = True  # L2-normalise encoder features (cosine affinity); MAST and the LIIR port match raw dot products
    first_frame: bool = True  # long-term memory: the first (annotated) frame
    first_frames: int = 1  # MER long-term memory: also keep the predictions of frames 1 .. N-1 for good
    short_term: int = 5  # short-term memory: the previous N frames' predictions
    short_term_stride: int = 1  # use every k-th of them, newest first (MAST / LIIR: 5 and 2 -> t-1, t-3, t-5)
    keep_frames: tuple[int, ...] = ()  # predictions of these frames stay in memory for good (MAST / LIIR: 5)
    long_term_every: int | None = None  # also keep every N-th past prediction as long-term memory
    long_term_size: int = 0  # at most this many such frames (oldest dropped first)
    compactness: bool = False  # replace the affinity by its mixture of Gaussians around top peaks
    compactness_k: int = 3  # peaks per memory frame
    compactness_sigma: float = 2.0  # Gaussian sigma in feature pixels
    compactness_form: str = "mixture"  # mixture or port (the LIIR port's colorizer; model/compactness.py)
    compactness_threshold: float = 0.1  # port form: a frame's map is replaced where its top affinity exceeds it
    memory_labels: str = "soft"  # predictions kept in memory: soft, or hard (argmax one-hot, as MAST and the LIIR port)
    keypoint_sigma: float = 1.0  # sigma of keypoint heatmaps, in feature pixels
    input_scale: float = 1.0  # resize frames by this factor before encoding (outputs stay at native size)
    tile: int | None = None  # query tile side for windowed matching (speed/memory only); None: 8 with a 16-bit matmul, else 12
    precision: str = "auto"  # windowed matmul that picks the candidates: auto (bfloat16 where native), float32, bfloat16
    chunk_elements: int = 32_000_000  # cap on affinity entries held at once (bounded memory)

    @classmethod
    def from_dict(cls, d: dict | None) -> "PropagationConfig":
        """The settings; a `preset` (inference/presets.py) fills in what is not given."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)} | {"preset"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown propagation setting(s) {unknown}; known: {sorted(known)}")
        check(d, PROPAGATION, "propagation")
        d = expand(d)
        if "keep_frames" in d:
            d["keep_frames"] = tuple(d["keep_frames"] or ())
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)
