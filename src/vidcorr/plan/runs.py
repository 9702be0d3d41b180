"""Experiments as named variants of one base run, expanded into training stages keyed by content.

A stage's key hashes everything that determines its checkpoint: the stage, its settings (those
that differ from TrainConfig's defaults, seed included), the training datasets (each by what
decides its frames: data_identity) and the key of the stage it starts from. Variants that share
a prefix of the schedule therefore share those stages' checkpoints, and a warm-up with the same
settings is trained once however many variants use it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..provenance import config_hash
from ..train.config import STAGES, TrainConfig
from . import paths


def deep_merge(base: dict, over: dict | None) -> dict:
    """`base` with `over` laid on top; nested mappings merge, everything else is replaced."""
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


@dataclass(frozen=True)
class Stage:
    key: str  # "<stage>-<12 hex>": results/train/<key>/
    stage: str
    settings: dict  # TrainConfig fields, stage and seed included
    overrides: dict  # the settings that differ from the defaults: they name the stage and are its job's parameters
    datasets: tuple[str, ...]
    parent: str | None  # key of the stage whose final.pt it starts from

    @property
    def devices(self) -> int:
        """Processes (GPUs on CUDA) its job trains on."""
        return self.settings["devices"]

    @property
    def launcher(self) -> str:
        """The command that starts its `train` job: vidcorr itself, or torchrun with one process per device
        (--standalone: a free rendezvous port on the job's node, so concurrent jobs do not collide)."""
        if self.devices == 1:
            return "vidcorr"
        return f"torchrun --standalone --nproc_per_node {self.devices} --no-python vidcorr"

    @property
    def reads_flow(self) -> bool:
        """Its job needs the training datasets' flow indexes (TrainConfig.needs_flow)."""
        return TrainConfig.from_dict(self.settings).needs_flow()


@dataclass
class Run:
    name: str  # the method name under which it is propagated and scored
    stages: list[Stage]
    variant: str | None = None  # None for a named run of training.runs
    seed: int = 0
    propagation: dict = field(default_factory=dict)  # overrides of the propagation settings
    tables: dict = field(default_factory=dict)  # table -> row label

    @property
    def checkpoint(self) -> str:
        return paths.checkpoint(self.stages[-1].key)


_DEFAULTS = TrainConfig().to_dict()


def data_identity(config: dict) -> dict[str, dict]:
    """Each dataset by what decides its frames: its definition (type, reader options, sequences
    kept or dropped), the frames settings for decoded videos, the synthetic settings for the
    generated benchmark. Two folds of one dataset name are two datasets. Roots are left out, so a
    stage has the same key on every machine that holds the same data."""
    out = {}
    for name, spec in config["datasets"].items():
        ident = {"definition": spec}
        if spec["type"] == "videos":
            ident["frames"] = config["frames"]
        if paths.is_generated(config["roots"].get(name) or ""):  # a root may be null until a user sets it
            ident["synthetic"] = config["synthetic"]
        out[name] = ident
    return out


def _stages(spec: dict, names: list[str], seed: int | None, data: dict[str, dict]) -> list[Stage]:
    out, parent = [], None
    datasets = tuple(spec["datasets"])
    for d in datasets:
        if d not in data:
            raise ValueError(f"config: training datasets list {d!r}, which is not in datasets")
    identity = {d: data[d] for d in datasets}
    for name in names:
        if name not in spec:
            raise ValueError(f"stage {name!r} has no settings (add a `{name}:` block)")
        settings = dict(spec[name], stage=name)
        if seed is not None:
            settings["seed"] = seed
        full = TrainConfig.from_dict(settings).to_dict()
        # Only settings that differ from the defaults name the stage: a new option (at its
        # default) leaves every trained stage's key, and so its checkpoint, valid.
        chosen = {k: v for k, v in full.items() if v != _DEFAULTS[k]}
        key = f"{name}-{config_hash({'settings': chosen, 'datasets': identity, 'parent': parent})[:12]}"
        out.append(Stage(key, name, full, chosen, datasets, parent))
        parent = key
    return out


def named_runs(runs: dict, data: dict[str, dict]) -> list[Run]:
    """training.runs: warm-up, inter-video and (when given) MER, each with its own settings, and
    the run's overrides of the propagation settings (LIIR propagates with its compactness prior)."""
    return [Run(name, _stages(spec, [s for s in STAGES if s in spec], None, data), propagation=spec.get("propagation", {}))
            for name, spec in runs.items()]


def ablation_runs(ablation: dict | None, data: dict[str, dict]) -> list[Run]:
    """ablation.variants x seeds, each variant a set of overrides on ablation.base (the
    variants as design.variants_of resolves them); data as data_identity gives it."""
    if not ablation:
        return []
    base, default_seeds = ablation["base"], ablation.get("seeds", [0])
    runs = []
    for variant, over in ablation["variants"].items():
        over = dict(over or {})
        names = over.pop("stages", ["warmup", "inter"])
        bad = [s for s in names if s not in STAGES]
        if bad or not names or names != [s for s in STAGES if s in names] or names[0] != "warmup":
            raise ValueError(f"ablation.variants.{variant}.stages must run in order from warmup "
                             f"(warmup, inter, mer), not {names}")
        propagation, tables = over.pop("propagation", {}), over.pop("tables", {})
        seeds = over.pop("seeds", default_seeds)
        spec = deep_merge(base, over)
        for seed in seeds:
            runs.append(Run(f"{variant}-s{seed}", _stages(spec, names, seed, data), variant, seed, propagation, tables))
    return runs


def stage_index(runs: list[Run]) -> dict[str, Stage]:
    """Every distinct stage of the given runs, by key."""
    return {s.key: s for r in runs for s in r.stages}
