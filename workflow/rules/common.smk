# The plan and the input functions shared by every stage. What the config asks for is planned, and
# checked across keys, by vidcorr.plan (runs, stages, methods, manifest, paths); the rules ask PLAN.

import json
import os
import shlex
from pathlib import Path

from snakemake.utils import min_version, validate

from vidcorr.datasets.embedded import resolve_root
from vidcorr.frames.listing import list_videos
from vidcorr.plan import Plan, paths
from vidcorr.settings_schema import SCHEMA_PATH
from vidcorr.train.config import STAGES

min_version("9.0")


validate(config, schema=str(SCHEMA_PATH))
PLAN = Plan(config)
PLAN.check_inputs()
PAPER_VALUES = os.path.join(workflow.basedir, "workflow", "resources", "paper_values.csv")


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
    """What a method's propagation waits for (Plan.checkpoint_ready); nothing for the baselines."""
    ckpt = PLAN.checkpoint_ready(wildcards.method)
    return [ckpt] if ckpt else []


def flow_files(wildcards):
    """Every video's flow file of a dataset; the names come from the dataset's index (a checkpoint)."""
    index = checkpoints.index_dataset.get(dataset=wildcards.dataset).output.index
    names = [s["name"] for s in json.loads(Path(index).read_text())["sequences"]]
    return [paths.flow_video(wildcards.dataset, n) for n in names]


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
        return [paths.frames(name, v) for v in videos_of(name)]
    if PLAN.is_generated(name):
        return [paths.SYNTHETIC]
    return []


def index_args(wildcards):
    """Command-line arguments of `vidcorr index` for a dataset."""
    name = wildcards.dataset
    spec = config["datasets"][name]
    if spec["type"] == "videos":
        return f"--type videos --root {paths.frames(name)}"
    options = json.dumps(spec.get("options", {}))
    return f"--type {spec['type']} --root {shlex.quote(config['roots'][name])} --options {shlex.quote(options)}"


def metric_triples(pairs, files, flag="--metrics"):
    """`flag METHOD DATASET FILE` for each (method, dataset) pair and its file, shell-quoted."""
    return " ".join(f"{flag} {shlex.quote(m)} {shlex.quote(d)} {shlex.quote(str(f))}" for (m, d), f in zip(pairs, files))
