"""Training throughput and memory per stage, and the multi-cluster sampler's cost, as Markdown.

    python benchmarks/training.py [--steps 20] [--crop 64]
    python benchmarks/training.py --paper-step [--batch N]

--paper-step: one training step of each stage at workflow/configs/paper.yaml's settings (256 x 256
crops, the per-GPU batch of the paper's batch split over 2 GPUs, memory banks of 1,440 x 4 (LIIR)
and 3,250 x 4 (MER) filled before the step), each in a fresh process; its peak resident memory
is what a 24 GB GPU must hold (activations, the affinities, the bank), measured on the CPU.

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Both probes: DIS flow of every video of the generated benchmark at tmp/bench, and its flow index.
BENCH_FLOW = r"""
def bench_flow(tmp):
    import json
    from vidcorr.datasets import open_dataset
    from vidcorr.flow import FlowConfig, compute_video_flow

    reader = open_dataset("davis", tmp / "bench")
    files = {}
    for name in reader.names():
        compute_video_flow(name, reader.sequence(name).frames, FlowConfig(), tmp / f"flow/{name}.h5", progress=False)
        files[name] = f"{name}.h5"
    (tmp / "flow/index.json").write_text(json.dumps({"dataset": "index", "files": files}))
    return [tmp / "flow/index.json"]
"""

PROBE = r"""
import json, resource, sys, time
from pathlib import Path
from vidcorr.synthetic import generate_benchmark
from vidcorr.train.config import TrainConfig
from vidcorr.train.loop import train

tmp, steps, stage, crop = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
generate_benchmark(tmp / "bench", seed=0, num_sequences=2, num_frames=16, width=160, height=120)
(tmp / "index.json").write_text(json.dumps({"type": "davis", "root": str(tmp / "bench"), "options": {}}))
common = dict(epochs=1, steps_per_epoch=steps, batch_size=8, crop=crop, radius=6, bank_frames=96, position="2dape")
flow = None
if stage == "inter":
    cfg = TrainConfig(stage="inter", modulation="shift", compactness=True, **common)
else:
    flow = bench_flow(tmp)
    cfg = TrainConfig(stage="mer", flow_fusion=True, ven=True, loss_weight_map=True, sampler=True, **common)
t = time.perf_counter()
train(cfg, [tmp / "index.json"], tmp / "run", device="cpu", flow=flow)
dt = time.perf_counter() - t
print(json.dumps({"samples": steps * cfg.batch_size, "seconds": dt,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
PROBE = BENCH_FLOW + PROBE


PAPER_STEP = BENCH_FLOW + r"""
import json, resource, sys, time
from pathlib import Path
import torch, yaml
import torch.nn.functional as F
from vidcorr.synthetic import generate_benchmark
from vidcorr.train import loop
from vidcorr.train.config import TrainConfig
from vidcorr.train.memory_bank import MemoryBank

tmp, paper, stage, batch = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
settings = yaml.safe_load(open(paper))["training"]["runs"]["mer" if stage == "mer" else "liir"][stage]
settings = {**settings, "epochs": 1, "steps_per_epoch": 1, "workers": 0, "stage": stage,
            "batch_size": batch or settings["batch_size"] // 2}


class FullBank(MemoryBank):
    # the bank as it is after the first steps: full of other videos' unit vectors
    def __init__(self, frames, points, dim):
        super().__init__(frames, points, dim)
        if self.capacity:
            self.push(F.normalize(torch.randn(frames, points, dim), dim=-1), 10**6 + torch.arange(frames))


loop.MemoryBank = FullBank
generate_benchmark(tmp / "bench", seed=0, num_sequences=2, num_frames=12, width=320, height=256)
(tmp / "index.json").write_text(json.dumps({"type": "davis", "root": str(tmp / "bench"), "options": {}}))
flow = None
if settings.get("flow_fusion"):
    flow = bench_flow(tmp)
cfg = TrainConfig.from_dict(settings)
t = time.perf_counter()
loop.train(cfg, [tmp / "index.json"], tmp / "run", device="cpu", flow=flow)
print(json.dumps({"batch": cfg.batch_size, "crop": cfg.crop, "bank": cfg.bank_frames, "radius": cfg.radius,
                  "seconds": time.perf_counter() - t,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _run(probe: str, *args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", probe, tmp, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        return {"error": f"exit {out.returncode}" + (" (killed: out of memory)" if out.returncode in (-9, 137) else "")}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _stage(stage: str, steps: int, crop: int) -> dict:
    return _run(PROBE, steps, stage, crop)


def paper_steps(batch: int) -> None:
    print("| Stage (paper.yaml), one step | crop | batch per GPU | bank frames | radius | peak RSS |\n|---|---|---|---|---|---|")
    for stage in ("warmup", "inter", "mer"):
        r = _run(PAPER_STEP, REPO / "workflow/configs/paper.yaml", stage, batch)
        if "error" in r:
            print(f"| {stage} | | | | | {r['error']} |")
            continue
        print(f"| {stage} | {r['crop']} | {r['batch']} | {r['bank']} | {r['radius']} | "
              f"{r['max_rss_kb'] / 1024**2:.2f} GB |")


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
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--paper-step", action="store_true", help="peak memory of one step of each stage at paper.yaml's settings")
    ap.add_argument("--batch", type=int, default=0, help="(--paper-step) batch instead of the paper's per-GPU batch")
    args = ap.parse_args()
    if args.paper_step:
        paper_steps(args.batch)
        return
    from vidcorr.train.memory_bank import MemoryBank

    print("| What | Measured |\n|---|---|")
    for stage, label in (("inter", "stage 2, inter-video, every LIIR component"),
                         ("mer", "stage 3, MER, every MER component")):
        r = _stage(stage, args.steps, args.crop)
        print(f"| Training, {label}, {args.crop}x{args.crop} crops, batch 8 | {r['samples'] / r['seconds']:.1f} samples/s "
              f"({r['seconds']:.1f} s for {r['samples']} samples, including checkpoint writing); "
              f"peak RSS {r['max_rss_kb'] / 1024:.0f} MB |")
    for h, w in ((16, 16), (64, 64)):
        print(f"| Multi-cluster sampler, one frame pair, {h}x{w} features (K=5) | {_sampler_ms(h, w):.1f} ms |")
    bank = MemoryBank(1440, 4, 256)
    print(f"| Memory bank, 1,440 frames x 4 points x 256 float32 (+ video ids) | {bank.nbytes / 2**20:.2f} MB |")


if __name__ == "__main__":
    main()
