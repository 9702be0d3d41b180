"""Speed and memory of evaluation and propagation, printed as a Markdown table.

    python benchmarks/propagation_eval.py [--davis ../shared/data/davis2016-train20] [--frames 12]

1. DAVIS J&F on the 20 reference sequences: vidcorr's evaluator against a plain implementation
   of the official davis2017-evaluation algorithm (benchmarks/official_davis_algorithm.py), with
   the largest difference between their numbers.
2. Propagation at native 480p with the ResNet-18 stride-4 encoder (random weights: speed does not
   depend on them): frames per second, peak resident memory, and the time split between the
   encoder and the affinity/label transfer. Runs in a fresh process so the memory figure is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

PROPAGATION_PROBE = r"""
import json, resource, sys, time
import numpy as np, torch
from vidcorr.datasets import open_dataset
from vidcorr.inference import NetworkFeatures, PropagationConfig, Propagator
from vidcorr.inference.labels import one_hot
from vidcorr.model import ResNet18Stride4

root, n = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
seq = open_dataset("davis", root, split="train", year=2016).sequence("bear")
feats = NetworkFeatures(ResNet18Stride4(), torch.device("cpu"))
spent = {"encoder": 0.0}
def timed(rgb):
    t = time.perf_counter(); out = feats(rgb); spent["encoder"] += time.perf_counter() - t; return out
frames = [seq.read_frame(i) for i in range(n)]
first = one_hot(seq.read_label(0), 2)
prop = Propagator(timed, PropagationConfig())
t0 = time.perf_counter()
for t, probs in prop.run(n, frames.__getitem__, first):
    pass
total = time.perf_counter() - t0
print(json.dumps({"frames": n - 1, "total": total, "encoder": spent["encoder"], "size": list(frames[0].shape[:2]),
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bench_davis(davis: Path, reference: Path) -> list[tuple[str, str]]:
    import official_davis_algorithm as official

    from vidcorr.metrics import evaluate_davis

    t = time.perf_counter()
    ref = official.evaluate(davis, "train", reference)
    t_official = time.perf_counter() - t
    rows = [("J&F evaluation, official algorithm (plain, 1 process)", f"{t_official:.2f} s")]
    for workers in (1, 2):
        t = time.perf_counter()
        ours = evaluate_davis(davis, "train", reference, workers=workers).global_scores
        dt = time.perf_counter() - t
        diff = max(abs(ours[k] - ref[k]) for k in ref)
        rows.append((f"J&F evaluation, vidcorr ({workers} process{'es' if workers > 1 else ''})",
                     f"{dt:.2f} s ({t_official / dt:.1f}x faster), max |difference| {diff:.1e}"))
    return rows


def bench_propagation(davis: Path, frames: int) -> list[tuple[str, str]]:
    out = subprocess.run([sys.executable, "-c", PROPAGATION_PROBE, str(davis), str(frames)],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    h, w = r["size"]
    fps = r["frames"] / r["total"]
    enc = r["encoder"] / r["total"]
    return [
        (f"Propagation at {w}x{h}, ResNet-18 stride 4, first + 5 previous frames, radius 12", f"{fps:.2f} frames/s"),
        ("Peak resident memory of that run", f"{r['max_rss_kb'] / 1024**2:.2f} GB"),
        ("Time in encoder / in affinity and label transfer", f"{100 * enc:.0f}% / {100 * (1 - enc):.0f}%"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", type=Path, default=REPO.parent / "shared/data/davis2016-train20")
    ap.add_argument("--reference", type=Path, default=REPO.parent / "shared/data/reference/train20/predictions")
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args()
    rows = bench_davis(args.davis, args.reference) + bench_propagation(args.davis, args.frames)
    print("| What | Measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    print(f"\n(process peak RSS of the evaluation part: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
