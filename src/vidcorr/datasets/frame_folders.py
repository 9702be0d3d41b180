"""Frame folders written by the frames stage (one sub-folder per raw video, with manifest.json)."""

from __future__ import annotations

import os

from ..frames.listing import MANIFEST
from ..structured import load_json
from .base import DatasetLayoutError, DatasetReader, Sequence, sorted_images


class FrameFolderReader(DatasetReader):
    kind = "video frames"

    def __init__(self, root: str | os.PathLike):
        super().__init__(root)
        self.manifests = {}
        for d in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            m = self._require(d / MANIFEST, "manifest.json", "Re-run the frames stage for this video")
            self.manifests[d.name] = load_json(m, "frames manifest", "re-run the frames stage for this video")
            if not isinstance(self.manifests[d.name], dict) or "status" not in self.manifests[d.name]:
                raise DatasetLayoutError(self.kind, m, "not a frames manifest (no 'status'); re-run the frames stage")
        self._names = [n for n, m in self.manifests.items() if m["status"] == "ok"]

    def skipped(self) -> list[dict]:
        """Videos the frames stage skipped, with their reasons."""
        return [m for m in self.manifests.values() if m["status"] == "skipped"]

    def sequence(self, name: str) -> Sequence:
        frames = sorted_images(self.root / name, (".jpg",))
        expected = self.manifests[name]["num_frames"]
        if len(frames) != expected:
            raise DatasetLayoutError(self.kind, self.root / name, f"holds {len(frames)} frames, manifest says {expected}", "Re-run the frames stage")
        return Sequence(name, frames)
