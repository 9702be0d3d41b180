"""The metric summary table and chart, and the settings file the propagate rule reads."""

from __future__ import annotations

import csv

import pytest
import yaml

from helpers import run
from vidcorr.metrics.summary import summarize
from vidcorr.metrics.tables import write_csv


def test_summary_collects_headline_metrics(tmp_path):
    write_csv(tmp_path / "m/lab/davisset.csv", ["Sequence", "J&F-Mean", "J-Mean", "F-Mean"],
              [{"Sequence": "global", "J&F-Mean": 0.5, "J-Mean": 0.4, "F-Mean": 0.6},
               {"Sequence": "a_1", "J&F-Mean": 0.9, "J-Mean": 0.9, "F-Mean": 0.9}])
    write_csv(tmp_path / "m/copy-first/vipset.csv", ["Sequence", "mIoU"], [{"Sequence": "global", "mIoU": 0.25}])
    rows = summarize([("lab", "davisset", tmp_path / "m/lab/davisset.csv"),
                      ("copy-first", "vipset", tmp_path / "m/copy-first/vipset.csv")], tmp_path / "s.csv", tmp_path / "s.png")
    got = {(r["method"], r["dataset"], r["metric"]): float(r["value"]) for r in csv.DictReader(open(tmp_path / "s.csv"))}
    assert got == {("lab", "davisset", "J&F-Mean"): 0.5, ("lab", "davisset", "J-Mean"): 0.4,
                   ("lab", "davisset", "F-Mean"): 0.6, ("copy-first", "vipset", "mIoU"): 0.25}
    assert len(rows) == 4 and (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_summary_refuses_a_file_without_global_row(tmp_path):
    write_csv(tmp_path / "x/y.csv", ["Sequence", "mIoU"], [{"Sequence": "seq", "mIoU": 0.1}])
    with pytest.raises(ValueError, match="no 'global' row"):
        summarize([("x", "y", tmp_path / "x/y.csv")], tmp_path / "s.csv")


def test_settings_command_writes_the_section(tmp_path):
    run(["vidcorr", "settings", "--section", "propagation", "--json", '{"radius": 3, "topk": 2}',
         "--out", str(tmp_path / "p.yaml")])
    assert yaml.safe_load((tmp_path / "p.yaml").read_text()) == {"propagation": {"radius": 3, "topk": 2}}
