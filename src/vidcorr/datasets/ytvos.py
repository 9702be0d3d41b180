"""YouTube-VOS layout: <split>/JPEGImages/<vid>, <split>/Annotations/<vid>, <split>/meta.json.

Objects may first appear after frame 0; Sequence.first_frame records where each one starts so
propagation can inject it there.

`all_frames: true` reads the frames of <split>_all_frames/JPEGImages (the full 30 fps videos
that MAST trains on; <split>/JPEGImages keeps every 5th frame), with the annotations and
meta.json of <split>, matched to frames by name.
"""

from __future__ import annotations

import json
import os

from .base import DatasetLayoutError, DatasetReader, Sequence, labels_by_frame, sorted_images
from .masks import objects_in, read_label
from .types import SCORER


class YouTubeVOSReader(DatasetReader):
    kind = "YouTube-VOS"
    label_kind = "masks"
    scorer = SCORER["ytvos"]

    def __init__(self, root: str | os.PathLike, split: str = "valid", all_frames: bool = False):
        super().__init__(root)
        base = self._require(self.root / split, f"split folder {split!r}", "Expected <root>/train or <root>/valid")
        frames = self.root / f"{split}_all_frames" if all_frames else base
        self.images = self._require(frames / "JPEGImages", "frame folder",
                                    f"all_frames reads {split}_all_frames/JPEGImages; download it or set all_frames: false"
                                    if all_frames else "")
        self.annotations = self._require(base / "Annotations", "annotation folder")
        meta_file = self._require(base / "meta.json", "meta.json")
        try:
            self.meta = json.loads(meta_file.read_text())["videos"]
        except (json.JSONDecodeError, KeyError) as e:
            raise DatasetLayoutError(self.kind, meta_file, f"not a YouTube-VOS meta file ({e})") from e
        self._names = self._require_names(sorted(self.meta), meta_file)
        for name in self._names:
            self._require(self.images / name, f"frames of video {name} listed in meta.json")

    def sequence(self, name: str) -> Sequence:
        frames = sorted_images(self.images / name, (".jpg", ".jpeg"))
        if not frames:
            raise DatasetLayoutError(self.kind, self.images / name, "video has no JPEG frames")
        labels = labels_by_frame(self.kind, name, frames, self._require(self.annotations / name, f"annotations of video {name}"))
        index = {f.stem: i for i, f in enumerate(frames)}
        first = {}
        for obj_id, obj in self.meta[name].get("objects", {}).items():
            starts = [index[f] for f in obj.get("frames", []) if f in index]
            if not starts:
                raise DatasetLayoutError(self.kind, self.images / name, f"object {obj_id} lists no frame that exists")
            first[int(obj_id)] = min(starts)
        return Sequence(name, frames, labels, first_frame=first)

    def check(self, seq: Sequence) -> None:
        """meta.json and the annotations must agree: each listed object is in the annotation of its first
        frame, and every id an annotation holds is listed (else an object would vanish, or be
        propagated and submitted unlisted). It reads every annotation of the video (each frame of a train-split one),
        so it runs when the index is written."""
        held = {i: set(objects_in(read_label(path))) for i, path in seq.labels.items()}
        for obj, t in sorted(seq.first_frame.items()):
            if t not in held or obj not in held[t]:
                where = seq.labels.get(t, self.annotations / seq.name / f"{seq.frames[t].stem}.png")
                raise DatasetLayoutError(self.kind, where, f"meta.json lists object {obj} of video {seq.name} from "
                                         f"frame {seq.frames[t].stem}, but that frame's annotation does not hold id {obj}",
                                         "fix meta.json or the annotation")
        unlisted = sorted(set().union(*held.values()) - set(seq.first_frame)) if held else []
        if unlisted:
            raise DatasetLayoutError(self.kind, self.annotations / seq.name, f"annotations hold object id(s) {unlisted} "
                                     "that meta.json does not list for this video", "fix meta.json or the annotation")
