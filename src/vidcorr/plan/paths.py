"""Where the workflow keeps each result: the one statement of the results/ layout, which the
rules' patterns (called with wildcards such as "{key}") and the planning both use."""

from __future__ import annotations

RESULTS = "results"
SYNTHETIC = f"{RESULTS}/data/synthetic"  # the generated benchmark


def index(dataset: str) -> str:
    return f"{RESULTS}/index/{dataset}.json"


def flow_index(dataset: str) -> str:
    return f"{RESULTS}/flow/{dataset}/index.json"


def stage_dir(key: str) -> str:
    return f"{RESULTS}/train/{key}"


def checkpoint(key: str) -> str:
    """A stage's last checkpoint, the one a run is propagated with and the next stage starts from."""
    return f"{stage_dir(key)}/final.pt"


def epoch_checkpoint(key: str, epoch: int) -> str:
    return f"{stage_dir(key)}/epoch_{epoch:03d}.pt"


def weight_maps(key: str) -> str:
    """A MER stage's figure of its weight map on training pairs (vidcorr weight-maps)."""
    return f"{RESULTS}/figures/weight_maps/{key}.png"


def propagation(method: str, dataset: str) -> str:
    return f"{RESULTS}/propagation/{method}/{dataset}"


def metrics(method: str, dataset: str) -> str:
    return f"{RESULTS}/metrics/{method}/{dataset}.csv"


def submission(method: str, dataset: str) -> str:
    return f"{RESULTS}/submissions/{method}/{dataset}.zip"


def zoo_checkpoint(name: str) -> str:
    """A released checkpoint of the zoo, converted (vidcorr convert-checkpoint)."""
    return f"{RESULTS}/zoo/{name}.pt"


def zoo_table(ext: str) -> str:
    """The zoo's table, as md or csv (not in results/tables/: the ablation rule's folder output)."""
    return f"{RESULTS}/zoo/zoo.{ext}"
