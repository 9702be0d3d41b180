"""Dataset readers: the real DAVIS-2016 train20 folder, and tiny fixture folders for every layout."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from PIL import Image

from helpers import shared
from helpers.layouts import make_davis, make_jhmdb, make_vip, make_ytvos, two_objects
from vidcorr.datasets import DatasetLayoutError, open_dataset
from vidcorr.datasets.masks import davis_palette, read_label, write_label

DAVIS_TRAIN20 = ("bear bmx-bumps boat breakdance-flare dance-jump dog-agility drift-turn hockey kite-walk "
                 "mallard-fly motocross-bumps motorbike paragliding rollerblade scooter-gray soccerball "
                 "stroller surf swing tennis").split()


def test_davis_train20_loads_all_sequences_with_one_mask_per_frame():
    reader = open_dataset("davis", shared("davis2016-train20"), split="train", year=2016)
    assert reader.names() == DAVIS_TRAIN20
    for seq in reader:
        assert len(seq) > 0
        assert sorted(seq.labels) == list(range(len(seq))), seq.name
        assert [p.stem for p in seq.labels.values()] == [f.stem for f in seq.frames]
        assert seq.first_frame == {1: 0}
        for i in (0, len(seq) // 2, len(seq) - 1):
            ids = seq.read_label(i)
            assert ids.shape == seq.read_frame(i).shape[:2] == (480, 854)
            assert set(np.unique(ids)) <= {0, 1}
    assert open_dataset("davis", shared("davis2016-train20"), split="train", year=2017).names() == DAVIS_TRAIN20


@pytest.mark.parametrize("mode", ["P", "L255", "LA", "RGB"])
def test_mask_encodings_read_as_ids(tmp_path, mode):
    ids = two_objects()
    if mode == "P":
        write_label(tmp_path / "m.png", ids)
        img = Image.open(tmp_path / "m.png")
        expect = ids
    elif mode == "L255":
        img = Image.fromarray(((ids > 0) * 255).astype(np.uint8), "L")
        expect = (ids > 0).astype(np.uint8)
    elif mode == "LA":
        img = Image.fromarray(np.stack([(ids > 0) * 255, np.full_like(ids, 255)], -1).astype(np.uint8), "LA")
        expect = (ids > 0).astype(np.uint8)
    else:
        img = Image.fromarray(davis_palette()[ids], "RGB")
        expect = ids
    seq = open_dataset("davis", make_davis(tmp_path / "d", [img, img])).sequence("seq")
    np.testing.assert_array_equal(seq.read_label(1), expect)
    assert seq.first_frame == {int(i): 0 for i in np.unique(expect) if i}


def test_rgb_mask_with_unknown_colour_is_refused(tmp_path):
    rgb = np.zeros((12, 16, 3), np.uint8)
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(tmp_path / "m.png")
    with pytest.raises(ValueError, match="not in the DAVIS palette"):
        read_label(tmp_path / "m.png")


def test_mask_frame_size_mismatch_names_both_files(tmp_path):
    ids = np.zeros((6, 8), np.uint8)
    ids[2:4, 2:5] = 1  # one object: a first mask with none is refused (docs/bad-input.md)
    small = Image.fromarray(ids, "L")
    seq = open_dataset("davis", make_davis(tmp_path / "d", [small])).sequence("seq")
    with pytest.raises(ValueError, match=r"00000\.png is 8x6 but frame .*00000\.jpg is 16x12"):
        seq.read_label(0)


def test_davis_layout_errors_name_the_missing_path(tmp_path):
    root = make_davis(tmp_path / "d", [Image.fromarray(two_objects(), "L")])
    with pytest.raises(DatasetLayoutError, match=r"ImageSets/2016/val\.txt: missing split list"):
        open_dataset("davis", root, year=2016)
    with pytest.raises(DatasetLayoutError, match="root folder does not exist"):
        open_dataset("davis", tmp_path / "nowhere")
    (root / "Annotations/480p/seq/00007.png").write_bytes((root / "Annotations/480p/seq/00000.png").read_bytes())
    with pytest.raises(DatasetLayoutError, match=r"00007\.png: label has no matching frame"):
        open_dataset("davis", root).sequence("seq")


def test_youtube_vos_objects_that_enter_late(tmp_path):
    root = make_ytvos(tmp_path / "ytvos")
    seq = open_dataset("ytvos", root, split="valid").sequence("vid1")
    assert seq.first_frame == {1: 0, 2: 2}
    assert sorted(seq.labels) == [0, 2]
    assert seq.read_label(2).max() == 2
    (root / "valid/meta.json").write_text("{}")
    with pytest.raises(DatasetLayoutError, match="meta.json: not a YouTube-VOS meta file"):
        open_dataset("ytvos", root, split="valid")


def test_vip_reads_part_classes_and_the_val_list(tmp_path):
    root, parts = make_vip(tmp_path / "VIP")
    reader = open_dataset("vip", root, split="val")
    assert reader.names() == ["videos2", "videos1"]
    np.testing.assert_array_equal(reader.sequence("videos1").read_label(2), parts)
    with pytest.raises(DatasetLayoutError, match=r"lists/train_id\.txt: missing split list"):
        open_dataset("vip", root, split="train")


def test_vip_part_instances_under_annotations_as_in_vip_fine(tmp_path):
    """VIP_Fine keeps Category_ids and Instance_ids under Annotations/; instance tables must list every id."""
    import shutil

    from vidcorr.datasets.vip import read_instances

    root, parts = make_vip(tmp_path / "VIP")
    (root / "Annotations").mkdir()
    shutil.move(root / "Category_ids", root / "Annotations" / "Category_ids")
    assert open_dataset("vip", root).sequence("videos1").instances == {}
    ids = np.zeros_like(parts)
    ids[:4, :4], ids[6:, 6:] = 3, 23
    for name in ("videos1", "videos2"):
        png = root / "Annotations/Instance_ids" / name / f"{0:012d}.png"
        write_label(png, ids)
        png.with_suffix(".txt").write_text("3 3 1\n23 3 2\n")
    seq = open_dataset("vip", root).sequence("videos1")
    np.testing.assert_array_equal(seq.read_label(1), parts)
    got, table = read_instances(seq.instances[0])
    np.testing.assert_array_equal(got, ids)
    assert table == {3: (3, 1), 23: (3, 2)}
    png.with_suffix(".txt").write_text("3 3 1\n")
    with pytest.raises(DatasetLayoutError, match=r"instance ids \[23\] are not listed"):
        read_instances(png)
    png.with_suffix(".txt").write_text("3 three 1\n")
    with pytest.raises(DatasetLayoutError, match="line 1 is '3 three 1', not 'id category person'"):
        read_instances(png)


def test_jhmdb_reads_joint_tracks_and_the_test_split(tmp_path):
    root, pos = make_jhmdb(tmp_path / "JHMDB")
    reader = open_dataset("jhmdb", root, split=1, subset="test")
    assert reader.names() == ["run/clip_b"]
    seq = reader.sequence("run/clip_b")
    assert seq.keypoints.shape == (4, 15, 2)
    np.testing.assert_allclose(seq.keypoints[2, 5], pos[:, 5, 2] - 1)  # 1-based in the file
    scipy.io.savemat(root / "joint_positions/run/clip_b/joint_positions.mat", {"pos_img": pos[:, :, :3]})
    with pytest.raises(DatasetLayoutError, match="pos_img covers 3 frames but .* holds 4"):
        reader.sequence("run/clip_b")


def test_sequences_and_exclude_hold_out_dev_sequences(tmp_path, synthetic_root):
    from vidcorr.metrics import evaluate_davis

    root = synthetic_root
    names = open_dataset("davis", root).names()
    assert len(names) >= 2
    assert open_dataset("davis", root, sequences=[names[1]]).names() == [names[1]]
    assert open_dataset("davis", root, exclude=[names[0]]).names() == names[1:]
    with pytest.raises(DatasetLayoutError, match=r"sequences \['nope'\] are not in the split"):
        open_dataset("davis", root, exclude=["nope"])
    with pytest.raises(DatasetLayoutError, match="no sequence left"):
        open_dataset("davis", root, exclude=names)
    # evaluation scores only the kept sequences: predictions of the others may be absent
    gt = root / "Annotations/480p" / names[1]
    pred = tmp_path / "pred" / names[1]
    pred.mkdir(parents=True)
    for png in gt.glob("*.png"):
        (pred / png.name).write_bytes(png.read_bytes())
    scores = evaluate_davis(open_dataset("davis", root, sequences=[names[1]]), tmp_path / "pred")
    assert [s.name for s in scores.sequences] == [names[1]] and scores.global_scores["J&F-Mean"] == 1.0


def test_the_dev_config_holds_out_five_train20_sequences():
    """workflow/configs/cpu_dev.yaml trains on 15 train20 sequences and scores the other 5."""
    import yaml

    from helpers import REPO

    root = shared("davis2016-train20")
    datasets = yaml.safe_load((REPO / "workflow/configs/cpu_dev.yaml").read_text())["datasets"]
    train = open_dataset("davis", root, **datasets["davis_train15"]["options"]).names()
    dev = open_dataset("davis", root, **datasets["davis_dev"]["options"]).names()
    assert len(train) == 15 and len(dev) == 5 and not set(train) & set(dev)
    assert sorted(train + dev) == DAVIS_TRAIN20


def test_youtube_vos_all_frames_reads_the_full_videos_with_the_sparse_annotations(tmp_path):
    """MAST's training frames: <split>_all_frames/JPEGImages, annotations still from <split>."""
    from helpers.layouts import frame

    root = make_ytvos(tmp_path / "ytvos", split="train")
    for i in range(16):
        frame(root / "train_all_frames/JPEGImages/vid1" / f"{i:05d}.jpg")
    seq = open_dataset("ytvos", root, split="train", all_frames=True).sequence("vid1")
    assert len(seq.frames) == 16 and seq.frames[0].parent.parent.parent.name == "train_all_frames"
    assert sorted(seq.labels) == [0, 10] and seq.first_frame == {1: 0, 2: 10}
    assert len(open_dataset("ytvos", root, split="train").sequence("vid1").frames) == 4
    with pytest.raises(DatasetLayoutError, match="valid_all_frames/JPEGImages"):
        open_dataset("ytvos", make_ytvos(tmp_path / "v"), split="valid", all_frames=True)


def test_an_empty_split_is_an_error_naming_its_list(tmp_path):
    """An empty list used to pass index, propagate and evaluate and write a global row of NaN."""
    import json

    davis = make_davis(tmp_path / "d")
    (davis / "ImageSets/2017/val.txt").write_text("\n")
    with pytest.raises(DatasetLayoutError, match=r"ImageSets/2017/val\.txt: lists no sequence"):
        open_dataset("davis", davis)
    vip, _ = make_vip(tmp_path / "v")
    (vip / "lists/val_id.txt").write_text("")
    with pytest.raises(DatasetLayoutError, match=r"lists/val_id\.txt: lists no sequence"):
        open_dataset("vip", vip)
    jhmdb, _ = make_jhmdb(tmp_path / "j")
    (jhmdb / "splits/run_test_split1.txt").write_text("clip_a.avi 1\n")  # no test (2) video left
    with pytest.raises(DatasetLayoutError, match=r"splits/\*_test_split1\.txt \(test videos\): lists no sequence"):
        open_dataset("jhmdb", jhmdb)
    ytvos = make_ytvos(tmp_path / "y")
    (ytvos / "valid/meta.json").write_text(json.dumps({"videos": {}}))
    with pytest.raises(DatasetLayoutError, match=r"valid/meta\.json: lists no sequence"):
        open_dataset("ytvos", ytvos)


def test_indexing_an_empty_split_fails_and_writes_nothing(tmp_path):
    from helpers import run

    davis = make_davis(tmp_path / "d")
    (davis / "ImageSets/2017/val.txt").write_text("")
    out = tmp_path / "index.json"
    proc = run(["vidcorr", "index", "--type", "davis", "--root", str(davis), "--options", '{"split": "val"}',
                "--out", str(out)], check=False)
    assert proc.returncode == 1 and "val.txt: lists no sequence" in proc.stderr and not out.exists()
