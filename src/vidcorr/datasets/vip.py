"""VIP (Video Instance-level Parsing) layout: Images/<vid>, Category_ids/<vid>, lists/<split>_id.txt,
and, where the release has them, Instance_ids/<vid>/<frame>.png + .txt (the label folders may sit
under Annotations/, as in VIP_Fine).

Category_ids PNGs hold 20 classes (0 = background plus 19 human parts). An Instance_ids PNG holds
one id per part of one person; its .txt has a line `id category person` for each id. A list line is
either a video name or <video>/<frame>; the reader keeps the distinct videos in file order.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import DatasetLayoutError, DatasetReader, Sequence, labels_by_frame, sorted_images
from .masks import read_label, write_label
from .types import SCORER

NUM_CLASSES = 20


def instance_table(txt: Path, third: type, header: str) -> dict[int, tuple[int, int | float]]:
    """Lines `id category <third>` of a part-instance table (the third column: the person in the
    ground truth, the score in a prediction) -> id -> (category, third); ValueError names the line.
    A category outside the parts (1 .. NUM_CLASSES - 1), a score that is not a finite number, or an
    id listed twice is an error: AP would drop or double count it without a word."""
    table = {}
    for n, line in enumerate(txt.read_text().splitlines(), start=1):
        if line.strip():
            try:
                iid, category, value = line.split()[:3]
                iid, category, value = int(iid), int(category), third(value)
            except ValueError:
                raise ValueError(f"line {n} is {line!r}, not '{header}'") from None
            if not 0 < category < NUM_CLASSES:
                raise ValueError(f"line {n} ({line.strip()!r}): category {category} is not a VIP part (1 .. {NUM_CLASSES - 1})")
            if not np.isfinite(value):
                raise ValueError(f"line {n} ({line.strip()!r}): {header.split()[-1]} {value} is not a finite number")
            if iid in table:
                raise ValueError(f"line {n} ({line.strip()!r}): instance id {iid} is listed twice")
            table[iid] = (category, value)
    return table


def write_instances(png: Path, ids: np.ndarray, table: dict[int, tuple[int, int | float]]) -> None:
    """A part-instance map and its `id category <person or score>` table beside it."""
    write_label(png, ids)
    png.with_suffix(".txt").write_text("".join(f"{i} {c} {v!r}\n" for i, (c, v) in sorted(table.items())))


def read_instances(png: str | os.PathLike) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
    """A part-instance map and its table: (H, W) ids, id -> (category, person)."""
    png = Path(png)
    txt = png.with_suffix(".txt")
    if not txt.is_file():
        raise DatasetLayoutError("VIP", txt, "missing instance table", "Each Instance_ids PNG needs its .txt "
                                 "(lines: id category person)")
    try:
        table = instance_table(txt, int, "id category person")
    except ValueError as e:
        raise DatasetLayoutError("VIP", txt, str(e)) from None
    ids = read_label(png)
    unknown = sorted(set(np.unique(ids).tolist()) - {0} - set(table))
    if unknown:
        raise DatasetLayoutError("VIP", png, f"instance ids {unknown[:5]} are not listed in {txt.name}")
    return ids, table


class VIPReader(DatasetReader):
    kind = "VIP"
    label_kind = "parts"
    num_classes = NUM_CLASSES
    scorer = SCORER["vip"]

    def __init__(self, root: str | os.PathLike, split: str = "val"):
        super().__init__(root)
        self.images = self._require(self.root / "Images", "frame folder", "Expected <root>/Images/<video>/<frame>.jpg")
        annotations = self.root / "Annotations" if (self.root / "Annotations").is_dir() else self.root
        self.labels = self._require(annotations / "Category_ids", "part label folder",
                                    "Expected <root>/Category_ids/<video>/<frame>.png")
        instances = annotations / "Instance_ids"
        self.instances = instances if instances.is_dir() else None
        split_file = self._require(self.root / "lists" / f"{split}_id.txt", "split list")
        names: dict[str, None] = {}
        seen: set[str] = set()
        for n, line in enumerate(split_file.read_text().splitlines(), start=1):
            entry = line.strip()
            if not entry:
                continue
            if entry in seen:
                raise DatasetLayoutError(self.kind, split_file, f"line {n} lists {entry!r} more than once",
                                         "list each video or frame once")
            seen.add(entry)
            parts = entry.split("/")
            if len(parts) > 2 or not all(parts):
                raise DatasetLayoutError(self.kind, split_file, f"line {n} is {line!r}, not '<video>' or '<video>/<frame>'",
                                         "fix the line or remove it")
            if parts[0] not in names:
                self._require(self.images / parts[0], f"frames of video {parts[0]} listed in {split_file.name}")
                names[parts[0]] = None
            if len(parts) == 2 and not any((self.images / parts[0] / f"{parts[1]}{e}").is_file() for e in (".jpg", ".png")):
                raise DatasetLayoutError(self.kind, split_file, f"line {n} names frame {entry!r}, which "
                                         f"{self.images / parts[0]} does not hold", "fix the line or add the frame")
        self._names = self._require_names(list(names), split_file)

    def sequence(self, name: str) -> Sequence:
        frames = sorted_images(self.images / name)
        if not frames:
            raise DatasetLayoutError(self.kind, self.images / name, "video has no frames")
        labels = labels_by_frame(self.kind, name, frames, self._require(self.labels / name, f"part labels of video {name}"))
        if 0 not in labels:
            raise DatasetLayoutError(self.kind, self.labels / name / f"{frames[0].stem}.png", "first-frame part label missing")
        instances = {}
        if self.instances is not None:
            instances = labels_by_frame(self.kind, name, frames,
                                        self._require(self.instances / name, f"part instances of video {name}"))
            if 0 not in instances:
                raise DatasetLayoutError(self.kind, self.instances / name / f"{frames[0].stem}.png",
                                         "first-frame part instances missing")
        return Sequence(name, frames, labels, instances=instances)
