"""Flow stage speed and storage on this machine, printed as Markdown tables.

    python benchmarks/flow.py [--sequence bear] [--pairs 20] [--raft-pairs 2]

Frames are a real DAVIS sequence (854x480 JPEGs, ../shared/data/davis2016-train20 by default),
also resized to 256x256. ptlflow models run with random weights: their speed does not depend on
the weights, and no pretrained file can be downloaded here. Storage is measured on DIS-medium flow
of the same frames: bytes per field against a raw float32 .flo (8 bytes a pixel + 12), the mean
end-point error the quantisation adds, and the median time to read one field from the HDF5 file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from vidcorr.flow import FlowConfig, FlowFile, make_backend, write_flow_file

ROOT = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VIDCORR_SHARED_DATA", ROOT.parent / "shared" / "data")) / "davis2016-train20"


def _frames(sequence: str, n: int, size: tuple[int, int] | None) -> list[np.ndarray]:
    paths = sorted((DAVIS / "JPEGImages" / "480p" / sequence).glob("*.jpg"))[: n + 1]
    if len(paths) < 2:
        raise SystemExit(f"no frames of {sequence} under {DAVIS}; set VIDCORR_SHARED_DATA")
    out = []
    for p in paths:
        im = Image.open(p).convert("RGB")
        out.append(np.asarray(im.resize(size, Image.BILINEAR) if size else im))
    return out


def speed(methods, sizes, pairs: int, raft_pairs: int, sequence: str) -> None:
    print("| backend | model | 256x256 pairs/s | 854x480 pairs/s |\n|---|---|---|---|")
    for cfg in methods:
        row = []
        for size in sizes:
            n = raft_pairs if cfg.backend == "ptlflow" else pairs
            frames = _frames(sequence, n, size)
            backend = make_backend(cfg, "cpu")
            backend(frames[:1], frames[1:2])  # warm-up (allocations, thread pools)
            t = time.perf_counter()
            backend(frames[:-1], frames[1:])
            row.append(f"{(len(frames) - 1) / (time.perf_counter() - t):.2f}")
        note = " (random weights)" if cfg.backend == "ptlflow" else ""
        print(f"| {cfg.backend} | {cfg.model}{note} | {row[0]} | {row[1]} |")


def storage(sequence: str, pairs: int) -> None:
    frames = _frames(sequence, pairs, None)
    flows = make_backend(FlowConfig(model="dis_medium"))(frames[:-1], frames[1:])
    h, w = flows[0].shape[1:]
    flo_bytes = 12 + 8 * h * w
    print(f"\nStorage of {len(flows)} DIS-medium fields at {w}x{h} (a .flo file is {flo_bytes:,} bytes):\n")
    print("| dtype | compression | bytes/field | % of .flo | quantisation EPE mean / max (px) | read ms (median) |")
    print("|---|---|---|---|---|---|")
    for dtype, comp in (("int16", "blosc-lz4hc"), ("int16", "blosc-zstd"), ("int16", "gzip"), ("int16", "lzf"),
                        ("float16", "blosc-lz4hc"), ("float16", "gzip")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "v.h5"
            with write_flow_file(path, num_frames=len(flows) + 1, height=h, width=w, gaps=[1], dtype=dtype,
                                 compression=comp) as wr:
                for t, f in enumerate(flows):
                    wr.write(1, t, f)
            size = path.stat().st_size / len(flows)
            ff = FlowFile(path)
            err = np.concatenate([np.sqrt(((ff.field(t) - f) ** 2).sum(0)).ravel() for t, f in enumerate(flows)])
            times = []
            for t in np.random.default_rng(0).integers(0, len(flows), 50):
                s = time.perf_counter()
                ff.field(int(t))
                times.append(time.perf_counter() - s)
            ff.close()
        print(f"| {dtype} | {comp} | {size:,.0f} | {100 * size / flo_bytes:.1f} | {err.mean():.4f} / {err.max():.4f} "
              f"| {1000 * np.median(times):.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequence", default="bear")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--raft-pairs", type=int, default=2)
    ap.add_argument("--no-ptlflow", action="store_true")
    args = ap.parse_args()
    methods = [FlowConfig(model=m) for m in ("dis_ultrafast", "dis_fast", "dis_medium", "farneback")]
    if not args.no_ptlflow:
        methods += [FlowConfig(backend="ptlflow", model=m, allow_random_weights=True) for m in ("raft_small", "raft")]
    print(f"{os.cpu_count()} CPUs; frames: {DAVIS / 'JPEGImages/480p' / args.sequence}\n")
    speed(methods, [(256, 256), None], args.pairs, args.raft_pairs, args.sequence)
    storage(args.sequence, args.pairs)


if __name__ == "__main__":
    main()
