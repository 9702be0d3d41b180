"""Package attributes imported on first use, so that a package's light modules (settings,
planning, dataset types) import without the heavy ones (torch, OpenCV, PyAV) its other modules
need: Snakemake parses the workflow, and `vidcorr plan` plans, without the GPU stack."""

from __future__ import annotations

from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """A module `__getattr__` for `package`: attribute name -> the submodule that defines it."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{exports[name]}"), name)

    return __getattr__
