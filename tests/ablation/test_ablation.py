"""Ablation: variant expansion and stage sharing, the papers' values file, aggregation and tables."""

from __future__ import annotations

import csv
import re

import pytest

from helpers import REPO
from vidcorr.ablation.aggregate import aggregate, check_paper_file, read_paper_values, read_server_scores
from vidcorr.ablation.tables import latex, markdown
from vidcorr.plan.design import design, variants_of
from vidcorr.plan.runs import ablation_runs, data_identity, deep_merge, named_runs, stage_index
from vidcorr.sections import load_config
from vidcorr.train.config import TrainConfig

PAPER_VALUES = REPO / "workflow/resources/paper_values.csv"
CONFIGS = ["config.yaml", "workflow/configs/paper.yaml"]
MAIN_TABLES = {"liir-1", "liir-2", "liir-3", "mer-1", "mer-2", "mer-3"}  # paper scale only: ours among the peers
MER_COMPONENTS = {"motion enhancement": ("flow_fusion", "ven"), "multi-cluster sampler": ("sampler",),
                  "fused loss": ("loss_pos_neg", "loss_weight_map")}


def _config(config: str) -> dict:
    return load_config([REPO / config])


DATA = {"d": {"definition": {"type": "videos"}}}  # one dataset "d", as data_identity describes it


def _ablation(config: str) -> dict:
    """The config's ablation section with its variants as the design gives them."""
    exp = _config(config)["ablation"]
    return {**exp, "variants": variants_of(exp)}


def _filled(exp: dict, config: str) -> dict[str, dict[str, object]]:
    """table -> row label -> the seed-0 run that fills it."""
    out = {}
    for run in ablation_runs(exp, data_identity(_config(config))):
        if run.seed == exp["seeds"][0]:
            for table, row in run.tables.items():
                out.setdefault(table, {})[row] = run
    return out


def _paper_rows(role: str = "reproduced") -> dict[str, list[str]]:
    out = {}
    with open(PAPER_VALUES, newline="") as f:
        for r in csv.DictReader(f):
            if r["role"] == role and r["row"] not in out.setdefault(r["table"], []):
                out[r["table"]].append(r["row"])
    return out


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
    runs = {r.name: r for r in ablation_runs(exp, DATA)}
    assert sorted(runs) == ["a-s0", "b-s0", "c-s0", "d-s0", "d-s1"]
    assert len({r.stages[0].key for r in runs.values() if r.seed == 0}) == 1  # one warm-up for seed 0
    assert runs["c-s0"].stages[1].key == runs["b-s0"].stages[1].key == runs["d-s0"].stages[1].key
    assert runs["a-s0"].stages[1].key != runs["b-s0"].stages[1].key
    assert runs["d-s1"].stages[0].key != runs["d-s0"].stages[0].key
    assert runs["c-s0"].stages[2].parent == runs["c-s0"].stages[1].key
    assert runs["c-s0"].checkpoint == f"results/train/{runs['c-s0'].stages[2].key}/final.pt"
    # a named run with the same settings reuses the same stages
    named = named_runs({"n": {"datasets": ["d"], "warmup": {"steps_per_epoch": 5}, "inter": {"bank_frames": 8}}}, DATA)
    assert [s.key for s in named[0].stages] == [s.key for s in runs["b-s0"].stages]
    assert len(stage_index(list(runs.values()) + named)) == 6
    with pytest.raises(ValueError, match="must run in order from warmup"):
        ablation_runs({**exp, "variants": {"x": {"stages": ["inter"]}}}, DATA)


@pytest.mark.parametrize("config", CONFIGS)
def test_every_row_of_every_table_has_a_variant_that_fills_it(config):
    exp = _ablation(config)
    expected = set(design()["tables"]) - (set() if "paper" in config else MAIN_TABLES)
    assert set(exp["tables"]) == expected
    filled = _filled(exp, config)
    printed = _paper_rows()
    assert set(filled) == expected
    for table, rows in filled.items():
        assert sorted(rows) == sorted(printed[table]), table  # each printed row of ours, no other
    paper = read_paper_values(PAPER_VALUES)
    manifest = {"tables": {t: {"rows": sorted(r)} for t, r in filled.items()}}
    assert check_paper_file(paper, manifest) == []


def _stage(run, name):
    return next(s for s in run.stages if s.stage == name).settings


def _propagation(exp, run):
    return deep_merge(exp.get("propagation", {}), run.propagation)


@pytest.mark.parametrize("config", CONFIGS)
def test_all_rows_are_the_full_models(config):
    cfg = _config(config)
    exp = _ablation(config)
    filled = _filled(exp, config)
    named = {r.name: r for r in named_runs(cfg["training"]["runs"], data_identity(cfg))}
    liir, mer = (named[n] for n in (["liir", "mer"] if "paper" in config else ["liir-demo", "mer-demo"]))
    full_liir = {filled[t][row].name for t, row in (("liir-4", "all"), ("liir-5a", "1,440"), ("liir-5b", "1DAPE"),
                                                     ("liir-5c", "shifting"), ("liir-A1", "training + inference"))}
    full_mer = {filled[t][row].name for t, row in (("mer-4", "all"), ("mer-5A", "flow + VEN"), ("mer-5B", "5"),
                                                   ("mer-5C", "L_pn + L_w"))}
    if "paper" in config:
        full_liir |= {filled[t]["Liir"].name for t in ("liir-1", "liir-2", "liir-3")}
        full_liir |= {filled[t]["LIIR"].name for t in ("mer-1", "mer-2", "mer-3")}
        full_mer |= {filled[t]["MER"].name for t in ("mer-1", "mer-2", "mer-3")}
    assert len(full_liir) == len(full_mer) == 1
    runs = {r.name: r for r in ablation_runs(exp, data_identity(cfg))}
    for full, run in ((runs[full_liir.pop()], liir), (runs[full_mer.pop()], mer)):
        assert [s.key for s in full.stages] == [s.key for s in run.stages]  # the same trained model
        assert _propagation(exp, full)["compactness"] and run.propagation["compactness"]
    inter = _stage(liir, "inter")
    assert (inter["position"], inter["modulation"], inter["compactness"]) == ("1dape", "shift", True)
    assert inter["bank_points"] == 4 and (inter["bank_frames"] == 1440 or "paper" not in config)
    assert all(_stage(mer, "mer")[k] for c in MER_COMPONENTS.values() for k in c)
    assert _stage(mer, "mer")["compactness"]  # MER keeps the compactness prior (MER §4.6.4)


@pytest.mark.parametrize("config", CONFIGS)
def test_component_rows_add_one_component_to_the_baseline(config):
    exp = _ablation(config)
    filled = _filled(exp, config)

    def mer_on(run):
        return {c for c, keys in MER_COMPONENTS.items() if any(_stage(run, "mer")[k] for k in keys)}

    def liir_on(run):
        inter = _stage(run, "inter")
        on = {"inter-video": inter["bank_frames"] > 0, "position encoding": inter["position"] != "none",
              "compactness": inter["compactness"] and _propagation(exp, run)["compactness"]}
        assert inter["compactness"] == _propagation(exp, run)["compactness"]  # Table 4: training and inference
        return {c for c, v in on.items() if v}

    for table, on, components in (("mer-4", mer_on, set(MER_COMPONENTS)),
                                  ("liir-4", liir_on, {"inter-video", "position encoding", "compactness"})):
        rows = filled[table]
        assert on(rows["baseline"]) == set() and on(rows["all"]) == components
        for component in components:
            assert on(rows[f"+{component}"]) == {component}, (table, component)
    assert _stage(filled["mer-4"]["baseline"], "mer")["compactness"]  # smooth L1 + compactness prior
    assert _stage(filled["liir-4"]["+position encoding"], "inter")["position"] == "1dape"


def test_paper_values_are_consistent_where_the_papers_repeat_themselves():
    """J&F is the mean of J and F, YouTube-VOS Overall the mean of its four columns, and every row
    that two tables share agrees: checks of the transcription."""
    paper = read_paper_values(PAPER_VALUES)
    by_row = {}
    for (table, row, dataset, metric), pv in paper.items():
        if pv.value is not None:
            by_row.setdefault((table, row, dataset), {})[metric] = 100 * pv.value
    checked = 0
    for (table, row, _), m in by_row.items():
        if {"J&F-Mean", "J-Mean", "F-Mean"} <= set(m) and paper[(table, row, _, "J&F-Mean")].role == "reproduced":
            assert m["J&F-Mean"] == pytest.approx((m["J-Mean"] + m["F-Mean"]) / 2, abs=0.051), (table, row)
            checked += 1
        if "J-seen" in m:
            four = (m["J-seen"] + m["F-seen"] + m["J-unseen"] + m["F-unseen"]) / 4
            assert m["Overall"] == pytest.approx(four, abs=0.051), (table, row)
            checked += 1
    assert checked == 5 + 1 + 2 + 8  # mer-4's rows, ours in liir-1 and mer-1, liir-2's eight rows
    same = [(("liir-1", "Liir"), ("mer-1", "LIIR")), (("liir-4", "all"), ("liir-5a", "1,440")),
            (("liir-5b", "1DAPE"), ("liir-A1", "training + inference")), (("mer-4", "all"), ("mer-5C", "L_pn + L_w")),
            (("liir-A1", "training"), ("liir-A1-sigma", "#6")), (("liir-A1", "none"), ("liir-A1-sigma", "#1"))]
    for a, b in same:
        rows_a = {k[2:]: v for k, v in paper.items() if k[:2] == a and v.value is not None}
        rows_b = {k[2:]: v for k, v in paper.items() if k[:2] == b and v.value is not None}
        shared = set(rows_a) & set(rows_b)
        assert shared and all(rows_a[k].value == rows_b[k].value for k in shared), (a, b)
    assert paper[("liir-3", "Liir", "VIP val", "AP")].value == pytest.approx(0.221)


def _metrics(tmp_path, method, dataset, jf):
    path = tmp_path / "results/metrics" / method / f"{dataset}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Sequence,J&F-Mean,J-Mean,F-Mean\nglobal,{jf},{jf + 0.02},{jf - 0.02}\nseq_1,0.1,0.1,0.1\n")
    return method, dataset, path


def test_aggregation_of_synthetic_metric_files(tmp_path):
    files = [_metrics(tmp_path, "full-s0", "davis", 0.60), _metrics(tmp_path, "full-s1", "davis", 0.70),
             _metrics(tmp_path, "nobank-s0", "davis", 0.50)]
    paper_csv = tmp_path / "paper.csv"
    paper_csv.write_text("paper,table,row,dataset,metric,value,source\n"
                         "LIIR,t5a,0,DAVIS-2017 val,J&F-Mean,,LIIR Table 5a\n"
                         "LIIR,t5a,1440,DAVIS-2017 val,J&F-Mean,69.9,LIIR Table 5a\n")
    manifest = {  # rows declared out of the paper's order (the full variant fills several tables first)
        "tables": {"t5a": {"caption": "negatives", "datasets": ["davis"], "rows": ["1440", "0"]}},
        "runs": [
            {"name": "nobank-s0", "variant": "nobank", "seed": 0, "tables": {"t5a": "0"}, "checkpoint": "c0",
             "config_hash": "h0"},
            {"name": "full-s0", "variant": "full", "seed": 0, "tables": {"t5a": "1440"}, "checkpoint": "c1",
             "config_hash": "h1"},
            {"name": "full-s1", "variant": "full", "seed": 1, "tables": {"t5a": "1440"}, "checkpoint": "c2",
             "config_hash": "h1"}],
        "paper_datasets": {"davis": "DAVIS-2017 val"}, "code_version": "0.1.0+gabc"}
    rows = aggregate(manifest, files, read_paper_values(paper_csv))
    assert [(r["row"], r["metric"]) for r in rows] == [
        ("0", "J&F-Mean"), ("0", "J-Mean"), ("0", "F-Mean"), ("1440", "J&F-Mean"), ("1440", "J-Mean"), ("1440", "F-Mean")]
    full = rows[3]
    assert full["value"] == pytest.approx(0.65) and full["std"] == pytest.approx(0.0707107, rel=1e-5)
    assert full["paper_value"] == pytest.approx(0.699) and full["diff"] == pytest.approx(-0.049)
    assert full["seeds"] == "0 1" and full["checkpoints"] == "c1 c2" and full["config_hash"] == "h1"
    assert rows[0]["paper_value"] == "" and rows[0]["diff"] == "" and rows[0]["std"] == ""
    md, tex = markdown("t5a", "negatives", rows), latex("t5a", "negatives", rows)
    assert "| 1440 * | 65.0 ± 7.1 (69.9) |" in md and "| 0 * | 50.0 (–) |" in md
    assert r"65.0 $\pm$ 7.1 (69.9)" in tex and r"J\&F-Mean" in tex


def test_a_missing_seed_is_an_error(tmp_path):
    files = [_metrics(tmp_path, "full-s0", "davis", 0.6)]
    manifest = {"tables": {"t": {"caption": "", "datasets": ["davis"], "rows": ["r"]}},
                "runs": [{"name": f"full-s{i}", "variant": "full", "seed": i, "tables": {"t": "r"}, "checkpoint": "c",
                          "config_hash": "h"} for i in (0, 1)],
                "paper_datasets": {}, "code_version": "x"}
    with pytest.raises(ValueError, match="missing for some seeds"):
        aggregate(manifest, files, {})


def test_main_tables_show_ours_among_the_peers_and_youtube_vos_waits_for_the_server(tmp_path):
    files = [_metrics(tmp_path, "full-s0", "davis", 0.70)]
    zips = [("full-s0", "yt", tmp_path / "results/submissions/full-s0/yt.zip")]
    paper_csv = tmp_path / "paper.csv"
    paper_csv.write_text(
        "paper,table,row,role,dataset,metric,value,source,note\n"
        "LIIR,main,MAST,peer,DAVIS-2017 val,J&F-Mean,65.5,LIIR Table 1,\n"
        "LIIR,main,MAST,peer,YouTube-VOS 2018 val,Overall,64.2,LIIR Table 2,\n"
        "LIIR,main,Liir,reproduced,DAVIS-2017 val,J&F-Mean,72.1,LIIR Table 1,\n"
        "LIIR,main,Liir,reproduced,YouTube-VOS 2018 val,Overall,69.3,LIIR Table 2,\n"
        "LIIR,main,STM,peer,DAVIS-2017 val,J&F-Mean,81.8,LIIR Table 1,supervised\n")
    manifest = {"tables": {"main": {"caption": "main", "datasets": ["davis", "yt"], "rows": ["Liir"]}},
                "runs": [{"name": "full-s0", "variant": "full", "seed": 0, "tables": {"main": "Liir"},
                          "checkpoint": "c", "config_hash": "h"}],
                "paper_datasets": {"davis": "DAVIS-2017 val", "yt": "YouTube-VOS 2018 val"}, "code_version": "x"}
    paper = read_paper_values(paper_csv)
    rows = aggregate(manifest, files, paper, zips)
    assert [(r["row"], r["dataset"], r["metric"], r["role"]) for r in rows] == [
        ("MAST", "davis", "J&F-Mean", "peer"), ("MAST", "yt", "Overall", "peer"),
        ("Liir", "davis", "J&F-Mean", "reproduced"), ("Liir", "davis", "J-Mean", "reproduced"),
        ("Liir", "davis", "F-Mean", "reproduced"), ("Liir", "yt", "Overall", "reproduced"),
        ("STM", "davis", "J&F-Mean", "peer")]
    assert rows[0]["value"] == "" and rows[0]["paper_value"] == pytest.approx(0.655) and rows[0]["diff"] == ""
    waiting = rows[5]
    assert waiting["value"] == "" and waiting["submission"] == str(zips[0][2]) and waiting["paper_value"] == pytest.approx(0.693)
    md = markdown("main", "main", rows)
    assert "| MAST | – (65.5) | – (64.2) |" in md and "| Liir * | 70.0 (72.1) | server (69.3) |" in md
    assert f"- Liir: `{zips[0][2]}`" in md and rows[-1]["paper_note"] == "supervised"
    # the server's numbers, pasted back in percent, fill the row
    server_csv = tmp_path / "server.csv"
    server_csv.write_text("method,dataset,metric,value\nfull-s0,yt,Overall,68.2\n")
    rows = aggregate(manifest, files, paper, zips, read_server_scores(server_csv))
    assert rows[5]["value"] == pytest.approx(0.682) and rows[5]["diff"] == pytest.approx(-0.011)
    assert "| Liir * | 70.0 (72.1) | 68.2 (69.3) |" in markdown("main", "main", rows)


@pytest.mark.parametrize("text, message", [
    ("method,dataset,value\nm,d,1\n", "columns ['metric'] are missing"),
    ("method,dataset,metric,value\nm,d,Overall,0.693\n", "line 2: value 0.693 is not a percentage"),
    ("method,dataset,metric,value\nm,d,Overall,high\n", "line 2: value 'high' is not a number"),
])
def test_bad_server_scores_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "server.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        read_server_scores(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("line, message", [
    ("LIIR,t,r,ours,DAVIS-2017 val,J&F-Mean,70.1,src,", "line 2: role 'ours' is not one of"),
    ("LIIR,t,r,peer,DAVIS-2017 val,J&F-Mean,70.1%,src,", "line 2: value '70.1%' is not a number"),
])
def test_bad_paper_values_name_the_line(tmp_path, line, message):
    path = tmp_path / "paper.csv"
    path.write_text("paper,table,row,role,dataset,metric,value,source,note\n" + line + "\n")
    with pytest.raises(ValueError, match=re.escape(message)):
        read_paper_values(path)


def test_spelling_out_a_default_keeps_the_stage_key():
    """A stage is named by the settings that differ from the defaults: a new option at its
    default keeps trained checkpoints valid, while a real change names a new stage."""
    keys = lambda warmup: [s.key for s in named_runs({"n": {"datasets": ["d"], "warmup": warmup}}, DATA)[0].stages]
    assert keys({"steps_per_epoch": 5}) == keys({"steps_per_epoch": 5, "resize": "crop", "gaps": []})
    assert keys({"steps_per_epoch": 5}) != keys({"steps_per_epoch": 5, "resize": "whole"})


def test_a_stage_key_names_its_training_data_by_content_not_by_name():
    """Two folds of one dataset name train two models, so they get two keys (cpu_fold2.yaml
    redefines davis_train15); moving the data to another root keeps the key; decoded videos are
    keyed by the frames settings too."""
    from vidcorr.plan import Plan

    def key(*files, **over):
        cfg = deep_merge(load_config([REPO / f for f in files]), over)
        return Plan(cfg).runs["liir-dev"].stages[0].key

    fold1 = key("workflow/configs/cpu_dev.yaml")
    assert key("workflow/configs/cpu_dev.yaml", "workflow/configs/cpu_fold2.yaml") != fold1
    assert key("workflow/configs/cpu_dev.yaml", roots={"davis_train15": "/elsewhere/davis"}) == fold1
    assert key("workflow/configs/cpu_dev.yaml", frames={"short_side": 240}) != fold1
    with pytest.raises(ValueError, match="training datasets list 'nowhere', which is not in datasets"):
        named_runs({"n": {"datasets": ["nowhere"], "warmup": {}}}, DATA)


def test_a_stage_job_is_given_only_its_overrides():
    """train_settings' parameters are the non-default settings, so a new option at its default
    leaves every finished stage's job unchanged (Snakemake's params trigger would retrain it);
    vidcorr train fills the defaults back in."""
    warm, inter = named_runs({"n": {"datasets": ["d"], "warmup": {"steps_per_epoch": 5, "resize": "crop"},
                                    "inter": {"bank_frames": 8}}}, DATA)[0].stages
    assert warm.overrides == {"steps_per_epoch": 5} and inter.overrides == {"bank_frames": 8, "stage": "inter"}
    for stage in (warm, inter):
        assert TrainConfig.from_dict(stage.overrides).to_dict() == stage.settings


def test_learning_curve_points_are_epoch_checkpoints_across_stages(tmp_path):
    from vidcorr.ablation.learning_curve import write_learning_curve
    from vidcorr.plan.curve import curve_points

    spec = {"datasets": ["d"], "warmup": {"epochs": 2, "steps_per_epoch": 50},
            "inter": {"epochs": 2, "steps_per_epoch": 100, "bank_frames": 8}}
    liir, longer = named_runs({"liir": spec, "longer": {**spec, "mer": {"epochs": 1, "steps_per_epoch": 100,
                                                                        "bank_frames": 8}}}, DATA)
    warm, inter = (s.key for s in liir.stages)
    points = curve_points(longer, [0, 50, 100, 300, 400, 800], [liir, longer])
    assert [(p.step, p.key, p.epoch) for p in points] == [(0, warm, 0), (50, warm, 1), (100, warm, 2),
                                                          (300, inter, 2), (400, longer.stages[2].key, 1)]
    assert points[0].checkpoint == f"results/train/{warm}/epoch_000.pt" and points[1].method == f"{warm}@1"
    assert points[3].method == "liir" and points[4].method == "longer"  # final checkpoints are the runs
    with pytest.raises(ValueError, match=r"step 150 .* not the end of an epoch; its epochs end at steps \[50, 100, 200, 300\]"):
        curve_points(liir, [150])
    metrics = {}
    for name, value in (("a", 0.3), ("b", 0.5), ("lab", 0.4)):
        metrics[name] = tmp_path / f"{name}.csv"
        metrics[name].write_text(f"J&F-Mean,J-Mean\n{value},0\n")
    write_learning_curve([("liir", 0, str(metrics["a"])), ("liir", 100, str(metrics["b"]))],
                         [("lab", str(metrics["lab"]))], tmp_path / "curve.csv", tmp_path / "curve.png")
    rows = list(csv.DictReader(open(tmp_path / "curve.csv")))
    assert [(r["run"], r["step"], float(r["value"])) for r in rows] == [("liir", "0", 0.3), ("liir", "100", 0.5),
                                                                        ("lab", "", 0.4)]
    assert (tmp_path / "curve.png").stat().st_size > 1000
