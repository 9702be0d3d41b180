# Config validation and input functions shared by every stage.

import json
import os
from pathlib import Path

from snakemake.utils import min_version, validate

from vidcorr.datasets.embedded import EMBEDDED_PREFIX, resolve_root
from vidcorr.frames import list_videos

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

SYNTHETIC_DIR = "results/data/synthetic"


def _check_roots():
    """Every dataset needs a root; every root must belong to a dataset and exist (or be generated)."""
    roots, datasets = config["roots"], config["datasets"]
    for name in datasets:
        if name not in roots:
            raise ValueError(f"config key roots.{name} is missing: set it to the folder of dataset {name!r}")
    for name, root in roots.items():
        if root is None:
            raise ValueError(
                f"config key roots.{name} is not set: pass it with --config roots=\"{{{name}: /path/to/{name}}}\""
            )
        if name not in datasets:
            raise ValueError(f"config key roots.{name} names no dataset; add datasets.{name} or remove it")
        if not (root.startswith(EMBEDDED_PREFIX) or is_generated(name) or Path(root).is_dir()):
            raise ValueError(f"config key roots.{name}: folder {root!r} does not exist; point it at the dataset")


def is_generated(name):
    """True for datasets that live inside the generated synthetic benchmark."""
    root = Path(config["roots"][name])
    return root == Path(SYNTHETIC_DIR) or Path(SYNTHETIC_DIR) in root.parents


_check_roots()

BASELINES = ("copy-first", "lab")
TASK_OF_TYPE = {"davis": "davis", "ytvos": "ytvos", "vip": "vip", "jhmdb": "jhmdb"}
SCORED_TASKS = ("davis", "vip", "jhmdb")


def _check_training():
    for run, spec in config["training"]["runs"].items():
        for name in spec["datasets"]:
            if name not in config["datasets"]:
                raise ValueError(f"config key training.runs.{run}.datasets lists {name!r}, which is not in datasets")
            if spec.get("mer", {}).get("flow_fusion") and name not in config.get("flow", {}).get("datasets", []):
                raise ValueError(f"config key training.runs.{run}.mer.flow_fusion needs flow for dataset {name!r}: "
                                 "add it to flow.datasets")
        if run in config["evaluation"]["methods"] or run in BASELINES:
            raise ValueError(f"config key training.runs.{run}: the name is already an evaluation method")


_check_training()


def last_stage(run):
    """A run ends with its MER stage when it has one, else with the inter-video stage."""
    return "mer" if "mer" in config["training"]["runs"][run] else "inter"


def methods():
    """Method name -> checkpoint: the configured ones plus every training run's final checkpoint."""
    trained = {run: f"results/train/{run}/{last_stage(run)}/final.pt" for run in config["training"]["runs"]}
    return {**config["evaluation"]["methods"], **trained}


def stage_settings(wildcards):
    """JSON of one training stage's settings."""
    spec = config["training"]["runs"][wildcards.run][wildcards.stage]
    return json.dumps({**spec, "stage": wildcards.stage}, sort_keys=True)


def training_indexes(wildcards):
    return [f"results/index/{d}.json" for d in config["training"]["runs"][wildcards.run]["datasets"]]


def training_flow(wildcards):
    """Flow indexes the MER stage reads (only with flow fusion on)."""
    spec = config["training"]["runs"][wildcards.run]
    if not spec.get("mer", {}).get("flow_fusion"):
        return []
    return [f"results/flow/{d}/index.json" for d in spec["datasets"]]


def _check_evaluation():
    for name in config["evaluation"]["datasets"]:
        if name not in config["datasets"]:
            raise ValueError(f"config key evaluation.datasets lists {name!r}, which is not in datasets")
        if config["datasets"][name]["type"] not in TASK_OF_TYPE:
            raise ValueError(f"config key evaluation.datasets: {name!r} has no labels to propagate (type videos)")


_check_evaluation()


FLOW_DEFAULTS = {"datasets": [], "compute": {}, "validation": None}


def flow_config():
    """The `flow:` section with its defaults (no dataset, OpenCV DIS, no validation)."""
    return {**FLOW_DEFAULTS, **config.get("flow", {})}


def _check_flow():
    flow = flow_config()
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


_check_flow()


def flow_files(wildcards):
    """Every video's flow file of a dataset; the names come from the dataset's index (a checkpoint)."""
    index = checkpoints.index_dataset.get(dataset=wildcards.dataset).output.index
    names = [s["name"] for s in json.loads(Path(index).read_text())["sequences"]]
    return [f"results/flow/{wildcards.dataset}/videos/{n}.h5" for n in names]


def flow_validation_methods():
    """The validated backends, each with the stored files' quantisation and gaps."""
    compute, val = flow_config()["compute"], flow_config()["validation"]
    kept = {k: compute[k] for k in ("gaps", "dtype", "steps_per_pixel") if k in compute}
    return [{**kept, **m} for m in val["methods"]]


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
        return [SYNTHETIC_DIR]
    return []


def index_args(wildcards):
    """Command-line arguments of `vidcorr index` for a dataset."""
    import shlex

    name = wildcards.dataset
    spec = config["datasets"][name]
    if spec["type"] == "videos":
        return f"--type frames --root results/frames/{name}"
    options = json.dumps(spec.get("options", {}))
    return f"--type {spec['type']} --root {shlex.quote(config['roots'][name])} --options {shlex.quote(options)}"


def task_of(dataset):
    return TASK_OF_TYPE[config["datasets"][dataset]["type"]]


def checkpoint_inputs(wildcards):
    """The checkpoint file a method needs; nothing for the baselines."""
    ckpt = methods()[wildcards.method]
    return [] if ckpt in BASELINES else [ckpt]


wildcard_constraints:
    method="[^/]+",
    dataset="[^/]+",
    run="[^/]+",
    stage="warmup|inter|mer",
    video=".+",


def dataset_args(wildcards):
    """The `<task> --root ... --split ...` part of `vidcorr propagate` and `vidcorr evaluate`."""
    import shlex

    name = wildcards.dataset
    spec = config["datasets"][name]
    opts = spec.get("options", {})
    root = shlex.quote(config["roots"][name])
    task = task_of(name)
    if task == "davis":
        return f"davis --davis-root {root} --split {opts.get('split', 'val')} --year {opts.get('year', 2017)}"
    if task == "jhmdb":
        return f"jhmdb --root {root} --split {opts.get('split', 1)} --subset {opts.get('subset', 'test')}"
    return f"{task} --root {root} --split {opts.get('split', 'valid' if task == 'ytvos' else 'val')}"


def scored():
    """(method, dataset) pairs that get metrics."""
    return [(m, d) for m in methods() for d in config["evaluation"]["datasets"]
            if task_of(d) in SCORED_TASKS]


def all_targets():
    targets = [f"results/{kind}/{name}.{ext}" for name in config["datasets"]
               for kind, ext in (("index", "json"), ("figures/preview", "png"))]
    targets += [f"results/propagation/{m}/{d}" for m in methods()
                for d in config["evaluation"]["datasets"]]
    if scored():
        targets += ["results/metrics/summary.csv", "results/figures/metrics.png"]
    for name in flow_config()["datasets"]:
        targets += [f"results/flow/{name}/index.json", f"results/figures/flow/{name}.png"]
    if flow_config()["validation"]:
        targets.append(f"results/flow/{flow_config()['validation']['dataset']}/epe.csv")
    return targets
