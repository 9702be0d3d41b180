"""Reading the project's JSON and YAML files (configs, indexes, manifests) with errors that name the file.

A damaged, truncated or foreign file is an error that says which file, what it should be, and what
to do; never a parser's traceback. Checks of the content beyond its syntax stay with the reader.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml


def _text(path: Path, what: str, fix: str) -> str:
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a file; {fix}")
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} does not exist; {fix}")
    try:
        return path.read_text()
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} {path} is not text ({e.reason} at byte {e.start}); {fix}") from None


def load_json(path: str | os.PathLike, what: str, fix: str):
    """The JSON value in `path`; `what` names the file in errors, `fix` says what to do."""
    path = Path(path)
    try:
        return json.loads(_text(path, what, fix))
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} {path} is not valid JSON ({e}); {fix}") from None


def load_yaml(path: str | os.PathLike, what: str, fix: str):
    """The YAML value in `path` (None for an empty file), as load_json."""
    path = Path(path)
    try:
        return yaml.safe_load(_text(path, what, fix))
    except yaml.YAMLError as e:
        raise ValueError(f"{what} {path} is not valid YAML ({' '.join(str(e).split())}); {fix}") from None
