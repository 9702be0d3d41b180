"""The ablation design, written once (vidcorr/plan/ablation_design.yaml), and how a config picks
from it; and configs laid on the defaults."""

from __future__ import annotations

import csv
import copy
from pathlib import Path

import pytest
import yaml

from vidcorr.plan import Plan
from vidcorr.plan.design import design, tables_of, variants_of
from vidcorr.sections import load_config
from vidcorr.settings_schema import DEFAULTS_PATH

REPO = Path(__file__).resolve().parents[2]
EXP = {"datasets": ["synthetic"], "base": {}, "tables": {"liir-5a": None, "mer-5B": {"datasets": ["x"]}}}


def test_every_row_of_the_design_is_a_table_of_the_papers_values():
    printed = {row["table"] for row in csv.DictReader(open(REPO / "workflow/resources/paper_values.csv"))}
    assert set(design()["tables"]) <= printed
    for name, variant in design()["variants"].items():
        assert variant["tables"] and set(variant["tables"]) <= set(design()["tables"]), name


def test_a_config_gets_the_rows_of_the_tables_it_runs():
    variants = variants_of(EXP)
    assert sorted(variants) == ["liir-all", "liir-neg0", "liir-neg480", "liir-neg960",
                                "mer-all", "mer-k3", "mer-k7", "mer-no-sampler"]
    assert variants["liir-all"]["tables"] == {"liir-5a": "1,440"}  # its other tables' rows are dropped
    assert variants["liir-neg480"]["inter"] == {"bank_frames": 480}
    assert tables_of(EXP)["mer-5B"] == {"caption": "MER Table 5B, cluster centres", "datasets": ["x"]}
    assert tables_of(EXP)["liir-5a"]["datasets"] == ["synthetic"]


def test_a_config_changes_a_variant_for_its_scale_adds_its_own_or_runs_only_some():
    exp = {**EXP, "variants": {"liir-neg480": {"inter": {"bank_frames": 32}},
                               "liir-neg16": {"tables": {"liir-5a": "16"}, "inter": {"bank_frames": 16}}}}
    variants = variants_of(exp)
    assert variants["liir-neg480"]["inter"] == {"bank_frames": 32}
    assert variants["liir-neg480"]["tables"] == {"liir-5a": "480"}
    assert variants["liir-neg16"]["inter"] == {"bank_frames": 16}
    assert sorted(variants_of({**EXP, "only": ["mer-k3", "liir-neg0"]})) == ["liir-neg0", "mer-k3"]


@pytest.mark.parametrize("exp, message", [
    ({**EXP, "only": ["liir-typo"]}, "ablation.only lists 'liir-typo'"),
    ({**EXP, "only": ["liir-pe-none"]}, "variant 'liir-pe-none' fills no row"),
    ({**EXP, "variants": {"mine": {"inter": {"bank_frames": 3}}}}, "variant 'mine' fills no row"),
])
def test_a_variant_that_fills_nothing_is_named(exp, message):
    with pytest.raises(ValueError, match=message):
        variants_of(exp)


def test_a_table_outside_the_design_needs_a_caption():
    with pytest.raises(ValueError, match="ablation.tables.mine: not a table of the design"):
        tables_of({**EXP, "tables": {"mine": None}})
    assert tables_of({**EXP, "tables": {"mine": {"caption": "Mine"}}})["mine"]["caption"] == "Mine"


def test_configs_are_laid_on_the_defaults():
    """A config states only what it changes: the baselines and frame settings come from the defaults,
    a list it gives replaces the default's, and a mapping merges."""
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text())
    config = load_config([REPO / "config.yaml"])
    assert config["frames"] == defaults["frames"] and config["propagation"] == {}
    assert config["evaluation"]["methods"] == defaults["evaluation"]["methods"]
    assert config["evaluation"]["datasets"] == ["synthetic", "synthetic_vip", "synthetic_jhmdb"]
    paper = load_config([REPO / "workflow/configs/paper.yaml"])
    assert paper["frames"]["short_side"] is None and paper["seed"] == defaults["seed"]
    mine = copy.deepcopy(config)
    mine["evaluation"]["methods"]["mine"] = "mine.pt"
    assert set(Plan(mine).methods()) >= {"copy-first", "lab", "mine", "liir-demo", "mer-demo"}
