"""J&F evaluation speed: vidcorr's evaluator against the official davis2017-evaluation code, side by side.

    python benchmarks/evaluation.py --official /tmp/davis2017-evaluation [--repeats 3]

The official code is not part of this repository: fetch github.com/davisvideochallenge/davis2017-evaluation
into a temporary folder and pass it. Both evaluate the reference predictions of
../shared/data/reference/train20 (20 DAVIS-2016 train sequences, 1,259 scored frames) in fresh
processes, alternately, `--repeats` times each; the times are of the evaluation call alone (no
interpreter start or imports). Prints a Markdown table: median seconds, the ratio, and the largest
difference over every per-object J/F mean and recall/decay and the global J&F.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

OFFICIAL = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.filterwarnings("ignore")
import numpy as np
from davis2017.evaluation import DAVISEvaluation
t = time.perf_counter()
m = DAVISEvaluation(davis_root=sys.argv[2], task="semi-supervised", gt_set="train").evaluate(sys.argv[3])
dt = time.perf_counter() - t
objects = {k: [v, m["F"]["M_per_object"][k]] for k, v in m["J"]["M_per_object"].items()}
stats = {k: [float(np.mean(m[q][s])) for q in "JF" for s in "MRD"] for k in ["global"]}
print(json.dumps({"seconds": dt, "objects": objects, "global": stats["global"]}))
"""

OURS = r"""
import json, sys, time
from vidcorr.datasets import open_dataset
from vidcorr.metrics import evaluate_davis
t = time.perf_counter()
reader = open_dataset("davis", sys.argv[1], split="train", require_frames=False)
s = evaluate_davis(reader, sys.argv[2], workers=int(sys.argv[3]))
dt = time.perf_counter() - t
g = s.global_scores
objects = {k: [v["J-Mean"], v["F-Mean"]] for k, v in s.per_object.items()}
print(json.dumps({"seconds": dt, "objects": objects,
                  "global": [g[c] for c in ("J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay")]}))
"""


def _run(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", type=Path, required=True, help="a checkout of davis2017-evaluation")
    ap.add_argument("--davis", type=Path, default=REPO.parent / "shared/data/davis2016-train20")
    ap.add_argument("--reference", type=Path, default=REPO.parent / "shared/data/reference/train20/predictions")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if not (args.official / "davis2017" / "evaluation.py").is_file():
        sys.exit(f"{args.official} holds no davis2017/evaluation.py: fetch davisvideochallenge/davis2017-evaluation there")
    times = {"official": []} | {w: [] for w in args.workers}
    runs = {}
    for _ in range(args.repeats):
        runs["official"] = _run(OFFICIAL, args.official, args.davis, args.reference)
        times["official"].append(runs["official"]["seconds"])
        for w in args.workers:
            runs[w] = _run(OURS, args.davis, args.reference, w)
            times[w].append(runs[w]["seconds"])
    ref = runs["official"]
    official = statistics.median(times["official"])
    print(f"| Evaluator (train20 reference predictions, median of {args.repeats}) | Seconds | vs official | "
          "max abs difference |\n|---|---|---|---|")
    print(f"| official davis2017-evaluation (1 process) | {official:.2f} | 1.0x | - |")
    for w in args.workers:
        r = runs[w]
        diff = max([abs(a - b) for k in ref["objects"] for a, b in zip(r["objects"][k], ref["objects"][k])]
                   + [abs(a - b) for a, b in zip(r["global"], ref["global"])])
        t = statistics.median(times[w])
        print(f"| vidcorr ({w} process{'es' if w > 1 else ''}) | {t:.2f} | {official / t:.1f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
