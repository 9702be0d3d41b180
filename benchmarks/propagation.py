"""Propagation speed and memory, printed as a Markdown table.

    python benchmarks/propagation.py [--davis ../shared/data/davis2016-train20] [--frames 12]

Propagation at native 480p with the ResNet-18 stride-4 encoder (layer4 included; random weights:
speed does not depend on them), first frame + 5 previous frames, radius 12 (the long-term radius
too), one row per matmul precision: frames per second, the encoder's time per frame, the time of
everything else (matching, label transfer, resizing, memory) per frame and its ratio to the
encoder's, peak resident memory. Each row runs in a fresh process so the memory figure is its own;
the rows run one after the other in one call, so their ratios compare.
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
from vidcorr.inference.key_tiles import matmul_dtype
from vidcorr.inference.labels import one_hot
from vidcorr.model import ResNet18Stride4

root, n, settings = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
torch.manual_seed(0)
seq = open_dataset("davis", root, split="train", year=2016).sequence("bear")
feats = NetworkFeatures(ResNet18Stride4(), torch.device("cpu"))
spent = {"encoder": 0.0}
def timed(rgb):
    t = time.perf_counter(); out = feats(rgb); spent["encoder"] += time.perf_counter() - t; return out
frames = [seq.read_frame(i) for i in range(n)]
first = one_hot(seq.read_label(0), 2)
cfg = PropagationConfig.from_dict(settings)
prop = Propagator(timed, cfg)
t0 = time.perf_counter()
for t, probs in prop.run(n, frames.__getitem__, first):
    pass
total = time.perf_counter() - t0
dtype = str(matmul_dtype(cfg, torch.device("cpu"))).replace("torch.", "")
print(json.dumps({"frames": n - 1, "total": total, "encoder": spent["encoder"], "size": list(frames[0].shape[:2]),
                  "dtype": dtype, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SETTINGS = [("auto", {}), ("float32", {"precision": "float32"})]


def probe(davis: Path, frames: int, settings: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", PROPAGATION_PROBE, str(davis), str(frames), json.dumps(settings)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", type=Path, default=REPO.parent / "shared/data/davis2016-train20")
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args()
    rows = []
    for name, settings in SETTINGS:
        r = probe(args.davis, args.frames, settings)
        per = r["frames"]
        rest = (r["total"] - r["encoder"]) / per
        enc = r["encoder"] / per
        rows.append((f"`precision: {name}` ({r['dtype']})", f"{per / r['total']:.2f}", f"{enc:.2f}", f"{rest:.2f}",
                     f"{rest / enc:.2f}", f"{r['max_rss_kb'] / 1024**2:.2f}"))
    h, w = r["size"]
    print(f"Propagation at {w}x{h}, {args.frames - 1} frames of DAVIS bear, first + 5 previous frames, radius 12\n")
    print("| matmul | frames/s | encoder s/frame | matching + transfer s/frame | ratio to encoder | peak RSS GB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
