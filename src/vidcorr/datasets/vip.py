"""VIP (Video Instance-level Parsing) layout: Images/<vid>, Category_ids/<vid>, lists/<split>_id.txt.

Category_ids PNGs hold 20 classes (0 = background plus 19 human parts). A list line is either a
video name or <video>/<frame>; the reader keeps the distinct videos in file order.
"""

from __future__ import annotations

import os

from .base import DatasetLayoutError, DatasetReader, Sequence, labels_by_frame, sorted_images

NUM_CLASSES = 20


class VIPReader(DatasetReader):
    kind = "VIP"

    def __init__(self, root: str | os.PathLike, split: str = "val"):
        super().__init__(root)
        self.images = self._require(self.root / "Images", "frame folder", "Expected <root>/Images/<video>/<frame>.jpg")
        self.labels = self._require(self.root / "Category_ids", "part label folder", "Expected <root>/Category_ids/<video>/<frame>.png")
        split_file = self._require(self.root / "lists" / f"{split}_id.txt", "split list")
        names: dict[str, None] = {}
        for line in split_file.read_text().splitlines():
            if line.strip():
                names.setdefault(line.strip().split("/")[0], None)
        self._names = list(names)
        for name in self._names:
            self._require(self.images / name, f"frames of video {name} listed in {split_file.name}")

    def sequence(self, name: str) -> Sequence:
        frames = sorted_images(self.images / name)
        if not frames:
            raise DatasetLayoutError(self.kind, self.images / name, "video has no frames")
        labels = labels_by_frame(self.kind, name, frames, self._require(self.labels / name, f"part labels of video {name}"))
        if 0 not in labels:
            raise DatasetLayoutError(self.kind, self.labels / name / f"{frames[0].stem}.png", "first-frame part label missing")
        return Sequence(name, frames, labels)
