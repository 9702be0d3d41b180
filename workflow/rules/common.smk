# Config validation and input functions shared by every stage. What the config asks for is
# planned by vidcorr.plan (runs, stages, methods, manifest, paths); the rules ask PLAN.

import json
import os
import shlex
from pathlib import Path

from snakemake.utils import min_version, validate

from vidcorr.datasets import READERS
from vidcorr.datasets.embedded import EMBEDDED_PREFIX, resolve_root
from vidcorr.frames import list_videos
from vidcorr.plan import Plan, paths
from vidcorr.settings_schema import SCHEMA_PATH
from vidcorr.train.config import STAGES

min_version("9.0")


validate(config, schema=str(SCHEMA_PATH))


def _check_datasets():
    """Every dataset has a known type and a root; every root belongs to a dataset and exists (or is generated)."""
    roots, datasets = config["roots"], config["datasets"]
    for name, spec in datasets.items():
        if spec["type"] != "videos" and spec["type"] not in READERS:
            raise ValueError(f"config key datasets.{name}.type: {spec['type']!r} is not a dataset type; choose "
                             f"videos or one of {sorted(set(READERS) - {'frames'})}")
        if name not in roots:
            raise ValueError(f"config key roots.{name} is missing: set it to the folder of dataset {name!r}")
    for name, root in roots.items():
        if root is None:
            raise ValueError(
                f"config key roots.{name} is not set: pass it with --config roots=\"{{{name}: /path/to/{name}}}\""
            )
        if name == "zoo" and config.get("zoo"):
            continue  # the released checkpoints' folder: a file absent there is listed in the zoo table
        if name not in datasets:
            raise ValueError(f"config key roots.{name} names no dataset; add datasets.{name} or remove it")
        if not (root.startswith(EMBEDDED_PREFIX) or is_generated(name) or Path(root).is_dir()):
            raise ValueError(f"config key roots.{name}: folder {root!r} does not exist; point it at the dataset")


def is_generated(name):
    """True for datasets that live inside the generated synthetic benchmark."""
    root = Path(config["roots"][name])
    return root == Path(paths.SYNTHETIC) or Path(paths.SYNTHETIC) in root.parents


def labelled(name):
    return config["datasets"][name]["type"] != "videos"


_check_datasets()
PLAN = Plan(config)
PAPER_VALUES = os.path.join(workflow.basedir, "workflow", "resources", "paper_values.csv")


def _check_curve():
    spec = config.get("learning_curve")
    if spec and (spec["dataset"] not in config["datasets"] or PLAN.scorer(spec["dataset"]) != "davis"):
        raise ValueError(f"config key learning_curve.dataset: {spec['dataset']!r} is not a dataset of datasets "
                         "scored with J&F (type davis)")


def _check_training():
    for stage in PLAN.stages.values():
        for name in stage.datasets:
            if name not in config["datasets"]:
                raise ValueError(f"config: training datasets list {name!r}, which is not in datasets")
            if stage.reads_flow and name not in PLAN.flow()["datasets"]:
                raise ValueError(f"config: a mer stage with flow_fusion or ven_target motion needs flow for dataset {name!r}: "
                                 "add it to flow.datasets")


def _check_experiments():
    exp = config.get("experiments")
    if not exp:
        return
    for t, spec in PLAN.ablation_tables().items():
        for d in spec["datasets"]:
            if d not in config["datasets"] or not labelled(d):
                raise ValueError(f"config key experiments.tables.{t}.datasets lists {d!r}, which is not a labelled "
                                 "dataset in datasets")
    for run in PLAN.experiment_runs():
        for t in run.tables:
            if t not in exp["tables"]:
                raise ValueError(f"experiments.variants.{run.variant}.tables names table {t!r}, not in experiments.tables")
    for path in server_scores():
        if not Path(path).is_file():
            raise ValueError(f"config key experiments.server_scores: {path!r} does not exist; create it with the "
                             "header method,dataset,metric,value (see README, YouTube-VOS) or remove the key")


def _check_subsets():
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


def _check_evaluation():
    for name in config["evaluation"]["datasets"]:
        if name not in config["datasets"]:
            raise ValueError(f"config key evaluation.datasets lists {name!r}, which is not in datasets")
        if not labelled(name):
            raise ValueError(f"config key evaluation.datasets: {name!r} has no labels to propagate (type videos)")


def _check_flow():
    flow = PLAN.flow()
    for name in flow["datasets"]:
        if name not in config["datasets"]:
            raise ValueError(f"config key flow.datasets lists {name!r}, which is not in datasets")
    compute = flow["compute"]
    if compute.get("backend") == "ptlflow" and not compute.get("checkpoint") and not compute.get("allow_random_weights"):
        raise ValueError("config key flow.compute.checkpoint is not set for the ptlflow backend: "
                         "give a local checkpoint file or a ptlflow named checkpoint in the torch hub cache")
    val = flow["validation"]
    if val and not (val["dataset"] in config["datasets"] and is_generated(val["dataset"])
                    and config["datasets"][val["dataset"]]["type"] == "davis"):
        raise ValueError(f"config key flow.validation.dataset: {val['dataset']!r} must be the generated "
                         "benchmark's DAVIS-layout dataset (its root is results/data/synthetic)")


def server_scores():
    """The CSV of pasted YouTube-VOS server numbers (experiments.server_scores), if any."""
    path = (config.get("experiments") or {}).get("server_scores")
    return [path] if path else []


_check_curve()
_check_subsets()
_check_evaluation()
_check_flow()
_check_training()
_check_experiments()


wildcard_constraints:
    method="[^/]+",
    dataset="[^/]+",
    key=f"({'|'.join(STAGES)})-[0-9a-f]{{12}}",
    video=".+",


# input functions


def stage_indexes(wildcards):
    return [paths.index(d) for d in PLAN.stages[wildcards.key].datasets]


def stage_init(wildcards):
    parent = PLAN.stages[wildcards.key].parent
    return [paths.checkpoint(parent)] if parent else []


def stage_flow(wildcards):
    """Flow indexes a MER stage reads (flow fusion, or the VEN's motion target)."""
    stage = PLAN.stages[wildcards.key]
    return [paths.flow_index(d) for d in stage.datasets] if stage.reads_flow else []


def checkpoint_inputs(wildcards):
    """The checkpoint file a method needs; nothing for the baselines."""
    ckpt = PLAN.checkpoint_file(wildcards.method)
    return [ckpt] if ckpt else []


def flow_files(wildcards):
    """Every video's flow file of a dataset; the names come from the dataset's index (a checkpoint)."""
    index = checkpoints.index_dataset.get(dataset=wildcards.dataset).output.index
    names = [s["name"] for s in json.loads(Path(index).read_text())["sequences"]]
    return [f"results/flow/{wildcards.dataset}/videos/{n}.h5" for n in names]


def video_datasets():
    return [n for n, d in config["datasets"].items() if d["type"] == "videos"]


def videos_of(dataset):
    """Map video name -> source path for a raw-video dataset, honouring its include list."""
    videos = list_videos(resolve_root(config["roots"][dataset]))
    wanted = config["datasets"][dataset].get("include")
    if wanted is None:
        return videos
    missing = sorted(set(wanted) - set(videos))
    if missing:
        raise ValueError(f"config key datasets.{dataset}.include lists {missing}, not found in {config['roots'][dataset]}")
    return {v: videos[v] for v in wanted}


def video_source(wildcards):
    return str(videos_of(wildcards.dataset)[wildcards.video])


def index_inputs(wildcards):
    """What the index of a dataset waits for: its frame folders, the generated benchmark, or nothing."""
    name = wildcards.dataset
    if config["datasets"][name]["type"] == "videos":
        return [f"results/frames/{name}/{v}" for v in videos_of(name)]
    if is_generated(name):
        return [paths.SYNTHETIC]
    return []


def index_args(wildcards):
    """Command-line arguments of `vidcorr index` for a dataset."""
    name = wildcards.dataset
    spec = config["datasets"][name]
    if spec["type"] == "videos":
        return f"--type frames --root results/frames/{name}"
    options = json.dumps(spec.get("options", {}))
    return f"--type {spec['type']} --root {shlex.quote(config['roots'][name])} --options {shlex.quote(options)}"


def metric_triples(pairs, files, flag="--metrics"):
    """`flag METHOD DATASET FILE` for each (method, dataset) pair and its file, shell-quoted."""
    return " ".join(f"{flag} {shlex.quote(m)} {shlex.quote(d)} {shlex.quote(str(f))}" for (m, d), f in zip(pairs, files))
