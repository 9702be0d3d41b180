"""The config's cross-key checks (vidcorr.plan.validate) and the per-type reader options, without
Snakemake; and planning imports without the GPU stack."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from vidcorr.plan import Plan
from vidcorr.sections import load_config
from vidcorr.settings_schema import check

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config([REPO / "config.yaml"])  # laid on the defaults


def test_planning_imports_without_torch_opencv_or_pyav():
    """Snakemake parses the workflow with vidcorr.plan, the video listing and the settings; none may
    pull in the GPU stack."""
    code = ("import sys, vidcorr.plan, vidcorr.plan.validate, vidcorr.frames.listing, vidcorr.datasets.embedded, "
            "vidcorr.settings_schema, vidcorr.train.config, vidcorr.inference.config\n"
            "print(sorted(m for m in ('torch', 'cv2', 'av', 'h5py') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _with(**changes) -> dict:
    config = copy.deepcopy(CONFIG)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = config
        for key in parents:
            node = node[key]
        node[last] = value
    return config


@pytest.mark.parametrize("changes, message", [
    ({"datasets__synthetic__type": "davsi"}, "datasets.synthetic.type: 'davsi' is not a dataset type"),
    ({"roots__extra": "somewhere"}, "roots.extra names no dataset"),
    ({"evaluation__datasets": ["synthetic", "nowhere"]}, "evaluation.datasets lists 'nowhere'"),
    ({"datasets__clips": {"type": "videos"}, "roots__clips": "x", "evaluation__datasets": ["clips"]},
     "evaluation.datasets: 'clips' has no labels"),
    ({"flow": {"datasets": ["nowhere"]}}, "flow.datasets lists 'nowhere'"),
    ({"flow": {"datasets": [], "compute": {"backend": "ptlflow"}}}, "flow.compute.checkpoint is not set"),
    ({"learning_curve": {"runs": [], "steps": [1], "dataset": "synthetic_vip"}}, "learning_curve.dataset"),
])
def test_cross_key_errors_name_the_key(changes, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        Plan(_with(**changes))


def test_the_default_and_paper_configs_plan(tmp_path):
    Plan(CONFIG).check_inputs()  # the embedded and generated roots need nothing on disk
    paper = Plan(load_config([REPO / "workflow/configs/paper.yaml"]))  # planned without its data
    with pytest.raises(ValueError, match="roots.ytvos is not set"):
        paper.check_inputs()
    missing = _with(roots__synthetic_vip=str(tmp_path / "absent"))
    with pytest.raises(ValueError, match=f"roots.synthetic_vip: folder '{tmp_path / 'absent'}' does not exist"):
        Plan(missing).check_inputs()


@pytest.mark.parametrize("spec, error", [
    ({"type": "vip", "options": {"year": 2017}}, "'year' was unexpected"),
    ({"type": "jhmdb", "options": {"split": 4}}, "4 is not one of"),
    ({"type": "ytvos", "options": {"resolution": "480p"}}, "'resolution' was unexpected"),
    ({"type": "videos", "options": {"split": "val"}}, "should be non-empty|'split' was unexpected|expected to be empty"),
    ({"type": "davis", "options": {"split": "val", "year": 2016, "require_frames": False, "exclude": ["a"]}}, None),
    ({"type": "jhmdb", "options": {"split": 2, "subset": "train", "sequences": ["a"]}}, None),
    ({"type": "ytvos", "options": {"split": "train", "all_frames": True}}, None),
])
def test_each_type_takes_its_own_reader_options(spec, error):
    config = _with(datasets__synthetic=spec)
    if error is None:
        check(config, "", "config")
        return
    with pytest.raises(ValueError, match=f"datasets.synthetic.options.*({error})"):
        check(config, "", "config")
