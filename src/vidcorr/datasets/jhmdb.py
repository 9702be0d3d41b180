"""JHMDB layout: Rename_Images/<action>/<video>, joint_positions/<action>/<video>/joint_positions.mat,
splits/<action>_test_split<n>.txt (lines "<video>.avi 1|2", 2 = test).

Keypoints come from pos_img (2 x 15 x T, MATLAB 1-based pixels) and are returned as (T, 15, 2)
0-based x/y pixel coordinates (pos_img - 1, as the standard propagation evaluation reads them).
"""

from __future__ import annotations

import os

import numpy as np
import scipy.io

from .base import DatasetLayoutError, DatasetReader, Sequence, sorted_images
from .types import SCORER

NUM_JOINTS = 15


class JHMDBReader(DatasetReader):
    kind = "JHMDB"
    label_kind = "keypoints"
    scorer = SCORER["jhmdb"]

    def __init__(self, root: str | os.PathLike, split: int = 1, subset: str = "test"):
        super().__init__(root)
        self.images = self._require(self.root / "Rename_Images", "frame folder", "Expected <root>/Rename_Images/<action>/<video>/00001.png")
        self.joints = self._require(self.root / "joint_positions", "joint folder", "Expected <root>/joint_positions/<action>/<video>/joint_positions.mat")
        split_dir = self._require(self.root / "splits", "split folder", "Expected <root>/splits/<action>_test_split1.txt")
        files = sorted(split_dir.glob(f"*_test_split{split}.txt"))
        if not files:
            raise DatasetLayoutError(self.kind, split_dir, f"no *_test_split{split}.txt files")
        want = {"train": "1", "test": "2"}[subset]
        for f in files:
            action = f.name[: -len(f"_test_split{split}.txt")]
            for n, line in enumerate(f.read_text().splitlines(), start=1):
                parts = line.split()
                if parts and (len(parts) != 2 or parts[1] not in ("1", "2")):
                    raise DatasetLayoutError(self.kind, f, f"line {n} is {line!r}, not '<video>.avi 1|2' "
                                             "(1: train, 2: test)", "fix the line or remove it")
                if len(parts) == 2 and parts[1] == want:
                    self._names.append(f"{action}/{os.path.splitext(parts[0])[0]}")
        self._require_names(self._names, split_dir / f"*_test_split{split}.txt ({subset} videos)")

    def sequence(self, name: str) -> Sequence:
        folder = self._require(self.images / name, f"frames of video {name}")
        frames = sorted_images(folder)
        mat_path = self._require(self.joints / name / "joint_positions.mat", f"joints of video {name}")
        try:
            pos = np.asarray(scipy.io.loadmat(mat_path)["pos_img"], dtype=np.float64)
        except (KeyError, ValueError, OSError) as e:
            raise DatasetLayoutError(self.kind, mat_path, f"no readable pos_img array ({e})") from e
        if pos.ndim != 3 or pos.shape[0] != 2:
            raise DatasetLayoutError(self.kind, mat_path, f"pos_img has shape {pos.shape}, expected 2 x joints x frames")
        if pos.shape[2] != len(frames):
            raise DatasetLayoutError(
                self.kind, mat_path, f"pos_img covers {pos.shape[2]} frames but {folder} holds {len(frames)}"
            )
        keypoints = pos.transpose(2, 1, 0) - 1.0
        bad = np.argwhere(~np.isfinite(keypoints).all(axis=2))
        if bad.size:
            t, j = bad[0]
            raise DatasetLayoutError(self.kind, mat_path, f"pos_img holds NaN or infinity ({len(bad)} joint(s); first: "
                                     f"frame {t}, joint {j}); PCK is defined on finite joints",
                                     "fix the annotation or leave the sequence out of the split")
        flat = np.flatnonzero((keypoints.max(axis=1) - keypoints.min(axis=1) == 0).all(axis=1))
        if flat.size:
            raise DatasetLayoutError(self.kind, mat_path, f"frame {flat[0]}: every joint is at one point, so the "
                                     "person's size (PCK's normaliser, 0.6 x the joints' box diagonal) is 0",
                                     "fix the annotation or leave the sequence out of the split")
        return Sequence(name, frames, keypoints=keypoints)
