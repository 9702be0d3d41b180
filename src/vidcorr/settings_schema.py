"""The pipeline config's JSON schema, and the same check for settings that reach an entry point directly.

One source of truth for types and ranges: Snakemake validates the whole config file against
`config.schema.yaml` when the workflow starts, and TrainConfig, PropagationConfig and FlowConfig
check the dict they are built from against their section of it, so `vidcorr train --config` with
`radius: -4` fails as the workflow would instead of training on NaN.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")
DEFAULTS_PATH = Path(__file__).with_name("config.defaults.yaml")  # what every config is laid on

# Sections of the schema that a settings dataclass is built from (JSON pointers into the schema).
TRAINING_STAGE = "/$defs/stage"
PROPAGATION = "/properties/propagation"
FLOW_METHOD = "/$defs/flow_method"
FRAMES = "/properties/frames"
SYNTHETIC = "/properties/synthetic"


@functools.cache
def schema() -> dict:
    with open(SCHEMA_PATH) as f:
        return yaml.safe_load(f)


def section(pointer: str) -> dict:
    """The sub-schema at `pointer`, e.g. TRAINING_STAGE (the whole schema for "")."""
    node = schema()
    for part in filter(None, pointer.strip("/").split("/")):
        node = node[part]
    return node


def _plain(value):
    """Tuples (as dataclasses hold them) become lists, which is what the schema's arrays are."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check(settings: dict, pointer: str, what: str, partial: bool = False) -> None:
    """Raise ValueError naming every key of `settings` whose value the schema at `pointer` rejects;
    `partial`: the keys not given take their defaults elsewhere (a command's optional flags)."""
    from jsonschema import Draft202012Validator

    rules = {k: v for k, v in section(pointer).items() if not (partial and k == "required")}
    validator = Draft202012Validator({**rules, "$defs": schema()["$defs"]})
    errors = sorted(validator.iter_errors(_plain(settings)), key=lambda e: [str(p) for p in e.path])
    if errors:
        lines = [f"{what} setting {'.'.join(map(str, e.path)) or '(top level)'}: {e.message}" for e in errors]
        raise ValueError("; ".join(lines) + f" (the rules are in {SCHEMA_PATH.name}, at {pointer})")
