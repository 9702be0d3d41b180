"""The windowed affinity against the dense (HW x HW, masked) form it replaced: the same losses,
positives, potential values and gradients, on tiled and dense layouts alike."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from vidcorr.model.compactness import TrainingPrior
from vidcorr.model.ven import potential_value
from vidcorr.model.windows import chebyshev_distance, grid_coords, local_windows
from vidcorr.train.mer_losses import positive_logits
from vidcorr.train.reconstruction import reconstruction_losses


def dense_heatmap(affinity, coords, k, sigma, valid, port=False):
    """LIIR Eq. 7-8 written out: the k peaks' Gaussians over every position's coordinates (N, 2),
    weighted by the peak values, normalised over the valid positions (port: weighted by the
    softmax of the peak values, Gaussians exp(-4 ln 2 d^2 / FWHM^2), not normalised)."""
    peaks, idx = affinity.topk(k, dim=-1)
    if port:
        fwhm = sigma * 2 * math.sqrt(2 * math.log(2))
        peaks = torch.softmax(peaks, -1)
        return sum(peaks[..., j:j + 1] * torch.exp(-4 * math.log(2) * ((coords - coords[idx[..., j]][..., None, :]) ** 2).sum(-1)
                                                   / fwhm**2) for j in range(k)).masked_fill(~valid, 0)
    mix = sum(peaks[..., j:j + 1] * torch.exp(-((coords - coords[idx[..., j]][..., None, :]) ** 2).sum(-1) / (2 * sigma**2))
              for j in range(k))
    mix = mix.masked_fill(~valid, 0)
    return mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)


def dense_losses(fq, fr, values, target, radius, temperature, ranges=None, negatives=None, negative_videos=None,
                 videos=None, compactness=None, scale=20.0):
    """The dense form: every query against every reference pixel, masked to the window."""
    b, d, h, w = fq.shape
    q = fq.reshape(b, d, h * w)
    logits = torch.einsum("bdq,bdk->bqk", q, fr.reshape(b, d, h * w)) / temperature
    cheb = chebyshev_distance(h, w)
    window = cheb[None] <= (radius if ranges is None else ranges[:, :, None])
    logits = logits.masked_fill(~window, float("-inf"))
    parts = [logits]
    if negatives is not None:
        neg = torch.einsum("bqd,kd->bqk", q.transpose(1, 2), negatives) / temperature
        parts.append(neg.masked_fill((negative_videos[None] == videos[:, None])[:, None], float("-inf")))
    affinity = torch.exp(logits - torch.logsumexp(torch.cat(parts, -1), -1, keepdim=True))
    recon = torch.bmm(affinity, values.reshape(b, h * w, 1)).reshape(b, 1, h, w)
    recon = F.interpolate(recon, size=target.shape[-2:], mode="bilinear", align_corners=False)
    rec = F.smooth_l1_loss(scale * recon, scale * target)
    comp = torch.zeros(())
    if compactness is not None:
        intra = torch.softmax(logits, -1)
        if compactness.form == "port":
            heat = dense_heatmap(intra.detach(), grid_coords(h, w), compactness.k, compactness.sigma, window, port=True)
            sure = (intra.detach().amax(-1, keepdim=True) > compactness.threshold).float()
            rows = F.smooth_l1_loss(20 * intra * sure, 20 * heat * sure, reduction="none").sum(-1) / (2 * radius + 1) ** 2
        else:
            heat = dense_heatmap(intra.detach(), grid_coords(h, w), compactness.k, compactness.sigma, valid=window)
            rows = (intra - heat).abs().sum(-1)
        comp = compactness.weight * rows.mean()
    target_feat = F.normalize(torch.bmm(affinity, fr.flatten(2).transpose(1, 2)), dim=-1)
    pos = (q.transpose(1, 2) * target_feat).sum(-1, keepdim=True) / temperature
    return rec, comp, recon, pos, torch.logsumexp(logits, -1, keepdim=True)


def dense_potential_value(fq, fr, gamma, omega, radius):
    b, _, h, w = fq.shape
    q, r = fq.flatten(2), fr.flatten(2)
    sim = torch.einsum("bdi,bdj->bij", q, r)
    window = chebyshev_distance(h, w) <= radius
    m = torch.where((sim > gamma) & window, sim, torch.zeros_like(sim))
    self_m = torch.where((q * q).sum(1) > gamma, (q * q).sum(1), torch.zeros(b, h * w))
    return ((m.sum(-1) - omega * self_m) / window.sum(-1)).reshape(b, 1, h, w)


def _inputs(b, d, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    fq = F.normalize(torch.randn(b, d, h, w, generator=g), dim=1).requires_grad_()
    fr = F.normalize(torch.randn(b, d, h, w, generator=g), dim=1).requires_grad_()
    values = torch.rand(b, 1, h, w, generator=g)
    target = torch.rand(b, 1, 4 * h, 4 * w, generator=g)
    return fq, fr, values, target, g


# (h, w, radius): tiled with whole and partial tiles, and the dense layout
SIZES = [(24, 24, 2), (40, 36, 4), (13, 19, 3)]


def test_the_windows_cover_each_pixel_once_and_tile_where_that_is_smaller():
    assert local_windows(40, 36, 4).queries.shape[0] > 1 and local_windows(13, 19, 3).queries.shape[0] == 1
    win = local_windows(40, 36, 4)
    assert sorted(win.queries.reshape(-1)[win.order].tolist()) == list(range(40 * 36))
    assert win.keys.shape[1] == (16 + 8) ** 2 < 40 * 36


@pytest.mark.parametrize("h, w, radius", SIZES)
@pytest.mark.parametrize("bank", [False, True])
@pytest.mark.parametrize("sampler", [False, True])
@pytest.mark.parametrize("form", ["mixture", "port"])
def test_windowed_losses_and_gradients_equal_the_dense_form(h, w, radius, bank, sampler, form):
    fq, fr, values, target, g = _inputs(2, 16, h, w)
    extra = {}
    if bank:
        extra = dict(negatives=F.normalize(torch.randn(30, 16, generator=g), dim=1),
                     negative_videos=torch.arange(30) % 3, videos=torch.tensor([0, 2]))
    ranges = torch.randint(1, radius + 1, (2, h * w), generator=g).float() + 0.5 if sampler else None
    # the port's threshold (0.5) would leave random features no confident row: 0.05 keeps some
    comp = TrainingPrior(3, 1.5, 0.01) if form == "mixture" else TrainingPrior(2, 0.4247, 1.0, "port", 0.05)
    got = reconstruction_losses(fq, fr, values, target, radius=radius, temperature=0.07, ranges=ranges,
                                compactness=comp, **extra)
    pos = positive_logits(fq, fr, got, 0.07, "reconstruction")
    win = positive_logits(fq, fr, got, 0.07, "window")
    grads = torch.autograd.grad(got.total + pos.mean(), [fq, fr])
    rec, cmp, recon, dpos, dwin = dense_losses(fq, fr, values, target, radius, 0.07, ranges, compactness=comp, **extra)
    want = torch.autograd.grad(rec + cmp + dpos.mean(), [fq, fr])
    for a, b in ((got.reconstruction, rec), (got.compactness, cmp), (got.prediction, recon), (pos, dpos), (win, dwin),
                 *zip(grads, want)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert cmp > 0 and rec > 0


@pytest.mark.parametrize("h, w, radius", SIZES)
def test_windowed_potential_value_equals_the_dense_form(h, w, radius):
    fq, fr, *_ = _inputs(2, 8, h, w, seed=1)
    fr = (0.5 * fq + 0.5 * fr).detach()  # similar enough that many pairs pass gamma
    torch.testing.assert_close(potential_value(fq, fr, 0.3, 1.0, radius), dense_potential_value(fq, fr, 0.3, 1.0, radius),
                               rtol=1e-5, atol=1e-6)


def test_an_unknown_compactness_form_is_refused():
    """Only the two forms exist; a misspelt one must not silently run the port's branch."""
    from vidcorr.model.compactness import inference_weights

    with pytest.raises(ValueError, match="compactness_form must be one of mixture, port, not 'prot'"):
        TrainingPrior(2, 0.4247, 1.0, "prot")
    affinity = torch.rand(1, 2, 1, 9)
    with pytest.raises(ValueError, match="compactness_form must be one of mixture, port"):
        inference_weights(affinity, (3, 3), torch.zeros_like(affinity, dtype=torch.bool), k=2, sigma=1.0,
                          form="prot", threshold=0.1)
