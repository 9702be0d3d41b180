"""One device and precision policy for training, propagation and flow.

Every stage asks here which device to run on and which dtype to autocast to, so a GPU run does
what a CPU run does and says so in its provenance:
- CUDA with compute capability 8.0 or above (Ampere, Hopper): bfloat16, which needs no loss scaling;
- older CUDA GPUs: float16, with a GradScaler in training (bfloat16 is emulated there);
- the CPU: float32, unless a dtype is asked for.
The propagation engine's windowed matmul has its own switch (`propagation.precision`): a 16-bit
shortlist rescored in float32, whose labels equal float32's (inference/key_tiles.py); on CUDA it
follows this policy's bfloat16 rule.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
BF16_CAPABILITY = (8, 0)  # Ampere: native bfloat16 tensor cores


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` (the GPU of this process's LOCAL_RANK when CUDA is present, else the CPU), `cpu`,
    `cuda` or `cuda:N`; a CUDA device without CUDA is refused with what to do."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} asked for, but this machine has no usable CUDA GPU: "
                               "pass --device cpu (or auto)")
        if device.index is None:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    elif device.type != "cpu":
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, not {name!r}")
    return device


def native_bf16(device: torch.device) -> bool:
    """bfloat16 runs natively: a CUDA GPU of compute capability 8.0 or above."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= BF16_CAPABILITY


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype:
    """The dtype the policy autocasts to (module docstring); float32 means no autocast."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision != "auto":
        return getattr(torch, precision)
    if device.type != "cuda":
        return torch.float32
    return torch.bfloat16 if native_bf16(device) else torch.float16


@dataclass(frozen=True)
class Policy:
    device: torch.device
    dtype: torch.dtype  # autocast dtype; float32 = full precision, no autocast

    def __post_init__(self):
        if self.device.type == "cuda" and self.dtype == torch.float32:
            # float32 means float32: cuDNN and cuBLAS otherwise run it as TF32 (10-bit mantissa) on Ampere+
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False

    @property
    def mixed(self) -> bool:
        return self.dtype != torch.float32

    @property
    def needs_scaler(self) -> bool:
        """float16 gradients underflow without loss scaling (bfloat16 has float32's range)."""
        return self.dtype == torch.float16 and self.device.type == "cuda"

    def autocast(self):
        """The autocast context of this policy (a no-op in float32)."""
        if not self.mixed:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A GradScaler that scales only where the policy needs it (float16 on CUDA)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.needs_scaler)

    def describe(self) -> dict:
        """What ran, for provenance: the device (and GPU name, capability), the autocast dtype."""
        out = {"device": str(self.device), "autocast": str(self.dtype).removeprefix("torch."),
               "grad_scaler": self.needs_scaler}
        if self.device.type == "cuda":
            out["gpu"] = torch.cuda.get_device_name(self.device)
            out["capability"] = ".".join(map(str, torch.cuda.get_device_capability(self.device)))
        return out


def policy(device: str = "auto", precision: str = "auto") -> Policy:
    """The device and autocast dtype for `device` / `precision` (module docstring)."""
    dev = resolve_device(device)
    return Policy(dev, autocast_dtype(dev, precision))


def generator_on(device: torch.device, generator: torch.Generator | None) -> torch.Generator | None:
    """A generator for large draws made on `device` (no host-to-device copy): `generator` itself on
    the CPU, so CPU runs keep their numbers; on a GPU, a generator of that device seeded by one draw
    of `generator`, so the run stays a function of its seed."""
    if generator is None or device.type == "cpu":
        return generator
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return torch.Generator(device=device).manual_seed(seed)
