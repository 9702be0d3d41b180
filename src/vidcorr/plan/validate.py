"""Checks across config keys that the schema cannot state: every name a section uses is defined
elsewhere, and every file it names is there. `check_config` runs whenever a Plan is made (so
`vidcorr plan` checks a cluster config on a laptop); `check_inputs` runs where the workflow is
about to run, since it needs the roots and files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..datasets.embedded import EMBEDDED_PREFIX
from ..datasets.types import SCORER

if TYPE_CHECKING:
    from . import Plan


def check_config(plan: Plan) -> None:
    for check in (_datasets, _subsets, _evaluation, _flow, _training, _curve, _ablation):
        check(plan)


def check_inputs(plan: Plan) -> None:
    """Every root is set and exists (or is generated or embedded); every named input file exists."""
    for name, root in plan.config["roots"].items():
        if root is None:
            raise ValueError(f"config key roots.{name} is not set: pass it with --config roots=\"{{{name}: /path/to/{name}}}\"")
        if _zoo_root(plan, name):
            continue  # a file absent there is listed in the zoo table
        if not (root.startswith(EMBEDDED_PREFIX) or plan.is_generated(name) or Path(root).is_dir()):
            raise ValueError(f"config key roots.{name}: folder {root!r} does not exist; point it at the dataset")
    for path in plan.server_scores():
        if not Path(path).is_file():
            raise ValueError(f"config key ablation.server_scores: {path!r} does not exist; create it with the "
                             "header method,dataset,metric,value (see docs/ablation.md, YouTube-VOS) or remove the key")


def _zoo_root(plan: Plan, name: str) -> bool:
    """roots.zoo of a config with a zoo: the released checkpoints' folder, not a dataset's."""
    return name == "zoo" and bool(plan.config.get("zoo"))


def _datasets(plan: Plan) -> None:
    """Every dataset has a known type and a root; every root belongs to a dataset."""
    roots, datasets = plan.config["roots"], plan.config["datasets"]
    for name, spec in datasets.items():
        if spec["type"] not in SCORER:
            raise ValueError(f"config key datasets.{name}.type: {spec['type']!r} is not a dataset type; choose "
                             f"one of {sorted(SCORER)}")
        if name not in roots:
            raise ValueError(f"config key roots.{name} is missing: set it to the folder of dataset {name!r}")
    for name in roots:
        if name not in datasets and not _zoo_root(plan, name):
            raise ValueError(f"config key roots.{name} names no dataset; add datasets.{name} or remove it")


def _subsets(plan: Plan) -> None:
    config = plan.config
    for name, spec in config["datasets"].items():
        parent = spec.get("subset_of")
        if parent is None:
            continue
        other = config["datasets"].get(parent)
        same = other is not None and "subset_of" not in other and other["type"] == spec["type"] == "davis" and \
            config["roots"][parent] == config["roots"][name] and \
            all(other.get("options", {}).get(k) == spec.get("options", {}).get(k) for k in ("split", "year", "resolution"))
        if not same or "sequences" not in spec.get("options", {}):
            raise ValueError(f"config key datasets.{name}.subset_of: {parent!r} must be another davis dataset with "
                             f"the same root, split and year, and {name} must list its `sequences`")


def _evaluation(plan: Plan) -> None:
    for name in plan.config["evaluation"]["datasets"]:
        if name not in plan.config["datasets"]:
            raise ValueError(f"config key evaluation.datasets lists {name!r}, which is not in datasets")
        if not plan.labelled(name):
            raise ValueError(f"config key evaluation.datasets: {name!r} has no labels to propagate (type videos)")


def _flow(plan: Plan) -> None:
    flow, datasets = plan.flow(), plan.config["datasets"]
    for name in flow["datasets"]:
        if name not in datasets:
            raise ValueError(f"config key flow.datasets lists {name!r}, which is not in datasets")
    compute = flow["compute"]
    if compute.get("backend") == "ptlflow" and not compute.get("checkpoint") and not compute.get("allow_random_weights"):
        raise ValueError("config key flow.compute.checkpoint is not set for the ptlflow backend: "
                         "give a local checkpoint file or a ptlflow named checkpoint in the torch hub cache")
    val = flow["validation"]
    if val and not (val["dataset"] in datasets and plan.is_generated(val["dataset"])
                    and datasets[val["dataset"]]["type"] == "davis"):
        raise ValueError(f"config key flow.validation.dataset: {val['dataset']!r} must be the generated "
                         "benchmark's DAVIS-layout dataset (its root is results/data/synthetic)")


def _training(plan: Plan) -> None:
    for stage in plan.stages.values():
        for name in stage.datasets:  # each is defined: runs._stages keys it by its definition
            if stage.reads_flow and name not in plan.flow()["datasets"]:
                raise ValueError(f"config: a mer stage with flow_fusion or ven_target motion needs flow for dataset "
                                 f"{name!r}: add it to flow.datasets")


def _curve(plan: Plan) -> None:
    spec = plan.config.get("learning_curve")
    if spec and (spec["dataset"] not in plan.config["datasets"] or plan.scorer(spec["dataset"]) != "davis"):
        raise ValueError(f"config key learning_curve.dataset: {spec['dataset']!r} is not a dataset of datasets "
                         "scored with J&F (type davis)")


def _ablation(plan: Plan) -> None:
    exp = plan.config.get("ablation")
    if not exp:
        return
    for t, spec in plan.ablation_tables().items():
        for d in spec["datasets"]:
            if d not in plan.config["datasets"] or not plan.labelled(d):
                raise ValueError(f"config key ablation.tables.{t}.datasets lists {d!r}, which is not a labelled "
                                 "dataset in datasets")
    for run in plan.ablation_runs():
        for t in run.tables:
            if t not in exp["tables"]:
                raise ValueError(f"ablation.variants.{run.variant}.tables names table {t!r}, not in ablation.tables")
