"""The checkpoint zoo: released files of other methods, each scored under its own test protocol
and under this project's (`zoo:` in the config; workflow/configs/zoo.yaml).

A model whose file is in `roots.zoo` becomes two methods, `zoo-<name>-own` (its format's preset,
inference/presets.py, plus the model's `own` settings) and `zoo-<name>-ours` (the config's
`propagation:` section). A model whose file is absent is listed in the table with where it is
published; the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths

PROTOCOLS = ("own", "ours")


@dataclass(frozen=True)
class ZooModel:
    name: str
    format: str
    file: str  # the released file's path
    published: str
    present: bool
    printed: dict = field(default_factory=dict)  # dataset -> the method's printed number (%)
    printed_source: str = ""
    own: dict = field(default_factory=dict)  # settings on top of the preset

    def method(self, protocol: str) -> str:
        return f"zoo-{self.name}-{protocol}"

    @property
    def checkpoint(self) -> str:
        return paths.zoo_checkpoint(self.name)

    def settings(self, protocol: str, ours: dict) -> dict:
        """The propagation settings of a protocol: for `own`, the preset's spelt out (so that the
        settings file states every value), then the model's own settings."""
        from ..convert import FORMATS
        from ..inference.presets import expand

        return expand({"preset": FORMATS[self.format].PRESET, **self.own}) if protocol == "own" else dict(ours)


def zoo_models(config: dict) -> list[ZooModel]:
    spec = config.get("zoo")
    if not spec:
        return []
    root = config["roots"].get("zoo")
    if not root:
        raise ValueError("config key roots.zoo is not set: point it at the folder of released checkpoints "
                         "(files under their published names)")
    for d in spec["datasets"]:
        if d not in config["datasets"]:
            raise ValueError(f"config key zoo.datasets lists {d!r}, which is not a dataset of datasets")
    return [ZooModel(name, m["format"], str(Path(root) / m["file"]), m["published"], (Path(root) / m["file"]).is_file(),
                     m.get("printed", {}), m.get("printed_source", ""), m.get("own", {}))
            for name, m in spec["models"].items()]
