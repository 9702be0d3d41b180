"""Run under torchrun with 2 gloo processes; each rank saves what tests/train/test_training.py
compares with one process on the whole batch: its loss and gradients after one DDP step on its half
of a fixed global batch (BatchNorm over the global batch: dist_utils.wrap), the rank-averaged
gradient norm the loop logs, the bank gather, and the message it stops with when a loss term is
non-finite on rank 1 only."""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from vidcorr.model import ResNet18Stride4
from vidcorr.train import distributed as dist_utils
from vidcorr.train.loop import _check_finite, term_gradient_norms
from vidcorr.train.reconstruction import reconstruction_losses


def global_batch():
    """float64, so that the comparison sees the code and not float32's summation order (which differs
    by up to 9e-4 of a gradient tensor's largest entry between batch 2 and 4 on AVX2 kernels)."""
    g = torch.Generator().manual_seed(1)
    q, r = torch.randn(4, 3, 32, 32, generator=g), torch.randn(4, 3, 32, 32, generator=g)
    return q.double(), r.double()


def step_loss(model, q, r):
    fq, fr = F.normalize(model(q), dim=1), F.normalize(model(r), dim=1)
    size = fq.shape[-2:]
    return reconstruction_losses(fq, fr, F.adaptive_avg_pool2d(r, size)[:, :1], F.adaptive_avg_pool2d(q, size)[:, :1],
                                 radius=2, temperature=0.1).total


def check_against_one_process(out: str) -> str:
    """Compare the two ranks' files with one process on the whole batch (AssertionError if they
    differ); returns a one-line summary. BatchNorm statistics are the global batch's on both sides
    (GlobalBatchNorm), so the ranks' mean loss is its loss and DDP's averaged gradients its gradients,
    up to float32 sums in another order."""
    ranks = [torch.load(f"{out}.{r}", weights_only=True) for r in (0, 1)]
    torch.manual_seed(0)
    model = ResNet18Stride4().double()
    q, r = global_batch()
    loss = step_loss(model, q, r)
    loss.backward()
    assert abs(0.5 * (ranks[0]["loss"] + ranks[1]["loss"]) - loss.item()) < 1e-10 * abs(loss.item())
    grad = torch.cat([p.grad.flatten() for p in model.parameters()]).double()
    worst = 0.0
    for got in ranks:  # within 1e-9 of each tensor's largest entry (float64)
        for name, p in model.named_parameters():
            diff = (got["grads"][name] - p.grad).abs().max()
            assert diff <= 1e-9 * p.grad.abs().max(), (name, (diff / p.grad.abs().max()).item())
            worst = max(worst, diff.item())
        assert abs(got["norm"] - grad.norm().item()) < 1e-9 * grad.norm().item()  # the logged norm: rank-averaged
    assert ranks[0]["gathered"].tolist() == [[0.0] * 3] * 2 + [[1.0] * 3] * 2
    # rank 1's NaN stops both ranks, with one message naming it
    assert ranks[0]["message"] == ranks[1]["message"]
    assert "training step 7: loss term(s) ['compactness'] not finite on rank(s) 1 of 2" in ranks[0]["message"]
    return f"DDP gradients match one process: {len(model.state_dict())} tensors, max |diff| {worst:.2e}"


if __name__ == "__main__":
    rank, world, dev = dist_utils.setup("cpu")
    torch.manual_seed(0)
    model = ResNet18Stride4().double()
    ddp = dist_utils.wrap(model, dev)
    q, r = global_batch()
    mine = slice(rank * q.shape[0] // world, (rank + 1) * q.shape[0] // world)
    loss = step_loss(ddp, q[mine], r[mine])
    norm = term_gradient_norms({"reconstruction": loss}, list(model.parameters()))["grad_reconstruction"]
    loss.backward()
    gathered = dist_utils.all_gather_cat(torch.full((2, 3), float(rank)))
    try:
        _check_finite({"reconstruction": loss.detach(), "compactness": torch.tensor(float("nan") if rank else 0.0)},
                      7, Path("run"))
        message = None
    except FloatingPointError as e:
        message = str(e)
    torch.save({"loss": loss.item(), "norm": norm, "grads": {n: p.grad for n, p in model.named_parameters()},
                "gathered": gathered, "message": message}, f"{sys.argv[1]}.{rank}")
    dist_utils.cleanup()
