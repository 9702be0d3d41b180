"""Run under torchrun: one DDP training step's gradients on this rank's half of a fixed global
batch, and the memory-bank gather; rank 0 saves both for tests/test_training.py."""

import sys

import torch
import torch.nn.functional as F

from vidcorr.model import ResNet18Stride4
from vidcorr.train import distributed as dist_utils
from vidcorr.train.reconstruction import reconstruction_losses


def global_batch():
    g = torch.Generator().manual_seed(1)
    q, r = torch.randn(4, 3, 32, 32, generator=g), torch.randn(4, 3, 32, 32, generator=g)
    return q, r


def step_loss(model, q, r):
    fq, fr = F.normalize(model(q), dim=1), F.normalize(model(r), dim=1)
    size = fq.shape[-2:]
    return reconstruction_losses(fq, fr, F.adaptive_avg_pool2d(r, size)[:, :1], F.adaptive_avg_pool2d(q, size)[:, :1],
                                 radius=2, temperature=0.1).total


if __name__ == "__main__":
    rank, world, dev = dist_utils.setup("cpu")
    torch.manual_seed(0)
    model = ResNet18Stride4()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    q, r = global_batch()
    half = q.shape[0] // world
    step_loss(ddp, q[rank * half:(rank + 1) * half], r[rank * half:(rank + 1) * half]).backward()
    gathered = dist_utils.all_gather_cat(torch.full((2, 3), float(rank)))
    if rank == 0:
        torch.save({"grads": {n: p.grad for n, p in model.named_parameters()}, "gathered": gathered}, sys.argv[1])
    dist_utils.cleanup()
