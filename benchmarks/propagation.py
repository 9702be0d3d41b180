"""Propagation speed and memory, printed as a Markdown table.

    python benchmarks/propagation.py [--davis ../shared/data/davis2016-train20] [--frames 12]

Propagation at native 480p with the ResNet-18 stride-4 encoder (random weights: speed does not
depend on them): frames per second, peak resident memory, and the time split between the encoder
and the affinity/label transfer. Runs in a fresh process so the memory figure is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

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
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args()
    rows = bench_propagation(args.davis, args.frames)
    print("| What | Measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
