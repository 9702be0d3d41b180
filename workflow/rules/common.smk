# Config validation and input functions shared by every stage.

import json
import os
import shlex
from pathlib import Path

from snakemake.utils import min_version, validate

from vidcorr.ablation.learning_curve import curve_points
from vidcorr.ablation.variants import deep_merge, experiment_runs, named_runs, stage_index
from vidcorr.datasets.embedded import EMBEDDED_PREFIX, resolve_root
from vidcorr.provenance import config_hash
from vidcorr.settings_schema import SCHEMA_PATH
from vidcorr.frames import list_videos

min_version("9.0")


validate(config, schema=str(SCHEMA_PATH))

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


RUNS = {}
for _run in named_runs(config["training"]["runs"]) + experiment_runs(config.get("experiments")):
    if _run.name in RUNS or _run.name in config["evaluation"]["methods"] or _run.name in BASELINES:
        raise ValueError(f"run name {_run.name!r} (training.runs or experiments.variants) is used twice")
    RUNS[_run.name] = _run
STAGES = stage_index(list(RUNS.values()))
PAPER_VALUES = os.path.join(workflow.basedir, "workflow", "resources", "paper_values.csv")


def _curve():
    """learning_curve: its points (CurvePoint) and the baselines drawn beside them."""
    spec = config.get("learning_curve")
    if not spec:
        return [], []
    for name in spec["runs"]:
        if name not in RUNS or RUNS[name].variant is not None:
            raise ValueError(f"config key learning_curve.runs lists {name!r}, which is not in training.runs")
    if spec["dataset"] not in config["datasets"] or config["datasets"][spec["dataset"]]["type"] != "davis":
        raise ValueError(f"config key learning_curve.dataset: {spec['dataset']!r} is not a davis dataset of datasets")
    named = [r for r in RUNS.values() if r.variant is None]
    points = [p for name in spec["runs"] for p in curve_points(RUNS[name], spec["steps"], named)]
    return points, spec.get("baselines", list(BASELINES))


CURVE_POINTS, CURVE_BASELINES = _curve()
CURVE_DATASET = config.get("learning_curve", {}).get("dataset")
CURVE_METHODS = {p.method: p for p in CURVE_POINTS if p.final_of is None}  # the others are runs


def _check_training():
    for stage in STAGES.values():
        for name in stage.datasets:
            if name not in config["datasets"]:
                raise ValueError(f"config: training datasets list {name!r}, which is not in datasets")
            if stage.settings["flow_fusion"] and name not in flow_config()["datasets"]:
                raise ValueError(f"config: a mer stage with flow_fusion needs flow for dataset {name!r}: "
                                 "add it to flow.datasets")


def methods():
    """Method name -> checkpoint: the configured ones, every training run and experiment run, and
    the learning curve's epoch checkpoints."""
    return {**config["evaluation"]["methods"], **{name: run.checkpoint for name, run in RUNS.items()},
            **{name: p.checkpoint for name, p in CURVE_METHODS.items()}}


def reported_methods():
    """Methods propagated on evaluation.datasets: the configured ones and the named training runs."""
    return [m for m in methods() if m not in CURVE_METHODS and (m not in RUNS or RUNS[m].variant is None)]


def stage_indexes(wildcards):
    return [f"results/index/{d}.json" for d in STAGES[wildcards.key].datasets]


def stage_init(wildcards):
    parent = STAGES[wildcards.key].parent
    return [f"results/train/{parent}/final.pt"] if parent else []


def stage_flow(wildcards):
    """Flow indexes a MER stage reads (only with flow fusion on)."""
    stage = STAGES[wildcards.key]
    return [f"results/flow/{d}/index.json" for d in stage.datasets] if stage.settings["flow_fusion"] else []


def propagation_settings(method):
    """The propagation section, with a run's overrides (for an experiment: the experiments' and
    then the variant's)."""
    run = RUNS.get(CURVE_METHODS[method].run if method in CURVE_METHODS else method)
    if run is None:
        return config["propagation"]
    base = config["experiments"].get("propagation", {}) if run.variant is not None else {}
    return deep_merge(deep_merge(config["propagation"], base), run.propagation)


def experiment_runs_list():
    return [r for r in RUNS.values() if r.variant is not None]


def ablation_tables():
    """Table id -> caption and the datasets it is scored on (its own, else experiments.datasets)."""
    exp = config["experiments"]
    out = {}
    for t, spec in exp["tables"].items():
        spec = spec if isinstance(spec, dict) else {"caption": spec}
        out[t] = {"caption": spec["caption"], "datasets": spec.get("datasets", exp["datasets"])}
    return out


def run_datasets(run):
    """The datasets a run is scored on: those of every table it fills, in table order."""
    tables = ablation_tables()
    return list(dict.fromkeys(d for t in run.tables for d in tables[t]["datasets"]))


def ablation_metrics():
    return [f"results/metrics/{r.name}/{d}.csv" for r in experiment_runs_list() for d in run_datasets(r)
            if task_of(d) in SCORED_TASKS]


def ablation_submissions():
    """YouTube-VOS zips of the runs whose tables the challenge server scores."""
    return [f"results/submissions/{r.name}/{d}.zip" for r in experiment_runs_list() for d in run_datasets(r)
            if task_of(d) == "ytvos"]


def server_scores():
    """The CSV of pasted YouTube-VOS server numbers (experiments.server_scores), if any."""
    path = (config.get("experiments") or {}).get("server_scores")
    return [path] if path else []


def ablation_manifest():
    """What the aggregation needs to know about the experiments (tables, rows, runs)."""
    exp = config["experiments"]
    tables = {t: {**spec, "rows": []} for t, spec in ablation_tables().items()}
    for run in experiment_runs_list():
        for t, row in run.tables.items():
            if row not in tables[t]["rows"]:
                tables[t]["rows"].append(row)
    runs = [{"name": r.name, "variant": r.variant, "seed": r.seed, "tables": r.tables, "checkpoint": r.checkpoint,
             "config_hash": config_hash({"stages": [s.key for s in r.stages], "propagation": propagation_settings(r.name)})}
            for r in experiment_runs_list()]
    return {"tables": tables, "runs": runs, "paper_datasets": exp.get("paper_datasets", {})}


def _check_experiments():
    exp = config.get("experiments")
    if not exp:
        return
    for t, spec in ablation_tables().items():
        for d in spec["datasets"]:
            if d not in config["datasets"] or config["datasets"][d]["type"] not in TASK_OF_TYPE:
                raise ValueError(f"config key experiments.tables.{t}.datasets lists {d!r}, which is not a labelled "
                                 "dataset in datasets")
    for run in experiment_runs_list():
        for t in run.tables:
            if t not in exp["tables"]:
                raise ValueError(f"experiments.variants.{run.variant}.tables names table {t!r}, not in experiments.tables")
    for path in server_scores():
        if not Path(path).is_file():
            raise ValueError(f"config key experiments.server_scores: {path!r} does not exist; create it with the "
                             "header method,dataset,metric,value (see README, YouTube-VOS) or remove the key")


def propagated_dataset(name):
    """The dataset whose propagation `name` is scored on: its `subset_of`, or itself."""
    return config["datasets"][name].get("subset_of", name)


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


_check_subsets()


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
_check_training()


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
    if wildcards.method in CURVE_METHODS:  # an epoch checkpoint: there once its stage has finished
        return [f"results/train/{CURVE_METHODS[wildcards.method].key}/final.pt"]
    ckpt = methods()[wildcards.method]
    return [] if ckpt in BASELINES else [ckpt]


wildcard_constraints:
    method="[^/]+",
    dataset="[^/]+",
    key="(warmup|inter|mer)-[0-9a-f]{12}",
    video=".+",


def dataset_args(wildcards):
    """The `<task> --root ... --split ...` part of `vidcorr propagate` and `vidcorr evaluate`."""
    name = wildcards.dataset
    spec = config["datasets"][name]
    opts = spec.get("options", {})
    root = shlex.quote(config["roots"][name])
    task = task_of(name)
    if task == "davis":
        subset = "".join(f" --{k} " + " ".join(map(shlex.quote, opts[k])) for k in ("sequences", "exclude") if k in opts)
        return f"davis --davis-root {root} --split {opts.get('split', 'val')} --year {opts.get('year', 2017)}{subset}"
    if task == "jhmdb":
        return f"jhmdb --root {root} --split {opts.get('split', 1)} --subset {opts.get('subset', 'test')}"
    return f"{task} --root {root} --split {opts.get('split', 'valid' if task == 'ytvos' else 'val')}"


def scored():
    """(method, dataset) pairs that get metrics."""
    return [(m, d) for m in reported_methods() for d in config["evaluation"]["datasets"]
            if task_of(d) in SCORED_TASKS]


def all_targets():
    targets = [f"results/{kind}/{name}.{ext}" for name in config["datasets"]
               for kind, ext in (("index", "json"), ("figures/preview", "png"))]
    targets += [f"results/propagation/{m}/{d}" for m in reported_methods()
                for d in dict.fromkeys(map(propagated_dataset, config["evaluation"]["datasets"]))]
    if scored():
        targets += ["results/metrics/summary.csv", "results/figures/metrics.png"]
    for name in flow_config()["datasets"]:
        targets += [f"results/flow/{name}/index.json", f"results/figures/flow/{name}.png"]
    if config.get("experiments"):
        targets.append("results/ablation.csv")
    if CURVE_POINTS:
        targets.append("results/learning_curve.csv")
    if flow_config()["validation"]:
        targets.append(f"results/flow/{flow_config()['validation']['dataset']}/epe.csv")
    return targets


_check_experiments()
