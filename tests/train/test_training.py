"""Training: encoder shapes, Lab dropout, position modulation, memory bank, compactness prior,
learning, determinism, resuming, and DDP gradients."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from helpers import REPO
from helpers.ddp_probe import check_against_one_process
from vidcorr.model import ResNet18Stride4
from vidcorr.model.compactness import compactness_heatmap
from vidcorr.model.position import modulate
from vidcorr.train.config import TrainConfig
from vidcorr.train.lab_dropout import drop_channel, pick_channels
from vidcorr.train.loop import train
from vidcorr.train.memory_bank import MemoryBank
from vidcorr.model.windows import grid_coords
from vidcorr.train.reconstruction import reconstruction_losses


@pytest.mark.parametrize("position", ["none", "2dspe", "1dape", "2dape"])
def test_encoder_gives_256_channels_at_stride_4_at_any_size(position):
    model = ResNet18Stride4(position=position, position_size=(16, 16)).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 96)).shape == (2, 256, 16, 24)
        assert model(torch.randn(1, 3, 50, 70), modulation="shift").shape == (1, 256, 13, 18)


def test_lab_dropout_zeroes_the_chosen_channel_and_rescales_the_rest():
    lab = torch.rand(3, 3, 4, 5) + 0.1
    out = drop_channel(lab, torch.tensor([1, 2, 1]))
    for n, c in enumerate([1, 2, 1]):
        assert (out[n, c] == 0).all()
        others = [k for k in range(3) if k != c]
        torch.testing.assert_close(out[n, others], 1.5 * lab[n, others])


def test_the_bottleneck_drops_a_or_b_never_l_one_channel_per_step():
    g = torch.Generator().manual_seed(0)
    picks = [pick_channels(6, g) for _ in range(200)]
    assert all(len(set(p.tolist())) == 1 for p in picks)  # the whole batch drops the same channel
    assert {int(p[0]) for p in picks} == {1, 2}


def test_circular_shift_keeps_the_layout_and_shuffle_breaks_it():
    pe = torch.randn(1, 4, 6, 7, requires_grad=True)
    shifted = modulate(pe, "shift", torch.Generator().manual_seed(3))
    assert not shifted.requires_grad
    rolls = [torch.roll(pe.detach(), (dy, dx), (2, 3)) for dy in range(6) for dx in range(7)]
    assert any(torch.equal(shifted, r) for r in rolls)
    shuffled = modulate(pe, "shuffle", torch.Generator().manual_seed(3))
    assert not any(torch.equal(shuffled, r) for r in rolls)
    assert torch.equal(shuffled.flatten(2).sort(-1).values, pe.detach().flatten(2).sort(-1).values)


def test_memory_bank_is_fifo_and_never_returns_own_video():
    bank = MemoryBank(frames=3, points=2, dim=1)
    for i in range(5):  # frame i: video i % 2, points valued 10 i and 10 i + 1
        bank.push(torch.tensor([[[10.0 * i], [10.0 * i + 1]]]), torch.tensor([i % 2]))
    feats, videos = bank.ordered()
    assert feats.flatten().tolist() == [20, 21, 30, 31, 40, 41]  # the three newest frames, oldest first
    assert videos.tolist() == [0, 0, 1, 1, 0, 0]
    assert bank.negatives(0).flatten().tolist() == [30, 31]
    assert bank.negatives(1).flatten().tolist() == [20, 21, 40, 41]
    assert MemoryBank(1440, 4, 256).nbytes <= 16 * 2**20


def test_compactness_heatmap():
    coords = grid_coords(9, 11)
    affinity = torch.zeros(coords.shape[0])
    affinity[2 * 11 + 3], affinity[6 * 11 + 8] = 0.6, 0.3  # peaks at (x3, y2) and (x8, y6)
    heat = compactness_heatmap(affinity, (9, 11), k=2, sigma=1.0)
    assert heat.sum().item() == pytest.approx(1.0)
    top = heat.view(9, 11)
    assert top.argmax().item() == 2 * 11 + 3
    assert top[6, 8] > top[5, 8] and top[6, 8] > top[6, 7]  # the second peak is a local maximum
    mix = sum(v * torch.exp(-((coords - torch.tensor(p)) ** 2).sum(-1) / 2) for v, p in [(0.6, [3.0, 2.0]), (0.3, [8.0, 6.0])])
    torch.testing.assert_close(heat, mix / mix.sum())
    single = compactness_heatmap(affinity, (9, 11), k=1, sigma=1.5)
    d2 = ((coords - torch.tensor([3.0, 2.0])) ** 2).sum(-1)
    gauss = torch.exp(-d2 / (2 * 1.5**2))
    torch.testing.assert_close(single, gauss / gauss.sum())


def test_inter_video_negatives_only_lower_the_affinity_mass():
    torch.manual_seed(0)
    fq, fr = F.normalize(torch.randn(2, 8, 4, 4), dim=1), F.normalize(torch.randn(2, 8, 4, 4), dim=1)
    values, target = torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4)
    base = reconstruction_losses(fq, fr, values, target, radius=4, temperature=0.1)
    negs = F.normalize(torch.randn(6, 8), dim=1)
    own = reconstruction_losses(fq, fr, values, target, radius=4, temperature=0.1, negatives=negs,
                                negative_videos=torch.tensor([5] * 6), videos=torch.tensor([5, 5]))
    assert own.reconstruction.item() == pytest.approx(base.reconstruction.item())  # own-video points ignored
    other = reconstruction_losses(fq, fr, values, target, radius=4, temperature=0.1, negatives=negs,
                                  negative_videos=torch.tensor([1] * 6), videos=torch.tensor([5, 5]))
    assert other.reconstruction.item() != pytest.approx(base.reconstruction.item())


@pytest.mark.parametrize("settings, softmax, pos_neg, reads", [
    ({"stage": "warmup"}, False, False, False),
    ({"stage": "inter", "bank_frames": 8}, True, False, True),
    ({"stage": "inter", "bank_frames": 8, "loss_pos_neg": False}, True, False, True),  # L_pn is MER's only
    ({"stage": "mer", "bank_frames": 8}, False, True, True),
    ({"stage": "mer", "bank_frames": 8, "pos_neg_positive": "pixel"}, True, True, True),
    ({"stage": "mer", "loss_pos_neg": False, "pos_neg_positive": "pixel"}, False, False, False),
])
def test_what_the_bank_does_follows_from_the_settings(settings, softmax, pos_neg, reads):
    """The training loop asks TrainConfig what the bank does, never the stage's name."""
    cfg = TrainConfig.from_dict(settings)
    assert (cfg.bank_in_softmax, cfg.pos_neg_loss, cfg.reads_bank) == (softmax, pos_neg, reads)


def test_a_few_steps_lower_the_reconstruction_loss(synthetic_root):
    from vidcorr.colour import lab_tensor
    from vidcorr.datasets import open_dataset

    seq = open_dataset("davis", synthetic_root).sequence("synth00")
    frames = torch.stack([lab_tensor(seq.read_frame(i)[:64, :64]) for i in range(4)])
    q, r = frames[1:], frames[:-1]
    torch.manual_seed(0)
    model = ResNet18Stride4()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    channel = torch.tensor([1, 2, 1])
    losses = []
    for _ in range(12):
        fq = F.normalize(model(drop_channel(q, channel)), dim=1)
        fr = F.normalize(model(drop_channel(r, channel)), dim=1)
        pick = torch.arange(3), channel
        loss = reconstruction_losses(fq, fr, F.adaptive_avg_pool2d(r, 16)[pick].unsqueeze(1),
                                     F.adaptive_avg_pool2d(q, 16)[pick].unsqueeze(1), radius=4, temperature=0.07).total
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.7 * sum(losses[:3]) / 3


def _index(tmp_path, synthetic_root):
    import json

    path = tmp_path / "index.json"
    path.write_text(json.dumps({"type": "davis", "root": str(synthetic_root), "options": {}}))
    return [path]


TINY = dict(stage="inter", epochs=2, steps_per_epoch=2, batch_size=2, crop=32, radius=2, bank_frames=4,
            bank_points=2, position="2dape", modulation="shift", compactness=True)


def _log(path):
    return [{k: float(v) if v != "" else None for k, v in r.items()} for r in csv.DictReader(open(path))]


def test_same_seed_same_losses_and_resume_matches(tmp_path, synthetic_root):
    cfg = TrainConfig.from_dict(TINY)
    data = _index(tmp_path, synthetic_root)
    train(cfg, data, tmp_path / "a", device="cpu")
    train(cfg, data, tmp_path / "b", device="cpu")
    assert _log(tmp_path / "a/log.csv") == _log(tmp_path / "b/log.csv")
    # A run killed after its first epoch leaves epoch_001.pt as last.pt; rerunning resumes from it.
    (tmp_path / "c").mkdir()
    shutil.copy(tmp_path / "a/epoch_001.pt", tmp_path / "c/last.pt")
    train(cfg, data, tmp_path / "c", device="cpu")
    assert _log(tmp_path / "c/log.csv") == _log(tmp_path / "a/log.csv")
    a = torch.load(tmp_path / "a/final.pt", weights_only=True)
    c = torch.load(tmp_path / "c/final.pt", weights_only=True)
    for key in a["encoder"]:
        torch.testing.assert_close(a["encoder"][key], c["encoder"][key], rtol=0, atol=0)
    torch.testing.assert_close(a["bank"]["features"], c["bank"]["features"], rtol=0, atol=0)
    assert {"encoder", "ema", "optimizer", "scheduler", "bank", "rng", "epoch"} <= set(a)
    # Step 0 of the learning curve: the first stage's initial encoder, before any update.
    from vidcorr.model import load_encoder

    torch.manual_seed(cfg.seed)
    fresh = ResNet18Stride4(position=cfg.position, position_size=(cfg.crop // 2, cfg.crop // 2)).state_dict()
    start = load_encoder(tmp_path / "a/epoch_000.pt").state_dict()
    assert all(torch.equal(start[k], fresh[k]) for k in fresh) and not torch.equal(start["conv1.weight"], a["encoder"]["conv1.weight"])
    train(cfg, data, tmp_path / "d", init=tmp_path / "a/final.pt", device="cpu")
    assert not (tmp_path / "d/epoch_000.pt").exists()  # a later stage starts from its parent's final.pt


def test_ddp_with_two_gloo_processes_matches_one_process(tmp_path):
    out = tmp_path / "ddp.pt"
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
                    str(REPO / "tests/helpers/ddp_probe.py"), str(out)], check=True, capture_output=True, cwd=tmp_path)
    check_against_one_process(str(out))


def test_step_schedule_decays_like_mast():
    from vidcorr.train.loop import _schedule

    cfg = TrainConfig.from_dict({"schedule": "step", "decay_at": [0.5, 0.75], "decay_factor": 0.5})
    f = _schedule(cfg, 100)
    assert [f(s) for s in (0, 49, 50, 74, 75, 99)] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    port = TrainConfig.from_dict({"schedule": "step", "decay_at": [0.25, 0.5], "decay_factors": [0.9, 0.75]})
    assert [_schedule(port, 100)(s) for s in (0, 25, 60)] == [1, 0.9, 0.75]  # the LIIR port's explicit multipliers
    with pytest.raises(ValueError, match="one multiplier per point of decay_at"):
        TrainConfig.from_dict({"schedule": "step", "decay_at": [0.25, 0.5], "decay_factors": [0.9]})


def test_mast_sampling_draws_listed_gaps_and_resizes_the_whole_frame(tmp_path):
    """gaps/gap_probs: only listed gaps that fit the video, at their rates; resize whole: the
    entire frame, squeezed to the square (a crop would lose the frame's corners)."""
    import numpy as np
    from PIL import Image

    from vidcorr.train.data import PairDataset, Video

    frames = []
    for t in range(12):
        rgb = np.zeros((40, 80, 3), np.uint8)
        rgb[:, :40] = 255  # left half white, right half black
        rgb[0, 0] = (255, 0, 0)
        path = tmp_path / f"{t:05d}.png"
        Image.fromarray(rgb).save(path)
        frames.append(path)
    short = Video("d", "short", frames[:6])  # gap 8 does not fit: 2 and 5 only
    data = PairDataset([Video("d", "long", frames), short], crop=32, max_gap=10, length=2000, seed=0,
                       gaps=(2, 5, 8), gap_probs=(0.4, 0.4, 0.2), resize="whole")
    rng_gaps = {name: [] for name in ("long", "short")}
    for i in range(2000):
        rng = np.random.default_rng([0, 0, i])
        v = data.videos[int(rng.integers(2))]
        rng_gaps[v.name].append(data._gap(rng, len(v.frames) - 1))
    long, short_gaps = np.array(rng_gaps["long"]), np.array(rng_gaps["short"])
    assert set(long) == {2, 5, 8} and abs((long == 8).mean() - 0.2) < 0.05
    assert set(short_gaps) == {2, 5} and abs((short_gaps == 2).mean() - 0.5) < 0.06
    sample = data[0]
    lightness = sample["query"][0]
    assert sample["query"].shape == (3, 32, 32)
    left, right = lightness[:, :14].mean(), lightness[:, 18:].mean()
    assert min(left, right) < 0.1 * max(left, right)  # both halves of the frame are in the square
    with pytest.raises(ValueError, match="one non-negative weight per gap"):
        TrainConfig.from_dict({"gaps": [2, 5], "gap_probs": [1.0]})
    with pytest.raises(ValueError, match="training setting resize: .pad. is not one of"):
        TrainConfig.from_dict({"resize": "pad"})


def test_crop_scale_sets_how_much_of_the_frame_a_crop_sees(tmp_path):
    """resize: crop scales the frame's short side to crop_scale x the crop: at 1 a square spans the
    frame's height, at 2 half of it (the frame seen closer to its own scale)."""
    import numpy as np
    from PIL import Image

    from vidcorr.train.data import PairDataset, Video

    ramp = np.repeat(np.linspace(0, 255, 64).astype(np.uint8)[:, None, None], 128, axis=1).repeat(3, axis=2)
    frames = []
    for t in range(4):
        frames.append(tmp_path / f"{t}.png")
        Image.fromarray(ramp).save(frames[-1])
    spans = {}
    for scale in (1.0, 2.0):
        data = PairDataset([Video("d", "ramp", frames)], crop=32, max_gap=1, length=20, seed=0, flip=False,
                           crop_scale=(scale, scale))
        lightness = [data[i]["query"][0] for i in range(20)]
        spans[scale] = np.mean([float(x[-1].mean() - x[0].mean()) for x in lightness])
    assert spans[1.0] > 0 and 0.4 < spans[2.0] / spans[1.0] < 0.6  # top-to-bottom lightness: half the ramp
    assert TrainConfig.from_dict({"crop_scale": [2.5, 2.5]}).crop_scale == (2.5, 2.5)
    with pytest.raises(ValueError, match="lo <= hi"):
        TrainConfig.from_dict({"crop_scale": [2.0, 1.5]})
    with pytest.raises(ValueError, match="resize: crop only"):
        TrainConfig.from_dict({"resize": "whole", "crop_scale": [2.0, 2.0]})


def test_first_recipe_switches_train_and_load(tmp_path, synthetic_root):
    """layer4 false, drop lab, recon feature: the pipeline's first recipe, kept to measure MAST's
    choices one at a time; the checkpoint records the shallower encoder."""
    from vidcorr.model import load_encoder

    g = torch.Generator().manual_seed(0)
    assert {int(c) for _ in range(50) for c in pick_channels(4, g, "lab")} == {0, 1, 2}
    cfg = TrainConfig.from_dict({**TINY, "epochs": 1, "layer4": False, "drop": "lab", "recon": "feature"})
    train(cfg, _index(tmp_path, synthetic_root), tmp_path / "run", device="cpu")
    enc = load_encoder(tmp_path / "run/final.pt")
    assert not any(k.startswith("layer4.") for k in enc.state_dict())
    assert enc(torch.zeros(1, 3, 32, 32)).shape == (1, 256, 8, 8)
    rows = _log(tmp_path / "run/log.csv")
    full = TrainConfig.from_dict({**TINY, "epochs": 1})
    train(full, _index(tmp_path, synthetic_root), tmp_path / "full", device="cpu")
    # unscaled smooth L1 at 1/4 sits in its quadratic regime, far below the x 20 loss
    assert rows[0]["reconstruction"] < 0.1 * _log(tmp_path / "full/log.csv")[0]["reconstruction"]
    with pytest.raises(ValueError, match="training setting recon: .crop. is not one of"):
        TrainConfig.from_dict({"recon": "crop"})


def test_resume_and_rerun_refuse_other_data(tmp_path, synthetic_root):
    """A finished or half-done --out is reused only for the data it was trained on, and names both."""
    import json

    cfg = TrainConfig.from_dict({**TINY, "epochs": 1})
    data = _index(tmp_path, synthetic_root)
    other = tmp_path / "other.json"
    seqs = json.loads(data[0].read_text())
    other.write_text(json.dumps({**seqs, "options": {"sequences": ["synth00"]}}))
    train(cfg, data, tmp_path / "done", device="cpu")
    before = (tmp_path / "done/final.pt").read_bytes()
    with pytest.raises(ValueError, match=r"was trained on data: \['.*index.json'\], but this run asks for "
                                         r"data: \['.*other.json'\]"):
        train(cfg, [other], tmp_path / "done", device="cpu")
    assert (tmp_path / "done/final.pt").read_bytes() == before
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(tmp_path / "done/epoch_001.pt", half / "last.pt")
    with pytest.raises(ValueError, match="delete .*half to start over"):
        train(TrainConfig.from_dict({**TINY, "epochs": 1}), [other], half, device="cpu")
    assert not (half / "final.pt").exists()
    train(cfg, data, tmp_path / "done", device="cpu")  # the same inputs: nothing to do, same weights
    assert torch.equal(torch.load(tmp_path / "done/final.pt", weights_only=True)["encoder"]["conv1.weight"],
                       torch.load(half / "last.pt", weights_only=True)["encoder"]["conv1.weight"])


def test_mast_pair_list_cuts_each_video_into_consecutive_pairs_at_one_gap_per_pass(tmp_path):
    """pairs: mast. Per pass each video gets one gap and its frames 0, g, 2g, ... are cut into
    consecutive pairs, so longer videos and small gaps give more pairs: per pair the gaps come out
    near MAST's effective 65.6 / 26.2 / 8.2 % (0.4/4 : 0.4/10 : 0.2/16 of a long video)."""
    import numpy as np

    from vidcorr.train.data import PairDataset, Video

    long, short = Video("d", "long", [tmp_path / f"{t}.png" for t in range(400)]), Video("d", "short", [tmp_path / "x.png"] * 40)
    data = PairDataset([long, short], crop=32, max_gap=8, length=20000, seed=0, gaps=(2, 5, 8), gap_probs=(0.4, 0.4, 0.2),
                       resize="whole", pairs="mast")
    pairs = data._mast_pairs()[:20000]
    by_video = {v: [(t, g) for vv, t, g in pairs if vv == v] for v in (0, 1)}
    assert 6 < len(by_video[0]) / len(by_video[1]) < 14  # 10x the frames, about 10x the pairs
    for v, video in enumerate((long, short)):
        assert all(t % (2 * g) == 0 and t + g < len(video.frames) for t, g in by_video[v])
    gaps = np.array([g for v, _, g in pairs if v == 0])
    shares = [(gaps == g).mean() for g in (2, 5, 8)]
    assert abs(shares[0] - 0.656) < 0.04 and abs(shares[1] - 0.262) < 0.04 and abs(shares[2] - 0.082) < 0.03
    data.set_epoch(1)
    assert data._mast_pairs()[:50] != pairs[:50]  # a new list each epoch
    # shuffled as MAST's loader shuffles it: a batch of 8 mixes the videos, in every pass
    many = [Video("d", f"v{i}", [tmp_path / "x.png"] * 60) for i in range(12)]
    data = PairDataset(many, crop=32, max_gap=8, length=4000, seed=0, gaps=(2, 5, 8), gap_probs=(0.4, 0.4, 0.2),
                       resize="whole", pairs="mast")
    listed = data._mast_pairs()[:4000]
    batches = [listed[s:s + 8] for s in range(0, len(listed) - 7, 8)]
    assert np.mean([len({v for v, _, _ in b}) for b in batches]) > 5  # of at most 8; unshuffled it was 1-2


def test_pair_mix_reports_how_masts_list_shifts_the_data_towards_long_videos(tmp_path):
    """benchmarks/pair_mix.py draws through PairDataset.pick: per-sample pairs give each video an
    equal share; MAST's list gives each video a share by its length."""
    import importlib.util

    from vidcorr.train.data import PairDataset, Video

    spec = importlib.util.spec_from_file_location("pair_mix", REPO / "benchmarks/pair_mix.py")
    pair_mix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pair_mix)
    videos = ([Video("clips", f"c{i}", [tmp_path / "x.png"] * 300) for i in range(2)]
              + [Video("seqs", f"s{i}", [tmp_path / "x.png"] * 50) for i in range(4)])
    shares = {}
    for pairs in ("sample", "mast"):
        data = PairDataset(videos, crop=32, max_gap=8, length=800, seed=0, gaps=(2, 5, 8),
                           gap_probs=(0.4, 0.4, 0.2), pairs=pairs)
        shares[pairs] = pair_mix.mix(data, epochs=3, batch=8)
        assert abs(sum(shares[pairs]["datasets"].values()) - 1) < 1e-9
        assert abs(sum(shares[pairs]["gaps"].values()) - 1) < 1e-9
    assert abs(shares["sample"]["datasets"]["seqs"] - 4 / 6) < 0.05  # 4 of 6 videos
    assert abs(shares["mast"]["datasets"]["seqs"] - 200 / 800) < 0.05  # 200 of 800 frames
    assert shares["mast"]["gaps"][2] > shares["sample"]["gaps"][2] + 0.15  # small gaps cut more pairs


def test_mast_input_switches_flip_values_and_lab_scale(tmp_path, synthetic_root):
    """flip false never mirrors; ab_scale divides a and b and travels with the checkpoint to
    inference; values subsample takes each cell's top-left pixel (MAST's [::4, ::4])."""
    import numpy as np

    from vidcorr.colour import lab_tensor
    from vidcorr.inference.features import NetworkFeatures
    from vidcorr.model import load_encoder
    from vidcorr.train.data import PairDataset, Video

    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 200
    a110, a127 = lab_tensor(rgb)[1], lab_tensor(rgb, 127.0)[1]
    torch.testing.assert_close(a110 * 110 / 127, a127)
    frames = sorted((synthetic_root / "JPEGImages/480p").iterdir())[0]
    video = Video("d", "v", sorted(frames.iterdir()))
    plain = PairDataset([video], crop=32, max_gap=2, length=40, seed=0, resize="whole")
    flat = PairDataset([video], crop=32, max_gap=2, length=40, seed=0, resize="whole", flip=False)
    flipped = sum(not torch.equal(plain[i]["query"], flat[i]["query"]) for i in range(40))
    assert 5 < flipped < 35  # about half mirrored with flips on, none without
    assert all(torch.equal(flat[i]["query"], flat[i]["query"]) for i in range(3))
    cfg = TrainConfig.from_dict({**TINY, "epochs": 1, "ab_scale": 127.0, "values": "subsample", "flip": False})
    train(cfg, _index(tmp_path, synthetic_root), tmp_path / "run", device="cpu")
    assert load_encoder(tmp_path / "run/final.pt").ab_scale == 127.0
    feats = NetworkFeatures(load_encoder(tmp_path / "run/final.pt"), torch.device("cpu"))
    assert feats.encoder.ab_scale == 127.0
    other = TrainConfig.from_dict({**TINY, "epochs": 1, "stage": "inter", "bank_frames": 2})
    with pytest.raises(ValueError, match="divided by 127.*give the stage ab_scale: 127"):
        train(other, _index(tmp_path, synthetic_root), tmp_path / "inter", init=tmp_path / "run/final.pt", device="cpu")


def test_mast_head_and_zero_position_encoding():
    """head mast: MAST's 3x3 post-convolution 256 -> 64 with bias; position_init zeros: the LIIR
    port's pos_embed1, so the untrained encoding changes nothing."""
    from vidcorr.model import build_encoder, encoder_config

    enc = ResNet18Stride4(head="mast", position="1dape", position_size=(8, 8), position_init="zeros").eval()
    assert enc.head.weight.shape == (64, 256, 3, 3) and enc.head.bias is not None
    plain = ResNet18Stride4(head="mast", position="none").eval()
    plain.load_state_dict({k: v for k, v in enc.state_dict().items() if not k.startswith("position.")})
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert enc(x).shape == (1, 64, 8, 8)
        torch.testing.assert_close(enc(x), plain(x))
    assert build_encoder(encoder_config(enc)).head.weight.shape == (64, 256, 3, 3)
    with pytest.raises(ValueError, match="encoder head must be one of none, mast"):
        ResNet18Stride4(head="post")
