"""DAVIS 2016/2017 layout: JPEGImages/<res>/<seq>, Annotations/<res>/<seq>, ImageSets/<year>/<split>.txt."""

from __future__ import annotations

import os
from pathlib import Path


from .base import DatasetLayoutError, DatasetReader, Sequence, labels_by_frame, sorted_images
from .masks import VOID, objects_in, read_label
from .types import SCORER


class DavisReader(DatasetReader):
    kind = "DAVIS"
    label_kind = "masks"
    scorer = SCORER["davis"]

    def __init__(self, root: str | os.PathLike, split: str = "val", year: str | int = 2017, resolution: str = "480p",
                 require_frames: bool = True):
        """require_frames=False serves evaluation, which needs only annotations and the split list;
        a sequence's frames are then the annotations' names under JPEGImages, whether there or not."""
        super().__init__(root)
        self.require_frames = require_frames
        self.images = self.root / "JPEGImages" / resolution
        if require_frames:
            self._require(self.images, "frame folder", "Expected <root>/JPEGImages/480p/<seq>/00000.jpg")
        self.annotations = self._require(self.root / "Annotations" / resolution, "annotation folder", "Expected <root>/Annotations/480p/<seq>/00000.png")
        split_file = self._require(self.root / "ImageSets" / str(year) / f"{split}.txt", "split list", "Check the year and split settings")
        self._names = self._require_names([line.strip() for line in split_file.read_text().splitlines() if line.strip()],
                                          split_file)
        for name in self._names:
            if require_frames:
                self._require(self.images / name, f"frames of sequence {name} listed in {split_file.name}")
            self._require(self.annotations / name, f"annotations of sequence {name} listed in {split_file.name}")

    def label_paths(self, name: str) -> list[Path]:
        return sorted((self.annotations / name).glob("*.png"))

    def sequence(self, name: str) -> Sequence:
        if self.require_frames:
            frames = sorted_images(self.images / name, (".jpg", ".jpeg"))
        else:
            frames = [self.images / name / f"{p.stem}.jpg" for p in self.label_paths(name)]
        if not frames:
            raise DatasetLayoutError(self.kind, self.images / name, "sequence has no JPEG frames")
        label_dir = self._require(self.annotations / name, f"annotations of sequence {name}")
        labels = labels_by_frame(self.kind, name, frames, label_dir)
        if 0 not in labels:
            raise DatasetLayoutError(self.kind, label_dir / f"{frames[0].stem}.png", "first-frame annotation missing")
        objects = objects_in(read_label(labels[0]))
        if not objects:
            raise DatasetLayoutError(self.kind, labels[0], "the first-frame annotation holds no object (only background "
                                     f"or void {VOID}): nothing to propagate or score",
                                     "fix the mask, or leave the sequence out of the list")
        return Sequence(name, frames, labels, first_frame={i: 0 for i in objects})
