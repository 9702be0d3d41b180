"""Shared fixtures (helpers for tests live in tests/helpers/)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A small generated benchmark shared by the tests that only read it."""
    from vidcorr.synthetic import generate_benchmark

    root = tmp_path_factory.mktemp("synthetic") / "bench"
    generate_benchmark(root, seed=3, num_sequences=2, num_frames=10, width=128, height=96, num_objects=3)
    return root
