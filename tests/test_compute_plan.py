"""`vidcorr plan`: every distinct training stage once, its samples, and hours from a rate."""

from __future__ import annotations

import re

from helpers import REPO, run


def test_paper_plan_counts_each_shared_stage_once_and_projects_hours(tmp_path):
    out = tmp_path / "plan.md"
    text = run(["vidcorr", "plan", "--config", str(REPO / "workflow/configs/paper.yaml"),
                "--samples-per-second", "100", "--out", str(out)]).stdout
    assert out.read_text() == text
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(r"^\| (\S[^|]*?) \| (\d+) \| ([\d,]+) \| ([^|]+) \| ([^|]+) \|$",
                                                            text, re.M)}
    stages, samples, hours, device_hours = rows["whole config"]
    stage_rows = [l for l in text.splitlines() if l.startswith("| `")]
    assert int(stages) == len(stage_rows)  # one row a distinct stage, shared stages once
    total = sum(int(l.split("|")[6].strip().replace(",", "")) for l in stage_rows)
    assert int(samples.replace(",", "")) == total
    devices = [int(l.split("|")[8]) for l in stage_rows]
    # hours = samples / (100 samples/s x devices); device-hours = hours x devices
    assert abs(float(device_hours.replace(",", "")) - total / 100 / 3600) < 0.1
    assert abs(float(hours.replace(",", "")) - sum(int(l.split("|")[6].strip().replace(",", "")) / (100 * d) / 3600
                                                   for l, d in zip(stage_rows, devices))) < 0.1
    assert {"training.runs", "liir-1", "mer-4"} <= set(rows)  # per table, per named runs


def test_a_probe_measures_each_step_cost_on_this_machine(tmp_path):
    """The CI config's stages (crop 48, batch 4): one probe per distinct step cost, a positive rate each."""
    proc = run(["vidcorr", "plan", "--config", str(REPO / ".test/config.yaml"), "--probe-steps", "1", "--device", "cpu"])
    probes = re.findall(r"^probe \d+/(\d+): (\w+) crop 48, batch 4: [\d.]+ s a step, ([\d.e+-]+) samples/s$",
                        proc.stdout, re.M)
    assert probes and len(probes) == int(probes[0][0]) and all(float(r) > 0 for _, _, r in probes)
    assert {k for _, k, _ in probes} == {"warmup", "inter", "mer"}
    assert "Rates from a probe on this machine (the CPU, autocast float32)" in proc.stdout
    bad = run(["vidcorr", "plan", "--config", str(REPO / ".test/config.yaml"), "--samples-per-second", "warmup=5"],
              check=False)
    assert bad.returncode == 1 and "no rate for stage kind(s) ['inter', 'mer']" in bad.stderr
