"""The one reader interface that training and evaluation share."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .masks import read_label


class DatasetLayoutError(FileNotFoundError):
    """A dataset root that does not have the expected layout; names the missing or bad path."""

    def __init__(self, kind: str, path: str | os.PathLike, problem: str, hint: str = ""):
        msg = f"{kind} dataset: {path}: {problem}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


@dataclass
class Sequence:
    """One video: its frames in order and whatever labels the dataset has for them.

    labels maps a frame index to a label PNG (object or part ids); it may be sparse.
    first_frame maps each object id to the index of the frame where it is first labelled
    (0 everywhere for DAVIS; later for YouTube-VOS objects that enter the video late).
    keypoints is (T, J, 2) x/y pixel coordinates for keypoint datasets.
    instances maps a frame index to a part-instance PNG (VIP's Instance_ids; its .txt beside it
    gives each id's category and person).
    """

    name: str
    frames: list[Path]
    labels: dict[int, Path] = field(default_factory=dict)
    first_frame: dict[int, int] = field(default_factory=dict)
    keypoints: np.ndarray | None = None
    instances: dict[int, Path] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    def read_frame(self, i: int) -> np.ndarray:
        """RGB uint8 (H, W, 3); every frame of a sequence has frame 0's size (an error names the one that has not)."""
        with Image.open(regular_file(self.frames[i])) as im:
            if i and im.size != self.first_size:
                w, h = self.first_size
                raise DatasetLayoutError("sequence", self.frames[i], f"frame is {im.size[0]}x{im.size[1]} but the "
                                         f"sequence's first frame {self.frames[0].name} is {w}x{h}",
                                         f"every frame of {self.name} must have one size")
            return np.asarray(im.convert("RGB"))

    @functools.cached_property
    def first_size(self) -> tuple[int, int]:
        """Frame 0's (width, height), read once: every other frame is checked against it."""
        return self.frame_size(0)

    def frame_size(self, i: int = 0) -> tuple[int, int]:
        """(width, height) from the image header."""
        with Image.open(self.frames[i]) as im:
            return im.size

    def read_label(self, i: int) -> np.ndarray:
        """(H, W) uint8 ids of frame i; refuses a label whose size differs from its frame."""
        if i not in self.labels:
            raise KeyError(f"sequence {self.name}: frame {i} ({self.frames[i].name}) has no label")
        ids = read_label(self.labels[i])
        w, h = self.frame_size(i)
        if ids.shape != (h, w):
            raise ValueError(
                f"sequence {self.name}: label {self.labels[i]} is {ids.shape[1]}x{ids.shape[0]} "
                f"but frame {self.frames[i]} is {w}x{h}; labels must match their frames' size"
            )
        return ids


class DatasetReader:
    """Base class: subclasses validate their root in __init__ and fill self._names.

    Each subclass says what its labels are, so propagation and scoring need no table of types:
    label_kind is masks, parts or keypoints (None: unlabelled); num_classes fixes the class count
    of part labels; scorer names the metric (vidcorr.metrics.SCORERS), "server" when only a
    challenge server can score it, None when nothing does.
    """

    kind = "dataset"
    label_kind: str | None = None
    num_classes: int | None = None
    scorer: str | None = None

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetLayoutError(self.kind, self.root, "root folder does not exist", "Set the dataset's root in the config")
        self._names: list[str] = []

    def names(self) -> list[str]:
        return list(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self):
        return (self.sequence(n) for n in self._names)

    def sequence(self, name: str) -> Sequence:
        raise NotImplementedError

    def check(self, seq: Sequence) -> None:
        """Checks that read more than a sequence needs to be used (all its labels, say): run once, when
        its index is written (datasets/index.py), not at every read by training or propagation."""

    def skipped(self) -> list[dict]:
        """Sources left out as unreadable (video, source, reason); only decoded videos have any."""
        return []

    def label_paths(self, name: str) -> list[Path]:
        """The label PNGs of a sequence in frame order (what a mask metric scores against)."""
        seq = self.sequence(name)
        return [seq.labels[i] for i in sorted(seq.labels)]

    def select(self, sequences: list[str] | None = None, exclude: list[str] | None = None) -> "DatasetReader":
        """Keep only `sequences` (in the split's order) and drop `exclude`; names the split lacks are an error."""
        if sequences is None and exclude is None:
            return self
        unknown = sorted((set(sequences or []) | set(exclude or [])) - set(self._names))
        if unknown:
            raise DatasetLayoutError(self.kind, self.root, f"sequences {unknown} are not in the split",
                                     "Check the `sequences` / `exclude` options")
        self._names = [n for n in self._names if (sequences is None or n in sequences) and n not in (exclude or [])]
        if not self._names:
            raise DatasetLayoutError(self.kind, self.root, "no sequence left after `sequences` / `exclude`")
        return self

    def _require_names(self, names: list[str], source: Path) -> list[str]:
        """An empty split would pass every stage and score a mean of nothing (NaN)."""
        if not names:
            raise DatasetLayoutError(self.kind, source, "lists no sequence",
                                     "Add the split's sequence names (one per line) or choose another split")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise DatasetLayoutError(self.kind, source, f"lists sequence(s) {twice[:5]} more than once",
                                     "List each sequence once")
        return names

    def _require(self, path: Path, what: str, hint: str = "") -> Path:
        if not path.exists():
            raise DatasetLayoutError(self.kind, path, f"missing {what}", hint)
        return path


def natural_key(name: str) -> list:
    """Sort key that reads digit runs as numbers: 2.jpg before 10.jpg, frame_9 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def regular_file(path: Path, kind: str = "dataset") -> Path:
    """`path`, if it is a regular file: a FIFO or device named like an image would block its reader forever."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise DatasetLayoutError(kind, path, "is not a regular file (a FIFO, socket or device)",
                                 "replace it with the image file, or remove it")
    return path


def sorted_images(folder: Path, exts: tuple[str, ...] = (".jpg", ".jpeg", ".png")) -> list[Path]:
    """Image files of a folder in the order a person reads their names (2.jpg before 10.jpg)."""
    return sorted((regular_file(p) for p in folder.iterdir() if p.suffix.lower() in exts and not p.name.startswith(".")),
                  key=lambda p: natural_key(p.name))


def labels_by_frame(kind: str, seq: str, frames: list[Path], label_dir: Path) -> dict[int, Path]:
    """Match label PNGs to frames by file stem; a label with no frame is a layout error."""
    index = {f.stem: i for i, f in enumerate(frames)}
    labels = {}
    for p in sorted(label_dir.glob("*.png"), key=lambda p: natural_key(p.name)):
        regular_file(p, kind)
        if p.stem not in index:
            raise DatasetLayoutError(kind, p, f"label has no matching frame in sequence {seq}", "Remove it or add the frame")
        labels[index[p.stem]] = p
    return labels
