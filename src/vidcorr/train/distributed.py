"""torch.distributed helpers: torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; gloo on CPU, nccl on CUDA."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def setup(device: str = "auto") -> tuple[int, int, torch.device]:
    """Join the process group when launched by torchrun; returns (rank, world size, device)."""
    cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    if "RANK" in os.environ and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def all_gather_cat(t: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor (same shape on every rank) from all ranks along dim 0."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return t
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts)


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel over the process group (BatchNorm synchronised on CUDA)."""
    if device.type == "cuda":
        module = torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def cleanup() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
