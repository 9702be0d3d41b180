"""The Snakemake workflow: lint, config validation, dry runs, and real runs of the default target."""

from __future__ import annotations

import csv
import json
import shutil
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from helpers import REPO, run
from helpers.layouts import make_davis, make_jhmdb, make_vip, make_ytvos, two_objects
from helpers.clips import write_clip
from vidcorr.plan.design import design

SNAKEFILE = str(REPO / "Snakefile")


def snakemake(workdir, *args, check=True):
    return run(["snakemake", "-s", SNAKEFILE, "--directory", str(workdir), "--cores", "2", *args], check=check)


def _config(tmp_path, **changes):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg.update(changes)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_lint_is_clean():
    proc = run(["snakemake", "-s", SNAKEFILE, "--lint"])
    assert "Congratulations, your workflow is in a good condition" in proc.stdout + proc.stderr


def _job_count(dry_run: str, rule: str) -> int:
    """The count of a rule in a dry run's job table (0 when absent)."""
    for line in dry_run.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == rule and parts[1].isdigit():
            return int(parts[1])
    return 0


def test_default_dry_run_resolves_the_ablation_dag(tmp_path):
    out = snakemake(tmp_path, "-n", "--configfile", str(REPO / "config.yaml")).stdout
    assert "synthetic_benchmark" in out and "extract_frames" in out and "index_dataset" in out
    assert "rule ablation:" in out and "results/ablation.csv" in out
    # 32 runs (2 named, 30 variants) but 31 distinct stages: three warm-ups (the 2DSPE and 2DAPE rows
    # encode from the warm-up on), 14 inter-video, 14 MER
    assert _job_count(out, "train_stage") == 31
    assert _job_count(out, "propagate") == 4 * 3 + 30  # 4 reported methods x 3 datasets + the variants
    assert _job_count(out, "weight_maps") == 1  # mer-demo's MER stage (named runs only)


@pytest.mark.parametrize("change, key", [
    ({"sed": 1}, "'sed' was unexpected"),
    ({"frames": {"fps": None, "short_side": 256, "jpeg_quality": 95, "skip_bad_videos": False, "fsp": 3}},
     "'fsp' was unexpected"),
    ({"seed": "zero"}, "'zero' is not of type 'integer'"),
    ({"roots": {**yaml.safe_load((REPO / "config.yaml").read_text())["roots"], "part": "results/data/synthetic"},
      "datasets": {**yaml.safe_load((REPO / "config.yaml").read_text())["datasets"],
                   "part": {"type": "davis", "subset_of": "synthetic_vip", "options": {"sequences": ["synth00"]}}}},
     "config key datasets.part.subset_of: 'synthetic_vip' must be another davis dataset"),
    ({"datasets": {**yaml.safe_load((REPO / "config.yaml").read_text())["datasets"], "synthetic": {"type": "davsi"}}},
     "config key datasets.synthetic.type: 'davsi' is not a dataset type"),
])
def test_config_errors_name_the_key(tmp_path, change, key):
    proc = snakemake(tmp_path, "-n", "--configfile", str(_config(tmp_path, **change)), check=False)
    assert proc.returncode != 0
    assert key in proc.stdout + proc.stderr


def test_paper_config_needs_roots_then_resolves_and_indexes(tmp_path):
    paper = str(REPO / "workflow/configs/paper.yaml")
    proc = snakemake(tmp_path, "-n", "--configfile", paper, check=False)
    assert proc.returncode != 0 and "config key roots.ytvos is not set" in proc.stdout + proc.stderr
    make_ytvos(tmp_path / "ytvos", split="train")
    make_ytvos(tmp_path / "ytvos", split="valid")
    shutil.copytree(tmp_path / "ytvos/train/JPEGImages", tmp_path / "ytvos/train_all_frames/JPEGImages")
    make_davis(tmp_path / "davis")
    make_vip(tmp_path / "vip")
    make_jhmdb(tmp_path / "jhmdb")
    roots = "roots={" + ", ".join(f"{k}: {tmp_path / k}" for k in ("ytvos", "davis", "vip", "jhmdb")) + "}"
    roots = roots.replace("davis:", "davis2017:").replace("}", f", ytvos_val: {tmp_path / 'ytvos'}}}")
    dry = snakemake(tmp_path, "-n", "--configfile", paper, "--config", roots).stdout
    assert "index_dataset" in dry and "extract_frames" not in dry and "synthetic_benchmark" not in dry
    assert "propagate" in dry and "metrics_summary" in dry and "train_stage" in dry and "rule ablation:" in dry
    # per seed: four warm-ups (the port's APE from the warm-up on, so the rows without 1DAPE -
    # none, 2DSPE, 2DAPE - train their own), each shared by every variant that starts from it,
    # 14 distinct inter-video stages (the compactness rows that differ only at inference share
    # their training), 14 MER stages
    assert _job_count(dry, "train_stage") == 3 * (4 + 14 + 14)
    # every run is scored on its tables' datasets: 30 variants on DAVIS, the 16 LIIR ones on VIP too,
    # the full LIIR and MER runs on JHMDB and (zipped for the server) on YouTube-VOS val
    assert _job_count(dry, "evaluate") == 3 * (30 + 16 + 2) + 4 * 3  # + baselines and named runs on 3 datasets
    assert _job_count(dry, "submission_zip") == 3 * 2
    # A caption with an apostrophe passes through the shell (settings used to travel in '...').
    quoted = yaml.safe_load(open(paper))
    quoted["ablation"]["tables"]["liir-1"]["caption"] = "LIIR's Table 1, DAVIS-2017 val"
    paper = str(tmp_path / "paper_quoted.yaml")
    Path(paper).write_text(yaml.safe_dump(quoted))
    snakemake(tmp_path, "results/ablation/manifest.yaml", "--configfile", paper, "--config", roots)
    tables = yaml.safe_load((tmp_path / "results/ablation/manifest.yaml").read_text())["manifest"]["tables"]
    assert tables["liir-1"]["caption"] == "LIIR's Table 1, DAVIS-2017 val"
    # every table of the design, each with a row per variant that fills it
    assert {t: len(v["rows"]) for t, v in tables.items()} == {
        t: sum(t in v["tables"] for v in design()["variants"].values()) for t in design()["tables"]}
    assert tables["liir-4"]["rows"] == ["baseline", "+inter-video", "+position encoding", "+compactness", "all"]
    assert tables["liir-3"]["datasets"] == ["vip", "jhmdb"] and tables["mer-2"]["datasets"] == ["ytvos_val"]
    # Run what needs no paper-scale training: the indexes and the copy-first baseline.
    targets = [f"results/index/{d}.json" for d in ("ytvos", "davis2017", "vip", "jhmdb")]
    snakemake(tmp_path, *targets, "results/metrics/copy-first/davis2017.csv", "--configfile", paper, "--config", roots)
    row = next(csv.DictReader(open(tmp_path / "results/metrics/copy-first/davis2017.csv")))
    assert row["Sequence"] == "global" and float(row["J&F-Mean"]) == 1.0  # the fixture's masks do not move
    index = json.loads((tmp_path / "results/index/ytvos.json").read_text())
    assert index["sequences"][0]["objects"] == {"1": 0, "2": 2}
    assert json.loads((tmp_path / "results/index/jhmdb.json").read_text())["sequences"][0]["name"] == "run/clip_b"


def test_ci_config_builds_everything_then_a_second_run_does_nothing(tmp_path):
    """.test/config.yaml runs every stage, the ablation included, on small inputs."""
    cfg = str(REPO / ".test/config.yaml")
    snakemake(tmp_path, "--configfile", cfg)
    clips = json.loads((tmp_path / "results/index/demo_clips.json").read_text())
    assert [s["name"] for s in clips["sequences"]] == ["bikes", "carphone_pristine"]
    bikes = json.loads((tmp_path / "results/frames/demo_clips/bikes/manifest.json").read_text())
    assert bikes["num_frames"] == 250 and bikes["size"][1] == 128 and len(bikes["sha256"]) == 64
    synth = json.loads((tmp_path / "results/index/synthetic.json").read_text())
    assert len(synth["sequences"]) == 2 and all(s["num_labels"] == 10 for s in synth["sequences"])
    for name in ("demo_clips", "synthetic", "synthetic_vip", "synthetic_jhmdb"):
        assert (tmp_path / f"results/figures/preview/{name}.png").stat().st_size > 5_000
    summary = list(csv.DictReader(open(tmp_path / "results/metrics/summary.csv")))
    assert {(r["method"], r["dataset"], r["metric"]) for r in summary} >= {
        ("copy-first", "synthetic", "J&F-Mean"), ("lab", "synthetic_vip", "mIoU"), ("liir-demo", "synthetic_jhmdb", "PCK@0.1")}
    assert all(0 <= float(r["value"]) <= 1 for r in summary)
    assert (tmp_path / "results/figures/metrics.png").exists()
    assert (tmp_path / "results/figures/overlays/lab/synthetic.png").exists()
    # a subset dataset is scored on its parent's propagation: no second propagation, same numbers
    assert not (tmp_path / "results/propagation/lab/synthetic_one").exists()
    one = list(csv.DictReader(open(tmp_path / "results/metrics/lab/synthetic_one_per_sequence.csv")))
    both = {r["Sequence"]: r for r in csv.DictReader(open(tmp_path / "results/metrics/lab/synthetic_per_sequence.csv"))}
    assert [r["Sequence"] for r in one] == ["synth01"] and one[0] == both["synth01"]
    flow = json.loads((tmp_path / "results/flow/demo_clips/index.json").read_text())
    assert sorted(flow["files"]) == ["bikes", "carphone_pristine"]
    assert (tmp_path / "results/figures/flow/demo_clips.png").stat().st_size > 5_000
    epe = [r for r in csv.DictReader(open(tmp_path / "results/flow/synthetic/epe.csv")) if r["sequence"] == "all"]
    assert [r["model"] for r in epe] == ["dis_medium", "farneback"] and all(float(r["epe"]) > 0 for r in epe)
    # ablation: the two-seed variant has a spread, the others one seed; liir-demo and liir-all share stages
    rows = list(csv.DictReader(open(tmp_path / "results/ablation.csv")))
    assert {(r["table"], r["row"]) for r in rows} == {("liir-5a", "0"), ("liir-5a", "1,440"), ("mer-5B", "3")}
    neg0 = next(r for r in rows if r["row"] == "0" and r["metric"] == "J&F-Mean")
    assert neg0["seeds"] == "0 1" and float(neg0["std"]) > 0 and len(neg0["checkpoints"].split()) == 2
    assert all(r["code_version"] and len(r["config_hash"]) == 16 and r["paper_value"] == "" for r in rows)
    assert len(list((tmp_path / "results/train").glob("*/final.pt"))) == 6
    for t, row in (("liir-5a", "0"), ("mer-5B", "3")):
        assert f"| {row} * |" in (tmp_path / f"results/tables/{t}.md").read_text()
        assert r"\toprule" in (tmp_path / f"results/tables/{t}.tex").read_text()
        assert (tmp_path / f"results/figures/ablation/{t}.png").stat().st_size > 5_000
    curve = list(csv.DictReader(open(tmp_path / "results/learning_curve.csv")))
    assert [(r["run"], r["step"]) for r in curve] == [("liir-demo", "0"), ("liir-demo", "4"), ("liir-demo", "8"),
                                                      ("copy-first", ""), ("lab", "")]
    assert curve[2]["source"] == "results/metrics/liir-demo/synthetic.csv"  # the run's final checkpoint, scored once
    assert len({r["value"] for r in curve[:3]}) == 3 and all(0 <= float(r["value"]) <= 1 for r in curve)
    again = snakemake(tmp_path, "--configfile", cfg)
    assert "Nothing to be done" in again.stdout + again.stderr
    # the report gathers tables, bars, curves, overlays and flow pictures, each under its caption
    snakemake(tmp_path, "--configfile", cfg, "--report", str(tmp_path / "results/report.html"))
    html = (tmp_path / "results/report.html").read_text()
    for name in ("ablation.csv", "liir-5a.png", "curve.png", "metrics.png", "demo_clips.png", "learning_curve.png",
                 "Every ablation and main-results number", "grouped bars"):
        assert name in html, name
    assert re.search(r"losses per step of stage (warmup|inter|mer)-[0-9a-f]{12}", html)  # captions name the stage
    # changing one variant's setting retrains that variant's stage only
    changed = yaml.safe_load(open(cfg))
    changed["ablation"]["variants"]["mer-k3"] = {"mer": {"clusters": 2}}  # on the design's 3
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(changed))
    dry = snakemake(tmp_path, "-n", "--configfile", str(path)).stdout
    assert _job_count(dry, "train_stage") == 1 and "mer-k3-s0" in dry and _job_count(dry, "ablation") == 1


def _video_config(tmp_path, skip, good="good", broken="broken", folder="videos"):
    videos = tmp_path / folder
    videos.mkdir()
    write_clip(videos / f"{good}.mp4", n=8, faststart=True)
    (videos / f"{broken}.avi").write_bytes(b"RIFF" + b"\x00" * 400)
    cfg = {"seed": 0, "roots": {"mine": str(videos)}, "datasets": {"mine": {"type": "videos"}},
           "frames": {"fps": None, "short_side": None, "jpeg_quality": 90, "skip_bad_videos": skip},
           "evaluation": {"methods": {}, "datasets": []}, "training": {"runs": {}}}
    path = tmp_path / "videos.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_broken_video_fails_its_job_and_leaves_no_frames(tmp_path):
    proc = snakemake(tmp_path, "--configfile", str(_video_config(tmp_path, skip=False)), "--keep-going", check=False)
    assert proc.returncode != 0
    log = (tmp_path / "logs/frames/mine/broken.log").read_text()
    assert "broken.avi" in log and "not a readable video container" in log
    assert not (tmp_path / "results/frames/mine/broken").exists()
    assert (tmp_path / "results/frames/mine/good/00007.jpg").exists()


def test_skip_bad_videos_lists_the_skipped_file(tmp_path):
    snakemake(tmp_path, "--configfile", str(_video_config(tmp_path, skip=True)))
    rows = list(csv.DictReader(open(tmp_path / "results/index/mine.skipped.tsv"), delimiter="\t"))
    assert [r["video"] for r in rows] == ["broken"] and "not a readable" in rows[0]["reason"]
    index = json.loads((tmp_path / "results/index/mine.json").read_text())
    assert [s["name"] for s in index["sequences"]] == ["good"]


def test_names_with_spaces_and_accents_pass_every_rule(tmp_path):
    """Every path in every rule is quoted: a video named like a holiday clip extracts, gets flow and is
    indexed; a broken one is skipped with its reason; no stray file is left by a split path."""
    cfg = yaml.safe_load(_video_config(tmp_path, skip=True, good="clip ä 1", broken="bad ö", folder="my vidéos").read_text())
    cfg["flow"] = {"datasets": ["mine"], "compute": {"backend": "opencv", "model": "dis_ultrafast", "gaps": [1]}}
    path = tmp_path / "names.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    work = tmp_path / "work dir"
    snakemake(work, "results/flow/mine/index.json", "--configfile", str(path))
    assert (work / "results/frames/mine/clip ä 1/00007.jpg").exists()
    assert json.loads((work / "results/flow/mine/index.json").read_text())["files"] == {"clip ä 1": "videos/clip ä 1.h5"}
    rows = list(csv.DictReader(open(work / "results/index/mine.skipped.tsv"), delimiter="\t"))
    assert [r["video"] for r in rows] == ["bad ö"]
    assert sorted(p.name for p in (work / "logs/frames/mine").iterdir()) == ["bad ö.log", "clip ä 1.log"]


def test_every_stage_reads_a_dataset_at_its_configured_resolution(tmp_path):
    """`options.resolution` reached the index but not propagation or evaluation, which read 480p:
    here 480p holds masks that move and Full-Resolution masks that do not, so copy-first scores 1.0
    only when both stages read Full-Resolution."""
    moving = [two_objects(), np.where(two_objects() == 2, 0, two_objects()), np.zeros_like(two_objects())]
    root = make_davis(tmp_path / "d", moving)
    still = make_davis(tmp_path / "still")
    for kind in ("JPEGImages", "Annotations"):
        shutil.move(str(still / kind / "480p"), str(root / kind / "Full-Resolution"))
    cfg = {"seed": 0, "roots": {"hd": str(root)},
           "datasets": {"hd": {"type": "davis", "options": {"split": "val", "resolution": "Full-Resolution"}}},
           "frames": {"fps": None, "short_side": None, "jpeg_quality": 90, "skip_bad_videos": False},
           "evaluation": {"methods": {"copy-first": "copy-first"}, "datasets": ["hd"]}, "training": {"runs": {}}}
    path = tmp_path / "hd.yaml"
    path.write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path / "work", "results/metrics/copy-first/hd.csv", "--configfile", str(path))
    row = next(csv.DictReader(open(tmp_path / "work/results/metrics/copy-first/hd.csv")))
    assert row["Sequence"] == "global" and float(row["J&F-Mean"]) == 1.0


def test_a_stage_on_two_processes_trains_through_torchrun_like_one(tmp_path):
    """`devices: 2` on the CI config's warm-up: the train_stage rule launches torchrun with 2 gloo
    processes of 2 samples each; the first steps' losses equal one process's on the same global batch
    of 4 (BatchNorm over the global batch, gradients averaged), and provenance says how it ran."""
    from vidcorr.plan import Plan
    from vidcorr.sections import load_config

    cfg = yaml.safe_load((REPO / ".test/config.yaml").read_text())
    cfg["training"]["runs"]["liir-demo"]["warmup"]["devices"] = 2
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    stage = Plan(load_config([path])).runs["liir-demo"].stages[0]
    assert stage.devices == 2 and stage.launcher.startswith("torchrun --standalone --nproc_per_node 2")
    work = tmp_path / "work"
    snakemake(work, f"results/train/{stage.key}/final.pt", "--configfile", str(path))
    state = __import__("torch").load(work / f"results/train/{stage.key}/final.pt", weights_only=True)
    prov = state["provenance"]
    assert (prov["world_size"], prov["per_process_batch"], prov["backend"]) == (2, 2, "gloo")
    assert prov["ran"] == {"device": "cpu", "autocast": "float32", "grad_scaler": False}
    one = dict(stage.overrides, devices=1)  # the same stage in one process
    (tmp_path / "one.yaml").write_text(yaml.safe_dump({"train": one}))
    run(["vidcorr", "train", "--config", str(tmp_path / "one.yaml"), "--data", str(work / "results/index/demo_clips.json"),
         "--out", str(tmp_path / "one")])
    two = [float(r["loss"]) for r in csv.DictReader(open(work / f"results/train/{stage.key}/log.csv"))]
    ref = [float(r["loss"]) for r in csv.DictReader(open(tmp_path / "one/log.csv"))]
    assert len(two) == len(ref) == 4
    assert abs(two[0] - ref[0]) <= 1e-5 * ref[0], (two, ref)  # the same weights and batch: float32 sums' order only
    # after 3 Adam steps on averaged gradients the float32 order differences grow: 1.5e-3 measured on an
    # AVX2-only CPU (2026-12-05), under 1e-3 where oneDNN has AVX512 kernels; a rank that trained on its
    # own half, unaveraged, differs by more than 1e-2 after one step
    assert all(abs(a - b) <= 5e-3 * b for a, b in zip(two, ref)), (two, ref)


def test_the_zoo_scores_each_format_twice_and_lists_the_files_it_lacks(tmp_path):
    """workflow/configs/zoo.yaml on the synthetic benchmark, with a self-made file of each format
    (random weights) in roots.zoo under its published name, and the others absent."""
    from helpers.released import FORMATS, released_file

    zoo_cfg = yaml.safe_load((REPO / "workflow/configs/zoo.yaml").read_text())
    present = {}
    for fmt in FORMATS:  # the first model of each format
        name, spec = next((n, m) for n, m in zoo_cfg["zoo"]["models"].items() if m["format"] == fmt)
        (tmp_path / "zoo").mkdir(exist_ok=True)
        released_file(fmt, tmp_path / "zoo" / spec["file"])
        present[name] = spec
    over = tmp_path / "over.yaml"
    over.write_text(yaml.safe_dump({"roots": {"zoo": str(tmp_path / "zoo"), "davis17_val": "results/data/synthetic"},
                                    "propagation": {"input_scale": 0.5, "short_term": 3}}))
    snakemake(tmp_path, "--configfile", str(REPO / "workflow/configs/zoo.yaml"), str(over))
    with open(tmp_path / "results/zoo/zoo.csv", newline="") as f:
        rows = {r["model"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(zoo_cfg["zoo"]["models"])
    for name, row in rows.items():
        if name in present:
            assert row["status"].startswith("scored") and 0 <= float(row["own"]) <= 100 and 0 <= float(row["ours"]) <= 100
            assert float(row["printed"]) == present[name]["printed"]["davis17_val"]
        else:
            assert row["status"] == f"not found in roots.zoo; published at {zoo_cfg['zoo']['models'][name]['published']}"
    own = yaml.safe_load((tmp_path / "results/config/propagation/zoo-crw-own.yaml").read_text())["propagation"]
    ours = yaml.safe_load((tmp_path / "results/config/propagation/zoo-crw-ours.yaml").read_text())["propagation"]
    assert (own["short_term"], own["long_term_radius"], ours["short_term"]) == (20, None, 3)
    md = (tmp_path / "results/zoo/zoo.md").read_text()
    assert all(f"- {p}:" in md for p in ("mast", "liir", "crw", "vfs", "dino"))
