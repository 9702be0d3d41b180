"""Propagation speed and memory, printed as a Markdown table.

    python benchmarks/propagation.py [--davis ../shared/data/davis2016-train20] [--frames 12] [--before SRC]

Propagation at native 480p with the ResNet-18 stride-4 encoder (layer4 included; random weights:
speed does not depend on them), first frame + 5 previous frames, radius 12 (the long-term radius
too), one row per setting (the matmul's precision; the compactness prior): frames per second, the
encoder's time per frame, the time of everything else (matching, label transfer, resizing,
memory) per frame and its ratio to the encoder's, peak resident memory. Each row runs in a fresh
process so the memory figure is its own; the rows run one after the other in one call, so their
ratios compare. `--before SRC` runs every row a second time on another checkout's src/ folder
(the code before a change), in the same call.
"""

from __future__ import annotations

import argparse
import json
import os
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

root, n, settings = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
torch.manual_seed(0)
seq = open_dataset("davis", root, split="train", year=2016).sequence("bear")
feats = NetworkFeatures(ResNet18Stride4(), torch.device("cpu"))
spent = {"encoder": 0.0}
def timed(rgb):
    t = time.perf_counter(); out = feats(rgb); spent["encoder"] += time.perf_counter() - t; return out
frames = [seq.read_frame(i) for i in range(n)]
first = one_hot(seq.read_label(0), 2)
cfg = PropagationConfig(**settings)  # (older code may not know every key)
prop = Propagator(timed, cfg)
t0 = time.perf_counter()
for t, probs in prop.run(n, frames.__getitem__, first):
    pass
total = time.perf_counter() - t0
try:
    from vidcorr.inference.key_tiles import matmul_dtype
    dtype = matmul_dtype(cfg, torch.device("cpu"), unit=True)
except ImportError:  # code from before the key tiles (--before)
    dtype = torch.float32
try:
    from vidcorr.inference.key_tiles import tile_side
    tile = tile_side(cfg, dtype)
except ImportError:  # code from before the default tile by precision
    tile = cfg.tile
dtype = str(dtype).replace("torch.", "")
print(json.dumps({"frames": n - 1, "total": total, "encoder": spent["encoder"], "size": list(frames[0].shape[:2]),
                  "dtype": dtype, "tile": tile, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SETTINGS = [("`precision: auto`", {}), ("`precision: float32`", {"precision": "float32"}),
            ("`compactness: true`", {"compactness": True})]


def probe(davis: Path, frames: int, settings: dict, src: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src)) if src else None
    out = subprocess.run([sys.executable, "-c", PROPAGATION_PROBE, str(davis), str(frames), json.dumps(settings)],
                         capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", type=Path, default=REPO.parent / "shared/data/davis2016-train20")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--before", type=Path, default=None, help="src/ of a checkout to measure beside this one")
    args = ap.parse_args()
    rows = []
    for name, settings in SETTINGS:
        for code, src in [("now", None)] + ([("before", args.before)] if args.before else []):
            if code == "before" and "precision" in settings:
                continue  # the code before had no precision setting
            r = probe(args.davis, args.frames, settings, src)
            per = r["frames"]
            rest = (r["total"] - r["encoder"]) / per
            enc = r["encoder"] / per
            rows.append((f"{name} ({r['dtype']}, tile {r['tile']})", code, f"{per / r['total']:.2f}", f"{enc:.2f}", f"{rest:.2f}",
                         f"{rest / enc:.2f}", f"{r['max_rss_kb'] / 1024**2:.2f}"))
    h, w = r["size"]
    print(f"Propagation at {w}x{h}, {args.frames - 1} frames of DAVIS bear, first + 5 previous frames, radius 12\n")
    print("| setting (matmul, tile) | code | frames/s | encoder s/frame | matching + transfer s/frame | ratio to encoder | peak RSS GB |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
