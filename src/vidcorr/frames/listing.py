"""The frames stage's names, without the decoder: which files of a folder are videos (the workflow
lists a dataset's videos when it plans the frame jobs) and a frame folder's manifest."""

from __future__ import annotations

import os
from pathlib import Path

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v")
MANIFEST = "manifest.json"


def list_videos(root: str | os.PathLike) -> dict[str, Path]:
    """Map video name (file stem) to path for every video file directly inside `root`."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"video folder {root} does not exist; set the dataset's root to a folder of videos")
    videos: dict[str, Path] = {}
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS:
            if p.stem in videos:
                raise ValueError(f"{root}: two videos share the name {p.stem!r} ({videos[p.stem].name}, {p.name}); rename one")
            videos[p.stem] = p
    return videos
