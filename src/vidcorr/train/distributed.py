"""torch.distributed helpers: torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; gloo on CPU, nccl on CUDA.

A stage with `devices: N` runs as N processes (the workflow launches `torchrun --nproc_per_node N`),
each on batch_size / N samples of the same global batch. BatchNorm statistics are those of the
global batch (torch's SyncBatchNorm on CUDA; GlobalBatchNorm below on the CPU, where SyncBatchNorm
is not implemented), gradients are averaged by DDP, so the first steps' losses equal one process's
on the whole batch (tests/train/test_training.py).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn

from ..device import resolve_device


def setup(device: str = "auto") -> tuple[int, int, torch.device]:
    """Join the process group when launched by torchrun; returns (rank, world size, device)."""
    dev = resolve_device(device)  # CUDA: the GPU of this process's LOCAL_RANK
    if dev.type == "cuda":
        torch.cuda.set_device(dev)  # before the group, so NCCL binds this process to its own GPU
    if "RANK" in os.environ and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    return rank, world, dev


def backend() -> str | None:
    """The process group's backend (gloo, nccl), or None for a single process."""
    return dist.get_backend() if dist.is_initialized() else None


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def all_gather_cat(t: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor (same shape on every rank) from all ranks along dim 0."""
    if world_size() == 1:
        return t
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts)


def mean_over_ranks(t: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over ranks (itself for one process), e.g. a gradient before its norm."""
    if world_size() == 1:
        return t
    t = t.clone()
    dist.all_reduce(t)
    return t / dist.get_world_size()


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) whose gradient is the all-reduced gradient: each rank's input then receives
    the gradient of every rank's loss through the shared sum."""

    @staticmethod
    def forward(ctx, t: torch.Tensor) -> torch.Tensor:
        t = t.clone()
        dist.all_reduce(t)
        return t

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are the global batch's: each process's per-channel
    sums are all-reduced (differentiably, so the gradient also sees the other ranks' samples),
    as SyncBatchNorm does on CUDA. The statistics are computed in float32 at least, whatever the
    autocast (a float64 model keeps float64)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.track_running_stats:  # inference: the running statistics
            return super().forward(x)
        dtype = x.dtype
        x = x.to(torch.promote_types(dtype, torch.float32))
        c = x.shape[1]
        count = torch.full((1,), x.numel() // c, dtype=x.dtype, device=x.device)
        stats = _SumOverRanks.apply(torch.cat([x.sum((0, 2, 3)), count]))
        n = stats[-1]
        mean = stats[:c] / n
        # two passes, as BatchNorm2d computes it (E[x^2] - mean^2 loses digits to cancellation)
        var = _SumOverRanks.apply(((x - mean[None, :, None, None]) ** 2).sum((0, 2, 3))) / n
        y = (x - mean[None, :, None, None]) * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        if self.training and self.track_running_stats:
            self._track(mean.detach(), var.detach(), n)
        return y.to(dtype)

    @torch.no_grad()
    def _track(self, mean: torch.Tensor, var: torch.Tensor, n: torch.Tensor) -> None:
        """The running statistics, as BatchNorm2d keeps them (the variance unbiased)."""
        self.num_batches_tracked.add_(1)
        m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        self.running_mean.mul_(1 - m).add_(mean, alpha=m)
        self.running_var.mul_(1 - m).add_(var * n / (n - 1).clamp_min(1), alpha=m)


def _global_batchnorm(module: nn.Module) -> nn.Module:
    """`module` with every BatchNorm2d replaced by a GlobalBatchNorm that shares its parameters and
    starts from copies of its buffers (the replaced layer is gone, so nothing reads the old ones)."""
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, GlobalBatchNorm):
        out = GlobalBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                              module.track_running_stats)
        out.load_state_dict(module.state_dict())
        if module.affine:
            out.weight, out.bias = module.weight, module.bias
        out.train(module.training)
        return out
    for name, child in module.named_children():
        module.add_module(name, _global_batchnorm(child))
    return module


def global_batchnorm(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module with BatchNorm over the global batch (SyncBatchNorm on CUDA, GlobalBatchNorm on
    the CPU), its layers replaced in place, so its state dict keeps its keys. For the modules that
    run in training mode outside DDP too (the momentum encoder, a frozen VEN)."""
    if device.type == "cuda":
        return torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return _global_batchnorm(module)


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel over the process group, with global-batch BatchNorm statistics."""
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(global_batchnorm(module, device), device_ids=ids)


def nonfinite_terms(objective: dict[str, torch.Tensor]) -> list[tuple[int, str]]:
    """(rank, term) of every non-finite loss term on any rank: the same list on every rank, so all
    stop together with one message (a rank that stopped alone would leave the others waiting)."""
    names = list(objective)
    flags = torch.stack([~torch.isfinite(v.detach()).all() for v in objective.values()]).float()
    flags = all_gather_cat(flags[None].to(next(iter(objective.values())).device)).cpu()
    return [(r, names[i]) for r, i in flags.nonzero().tolist()]


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def cleanup() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
