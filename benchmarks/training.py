"""Training throughput and memory per stage, and the multi-cluster sampler's cost, as Markdown.

    python benchmarks/training.py [--steps 20]

Each stage trains in a fresh process on the same generated benchmark at the demo settings
(64 x 64 crops, batch 8): the inter-video stage with every LIIR component (memory bank, 2DAPE,
circular shift, compactness) and the MER stage with every MER component (DIS flow fusion, VEN
with the weight-map loss, multi-cluster sampler, bank negatives). The sampler is then timed
alone per frame pair at two feature sizes. Also reports the memory bank's bytes at 1,440 x 4.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

PROBE = r"""
import json, resource, sys, time
from pathlib import Path
from vidcorr.datasets import open_dataset
from vidcorr.flow import FlowConfig, compute_video_flow
from vidcorr.synthetic import generate_benchmark
from vidcorr.train.config import TrainConfig
from vidcorr.train.loop import train

tmp, steps, stage = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
generate_benchmark(tmp / "bench", seed=0, num_sequences=2, num_frames=16, width=160, height=120)
(tmp / "index.json").write_text(json.dumps({"type": "davis", "root": str(tmp / "bench"), "options": {}}))
common = dict(epochs=1, steps_per_epoch=steps, batch_size=8, crop=64, radius=6, bank_frames=96, position="2dape")
flow = None
if stage == "inter":
    cfg = TrainConfig(stage="inter", modulation="shift", compactness=True, **common)
else:
    reader = open_dataset("davis", tmp / "bench")
    files = {}
    for name in reader.names():
        compute_video_flow(name, reader.sequence(name).frames, FlowConfig(), tmp / f"flow/{name}.h5", progress=False)
        files[name] = f"{name}.h5"
    (tmp / "flow/index.json").write_text(json.dumps({"dataset": "index", "files": files}))
    flow = [tmp / "flow/index.json"]
    cfg = TrainConfig(stage="mer", flow_fusion=True, ven=True, loss_weight_map=True, sampler=True, **common)
t = time.perf_counter()
train(cfg, [tmp / "index.json"], tmp / "run", device="cpu", flow=flow)
dt = time.perf_counter() - t
print(json.dumps({"samples": steps * cfg.batch_size, "seconds": dt,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _stage(stage: str, steps: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", PROBE, tmp, str(steps), stage], capture_output=True, text=True,
                             check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sampler_ms(h: int, w: int, repeats: int = 5) -> float:
    import torch
    import torch.nn.functional as F

    from vidcorr.model.cluster_sampler import MultiClusterSampler

    torch.manual_seed(0)
    fq, fr = (F.normalize(torch.randn(1, 256, h, w), dim=1) for _ in range(2))
    sampler = MultiClusterSampler()
    sampler(fq, fr)
    t = time.perf_counter()
    for _ in range(repeats):
        sampler(fq, fr)
    return 1000 * (time.perf_counter() - t) / repeats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    from vidcorr.train.memory_bank import MemoryBank

    print("| What | Measured |\n|---|---|")
    for stage, label in (("inter", "stage 2, inter-video, every LIIR component"),
                         ("mer", "stage 3, MER, every MER component")):
        r = _stage(stage, args.steps)
        print(f"| Training, {label}, 64x64 crops, batch 8 | {r['samples'] / r['seconds']:.1f} samples/s "
              f"({r['seconds']:.1f} s for {r['samples']} samples, including checkpoint writing); "
              f"peak RSS {r['max_rss_kb'] / 1024:.0f} MB |")
    for h, w in ((16, 16), (64, 64)):
        print(f"| Multi-cluster sampler, one frame pair, {h}x{w} features (K=5) | {_sampler_ms(h, w):.1f} ms |")
    bank = MemoryBank(1440, 4, 256)
    print(f"| Memory bank, 1,440 frames x 4 points x 256 float32 (+ video ids) | {bank.nbytes / 2**20:.2f} MB |")


if __name__ == "__main__":
    main()
