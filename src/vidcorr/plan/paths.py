"""Where the workflow keeps each result, log and job timing: the one statement of the layout. The
rules call these with wildcard patterns (e.g. index("{dataset}")); planning calls them with names.
results/ holds what a run makes; logs/ each job's log and, under logs/timing/, its Snakemake
benchmark record (benchmarks/ holds the tracked benchmark scripts)."""

from __future__ import annotations

from pathlib import PurePath

RESULTS = "results"
LOGS = "logs"
SYNTHETIC = f"{RESULTS}/data/synthetic"  # the generated benchmark


def is_generated(root: str | PurePath) -> bool:
    """True for a dataset root inside the generated synthetic benchmark."""
    root = PurePath(root)
    return root == PurePath(SYNTHETIC) or PurePath(SYNTHETIC) in root.parents


def log(job: str) -> str:
    """A job's log: job is its rule's folder and wildcards, e.g. "propagate/{method}/{dataset}"."""
    return f"{LOGS}/{job}.log"


def timing(job: str) -> str:
    """A job's Snakemake benchmark record (wall time, memory)."""
    return f"{LOGS}/timing/{job}.tsv"


# frames and datasets
def frames(dataset: str, video: str = "") -> str:
    """A raw-video dataset's frame folders (one per video), or one video's."""
    return f"{RESULTS}/frames/{dataset}" + (f"/{video}" if video else "")


def index(dataset: str) -> str:
    return f"{RESULTS}/index/{dataset}.json"


def skipped(dataset: str) -> str:
    """The videos a dataset's index left out (frames.skip_bad_videos)."""
    return f"{RESULTS}/index/{dataset}.skipped.tsv"


def preview(dataset: str) -> str:
    return f"{RESULTS}/figures/preview/{dataset}.png"


# flow
def flow_settings() -> str:
    return f"{RESULTS}/flow/settings.yaml"


def flow_video(dataset: str, video: str) -> str:
    return f"{RESULTS}/flow/{dataset}/videos/{video}.h5"


def flow_index(dataset: str) -> str:
    return f"{RESULTS}/flow/{dataset}/index.json"


def flow_picture(dataset: str) -> str:
    return f"{RESULTS}/figures/flow/{dataset}.png"


def flow_validation_settings() -> str:
    return f"{RESULTS}/flow/validation.yaml"


def flow_epe(dataset: str) -> str:
    return f"{RESULTS}/flow/{dataset}/epe.csv"


# training
def train_settings(key: str) -> str:
    return f"{RESULTS}/train/{key}.yaml"


def stage_dir(key: str) -> str:
    return f"{RESULTS}/train/{key}"


def checkpoint(key: str) -> str:
    """A stage's last checkpoint, the one a run is propagated with and the next stage starts from."""
    return f"{stage_dir(key)}/final.pt"


def epoch_checkpoint(key: str, epoch: int) -> str:
    return f"{stage_dir(key)}/epoch_{epoch:03d}.pt"


def train_log(key: str) -> str:
    return f"{stage_dir(key)}/log.csv"


def train_curve(key: str) -> str:
    return f"{stage_dir(key)}/curve.png"


def weight_maps(key: str) -> str:
    """A MER stage's figure of its weight map on training pairs (vidcorr weight-maps)."""
    return f"{RESULTS}/figures/weight_maps/{key}.png"


# propagation and metrics
def propagation_settings(method: str) -> str:
    return f"{RESULTS}/config/propagation/{method}.yaml"


def propagation(method: str, dataset: str) -> str:
    return f"{RESULTS}/propagation/{method}/{dataset}"


def overlays(method: str, dataset: str) -> str:
    return f"{RESULTS}/figures/overlays/{method}/{dataset}.png"


def metrics(method: str, dataset: str) -> str:
    return f"{RESULTS}/metrics/{method}/{dataset}.csv"


def metrics_per_sequence(method: str, dataset: str) -> str:
    return f"{RESULTS}/metrics/{method}/{dataset}_per_sequence.csv"


def summary(ext: str) -> str:
    """The main results' table (csv) and bar chart (png)."""
    return f"{RESULTS}/metrics/summary.csv" if ext == "csv" else f"{RESULTS}/figures/metrics.{ext}"


def submission(method: str, dataset: str) -> str:
    return f"{RESULTS}/submissions/{method}/{dataset}.zip"


# ablation, learning curve, zoo
ABLATION = f"{RESULTS}/ablation.csv"
ABLATION_MANIFEST = f"{RESULTS}/ablation/manifest.yaml"
ABLATION_TABLES = f"{RESULTS}/tables"  # one Markdown and LaTeX table per ablation table (a folder output)
ABLATION_FIGURES = f"{RESULTS}/figures/ablation"


def learning_curve(ext: str) -> str:
    """The learning curve's table (csv) and plot (png)."""
    return f"{RESULTS}/learning_curve.csv" if ext == "csv" else f"{RESULTS}/figures/learning_curve.{ext}"


def zoo_checkpoint(name: str) -> str:
    """A released checkpoint of the zoo, converted (vidcorr convert-checkpoint)."""
    return f"{RESULTS}/zoo/{name}.pt"


def zoo_table(ext: str) -> str:
    """The zoo's table, as md or csv (not in ABLATION_TABLES: the ablation rule's folder output)."""
    return f"{RESULTS}/zoo/zoo.{ext}"
