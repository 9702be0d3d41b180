"""Write the synthetic benchmark to disk in the layouts the real benchmarks use.

<root>/JPEGImages/480p, Annotations/480p, ImageSets/2017/val.txt   DAVIS (instance masks)
<root>/VIP/Images, VIP/Category_ids, VIP/lists/val_id.txt           VIP (part classes)
<root>/VIP/Instance_ids (<t>.png + <t>.txt)                         VIP (part instances: id = part + 20 * (object - 1))
<root>/JHMDB/Rename_Images, joint_positions, splits                 JHMDB (keypoint tracks)
<root>/Flow/<seq>/<t>.flo                                           exact forward flow, gap 1
<root>/Scenes/<seq>.json                                            the scene: flow for any gap
<root>/meta.json                                                    settings and provenance
Frames exist once: the VIP and JHMDB folders hard-link the DAVIS JPEGs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import scipy.io
from tqdm import tqdm

from ..atomic import atomic_dir, write_json
from ..datasets.masks import write_label
from ..datasets.vip import write_instances
from ..flo import write_flo
from ..provenance import record
from .render import forward_flow, render_frame
from .scene import NUM_KEYPOINTS, sample_scene

JHMDB_ACTION = "synthetic"


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _write_instances(png: Path, parts: np.ndarray, objects: np.ndarray) -> None:
    """VIP part instances: one id per (part, object) and the `id category person` table beside it."""
    ids = np.where(parts > 0, parts.astype(np.int64) + 20 * (objects.astype(np.int64) - 1), 0)
    write_instances(png, ids.astype(np.uint8),
                    {int(i): (int(parts[ids == i][0]), int(objects[ids == i][0])) for i in np.unique(ids) if i})


def _write_sequence(root: Path, scene, jpeg_quality: int) -> None:
    name = scene.name
    jpg_dir = root / "JPEGImages" / "480p" / name
    jpg_dir.mkdir(parents=True)
    kps, vis = [], []
    for t in range(scene.num_frames):
        frame = render_frame(scene, t)
        jpg = jpg_dir / f"{t:05d}.jpg"
        cv2.imwrite(str(jpg), cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        write_label(root / "Annotations" / "480p" / name / f"{t:05d}.png", frame.instances)
        _link(jpg, root / "VIP" / "Images" / name / jpg.name)
        write_label(root / "VIP" / "Category_ids" / name / f"{t:05d}.png", frame.parts)
        _write_instances(root / "VIP" / "Instance_ids" / name / f"{t:05d}.png", frame.parts, frame.instances)
        _link(jpg, root / "JHMDB" / "Rename_Images" / JHMDB_ACTION / name / f"{t + 1:05d}.jpg")
        kps.append(frame.keypoints)
        vis.append(frame.visible)
        if t + 1 < scene.num_frames:
            flow_dir = root / "Flow" / name
            flow_dir.mkdir(parents=True, exist_ok=True)
            write_flo(flow_dir / f"{t:05d}.flo", forward_flow(scene, t, 1, top=frame.layers))
    joints = root / "JHMDB" / "joint_positions" / JHMDB_ACTION / name
    joints.mkdir(parents=True)
    scipy.io.savemat(joints / "joint_positions.mat", {
        "pos_img": np.stack(kps, axis=2).transpose(1, 0, 2) + 1.0,  # 2 x joints x frames, 1-based like JHMDB
        "visible": np.stack(vis, axis=1).astype(np.uint8),
    })
    (root / "Scenes").mkdir(exist_ok=True)
    (root / "Scenes" / f"{name}.json").write_text(scene.to_json())


def generate_benchmark(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    num_sequences: int = 4,
    num_frames: int = 24,
    width: int = 320,
    height: int = 240,
    num_objects: int = 3,
    jpeg_quality: int = 95,
) -> list[str]:
    """Generate the benchmark into `out` (replacing it only once complete); returns sequence names."""
    settings = dict(seed=seed, num_sequences=num_sequences, num_frames=num_frames, width=width,
                    height=height, num_objects=num_objects, jpeg_quality=jpeg_quality)
    names = [f"synth{i:02d}" for i in range(num_sequences)]
    with atomic_dir(out) as root:
        for i, name in enumerate(tqdm(names, desc="synthetic benchmark", unit="seq")):
            scene = sample_scene(seed * 1000 + i, name, width, height, num_frames, num_objects)
            _write_sequence(root, scene, jpeg_quality)
        listing = "".join(f"{n}\n" for n in names)
        for path in (root / "ImageSets" / "2017" / "val.txt", root / "VIP" / "lists" / "val_id.txt"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(listing)
        splits = root / "JHMDB" / "splits"
        splits.mkdir(parents=True)
        (splits / f"{JHMDB_ACTION}_test_split1.txt").write_text("".join(f"{n}.avi 2\n" for n in names))
        write_json(root / "meta.json", {
            "settings": settings,
            "sequences": names,
            "num_keypoints": NUM_KEYPOINTS,
            "provenance": record(config=settings, seed=seed),
        })
    return names
