"""Training throughput and memory, printed as a Markdown table.

    python benchmarks/training.py [--steps 20]

Trains the inter-video stage (every component on: memory bank, 2DAPE, circular shift,
compactness) at the demo settings on a generated benchmark, in a fresh process, and reports
samples per second, peak resident memory, and the memory bank's bytes at 1,440 x 4 points.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

PROBE = r"""
import json, resource, sys, time
from pathlib import Path
from vidcorr.synthetic import generate_benchmark
from vidcorr.train.config import TrainConfig
from vidcorr.train.loop import train

tmp, steps = Path(sys.argv[1]), int(sys.argv[2])
generate_benchmark(tmp / "bench", seed=0, num_sequences=2, num_frames=16, width=160, height=120)
(tmp / "index.json").write_text(json.dumps({"type": "davis", "root": str(tmp / "bench"), "options": {}}))
cfg = TrainConfig(stage="inter", epochs=1, steps_per_epoch=steps, batch_size=8, crop=64, radius=6, bank_frames=96,
                  position="2dape", modulation="shift", compactness=True)
t = time.perf_counter()
train(cfg, [tmp / "index.json"], tmp / "run", device="cpu")
dt = time.perf_counter() - t
print(json.dumps({"samples": steps * cfg.batch_size, "seconds": dt,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    from vidcorr.train.memory_bank import MemoryBank

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", PROBE, tmp, str(args.steps)], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    bank = MemoryBank(1440, 4, 256)
    print("| What | Measured |\n|---|---|")
    print(f"| Training, inter-video stage, 64x64 crops, batch 8, all components | {r['samples'] / r['seconds']:.1f} samples/s "
          f"({r['seconds']:.1f} s for {r['samples']} samples, including checkpoint writing) |")
    print(f"| Peak resident memory of that run | {r['max_rss_kb'] / 1024:.0f} MB |")
    print(f"| Memory bank, 1,440 frames x 4 points x 256 float32 (+ video ids) | {bank.nbytes / 2**20:.2f} MB |")


if __name__ == "__main__":
    main()
