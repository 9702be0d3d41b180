"""CPU against CUDA: the same weights and inputs give the same features, labels and training
losses within stated tolerances. Skipped without a GPU; scripts/gpu_check.sh runs them on one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from vidcorr.device import policy
from vidcorr.inference import NetworkFeatures, PropagationConfig
from vidcorr.inference.matching import transfer_labels
from vidcorr.model import ResNet18Stride4
from vidcorr.train.config import TrainConfig
from vidcorr.train.loop import Ranks, build, train_one_epoch
from vidcorr.train.probe import RandomPairs

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(),
                                                    reason="no CUDA device: run scripts/gpu_check.sh on a GPU machine")]
CUDA = torch.device("cuda")


def _frame(seed: int, h: int = 120, w: int = 200):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(h, w, 3, generator=g) * 255).to(torch.uint8).numpy()


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_encoder_features(precision):
    """float32 on both: 1e-4; under the GPU's autocast (bf16 or fp16): cosine similarity above 0.99."""
    torch.manual_seed(0)
    enc = ResNet18Stride4().eval()
    cpu = NetworkFeatures(enc, torch.device("cpu"))(_frame(0))[0]
    gpu = NetworkFeatures(enc, CUDA, None if precision == "auto" else torch.float32)(_frame(0))[0].cpu()  # moves enc
    if precision == "float32":
        torch.testing.assert_close(gpu, cpu, atol=1e-4, rtol=1e-4)
    else:
        assert (gpu * cpu).sum(0).min() > 0.99


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_key_tiles_labels(precision):
    """The windowed top-k matching (key tiles, the sorted-CSR rescoring for bf16): labels within 1e-4."""
    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(64, 30, 40, generator=g), dim=0)
    k = torch.nn.functional.normalize(torch.randn(3, 64, 30, 40, generator=g), dim=0)
    lab = torch.softmax(3 * torch.randn(3, 4, 30, 40, generator=g), 1)
    cfg = PropagationConfig(radius=6, topk=10, temperature=0.05, precision="float32")
    cpu = transfer_labels(q, k, lab, cfg, [True, False, False])
    gpu = transfer_labels(q.to(CUDA), k.to(CUDA), lab.to(CUDA), dataclasses.replace(cfg, precision=precision),
                          [True, False, False]).cpu()
    torch.testing.assert_close(gpu, cpu, atol=1e-4, rtol=1e-4)


STAGES = {
    "warmup": dict(stage="warmup"),
    "inter": dict(stage="inter", bank_frames=16, bank_points=4, position="1dape", modulation="shift", compactness=True),
    "mer": dict(stage="mer", bank_frames=16, flow_fusion=True, ven=True, loss_weight_map=True, sampler=True,
                loss_pos_neg=True, pos_neg_positive="pixel", dropkey=0.0),  # DropKey off: its draws are per device
}


def _first_step(settings: dict, device: str) -> dict:
    cfg = TrainConfig.from_dict(dict(settings, crop=64, batch_size=4, epochs=1, steps_per_epoch=1))
    ranks = Ranks(0, 1, 4, policy(device, "float32"))
    torch.manual_seed(0)
    parts = build(cfg, RandomPairs(cfg, 4), None, ranks)
    rows: list[dict] = []
    train_one_epoch(parts, cfg, 0, ranks, rows, None, Path("parity"))
    return rows[0]


@pytest.mark.parametrize("stage", list(STAGES))
def test_one_training_step(stage):
    """float32 on both devices: each loss term of the first step within 1e-3 (relative)."""
    cpu, gpu = _first_step(STAGES[stage], "cpu"), _first_step(STAGES[stage], "cuda")
    for term in ("loss", "reconstruction", "compactness", "weight_map", "pos_neg"):
        assert abs(gpu[term] - cpu[term]) <= 1e-3 * max(abs(cpu[term]), 1e-6), (term, cpu[term], gpu[term])
