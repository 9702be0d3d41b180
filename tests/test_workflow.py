"""The Snakemake workflow: lint, config validation, dry runs, and real runs of the default target."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from conftest import REPO, run
from layouts import make_davis, make_jhmdb, make_vip, make_ytvos
from test_frames_bad_input import _write_clip

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


def test_default_dry_run_resolves_the_dag(tmp_path):
    out = snakemake(tmp_path, "-n", "--configfile", str(REPO / "config.yaml")).stdout
    assert "synthetic_benchmark" in out and "extract_frames" in out and "index_dataset" in out


@pytest.mark.parametrize("change, key", [
    ({"sed": 1}, "'sed' was unexpected"),
    ({"frames": {"fps": None, "short_side": 256, "jpeg_quality": 95, "skip_bad_videos": False, "fsp": 3}},
     "'fsp' was unexpected"),
    ({"seed": "zero"}, "'zero' is not of type 'integer'"),
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
    make_davis(tmp_path / "davis")
    make_vip(tmp_path / "vip")
    make_jhmdb(tmp_path / "jhmdb")
    roots = "roots={" + ", ".join(f"{k}: {tmp_path / k}" for k in ("ytvos", "davis", "vip", "jhmdb")) + "}"
    roots = roots.replace("davis:", "davis2017:")
    dry = snakemake(tmp_path, "-n", "--configfile", paper, "--config", roots).stdout
    assert "index_dataset" in dry and "extract_frames" not in dry and "synthetic_benchmark" not in dry
    assert "propagate" in dry and "metrics_summary" in dry and "train_inter" in dry
    # Run what needs no paper-scale training: the indexes and the copy-first baseline.
    targets = [f"results/index/{d}.json" for d in ("ytvos", "davis2017", "vip", "jhmdb")]
    snakemake(tmp_path, *targets, "results/metrics/copy-first/davis2017.csv", "--configfile", paper, "--config", roots)
    row = next(csv.DictReader(open(tmp_path / "results/metrics/copy-first/davis2017.csv")))
    assert row["Sequence"] == "global" and float(row["J&F-Mean"]) == 1.0  # the fixture's masks do not move
    index = json.loads((tmp_path / "results/index/ytvos.json").read_text())
    assert index["sequences"][0]["objects"] == {"1": 0, "2": 2}
    assert json.loads((tmp_path / "results/index/jhmdb.json").read_text())["sequences"][0]["name"] == "run/clip_b"


def test_default_target_builds_then_a_second_run_does_nothing(tmp_path):
    snakemake(tmp_path, "--configfile", str(REPO / "config.yaml"))
    clips = json.loads((tmp_path / "results/index/demo_clips.json").read_text())
    assert [s["name"] for s in clips["sequences"]] == ["bigbuckbunny", "bikes", "carphone_pristine"]
    bikes = json.loads((tmp_path / "results/frames/demo_clips/bikes/manifest.json").read_text())
    assert bikes["num_frames"] == 250 and bikes["size"][1] == 256 and len(bikes["sha256"]) == 64
    synth = json.loads((tmp_path / "results/index/synthetic.json").read_text())
    assert len(synth["sequences"]) == 3 and all(s["num_labels"] == 20 for s in synth["sequences"])
    for name in ("demo_clips", "synthetic", "synthetic_vip", "synthetic_jhmdb"):
        assert (tmp_path / f"results/figures/preview/{name}.png").stat().st_size > 10_000
    summary = list(csv.DictReader(open(tmp_path / "results/metrics/summary.csv")))
    assert {(r["method"], r["dataset"], r["metric"]) for r in summary} >= {
        ("copy-first", "synthetic", "J&F-Mean"), ("lab", "synthetic_vip", "mIoU"), ("lab", "synthetic_jhmdb", "PCK@0.1")}
    assert all(0 <= float(r["value"]) <= 1 for r in summary)
    assert (tmp_path / "results/figures/metrics.png").exists()
    assert (tmp_path / "results/figures/overlays/lab/synthetic.png").exists()
    flow = json.loads((tmp_path / "results/flow/demo_clips/index.json").read_text())
    assert sorted(flow["files"]) == ["bigbuckbunny", "bikes", "carphone_pristine"]
    assert (tmp_path / "results/figures/flow/demo_clips.png").stat().st_size > 10_000
    epe = [r for r in csv.DictReader(open(tmp_path / "results/flow/synthetic/epe.csv")) if r["sequence"] == "all"]
    assert [r["model"] for r in epe] == ["dis_medium", "farneback"] and all(float(r["epe"]) > 0 for r in epe)
    again = snakemake(tmp_path, "--configfile", str(REPO / "config.yaml"))
    assert "Nothing to be done" in again.stdout + again.stderr


def _video_config(tmp_path, skip):
    videos = tmp_path / "videos"
    videos.mkdir()
    _write_clip(videos / "good.mp4", n=8, faststart=True)
    (videos / "broken.avi").write_bytes(b"RIFF" + b"\x00" * 400)
    cfg = {"seed": 0, "roots": {"mine": str(videos)}, "datasets": {"mine": {"type": "videos"}},
           "frames": {"fps": None, "short_side": None, "jpeg_quality": 90, "skip_bad_videos": skip},
           **{k: yaml.safe_load((REPO / "config.yaml").read_text())[k] for k in ("synthetic", "propagation")},
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
