"""Settings of one training stage (the `warmup:` / `inter:` blocks of a training run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from ..lab_scale import AB_SCALE
from ..settings_schema import TRAINING_STAGE, check

if TYPE_CHECKING:
    from ..model.compactness import TrainingPrior

STAGES = ("warmup", "inter", "mer")  # the order a run trains them in


@dataclass(frozen=True)
class TrainConfig:
    stage: str = "warmup"  # warmup: intra-video only; inter: adds the memory bank of other videos; mer: MER stage 3
    epochs: int = 1
    steps_per_epoch: int = 50
    batch_size: int = 8  # global batch, split over DDP ranks
    lr: float = 1e-3
    schedule: str = "constant"  # constant, cosine, or step (MAST: x decay_factor at each of decay_at)
    decay_at: tuple[float, ...] = (0.4, 0.6, 0.8)  # step schedule: fractions of the stage's steps
    decay_factor: float = 0.5
    decay_factors: tuple[float, ...] = ()  # step schedule: the lr multiplier from each decay_at point on, instead of
                                           # decay_factor ** i (the LIIR port's inter-video stage: 0.9, 0.75, 0.5, ...)
    crop: int = 64  # square training crop (pixels)
    max_gap: int = 10  # reference frame at most this many frames from the query (uniform), unless `gaps`
    gaps: tuple[int, ...] = ()  # else the gap is one of these (MAST: 2, 5, 8) ...
    gap_probs: tuple[float, ...] = ()  # ... with these probabilities (MAST: 0.4, 0.4, 0.2; empty: equal)
    resize: str = "crop"  # crop: random square of the scaled frame (crop_scale); whole: frame resized to crop x crop (MAST)
    crop_scale: tuple[float, float] = (1.0, 1.5)  # crop: the frame's short side is scaled to U(lo, hi) x the crop
    radius: int = 6  # local window (feature pixels) for the training affinity
    # MAST's recipe; the alternatives are this pipeline's first choices, kept to measure what each mattered.
    layer4: bool = True  # encoder keeps ResNet-18's layer4 (8 basic blocks); false: stops after layer3
    head: str = "none"  # none: match on layer4's 256 channels; mast: MAST's 3x3 post-convolution to 64 channels
    drop: str = "ab"  # bottleneck: ab (a or b per step, kept input x 3/2) or lab (any channel per sample, no rescale)
    recon: str = "input"  # input: reconstruction upsampled to the crop, smooth L1 x 20; feature: at 1/4, unscaled
    temperature: float = 0.07
    position: str = "none"  # none, 2dspe, 1dape, 2dape (Table 5b)
    ab_scale: float = AB_SCALE  # Lab a and b divided by it (MAST and the LIIR port: 127)
    flip: bool = True  # random horizontal flips of the pair (MAST and the LIIR port: none)
    pairs: str = "sample"  # sample: each sample draws a video (uniformly) and a gap; mast: MAST's epoch list (data.py)
    values: str = "mean"  # reference values per feature cell: mean of its 4 x 4 pixels, or subsample (MAST: every 4th)
    position_init: str = "normal"  # learned encodings start from N(0, 0.02^2), or from zeros (the LIIR port's)
    modulation: str = "none"  # none, shuffle, shift on the inter-video path (Table 5c)
    bank_frames: int = 0  # negatives' frames in the memory bank (Table 5a: 0 / 480 / 960 / 1440)
    bank_points: int = 4  # feature points kept per frame
    momentum: float = 0.999  # EMA of the momentum encoder
    compactness: bool = False  # spatial-compactness regulariser on intra-video affinities
    compactness_k: int = 3
    compactness_sigma: float = 1.5
    compactness_weight: float = 0.01
    compactness_form: str = "mixture"  # mixture (L1 to the normalised mixture) or port (the LIIR port's; model/compactness.py)
    compactness_threshold: float = 0.5  # port form: rows whose top affinity exceeds it
    # MER stage 3 (Tables 4 and 5A-C of the MER paper); only the `mer` stage may switch these on.
    flow_fusion: bool = False  # Eq. 5: frame + alpha * flow map before the encoder
    flow_alpha: float = 0.1  # initial alpha (learnable)
    flow_max: float = 20.0  # flow map = (u, v, |flow|) / flow_max, clipped to [-1, 1]
    flow_gap: int = 1  # which stored gap's flow is fused
    ven: bool = False  # Eq. 6-12: Value Extraction Network; it acts only through the weight map of L_w
    ven_target: str = "frozen"  # what the VEN learns from: frozen (nothing), potential (Eq. 6's V), motion (model/ven.py)
    ven_gamma: float = 0.6  # similarity threshold of the potential-value map
    ven_omega: float = 1.0  # weight of the self-similarity term of Eq. 6
    ven_dim: int = 64
    ven_layers: int = 2  # 3x3 conv blocks of the value encoder (Eq. 8)
    dropkey: float = 0.1  # DropKey rate on the VEN's attention logits (training only)
    sampler: bool = False  # Eq. 13-15: multi-cluster sampler decides each pixel's window
    clusters: int = 5  # K-means centres (Table 5B: 3 / 5 / 7)
    sampler_tau: float = 0.45  # region-growing similarity threshold
    kmeans_iters: int = 10
    range_min: float = 2.0  # sampling range bounds, feature pixels
    range_max: float = 12.0
    range_base: str = "r0"  # a mean-area region's range: r0 (Eq. 14, grows with the map) or the training radius
    loss_pos_neg: bool = True  # Eq. 16-17: the positive-negative term against memory-bank negatives (needs bank_frames)
    pos_neg_positive: str = "reconstruction"  # Eq. 17's positive: the pixel's reconstruction, the window's pixels, or
                                              # the pixel itself through the bank-widened affinity (LIIR Eq. 4-5)
    loss_weight_map: bool = False  # Eq. 18-20: weighted smooth L1; weights from the VEN, or Eq. 6's map without it
    weight_lambda: float = 1.0  # Eq. 21: L = L_pn + lambda * L_w
    beta_start: float = 0.9  # Eq. 19-20: weight-map bias, target (1) ... background (0)
    beta_end: float = 0.1
    beta_schedule: str = "linear"  # linear or cosine, over the stage
    weight_norm: str = "minmax"  # minmax or none
    grad_log_every: int = 10  # log each loss term's gradient norm on the encoder every N steps (0 = never)
    workers: int = 0  # data-loading processes
    # Processes (GPUs on CUDA) under torchrun, each on batch_size / devices samples. It names the stage
    # (its key), as every setting does: per-sample random draws (shifts, sampler seeds, DropKey) are
    # made per rank, so an inter-video or MER stage on 2 processes is not bit-equal to 1.
    devices: int = 1
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict | None) -> "TrainConfig":
        d = dict(d or {})
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}")
        check({k: v for k, v in d.items() if k != "stage"}, TRAINING_STAGE, "training")
        for key in ("decay_at", "decay_factors", "gaps", "gap_probs", "crop_scale"):
            if key in d:
                d[key] = tuple(d[key])
        cfg = cls(**d)
        if cfg.gap_probs and (len(cfg.gap_probs) != len(cfg.gaps) or min(cfg.gap_probs) < 0 or sum(cfg.gap_probs) <= 0):
            raise ValueError(f"gap_probs {list(cfg.gap_probs)} must give one non-negative weight per gap in gaps {list(cfg.gaps)}")
        if cfg.crop_scale[0] > cfg.crop_scale[1]:
            raise ValueError(f"crop_scale {list(cfg.crop_scale)} must be [lo, hi] with lo <= hi")
        if cfg.resize == "whole" and cfg.crop_scale != cls.crop_scale:  # round trips carry the default
            raise ValueError("crop_scale applies to resize: crop only; resize: whole squeezes the whole frame to the crop")
        if cfg.decay_factors and len(cfg.decay_factors) != len(cfg.decay_at):
            raise ValueError(f"decay_factors {list(cfg.decay_factors)} must give one multiplier per point of decay_at "
                             f"{list(cfg.decay_at)}")
        if cfg.batch_size % cfg.devices:
            raise ValueError(f"batch_size {cfg.batch_size} does not split over devices: {cfg.devices}: make it a multiple")
        if cfg.stage not in STAGES:
            raise ValueError(f"training stage must be one of {', '.join(STAGES)}, not {cfg.stage!r}")
        mer_only = [k for k in ("flow_fusion", "ven", "sampler", "loss_weight_map") if getattr(cfg, k)]
        if cfg.stage != "mer" and mer_only:
            raise ValueError(f"{mer_only} belong to the mer stage; the {cfg.stage} stage cannot use them")
        if cfg.ven_target != "frozen" and not (cfg.ven and cfg.loss_weight_map):
            raise ValueError(f"ven_target {cfg.ven_target} trains the VEN, which only a stage with ven and "
                             "loss_weight_map runs: switch both on, or leave ven_target frozen")
        if cfg.pos_neg_loss and not cfg.bank_frames:
            raise ValueError("loss_pos_neg takes its negatives from the memory bank: set bank_frames > 0")
        if cfg.stage == "warmup" and cfg.bank_frames:
            raise ValueError("the warm-up stage is intra-video only: set bank_frames: 0")
        return cfg

    def to_dict(self) -> dict:
        return asdict(self)

    # What the memory bank does in a stage, stated once here (the training loop asks these, not the stage's
    # name). Properties of the existing settings, not settings: a stage's key hashes the settings that
    # differ from the defaults, so new ones would rename trained stages or change what they ran.

    @property
    def bank_in_softmax(self) -> bool:
        """The bank's negatives join the affinity's softmax denominator (the reconstruction's numerator
        stays intra-video): the inter-video stage (LIIR Eq. 4-5), and MER's `pixel_positive`."""
        return self.stage == "inter" or self.pixel_positive

    @property
    def pos_neg_loss(self) -> bool:
        """MER's positive-negative term against the bank (Eq. 16-17): only the mer stage has it."""
        return self.stage == "mer" and self.loss_pos_neg

    @property
    def pixel_positive(self) -> bool:
        """Eq. 17 read as LIIR's Eq. 4-5 (pos_neg_positive: pixel): the query pixel's own value is the
        unique positive of its reconstruction, the bank's pixels join the affinity's denominator as
        negatives, and L_pn is that reconstruction's smooth L1 (which L_w then weights)."""
        return self.pos_neg_loss and self.pos_neg_positive == "pixel"

    @property
    def reads_bank(self) -> bool:
        """Some term reads the bank, so the momentum encoder fills it (where bank_frames > 0)."""
        return self.bank_in_softmax or self.pos_neg_loss

    def needs_flow(self) -> bool:
        """The stage reads the training datasets' flow: to fuse it (Eq. 5), or as the VEN's motion target."""
        return self.flow_fusion or self.ven_target == "motion"

    def compactness_prior(self) -> TrainingPrior | None:
        """The training-time compactness prior this stage asks for, if any."""
        if not self.compactness:
            return None
        from ..model.compactness import TrainingPrior  # torch: only where a stage trains, not where it is planned

        return TrainingPrior(self.compactness_k, self.compactness_sigma, self.compactness_weight,
                             self.compactness_form, self.compactness_threshold)
