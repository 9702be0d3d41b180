"""MER stage 3: flow fusion, VEN, multi-cluster sampler, fused loss, a short run, long-term memory."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from vidcorr.flow import FlowConfig, compute_video_flow
from vidcorr.inference.config import PropagationConfig
from vidcorr.inference.memory import Memory
from vidcorr.model import ResNet18Stride4
from vidcorr.model.cluster_sampler import MultiClusterSampler, kmeans
from vidcorr.model.flow_fusion import FlowFusion
from vidcorr.model.ven import ValueExtractionNetwork, motion_saliency, potential_value, value_target
from vidcorr.model.windows import chebyshev_distance, local_windows
from vidcorr.train.config import TrainConfig
from vidcorr.train.lab_dropout import drop_channel
from vidcorr.train.loop import train
from vidcorr.train.mer_losses import beta_at, normalise_weights, positive_logits, positive_negative_loss, weight_map_loss
from vidcorr.train.reconstruction import RECON_SCALE, reconstruction_losses
from vidcorr.viz.weight_maps import weight_map_figure


def test_fusion_with_alpha_zero_is_the_unfused_path():
    torch.manual_seed(0)
    frames, flow = torch.randn(2, 3, 32, 32), 10 * torch.randn(2, 2, 32, 32)
    enc = ResNet18Stride4().eval()
    fused = FlowFusion(alpha=0.0)(frames, flow)
    torch.testing.assert_close(fused, frames, rtol=0, atol=0)
    torch.testing.assert_close(enc(fused), enc(frames), rtol=0, atol=0)
    assert not torch.equal(FlowFusion(alpha=0.1)(frames, flow), frames)


def test_ven_shapes_and_dropkey_only_in_training():
    torch.manual_seed(0)
    fq, fr = F.normalize(torch.randn(2, 256, 8, 10), dim=1), F.normalize(torch.randn(2, 256, 8, 10), dim=1)
    ven = ValueExtractionNetwork(dropkey=0.5)
    ven.train()
    w1, v = ven(fq, fr, generator=torch.Generator().manual_seed(1))
    w2, _ = ven(fq, fr, generator=torch.Generator().manual_seed(2))
    assert w1.shape == (2, 1, 8, 10) and v.shape == (2, 1, 8, 10)
    assert ((w1 >= 0) & (w1 <= 1)).all() and not torch.allclose(w1, w2)  # different keys dropped
    ven.eval()
    e1, _ = ven(fq, fr, generator=torch.Generator().manual_seed(1))
    e2, _ = ven(fq, fr, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(e1, e2, rtol=0, atol=0)


def test_potential_value_counts_similar_neighbours_above_gamma():
    f = torch.zeros(1, 2, 3, 3)
    f[0, 0] = 1.0  # every pixel the same unit vector
    v = potential_value(f, f, gamma=0.6, omega=1.0, radius=1)
    # centre: 9 neighbours of similarity 1, minus the self term, over 9 window positions
    assert v[0, 0, 1, 1].item() == pytest.approx(8 / 9)
    assert potential_value(f, -f, gamma=0.6, omega=0.0, radius=1).abs().max() == 0  # below gamma


def _two_object_features(h=24, w=32, dim=16, seed=0):
    """A generated frame's features: background, object A (left square), object B (right disc)."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((h, w), int)
    labels[6:14, 4:12] = 1
    yy, xx = np.mgrid[0:h, 0:w]
    labels[(yy - 15) ** 2 + (xx - 24) ** 2 <= 16] = 2
    protos = rng.normal(size=(3, dim))
    feats = protos[labels] + 0.15 * rng.normal(size=(h, w, dim))
    f = F.normalize(torch.tensor(feats, dtype=torch.float32).permute(2, 0, 1)[None], dim=1)
    return f, torch.tensor(labels)


def test_kmeans_and_region_growing_separate_two_objects_and_ranges_differ():
    f, labels = _two_object_features()
    s = MultiClusterSampler(clusters=5, tau=0.45)(f, f, generator=torch.Generator().manual_seed(0))
    got = s.labels[0]
    a, b, bg = got[labels == 1], got[labels == 2], got[labels == 0]
    assert (a == a[0]).float().mean() > 0.95 and (b == b[0]).float().mean() > 0.95 and a[0] != b[0]
    assert a[0] >= 0 and b[0] >= 0 and not (bg == a[0]).any() and not (bg == b[0]).any()
    ranges = s.ranges[0].reshape(labels.shape)
    assert ranges[labels == 1].mean() < ranges[labels == 0].mean()
    assert ranges[labels == 2].mean() < ranges[labels == 0].mean()
    # the window follows the ranges: a background pixel sees more reference pixels than an object pixel
    per_pixel = (chebyshev_distance(*labels.shape) <= s.ranges[0][:, None]).sum(-1).reshape(labels.shape).float()
    assert per_pixel[labels == 0].mean() > per_pixel[labels == 1].mean()
    assert s.initial.item() > 0


def test_radius_based_ranges_keep_their_spread_on_a_larger_map():
    """r0 (the mean cluster radius) grows with the map, so at 4x the features r0-based ranges pile
    up at range_max; with the training radius as the base the ranges of the same scene, at 4x its
    size, stay where they were (the area ratio has no scale)."""
    f, labels = _two_object_features()
    big = F.interpolate(f, scale_factor=4, mode="nearest")
    g = torch.Generator
    small_r0 = MultiClusterSampler(range_max=12)(f, f, generator=g().manual_seed(0))
    big_r0 = MultiClusterSampler(range_max=12)(big, big, generator=g().manual_seed(0))
    assert big_r0.initial.item() > 3 * small_r0.initial.item()
    assert (big_r0.ranges >= 12).float().mean() > 0.8 and (small_r0.ranges >= 12).float().mean() == 0
    small = MultiClusterSampler(range_max=12, base=6.0)(f, f, generator=g().manual_seed(0)).ranges
    large = MultiClusterSampler(range_max=12, base=6.0)(big, big, generator=g().manual_seed(0)).ranges
    for q in (0.1, 0.5, 0.9):
        assert abs(torch.quantile(small, q) - torch.quantile(large, q)) < 0.5
    assert torch.quantile(large, 0.1) < torch.quantile(large, 0.9)  # they still vary


def test_kmeans_is_deterministic_for_a_seed():
    f, _ = _two_object_features()
    x = f.flatten(2).transpose(1, 2)
    c1, a1 = kmeans(x, 5, generator=torch.Generator().manual_seed(3))
    c2, a2 = kmeans(x, 5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(c1, c2) and torch.equal(a1, a2)


def test_uniform_weights_give_the_reconstruction_loss():
    """Uniform weights (at feature resolution, upsampled) leave the scaled smooth L1 of Eq. 3."""
    torch.manual_seed(0)
    pred, target = torch.randn(3, 1, 8, 8), torch.randn(3, 1, 8, 8)
    plain = F.smooth_l1_loss(RECON_SCALE * pred, RECON_SCALE * target)
    for beta in (0.0, 0.3, 1.0):
        torch.testing.assert_close(weight_map_loss(pred, target, torch.full((3, 1, 2, 2), 0.7), beta), plain)
    assert beta_at(0, 0.9, 0.1, "linear") == pytest.approx(0.9) and beta_at(1, 0.9, 0.1, "cosine") == pytest.approx(0.1)
    assert beta_at(0.5, 0.9, 0.1, "linear") == pytest.approx(0.5)
    w = normalise_weights(torch.rand(2, 1, 4, 4) * 0.2 + 0.4, "minmax")
    assert w.amin() == 0 and w.amax() == 1


def test_fused_loss_gradients_reach_encoder_and_fusion_but_not_the_weights():
    """L_w and L_pn train the encoder and the fusion's alpha; the weight map is a constant of the
    loss, so re-weighting pixels cannot lower it."""
    torch.manual_seed(0)
    enc, ven, fusion = ResNet18Stride4(), ValueExtractionNetwork(radius=3), FlowFusion(alpha=0.1)
    q, r = torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32)
    flow = 5 * torch.randn(4, 2, 32, 32)
    channel = torch.tensor([1, 2])
    qi, ri = fusion(torch.cat([drop_channel(q, channel), drop_channel(r, channel)]), flow).chunk(2)
    fq, fr = F.normalize(enc(qi), dim=1), F.normalize(enc(ri), dim=1)
    pick = torch.arange(2), channel
    target, values = F.adaptive_avg_pool2d(q, 8)[pick][:, None], F.adaptive_avg_pool2d(r, 8)[pick][:, None]
    sampling = MultiClusterSampler(clusters=3)(fq.detach(), fr.detach())
    losses = reconstruction_losses(fq, fr, values, target, radius=3, temperature=0.07, ranges=sampling.ranges)
    with torch.no_grad():
        weights, _ = ven(fq, fr)
    pos = positive_logits(fq, fr, losses, 0.07, "reconstruction")
    pn = positive_negative_loss(fq, pos, F.normalize(torch.randn(6, 256), dim=1),
                                torch.tensor([5, 5, 6, 6, 7, 7]), torch.tensor([0, 1]), 0.07)
    total = pn + weight_map_loss(losses.prediction, target, normalise_weights(weights, "minmax"), 0.9)
    total.backward()
    assert enc.conv1.weight.grad.abs().sum() > 0
    assert fusion.alpha.grad.abs() > 0
    assert all(p.grad is None for p in ven.parameters())


def test_ven_attends_with_frame_features_over_the_value_encoding():
    """Eq. 10-12: Q and K come from the target's features. With Eq. 6's map the same, other
    target features change the weight map; the reference enters only through V."""
    torch.manual_seed(0)
    ven = ValueExtractionNetwork(radius=2, dropkey=0.0).eval()
    assert ven.to_q.in_channels == ven.to_k.in_channels == 256
    f = F.normalize(torch.randn(1, 256, 6, 6), dim=1)
    g = f.flatten(2)[:, :, torch.randperm(36)].reshape(1, 256, 6, 6)  # the same pixels, moved
    ven.to_q.weight.data.mul_(100)  # attention sharp enough for the features' layout to show
    (w1, v1), (w2, v2) = ven(f, f), ven(g, g)
    torch.testing.assert_close(v1, v2)  # random features match only themselves: the same V
    assert not torch.allclose(w1, w2, atol=1e-4)  # so only the features' Q and K can tell them apart


def test_positive_negative_loss_prefers_the_positive_and_skips_own_video():
    """Eq. 17: low when the query matches its positive and differs from the negatives; a negative
    of the sample's own video does not count."""
    q = F.normalize(torch.randn(1, 8, 2, 2), dim=1)
    # each pixel's positive is the reference pixel at its place (the dense layout of a 2 x 2 map)
    losses = SimpleNamespace(windows=local_windows(2, 2, 1), affinity=torch.eye(4)[None, None], logits=None)
    pos = positive_logits(q, q, losses, 0.07, "reconstruction")
    others = F.normalize(torch.randn(3, 8), dim=1)
    good = positive_negative_loss(q, pos, others, torch.tensor([1, 1, 1]), torch.tensor([0]), 0.07)
    copies = q.flatten(2)[0].T  # negatives equal to the queries themselves
    bad = positive_negative_loss(q, pos, copies, torch.tensor([1, 1, 1, 1]), torch.tensor([0]), 0.07)
    own = positive_negative_loss(q, pos, copies, torch.tensor([0, 0, 0, 0]), torch.tensor([0]), 0.07)
    assert good < 0.5 * bad
    assert own == pytest.approx(0.0, abs=1e-6)


def test_window_positive_is_the_softmax_mass_on_the_window():
    """The `window` reading of Eq. 17: the loss is -log of the softmax mass that the window's
    reference pixels hold against the bank's negatives, and it pushes queries away from a negative
    that looks like them."""
    torch.manual_seed(0)
    fq = F.normalize(torch.randn(1, 8, 3, 3), dim=1).requires_grad_()
    fr = F.normalize(torch.randn(1, 8, 3, 3), dim=1)
    t = 0.1
    losses = reconstruction_losses(fq, fr, torch.rand(1, 1, 3, 3), torch.rand(1, 1, 3, 3), radius=1, temperature=t)
    negatives = F.normalize(torch.randn(5, 8), dim=1)
    pos = positive_logits(fq, fr, losses, t, "window")
    pn = positive_negative_loss(fq, pos, negatives, torch.ones(5, dtype=torch.long), torch.tensor([0]), t)
    q, r = fq.flatten(2)[0].T, fr.flatten(2)[0].T
    window = chebyshev_distance(3, 3) <= 1
    assert window.sum() == 4 * 4 + 4 * 6 + 9  # radius 1 on 3 x 3: corners 4, edges 6, centre 9
    own = torch.where(window, torch.exp(q @ r.T / t), torch.zeros(()))
    mass = own.sum(1) / (own.sum(1) + torch.exp(q @ negatives.T / t).sum(1))
    torch.testing.assert_close(pn, -mass.log().mean())
    near = F.normalize(q[4] + 0.01 * torch.randn(8), dim=0)  # a negative almost equal to query pixel 4
    pn_near = positive_negative_loss(fq, pos, torch.cat([negatives, near[None]]), torch.ones(6, dtype=torch.long),
                                     torch.tensor([0]), t)
    assert pn_near > pn
    pn_near.backward()
    step = fq.detach() - 0.01 * fq.grad
    assert (F.normalize(step, dim=1).flatten(2)[0, :, 4] @ near) < (fq.detach().flatten(2)[0, :, 4] @ near)


def test_mer_switches_are_checked():
    with pytest.raises(ValueError, match="belong to the mer stage"):
        TrainConfig.from_dict({"stage": "inter", "sampler": True})
    with pytest.raises(ValueError, match="bank_frames > 0"):
        TrainConfig.from_dict({"stage": "mer"})


@pytest.fixture(scope="module")
def flow_index(tmp_path_factory, synthetic_root):
    """DIS flow of the generated benchmark, as the flow stage stores it."""
    from vidcorr.datasets import open_dataset

    out = tmp_path_factory.mktemp("flow")
    reader = open_dataset("davis", synthetic_root)
    files = {}
    for name in reader.names():
        compute_video_flow(name, reader.sequence(name).frames, FlowConfig(model="dis_fast"),
                           out / "videos" / f"{name}.h5", progress=False)
        files[name] = f"videos/{name}.h5"
    (out / "index.json").write_text(json.dumps({"dataset": "index", "files": files}))
    return out / "index.json"


def test_a_short_mer_run_lowers_the_loss(tmp_path, synthetic_root, flow_index):
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    cfg = TrainConfig.from_dict(dict(
        stage="mer", epochs=2, steps_per_epoch=24, batch_size=4, crop=32, radius=3, lr=1e-3, max_gap=2,
        bank_frames=8, bank_points=2, flow_fusion=True, ven=True, loss_weight_map=True, sampler=True, clusters=3,
        range_max=6.0))
    train(cfg, [index], tmp_path / "run", device="cpu", flow=[flow_index])
    rows = list(csv.DictReader(open(tmp_path / "run/log.csv")))
    loss = [float(r["loss"]) for r in rows]
    assert len(loss) == 48 and all(float(r["weight_map"]) > 0 for r in rows)
    assert all(float(r["pos_neg"]) > 0 for r in rows[3:])  # once the bank holds other videos
    # L_w replaces the plain smooth L1 (logged, not optimised); Eq. 21 plus compactness (off here)
    for r in rows:
        assert float(r["loss"]) == pytest.approx(float(r["weight_map"]) + float(r["pos_neg"]), rel=1e-5)
    wm = [float(r["weight_map"]) for r in rows]
    assert np.mean(wm[-12:]) < 0.8 * np.mean(wm[:12]), wm
    state = torch.load(tmp_path / "run/final.pt", weights_only=True)
    assert {"fusion.alpha", "ven.head.weight"} <= set(state["heads"])
    first = torch.load(tmp_path / "run/epoch_001.pt", weights_only=True)
    assert not state["encoder"]["conv1.weight"].equal(first["encoder"]["conv1.weight"])
    assert state["heads"]["ven.to_q.weight"].equal(first["heads"]["ven.to_q.weight"])  # no gradient, no change


def test_value_targets_are_the_potential_map_and_motion_against_the_camera():
    """potential: Eq. 6's V rescaled to [0, 1] per frame; motion: the distance from the frame's
    median flow, so a camera pan alone gives no target and the moving square gives 1."""
    v = torch.rand(2, 1, 8, 8)
    pot = value_target("potential", v)
    assert pot.amin() == 0 and torch.allclose(pot.flatten(1).amax(1), torch.ones(2))
    flow = torch.zeros(2, 2, 32, 32)
    flow[:, 0] = 3.0  # the camera pans right
    flow[:, :, 8:16, 8:16] = torch.tensor([-2.0, 1.0])[:, None, None]  # one object moves against it
    sal = motion_saliency(flow, (8, 8))
    assert torch.allclose(sal[:, 0, 2:4, 2:4], torch.ones(2, 2, 2)) and sal[:, 0, 5:, :].abs().max() == 0
    assert torch.equal(value_target("motion", v, flow), sal)
    with pytest.raises(ValueError, match="needs the query's flow"):
        value_target("motion", v)
    with pytest.raises(ValueError, match="ven_target"):
        value_target("frozen", v)


def test_a_ven_with_a_target_learns_and_its_term_never_reaches_the_encoder(tmp_path, synthetic_root, flow_index):
    """ven_target motion: the stage reads flow for the target alone (no fusion), the VEN's
    parameters move, its term is logged and added to the loss, and its gradient on the encoder is 0."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    cfg = TrainConfig.from_dict(dict(
        stage="mer", epochs=2, steps_per_epoch=3, batch_size=2, crop=32, radius=3, max_gap=2, bank_frames=4,
        bank_points=2, ven=True, loss_weight_map=True, ven_target="motion", loss_pos_neg=False, grad_log_every=1))
    assert cfg.needs_flow() and not cfg.flow_fusion
    with pytest.raises(ValueError, match="need the training datasets' flow"):
        train(cfg, [index], tmp_path / "noflow", device="cpu")
    train(cfg, [index], tmp_path / "run", device="cpu", flow=[flow_index])
    rows = list(csv.DictReader(open(tmp_path / "run/log.csv")))
    assert all(float(r["ven"]) > 0 for r in rows) and all(float(r["grad_ven"]) == 0 for r in rows)
    assert all(float(r["grad_weight_map"]) > 0 for r in rows)
    for r in rows:
        assert float(r["loss"]) == pytest.approx(float(r["weight_map"]) + float(r["ven"]), rel=1e-5)
    first = torch.load(tmp_path / "run/epoch_001.pt", weights_only=True)["heads"]
    final = torch.load(tmp_path / "run/final.pt", weights_only=True)["heads"]
    assert not final["ven.to_q.weight"].equal(first["ven.to_q.weight"])
    assert not final["ven.head.weight"].equal(first["ven.head.weight"])
    png = tmp_path / "w.png"
    assert weight_map_figure(tmp_path / "run/final.pt", [index], png, flow=[flow_index], pairs=3) == [
        "reference", "query", "query flow", "V (Eq. 6)", "VEN target", "W"]
    assert np.asarray(Image.open(png)).shape[0] > 3 * 128  # three rows of pairs under the header
    with pytest.raises(ValueError, match="ven_target potential trains the VEN"):
        TrainConfig.from_dict(dict(stage="mer", bank_frames=4, ven_target="potential"))


def test_weight_map_without_the_ven_weights_by_the_potential_value_map(tmp_path, synthetic_root):
    """MER Table 4's fused-loss row and Table 5A's rows without the VEN: L_w's weights come from
    Eq. 6's map, so the stage has no VEN head and L_w still differs from zero."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    cfg = TrainConfig.from_dict(dict(stage="mer", epochs=1, steps_per_epoch=3, batch_size=2, crop=32, radius=3,
                                     max_gap=2, bank_frames=4, bank_points=2, loss_weight_map=True))
    train(cfg, [index], tmp_path / "run", device="cpu")
    rows = list(csv.DictReader(open(tmp_path / "run/log.csv")))
    assert all(float(r["weight_map"]) > 0 for r in rows)
    assert torch.load(tmp_path / "run/final.pt", weights_only=True)["heads"] == {}
    assert weight_map_figure(tmp_path / "run/final.pt", [index], tmp_path / "w.png") == [
        "reference", "query", "V (Eq. 6)", "W"]


def test_pixel_positive_is_the_reconstruction_through_the_bank_widened_affinity(tmp_path, synthetic_root):
    """pos_neg_positive pixel (LIIR Eq. 4-5): once the bank holds negatives, the MER stage's
    reconstruction runs through an affinity whose denominator includes them, and L_pn is its smooth
    L1; before that the stage equals one without L_pn, step for step."""
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    base = dict(stage="mer", epochs=1, steps_per_epoch=4, batch_size=2, crop=32, radius=3, max_gap=2, bank_frames=2,
                bank_points=2, grad_log_every=0)
    logs = {}
    for name, extra in (("pixel", dict(loss_pos_neg=True, pos_neg_positive="pixel")), ("plain", dict(loss_pos_neg=False))):
        train(TrainConfig.from_dict({**base, **extra}), [index], tmp_path / name, device="cpu")
        logs[name] = list(csv.DictReader(open(tmp_path / name / "log.csv")))
    with_bank = [i for i, r in enumerate(logs["pixel"]) if float(r["pos_neg"]) > 0]
    assert with_bank and with_bank[0] > 0
    first = with_bank[0]
    for i in range(first):
        assert logs["pixel"][i]["reconstruction"] == logs["plain"][i]["reconstruction"]
    # from then on L_pn is the reconstruction through the widened affinity, counted once in the loss
    row, plain = logs["pixel"][first], logs["plain"][first]
    assert float(row["pos_neg"]) == float(row["reconstruction"]) != float(plain["reconstruction"])
    assert float(row["loss"]) == float(row["pos_neg"]) + float(row["compactness"])
    with pytest.raises(ValueError, match="no weight map to draw"):
        weight_map_figure(tmp_path / "plain/final.pt", [index], tmp_path / "w.png")
    assert not (tmp_path / "w.png").exists()


def test_flow_fusion_without_flow_is_refused(tmp_path, synthetic_root):
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    cfg = TrainConfig.from_dict(dict(stage="mer", bank_frames=4, flow_fusion=True, crop=32))
    with pytest.raises(ValueError, match="need the training datasets' flow"):
        train(cfg, [index], tmp_path / "run", device="cpu")


def test_long_term_memory_keeps_the_first_frames():
    mem = Memory(PropagationConfig(first_frames=3, short_term=2))
    key, lab = torch.zeros(4, 2, 2), torch.zeros(2, 2, 2)
    mem.add(0, key, lab, annotated=True)
    for t in range(1, 9):
        mem.add(t, key, lab)
    assert [e[0] for e in mem.entries()] == [0, 1, 2, 7, 8]
