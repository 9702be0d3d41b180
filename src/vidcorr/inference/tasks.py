"""Run the propagation engine over a whole dataset and write what the official tools read.

- object masks (DAVIS, YouTube-VOS) and part masks (VIP): indexed PNGs with the DAVIS palette,
  <out>/<seq>/<frame>.png, frame 0 included (it is the given annotation);
- VIP part instances, where the dataset has them: <out>/<seq>/instances/<frame>.png and a .txt
  with a line `id category score` per instance, propagated in the same pass as the parts; the
  score is the mean propagated probability of the instance over the pixels it wins;
- keypoints (JHMDB): <out>/<seq>/keypoints.npy (T, J, 2) and keypoints.csv (frame, joint, x, y).
Each sequence folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import atomic_dir, atomic_file, write_json
from ..datasets.base import DatasetReader, Sequence
from ..datasets.masks import without_void, write_label
from ..datasets.vip import read_instances, write_instances
from ..model.encoder import STRIDE
from ..provenance import record, sha256_file
from .labels import decode_ids, decode_keypoints, heatmaps, one_hot
from .propagator import Propagator
from .track import propagate_ids


def _class_count(seq: Sequence, num_classes: int | None) -> int:
    if num_classes is not None:
        return num_classes
    ids = [0, *seq.first_frame] if seq.first_frame else [0]
    return max(ids) + 1


def propagate_masks(seq: Sequence, propagator: Propagator, out_dir: Path, num_classes: int | None = None) -> None:
    """Propagate frame-0 ids (and any later-given objects) through `seq`; write one PNG per frame."""
    c = _class_count(seq, num_classes)
    first_ids = without_void(seq.read_label(0))
    given = {}
    for t in sorted({t for t in seq.first_frame.values() if t > 0}):
        new_objects = [o for o, first in seq.first_frame.items() if first == t]
        ids = seq.read_label(t)
        given[t] = one_hot(np.where(np.isin(ids, new_objects), ids, 0), c)
    with atomic_dir(out_dir) as tmp:
        write_label(tmp / f"{seq.frames[0].stem}.png", first_ids)
        for t, ids in propagate_ids(propagator, len(seq), seq.read_frame, first_ids, c, given=given):
            write_label(tmp / f"{seq.frames[t].stem}.png", ids)


def propagate_parts(seq: Sequence, propagator: Propagator, out_dir: Path, num_classes: int) -> None:
    """VIP: part classes, and each part instance of frame 0 as a channel of its own, in one pass."""
    if 0 not in seq.instances:
        propagate_masks(seq, propagator, out_dir, num_classes)
        return
    parts = seq.read_label(0)
    inst, table = read_instances(seq.instances[0])
    if inst.shape != parts.shape:
        raise ValueError(f"sequence {seq.name}: {seq.instances[0]} is {inst.shape[1]}x{inst.shape[0]}, "
                         f"its part label {parts.shape[1]}x{parts.shape[0]}")
    ids = np.array([0, *sorted(table)])  # channel k of the instance block holds instance ids[k]
    compact = np.searchsorted(ids, inst)
    first = torch.cat([one_hot(parts, num_classes), one_hot(compact, len(ids))])
    with atomic_dir(out_dir) as tmp:
        write_label(tmp / f"{seq.frames[0].stem}.png", parts)
        write_instances(tmp / "instances" / f"{seq.frames[0].stem}.png", inst,
                        {int(i): (table[i][0], 1.0) for i in np.unique(inst) if i})
        for t, probs in propagator.run(len(seq), seq.read_frame, first):
            write_label(tmp / f"{seq.frames[t].stem}.png", decode_ids(probs[:num_classes]))
            inst_probs = probs[num_classes:]
            win = inst_probs.argmax(0)
            scores = {int(ids[k]): (table[int(ids[k])][0], float(inst_probs[k][win == k].mean()))
                      for k in torch.unique(win).tolist() if k}
            write_instances(tmp / "instances" / f"{seq.frames[t].stem}.png",
                            ids[win.cpu().numpy()].astype(np.uint8), scores)


def propagate_keypoints(seq: Sequence, propagator: Propagator, out_dir: Path, sigma: float) -> None:
    """Propagate frame-0 keypoints as Gaussian heatmaps; write the decoded (T, J, 2) track."""
    w, h = seq.frame_size(0)
    xy0 = seq.keypoints[0]
    stride = getattr(propagator.features, "stride", STRIDE) / propagator.cfg.input_scale  # input pixels per feature cell
    first = heatmaps(xy0, (h, w), sigma * stride)
    first_low = heatmaps(xy0, propagator.low_size(h, w), sigma, stride=stride)
    track = np.full((len(seq), xy0.shape[0], 2), np.nan)
    track[0] = xy0
    for t, maps in propagator.run(len(seq), seq.read_frame, first, first_low=first_low, categorical=False):
        track[t] = decode_keypoints(maps)
    with atomic_dir(out_dir) as tmp:
        np.save(tmp / "keypoints.npy", track)
        with open(tmp / "keypoints.csv", "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["frame", "joint", "x", "y"])
            for t in range(len(seq)):
                for j, (x, y) in enumerate(track[t]):
                    wr.writerow([seq.frames[t].stem, j, repr(float(x)), repr(float(y))])


def propagate_dataset(reader: DatasetReader, propagator: Propagator, out: str | os.PathLike) -> list[str]:
    """Propagate every sequence of `reader` into `out`, as its labels are (masks, parts or keypoints)."""
    out = Path(out)
    kind = reader.label_kind
    if kind is None:
        raise ValueError(f"{reader.kind} dataset {reader.root} has no labels to propagate")
    names = reader.names()
    for name in tqdm(names, desc=f"propagate {kind}", unit="seq"):
        seq = reader.sequence(name)
        if kind == "keypoints":
            propagate_keypoints(seq, propagator, out / name, propagator.cfg.keypoint_sigma)
        elif kind == "parts":
            propagate_parts(seq, propagator, out / name, reader.num_classes)
        else:
            propagate_masks(seq, propagator, out / name, reader.num_classes)
    return names


def write_propagation_provenance(out: str | os.PathLike, reader: DatasetReader, index: str | os.PathLike,
                                 checkpoint: str, propagator: Propagator, names: list[str]) -> None:
    """<out>/provenance.json: the settings, the dataset index, the checkpoint and its hash, and what
    ran (Propagator.ran: the device, the encoder's autocast dtype, the windowed matmul's dtype and
    tile side, which `precision: auto` picks by machine)."""
    cfg = propagator.cfg
    write_json(Path(out) / "provenance.json", record(
        config=cfg.to_dict(), inputs=[str(reader.root), str(index)], index=str(index), labels=reader.label_kind,
        checkpoint=checkpoint, checkpoint_sha256=sha256_file(checkpoint) if os.path.isfile(checkpoint) else None,
        propagation=cfg.to_dict(), sequences=names, ran=propagator.ran(),
    ))


def zip_submission(results: str | os.PathLike, zip_path: str | os.PathLike) -> None:
    """YouTube-VOS submission: Annotations/<video>/<frame>.png in one zip."""
    results = Path(results)
    with atomic_file(zip_path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for png in sorted(results.glob("*/*.png")):
            z.write(png, f"Annotations/{png.parent.name}/{png.name}")
