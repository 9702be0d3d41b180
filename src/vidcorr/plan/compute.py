"""The compute plan of a config, before anyone submits it: every distinct training stage as the
pipeline trains it (a stage shared by several runs once), its samples, and a projected time from a
rate in samples per second per device, measured by a probe (vidcorr.train.probe) or given.

Time of a stage = samples / (rate x devices): the rate is one process's at its per-device batch, and
N devices are assumed to scale it N times (DDP's all-reduce is not counted). Propagation and
evaluation are not counted either: on a GPU they take minutes where training takes days.
"""

from __future__ import annotations

from dataclasses import dataclass

from .runs import Stage

# The settings that change what one step costs; stages alike in these share one probe.
COST_KEYS = ("stage", "crop", "batch_size", "devices", "radius", "head", "layer4", "position", "modulation",
             "bank_frames", "bank_points", "compactness", "compactness_form", "compactness_k", "flow_fusion", "ven",
             "ven_target", "ven_dim", "ven_layers", "dropkey", "sampler", "clusters", "kmeans_iters", "loss_pos_neg", "pos_neg_positive",
             "loss_weight_map", "recon", "values")


def cost_signature(stage: Stage) -> tuple:
    """What decides a step's cost (COST_KEYS), hashable: the key of a probe."""
    return tuple((k, stage.settings[k]) for k in COST_KEYS)


@dataclass(frozen=True)
class StageCost:
    stage: Stage
    rate: float  # samples per second per device

    @property
    def steps(self) -> int:
        return self.stage.settings["epochs"] * self.stage.settings["steps_per_epoch"]

    @property
    def samples(self) -> int:
        return self.steps * self.stage.settings["batch_size"]

    @property
    def hours(self) -> float:
        """Wall-clock hours on its devices."""
        return self.samples / (self.rate * self.stage.devices) / 3600

    @property
    def device_hours(self) -> float:
        return self.hours * self.stage.devices


def selected(plan, runs: list[str] | None) -> dict:
    """The plan's runs, or only those named (an unknown name is an error that lists the known ones)."""
    if not runs:
        return plan.runs
    unknown = sorted(set(runs) - set(plan.runs))
    if unknown:
        raise ValueError(f"run(s) {unknown} are not in this config; its runs: {sorted(plan.runs)}")
    return {name: plan.runs[name] for name in runs}


def stage_groups(plan, runs: dict) -> dict[str, list[str]]:
    """Stage keys by what uses them: `training.runs` (the named runs), then each ablation table of
    `ablation.tables`; a stage appears in every group that uses it."""
    groups = {"training.runs": [s.key for r in runs.values() if r.variant is None for s in r.stages]}
    for table in plan.config.get("ablation", {}).get("tables", {}):
        groups[table] = [s.key for r in runs.values() if table in r.tables for s in r.stages]
    return {name: list(dict.fromkeys(keys)) for name, keys in groups.items() if keys}


def _h(hours: float) -> str:
    return f"{hours:,.1f}" if hours >= 1 else f"{hours * 60:.1f} min"


def plan_table(plan, rates: dict[tuple, float], header: list[str], runs: list[str] | None = None) -> str:
    """The compute plan as Markdown: the stages (of `runs` only, when named), then totals per group
    and for the whole selection."""
    chosen = selected(plan, runs)
    stages = {s.key: s for r in chosen.values() for s in r.stages}
    costs = {key: StageCost(stage, rates[cost_signature(stage)]) for key, stage in stages.items()}
    users = {key: sorted(r.name for r in chosen.values() if any(s.key == key for s in r.stages)) for key in costs}
    lines = [*header, "", "| stage | kind | runs | steps | batch | samples | crop | devices | samples/s/device | "
             "hours | device-hours |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, c in sorted(costs.items(), key=lambda kv: (kv[1].stage.stage, kv[0])):
        s = c.stage.settings
        shown = ", ".join(users[key][:3]) + (f" +{len(users[key]) - 3}" if len(users[key]) > 3 else "")
        lines.append(f"| `{key}` | {c.stage.stage} | {shown} | {c.steps:,} | {s['batch_size']} | {c.samples:,} | "
                     f"{s['crop']} | {c.stage.devices} | {c.rate:.3g} | {_h(c.hours)} | {_h(c.device_hours)} |")
    lines += ["", "| what | distinct stages | samples | hours (one stage at a time) | device-hours |",
              "|---|---|---|---|---|"]
    for name, keys in [*stage_groups(plan, chosen).items(), ("whole config" if not runs else "these runs", list(costs))]:
        picked = [costs[k] for k in keys]
        lines.append(f"| {name} | {len(picked)} | {sum(c.samples for c in picked):,} | "
                     f"{_h(sum(c.hours for c in picked))} | {_h(sum(c.device_hours for c in picked))} |")
    return "\n".join(lines) + "\n"
