"""Ablation: variant expansion and stage sharing, the papers' values file, aggregation and tables."""

from __future__ import annotations

import csv

import pytest
import yaml

from conftest import REPO
from vidcorr.ablation.aggregate import aggregate, check_paper_file, read_paper_values
from vidcorr.ablation.tables import latex, markdown
from vidcorr.ablation.variants import deep_merge, experiment_runs, named_runs, stage_index

PAPER_VALUES = REPO / "workflow/resources/paper_values.csv"
TABLES = {"liir-4": 5, "liir-5a": 4, "liir-5b": 4, "liir-5c": 3, "liir-A1": 4,
          "mer-4": 4, "mer-5A": 4, "mer-5B": 3, "mer-5C": 3}


def _experiments(config: str) -> dict:
    return yaml.safe_load((REPO / config).read_text())["experiments"]


def test_deep_merge_overrides_nested_keys_only():
    base = {"inter": {"bank_frames": 96, "position": "2dape"}, "datasets": ["a"]}
    out = deep_merge(base, {"inter": {"bank_frames": 0}})
    assert out == {"inter": {"bank_frames": 0, "position": "2dape"}, "datasets": ["a"]}
    assert base["inter"]["bank_frames"] == 96


def test_variants_share_stage_prefixes_and_seeds_split_them():
    exp = {"seeds": [0], "base": {"datasets": ["d"], "warmup": {"steps_per_epoch": 5},
                                  "inter": {"bank_frames": 8}, "mer": {"bank_frames": 8, "sampler": True}},
           "variants": {"a": {"inter": {"bank_frames": 0}}, "b": {}, "c": {"stages": ["warmup", "inter", "mer"]},
                        "d": {"seeds": [0, 1]}}}
    runs = {r.name: r for r in experiment_runs(exp)}
    assert sorted(runs) == ["a-s0", "b-s0", "c-s0", "d-s0", "d-s1"]
    assert len({r.stages[0].key for r in runs.values() if r.seed == 0}) == 1  # one warm-up for seed 0
    assert runs["c-s0"].stages[1].key == runs["b-s0"].stages[1].key == runs["d-s0"].stages[1].key
    assert runs["a-s0"].stages[1].key != runs["b-s0"].stages[1].key
    assert runs["d-s1"].stages[0].key != runs["d-s0"].stages[0].key
    assert runs["c-s0"].stages[2].parent == runs["c-s0"].stages[1].key
    assert runs["c-s0"].checkpoint == f"results/train/{runs['c-s0'].stages[2].key}/final.pt"
    # a named run with the same settings reuses the same stages
    named = named_runs({"n": {"datasets": ["d"], "warmup": {"steps_per_epoch": 5}, "inter": {"bank_frames": 8}}})
    assert [s.key for s in named[0].stages] == [s.key for s in runs["b-s0"].stages]
    assert len(stage_index(list(runs.values()) + named)) == 6
    with pytest.raises(ValueError, match="must run in order from warmup"):
        experiment_runs({**exp, "variants": {"x": {"stages": ["inter"]}}})


@pytest.mark.parametrize("config", ["config.yaml", "workflow/configs/paper.yaml"])
def test_paper_values_file_lists_every_row_of_the_tables(config):
    exp = _experiments(config)
    assert set(exp["tables"]) == set(TABLES)
    rows = {}
    for run in experiment_runs(exp):
        for table, row in run.tables.items():
            rows.setdefault(table, set()).add(row)
    assert {t: len(r) for t, r in rows.items()} == TABLES
    paper = read_paper_values(PAPER_VALUES)
    manifest = {"tables": {t: {"rows": sorted(r)} for t, r in rows.items()}}
    assert check_paper_file(paper, manifest) == []
    with open(PAPER_VALUES, newline="") as f:
        listed = {(r["table"], r["row"]) for r in csv.DictReader(f)}
    assert listed == {(t, r) for t, rs in rows.items() for r in rs}  # nothing else in the file


def _metrics(tmp_path, method, dataset, jf):
    path = tmp_path / "results/metrics" / method / f"{dataset}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Sequence,J&F-Mean,J-Mean,F-Mean\nglobal,{jf},{jf + 0.02},{jf - 0.02}\nseq_1,0.1,0.1,0.1\n")
    return path


def test_aggregation_of_synthetic_metric_files(tmp_path):
    files = [_metrics(tmp_path, "full-s0", "davis", 0.60), _metrics(tmp_path, "full-s1", "davis", 0.70),
             _metrics(tmp_path, "nobank-s0", "davis", 0.50)]
    paper_csv = tmp_path / "paper.csv"
    paper_csv.write_text("paper,table,row,dataset,metric,value,source\n"
                         "LIIR,t5a,0,DAVIS-2017 val,J&F-Mean,,LIIR Table 5a\n"
                         "LIIR,t5a,1440,DAVIS-2017 val,J&F-Mean,69.9,LIIR Table 5a\n")
    manifest = {  # rows declared out of the paper's order (the full variant fills several tables first)
        "tables": {"t5a": {"caption": "negatives", "rows": ["1440", "0"]}},
        "runs": [
            {"name": "nobank-s0", "variant": "nobank", "seed": 0, "tables": {"t5a": "0"}, "checkpoint": "c0",
             "config_hash": "h0"},
            {"name": "full-s0", "variant": "full", "seed": 0, "tables": {"t5a": "1440"}, "checkpoint": "c1",
             "config_hash": "h1"},
            {"name": "full-s1", "variant": "full", "seed": 1, "tables": {"t5a": "1440"}, "checkpoint": "c2",
             "config_hash": "h1"}],
        "datasets": ["davis"], "paper_datasets": {"davis": "DAVIS-2017 val"}, "code_version": "0.1.0+gabc"}
    rows = aggregate(manifest, files, read_paper_values(paper_csv))
    assert [(r["row"], r["metric"]) for r in rows] == [
        ("0", "J&F-Mean"), ("0", "J-Mean"), ("0", "F-Mean"), ("1440", "J&F-Mean"), ("1440", "J-Mean"), ("1440", "F-Mean")]
    full = rows[3]
    assert full["value"] == pytest.approx(0.65) and full["std"] == pytest.approx(0.0707107, rel=1e-5)
    assert full["paper_value"] == pytest.approx(0.699) and full["diff"] == pytest.approx(-0.049)
    assert full["seeds"] == "0 1" and full["checkpoints"] == "c1 c2" and full["config_hash"] == "h1"
    assert rows[0]["paper_value"] == "" and rows[0]["diff"] == "" and rows[0]["std"] == ""
    md, tex = markdown("t5a", "negatives", rows), latex("t5a", "negatives", rows)
    assert "| 1440 | 65.0 ± 7.1 (69.9) |" in md and "| 0 | 50.0 (–) |" in md
    assert r"65.0 $\pm$ 7.1 (69.9)" in tex and r"J\&F-Mean" in tex


def test_a_missing_seed_is_an_error(tmp_path):
    files = [_metrics(tmp_path, "full-s0", "davis", 0.6)]
    manifest = {"tables": {"t": {"caption": "", "rows": ["r"]}},
                "runs": [{"name": f"full-s{i}", "variant": "full", "seed": i, "tables": {"t": "r"}, "checkpoint": "c",
                          "config_hash": "h"} for i in (0, 1)],
                "datasets": ["davis"], "paper_datasets": {}, "code_version": "x"}
    with pytest.raises(ValueError, match="missing for some seeds"):
        aggregate(manifest, files, {})
