"""The YAML settings files jobs read: a file holds one section (`train:`, `propagation:`, ...),
as `vidcorr settings` writes it, or the section's keys at top level."""

from __future__ import annotations

import os

import yaml

from .structured import load_yaml


def read_section(path: str | os.PathLike | None, section: str, what: str, kind: type = dict):
    """The `section` of the YAML file at `path`, or the whole file when it has no such key;
    nothing ({}) when no path is given. `what` names the file in the error; the section must be
    a `kind` (a mapping of settings; a list for flow_validation's methods)."""
    if not path:
        return {}
    data = load_yaml(path, what, "give the YAML file the workflow wrote, or fix its syntax")
    if data is None:
        return {}
    value = data.get(section, data) if isinstance(data, dict) else data
    if not isinstance(value, kind):
        raise ValueError(f"{what} {path} holds a {type(value).__name__} where {section} should be a "
                         f"{'mapping of settings' if kind is dict else kind.__name__}")
    return value


def write_section(path: str | os.PathLike, section: str, value) -> None:
    """Write {section: value} as YAML (keys sorted, so the same settings give the same file)."""
    from .atomic import write_text

    write_text(path, yaml.safe_dump({section: value}, sort_keys=True))


def load_config(paths: list[str | os.PathLike]) -> dict:
    """Pipeline config files laid in order on the defaults, as the workflow lays them, and checked
    against the schema (for the commands that read a whole config outside Snakemake)."""
    from .plan.runs import deep_merge
    from .settings_schema import DEFAULTS_PATH, check

    config: dict = {}
    for path in [DEFAULTS_PATH, *paths]:
        data = load_yaml(path, "config", "give an existing YAML config, or fix its syntax") or {}
        if not isinstance(data, dict):
            raise ValueError(f"config {path} holds a {type(data).__name__}, not a mapping of config keys")
        config = deep_merge(config, data)
    check(config, "", "config")
    return config
