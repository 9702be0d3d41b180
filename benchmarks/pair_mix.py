"""What a stage's pair list trains on: the share of each dataset and each gap, and the videos per
batch, under `pairs: sample` and `pairs: mast`, drawn by the training data's own `PairDataset.pick`.

MAST's list weighs each video by its length, so on a mix of long clips and short sequences it
shifts the training data towards the clips; this prints by how much, before anything trains.

    python benchmarks/pair_mix.py --index results/index/real_clips.json results/index/davis_train15.json
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from vidcorr.train.data import PairDataset, videos_from_indexes


def mix(dataset: PairDataset, epochs: int, batch: int) -> dict:
    """Shares of datasets and gaps over `epochs` epochs, and the mean number of videos in a batch."""
    by_set, by_gap, per_batch, n = Counter(), Counter(), [], 0
    for epoch in range(epochs):
        dataset.set_epoch(epoch)
        for start in range(0, len(dataset) - batch + 1, batch):
            seen = set()
            for i in range(start, start + batch):
                v, _, gap = dataset.pick(i, dataset.rng(i))
                by_set[dataset.videos[v].dataset] += 1
                by_gap[gap] += 1
                seen.add(v)
                n += 1
            per_batch.append(len(seen))
    return {"datasets": {k: c / n for k, c in sorted(by_set.items())},
            "gaps": {k: c / n for k, c in sorted(by_gap.items())},
            "videos_per_batch": float(np.mean(per_batch))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", nargs="+", required=True, help="dataset indexes a stage trains on (results/index/*.json)")
    ap.add_argument("--steps", type=int, default=100, help="steps per epoch")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--gaps", type=int, nargs="+", default=[2, 5, 8])
    ap.add_argument("--gap-probs", type=float, nargs="+", default=[0.4, 0.4, 0.2])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    videos = videos_from_indexes(args.index)
    rows = {}
    for pairs in ("sample", "mast"):
        ds = PairDataset(videos, crop=64, max_gap=max(args.gaps), length=args.steps * args.batch, seed=args.seed,
                         gaps=tuple(args.gaps), gap_probs=tuple(args.gap_probs), pairs=pairs)
        rows[pairs] = mix(ds, args.epochs, args.batch)
    frames = sorted(len(v.frames) for v in videos)
    print(f"{len(videos)} videos, {frames[0]} to {frames[-1]} frames (median {frames[len(frames) // 2]}); "
          f"{args.epochs} epochs of {args.steps} x {args.batch} samples\n")
    sets = sorted({k for r in rows.values() for k in r["datasets"]})
    gaps = sorted({k for r in rows.values() for k in r["gaps"]})
    print("| pairs | " + " | ".join(sets) + " | " + " | ".join(f"gap {g}" for g in gaps) + " | videos per batch |")
    print("|---" * (len(sets) + len(gaps) + 2) + "|")
    for pairs, r in rows.items():
        cells = [f"{r['datasets'].get(k, 0):.3f}" for k in sets] + [f"{r['gaps'].get(g, 0):.3f}" for g in gaps]
        print(f"| {pairs} | " + " | ".join(cells) + f" | {r['videos_per_batch']:.2f} |")


if __name__ == "__main__":
    main()
