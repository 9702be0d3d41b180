"""MER's Multi-Cluster Sampler (Eq. 13-15): a per-pixel sampling range for the affinity.

Eq. 13  K-means (cosine, `clusters` centres, default 5) on the pixel features of the target and
        reference frames together.
Eq. 14  initial range r0: the mean cluster radius, i.e. the mean distance (in feature pixels) of a
        cluster's target pixels from their spatial centroid, averaged over the clusters.
Eq. 15  region growing from each centre's best-matching target pixel through 8-neighbours whose
        cosine similarity to the centre exceeds tau (0.45). Regions that mostly cover the same
        pixels (IoU > 0.5, e.g. when K exceeds the number of objects and K-means splits one
        object between two centres) are merged. A target pixel in a grown region of
        area a gets the range r0 * sqrt(a / mean area), clipped to [`range_min`, `range_max`]:
        small, high-similarity object regions contract the range, large background regions
        expand it; pixels no region reaches get `range_max`. (The paper gives the direction of
        the change, not its law; the square root keeps the window's area proportional to the
        region's area.) r0 grows with the feature map (4.6 feature pixels at 16 x 16 features,
        19.4 at 64 x 64 for a trained encoder on DAVIS frames), so at paper scale 96 % of the
        pixels sat at range_max = 12; `base="radius"` puts the training radius in r0's place,
        which keeps the ranges' spread the same at every size (the area ratio has no scale).

Everything is batched tensor algebra: loops run over K-means iterations, clusters and
region-growing steps, never over pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .windows import grid_coords


def kmeans(x: torch.Tensor, k: int, iters: int = 10, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Spherical K-means on (B, N, D) unit vectors: centres (B, k, D) and assignments (B, N).

    Seeded k-means++: the first centre is drawn at random, each next one is the point least
    similar to the centres so far (deterministic given the generator).
    """
    b, n, _ = x.shape
    first = torch.randint(n, (b,), generator=generator).to(x.device)
    centres = [x[torch.arange(b), first]]
    for _ in range(1, k):
        sim = torch.stack([torch.einsum("bnd,bd->bn", x, c) for c in centres], -1).amax(-1)
        centres.append(x[torch.arange(b), sim.argmin(-1)])
    c = torch.stack(centres, 1)
    for _ in range(iters):
        assign = torch.einsum("bnd,bkd->bnk", x, c).argmax(-1)
        onehot = F.one_hot(assign, k).to(x.dtype)  # (B, N, k)
        sums = torch.einsum("bnk,bnd->bkd", onehot, x)
        empty = onehot.sum(1) == 0  # keep the old centre of a cluster that lost every point
        c = torch.where(empty[..., None], c, F.normalize(sums, dim=-1))
    return c, torch.einsum("bnd,bkd->bnk", x, c).argmax(-1)


def grow_regions(sim: torch.Tensor, tau: float, steps: int | None = None) -> torch.Tensor:
    """(B, k, h, w) similarity of each target pixel to each centre -> (B, k, h, w) bool regions."""
    b, k, h, w = sim.shape
    allowed = sim > tau
    seed = F.one_hot(sim.flatten(2).argmax(-1), h * w).reshape(b, k, h, w).bool() & allowed
    region = seed
    for _ in range(steps or h + w):
        grown = F.max_pool2d(region.float(), 3, stride=1, padding=1).bool() & allowed
        if torch.equal(grown, region):
            break
        region = grown
    return region


def merge_overlapping(regions: torch.Tensor, iou: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, k, h, w) regions -> merged regions (same shape) and each region's group id (B, k).

    Groups are the connected components of the graph "IoU above `iou`"; a group is named by its
    lowest region index and every member holds the union of the group.
    """
    k = regions.shape[1]
    flat = regions.flatten(2).float()
    inter = torch.einsum("bin,bjn->bij", flat, flat)
    area = flat.sum(-1)
    union = area[:, :, None] + area[:, None, :] - inter
    linked = (inter / union.clamp_min(1)) > iou
    linked |= torch.eye(k, dtype=torch.bool, device=regions.device)
    for _ in range(k):  # transitive closure over at most k hops
        linked = torch.einsum("bij,bjl->bil", linked.float(), linked.float()) > 0
    group = linked.float().argmax(-1)  # first (lowest) index each region is linked to
    merged = torch.einsum("bij,bjn->bin", linked.float(), flat) > 0
    return merged.reshape(regions.shape), group


@dataclass
class Sampling:
    ranges: torch.Tensor  # (B, h*w) per target pixel, in feature pixels: its window's Chebyshev radius
    labels: torch.Tensor  # (B, h, w) grown region of each target pixel, -1 where none
    initial: torch.Tensor  # (B,) r0


class MultiClusterSampler:
    def __init__(self, clusters: int = 5, tau: float = 0.45, iters: int = 10, range_min: float = 2.0,
                 range_max: float = 12.0, base: float | None = None):
        """base: the range of a pixel in a region of mean area (None: r0, Eq. 14's mean cluster radius)."""
        self.clusters, self.tau, self.iters = clusters, tau, iters
        self.range_min, self.range_max, self.base = range_min, range_max, base

    @torch.no_grad()
    def __call__(self, fq: torch.Tensor, fr: torch.Tensor, generator: torch.Generator | None = None) -> Sampling:
        """fq, fr: L2-normalised (B, D, h, w) target and reference features."""
        b, _, h, w = fq.shape
        n = h * w
        points = torch.cat([fq.flatten(2), fr.flatten(2)], 2).transpose(1, 2)  # (B, 2n, D)
        centres, assign = kmeans(points, self.clusters, self.iters, generator)
        xy = grid_coords(h, w, fq.device)  # (n, 2)
        onehot = F.one_hot(assign[:, :n], self.clusters).to(fq.dtype)  # target pixels only
        count = onehot.sum(1)  # (B, k)
        centroid = torch.einsum("bnk,nc->bkc", onehot, xy) / count.clamp_min(1)[..., None]
        dist = (xy[None, :, None] - centroid[:, None]).norm(dim=-1)  # (B, n, k)
        radius = (onehot * dist).sum(1) / count.clamp_min(1)
        used = count > 0
        r0 = (radius * used).sum(1) / used.sum(1).clamp_min(1)

        sim = torch.einsum("bdn,bkd->bkn", fq.flatten(2), centres).reshape(b, self.clusters, h, w)
        grown_once = grow_regions(sim, self.tau)
        regions, group = merge_overlapping(grown_once)
        score = torch.where(grown_once, sim, torch.full_like(sim, -2.0))
        best = torch.gather(group, 1, score.argmax(1).flatten(1)).reshape(b, h, w)  # (B, h, w)
        reached = regions.any(1)
        labels = torch.where(reached, best, torch.full_like(best, -1))
        area = torch.where(group == torch.arange(self.clusters, device=fq.device),
                           regions.flatten(2).sum(-1), torch.zeros_like(group)).to(fq.dtype)  # per group (B, k)
        grown = area > 0
        mean_area = (area * grown).sum(1) / grown.sum(1).clamp_min(1)
        pixel_area = torch.gather(area, 1, best.flatten(1))  # (B, n)
        base = r0[:, None] if self.base is None else torch.full_like(r0[:, None], self.base)
        ranges = base * (pixel_area / mean_area[:, None].clamp_min(1)).sqrt()
        ranges = ranges.clamp(self.range_min, self.range_max)
        ranges = torch.where(reached.flatten(1), ranges, torch.full_like(ranges, self.range_max))
        return Sampling(ranges, labels, r0)
