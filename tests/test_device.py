"""The device and precision policy (vidcorr.device): one answer for training and inference."""

from __future__ import annotations

import pytest
import torch

from vidcorr import device as policy_module
from vidcorr.device import autocast_dtype, generator_on, policy, resolve_device


def test_the_cpu_runs_float32_unless_asked():
    p = policy("cpu")
    assert (p.device, p.dtype, p.mixed, p.needs_scaler) == (torch.device("cpu"), torch.float32, False, False)
    assert policy("cpu", "bfloat16").dtype == torch.bfloat16
    assert p.describe() == {"device": "cpu", "autocast": "float32", "grad_scaler": False}
    assert not p.grad_scaler().is_enabled()


@pytest.mark.parametrize("capability, dtype", [((9, 0), torch.bfloat16), ((8, 0), torch.bfloat16),
                                                ((7, 5), torch.float16), ((6, 1), torch.float16)])
def test_cuda_takes_bfloat16_from_ampere_on_and_float16_before(monkeypatch, capability, dtype):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    cuda = torch.device("cuda", 0)
    assert autocast_dtype(cuda) == dtype
    assert policy_module.Policy(cuda, dtype).needs_scaler == (dtype == torch.float16)  # fp16 gradients are scaled
    from vidcorr.inference.config import PropagationConfig
    from vidcorr.inference.key_tiles import matmul_dtype

    # the propagation shortlist follows the same rule: bf16 only where it is native
    assert matmul_dtype(PropagationConfig(), cuda, unit=True) == (torch.bfloat16 if dtype == torch.bfloat16 else torch.float32)


def test_bad_devices_and_precisions_are_named(monkeypatch):
    with pytest.raises(ValueError, match="precision must be one of auto, float32, bfloat16, float16, not 'half'"):
        autocast_dtype(torch.device("cpu"), "half")
    with pytest.raises(ValueError, match="device must be auto, cpu, cuda or cuda:N, not 'mps'"):
        resolve_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no usable CUDA GPU: pass --device cpu"):
        resolve_device("cuda")


def test_cpu_draws_keep_the_seeded_stream():
    g = torch.Generator().manual_seed(3)
    assert generator_on(torch.device("cpu"), g) is g and generator_on(torch.device("cpu"), None) is None
