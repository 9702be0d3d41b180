"""What a GPU machine does with this code, as one Markdown table (scripts/gpu_check.sh runs it after
the CUDA parity tests):

    python scripts/gpu_check.py [--davis ../shared/data/davis2016-train20] [--frames 30] [--out FILE]

- the machine: torch, the GPU and its capability, the autocast dtype the policy picks (vidcorr.device);
- one paper-size step of each stage of paper.yaml's MER run (warm-up, inter-video, MER: crop 256,
  each stage's per-device batch): seconds a step, samples per second, peak GPU memory
  (vidcorr.train.probe: random pairs, one untimed step first);
- 480p propagation (DAVIS `bear`, native size, random encoder weights: speed does not depend on
  them; paper.yaml's propagation settings): seconds a frame, peak GPU memory.
Without CUDA the GPU rows say that they were skipped and why; the CPU's figures come from
benchmarks/propagation.py and benchmarks/training.py.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def machine_rows() -> list[tuple[str, str]]:
    from vidcorr.device import policy

    p = policy()
    rows = [("torch", torch.__version__), ("python", platform.python_version()), ("device", str(p.device)),
            ("autocast (policy)", str(p.dtype).removeprefix("torch."))]
    if p.device.type == "cuda":
        rows += [("GPU", torch.cuda.get_device_name(p.device)),
                 ("capability", ".".join(map(str, torch.cuda.get_device_capability(p.device)))),
                 ("GPU memory", f"{torch.cuda.get_device_properties(p.device).total_memory / 2**30:.1f} GiB")]
    return rows


def paper_stages() -> dict:
    from vidcorr.plan import Plan
    from vidcorr.sections import load_config

    plan = Plan(load_config([REPO / "workflow/configs/paper.yaml"]))
    return {s.stage: s.settings for s in plan.runs["mer"].stages}


def training_rows(steps: int) -> list[tuple[str, str]]:
    from vidcorr.train.config import TrainConfig
    from vidcorr.train.probe import probe

    rows = []
    for stage, settings in paper_stages().items():
        cfg = TrainConfig.from_dict(settings)
        per_device = cfg.batch_size // cfg.devices
        torch.cuda.reset_peak_memory_stats()
        got = probe(cfg, steps=steps, batch=per_device, device="cuda")
        rows.append((f"paper {stage} step (crop {cfg.crop}, batch {got['batch']} per device)",
                     f"{got['seconds_per_step']:.3f} s a step, {got['samples_per_second']:.1f} samples/s, "
                     f"peak {got['peak_gib']:.1f} GiB"))
    return rows


def propagation_row(davis: Path, frames: int, device: str = "cuda") -> tuple[str, str]:
    from vidcorr.datasets import open_dataset
    from vidcorr.inference import NetworkFeatures, PropagationConfig, Propagator
    from vidcorr.inference.labels import one_hot
    from vidcorr.model import ResNet18Stride4
    from vidcorr.sections import load_config

    settings = load_config([REPO / "workflow/configs/paper.yaml"])["propagation"]
    seq = open_dataset("davis", davis, split="train", year=2016).sequence("bear")
    images = [seq.read_frame(i) for i in range(frames)]
    torch.manual_seed(0)
    prop = Propagator(NetworkFeatures(ResNet18Stride4(), torch.device(device)), PropagationConfig.from_dict(settings),
                      device)
    cuda = device != "cpu"
    first = one_hot(seq.read_label(0), 2)
    for _ in prop.run(3, images.__getitem__, first):  # warm-up: kernels, allocator
        pass
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in prop.run(frames, images.__getitem__, first):
        pass
    if cuda:
        torch.cuda.synchronize()
    per = (time.perf_counter() - start) / (frames - 1)
    ran = prop.ran()
    peak = f"peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if cuda else "CPU"
    return (f"480p propagation ({images[0].shape[1]} x {images[0].shape[0]}, {frames - 1} frames, paper.yaml settings)",
            f"{per:.3f} s a frame, {peak} (encoder {ran['autocast']}, matmul {ran['matmul']})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", type=Path, default=REPO.parent / "shared/data/davis2016-train20")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--steps", type=int, default=3, help="timed training steps a stage")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    rows = machine_rows()
    if torch.cuda.is_available():
        rows += training_rows(args.steps)
        rows.append(propagation_row(args.davis, args.frames) if args.davis.is_dir() else
                    ("480p propagation", f"skipped: no DAVIS folder at {args.davis}"))
    else:
        rows += [("paper-size training steps", "skipped: no CUDA device (this machine runs them in minutes a step)"),
                 ("480p propagation on the GPU", "skipped: no CUDA device (CPU: benchmarks/propagation.py)")]
    text = "| what | figure |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
