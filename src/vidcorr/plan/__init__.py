"""What a pipeline config asks for, planned once: the training runs and their content-keyed
stages, the methods and the datasets they are propagated and scored on, each run's propagation
settings, the learning curve's points, the ablation manifest and every result's path.

The workflow's rules and input functions ask a Plan; the package holds no other copy of it.
"""

from __future__ import annotations

from ..datasets.types import SCORER
from ..inference.methods import BASELINES
from ..provenance import config_hash
from . import paths
from .curve import CurvePoint, curve_points
from .design import tables_of, variants_of
from .runs import Run, Stage, ablation_runs, data_identity, deep_merge, named_runs, stage_index
from .validate import check_config, check_inputs
from .zoo import PROTOCOLS, ZooModel, zoo_models

FLOW_DEFAULTS = {"datasets": [], "compute": {}, "validation": None}  # no flow section: no flow stage


class Plan:
    def __init__(self, config: dict):
        self.config = config
        self.runs: dict[str, Run] = {}
        exp, data = config.get("ablation"), data_identity(config)
        for run in (named_runs(config["training"]["runs"], data)
                    + ablation_runs(exp and {**exp, "variants": variants_of(exp)}, data)):
            if run.name in self.runs or run.name in config["evaluation"]["methods"] or run.name in BASELINES:
                raise ValueError(f"run name {run.name!r} (training.runs or ablation.variants) is used twice")
            self.runs[run.name] = run
        self.stages: dict[str, Stage] = stage_index(list(self.runs.values()))
        self.curve_points, self.curve_baselines = self._curve()
        self.curve_methods = {p.method: p for p in self.curve_points if p.final_of is None}  # the others are runs
        self.zoo = zoo_models(config)
        self.zoo_methods = {m.method(p): (m, p) for m in self.zoo if m.present for p in PROTOCOLS}
        check_config(self)

    def check_inputs(self) -> None:
        """Before the workflow runs: every root and named input file is there (validate.check_inputs)."""
        check_inputs(self)

    # datasets
    def scorer(self, dataset: str) -> str | None:
        """The metric a dataset is scored with (its reader's `scorer`); None for raw videos."""
        return SCORER.get(self.config["datasets"][dataset]["type"])

    def labelled(self, dataset: str) -> bool:
        return self.config["datasets"][dataset]["type"] != "videos"

    def is_generated(self, dataset: str) -> bool:
        """True for datasets that live inside the generated synthetic benchmark."""
        return paths.is_generated(self.config["roots"][dataset])

    def server_scores(self) -> list[str]:
        """The CSV of pasted YouTube-VOS server numbers (ablation.server_scores), if any."""
        path = (self.config.get("ablation") or {}).get("server_scores")
        return [path] if path else []

    def scored_locally(self, dataset: str) -> bool:
        return self.scorer(dataset) not in (None, "server")

    def propagated_dataset(self, name: str) -> str:
        """The dataset whose propagation `name` is scored on: its `subset_of`, or itself."""
        return self.config["datasets"][name].get("subset_of", name)

    def flow(self) -> dict:
        """The `flow:` section with its defaults (no dataset, OpenCV DIS, no validation)."""
        return {**FLOW_DEFAULTS, **self.config.get("flow", {})}

    def flow_validation_methods(self) -> list[dict]:
        """The validated backends, each with the stored files' quantisation and gaps."""
        compute, val = self.flow()["compute"], self.flow()["validation"]
        kept = {k: compute[k] for k in ("gaps", "dtype", "steps_per_pixel") if k in compute}
        return [{**kept, **m} for m in val["methods"]]

    # methods
    def methods(self) -> dict[str, str]:
        """Method name -> checkpoint: the configured ones, every training and ablation run, and
        the learning curve's epoch checkpoints."""
        return {**self.config["evaluation"]["methods"], **{n: r.checkpoint for n, r in self.runs.items()},
                **{n: p.checkpoint for n, p in self.curve_methods.items()},
                **{n: m.checkpoint for n, (m, _) in self.zoo_methods.items()}}

    def reported_methods(self) -> list[str]:
        """Methods propagated on evaluation.datasets: the configured ones and the named training runs."""
        return [m for m in self.methods() if m not in self.curve_methods and m not in self.zoo_methods
                and (m not in self.runs or self.runs[m].variant is None)]

    def weight_map_stages(self) -> list[str]:
        """Keys of the named runs' stages trained with MER's weight-map loss: each gets its W figure."""
        return sorted({s.key for r in self.runs.values() if r.variant is None for s in r.stages
                       if s.settings["loss_weight_map"]})

    def checkpoint_ready(self, method: str) -> str | None:
        """The file whose presence says a method's checkpoint is ready, which its propagate job waits
        for: the checkpoint it reads (methods()), except for a learning-curve point, which reads an
        epoch checkpoint that its stage writes before its final.pt (the stage's declared output);
        None for the baselines."""
        if method in self.curve_methods:
            return paths.checkpoint(self.curve_methods[method].key)
        ckpt = self.methods()[method]  # a zoo method's: its converted file
        return None if ckpt in BASELINES else ckpt

    def propagation_settings(self, method: str) -> dict:
        """The propagation section, with a run's overrides (for an ablation run: the ablation section's
        and then the variant's; for a zoo method: its preset, or the section as it is)."""
        if method in self.zoo_methods:
            model, protocol = self.zoo_methods[method]
            return model.settings(protocol, self.config["propagation"])
        run = self.runs.get(self.curve_methods[method].run if method in self.curve_methods else method)
        if run is None:
            return self.config["propagation"]
        base = self.config["ablation"].get("propagation", {}) if run.variant is not None else {}
        return deep_merge(deep_merge(self.config["propagation"], base), run.propagation)

    def scored(self) -> list[tuple[str, str]]:
        """(method, dataset) pairs of the main results that get metrics."""
        return [(m, d) for m in self.reported_methods() for d in self.config["evaluation"]["datasets"]
                if self.scored_locally(d)]

    def zoo_model(self, name: str) -> ZooModel:
        return next(m for m in self.zoo if m.name == name)

    def zoo_scored(self) -> list[tuple[str, str]]:
        """(method, dataset) pairs of the zoo's present models, both protocols."""
        return [(m, d) for m in self.zoo_methods for d in self.config["zoo"]["datasets"] if self.scored_locally(d)]

    def zoo_manifest(self) -> list[dict]:
        """What the zoo table needs to know about every model, present or not."""
        from ..convert import FORMATS

        return [{"name": m.name, "format": m.format, "file": m.file, "present": m.present, "published": m.published,
                 "printed": m.printed, "printed_source": m.printed_source, "preset": FORMATS[m.format].PRESET,
                 "own": m.own, "methods": {p: m.method(p) for p in PROTOCOLS}} for m in self.zoo]

    # learning curve
    def _curve(self) -> tuple[list[CurvePoint], list[str]]:
        spec = self.config.get("learning_curve")
        if not spec:
            return [], []
        for name in spec["runs"]:
            if name not in self.runs or self.runs[name].variant is not None:
                raise ValueError(f"config key learning_curve.runs lists {name!r}, which is not in training.runs")
        named = [r for r in self.runs.values() if r.variant is None]
        points = [p for name in spec["runs"] for p in curve_points(self.runs[name], spec["steps"], named)]
        return points, spec.get("baselines", list(BASELINES))

    # ablation
    def ablation_runs(self) -> list[Run]:
        return [r for r in self.runs.values() if r.variant is not None]

    def ablation_tables(self) -> dict[str, dict]:
        """Table id -> caption and the datasets it is scored on (design.tables_of)."""
        return tables_of(self.config["ablation"])

    def run_datasets(self, run: Run) -> list[str]:
        """The datasets a run is scored on: those of every table it fills, in table order."""
        tables = self.ablation_tables()
        return list(dict.fromkeys(d for t in run.tables for d in tables[t]["datasets"]))

    def ablation_scored(self) -> list[tuple[str, str]]:
        """(run, dataset) pairs of the ablation runs scored here."""
        return [(r.name, d) for r in self.ablation_runs() for d in self.run_datasets(r) if self.scored_locally(d)]

    def ablation_submitted(self) -> list[tuple[str, str]]:
        """(run, dataset) pairs whose propagation the challenge server scores."""
        return [(r.name, d) for r in self.ablation_runs() for d in self.run_datasets(r)
                if self.scorer(d) == "server"]

    def ablation_manifest(self) -> dict:
        """What the aggregation needs to know about the ablation (tables, rows, runs)."""
        exp = self.config["ablation"]
        tables = {t: {**spec, "rows": []} for t, spec in self.ablation_tables().items()}
        for run in self.ablation_runs():
            for t, row in run.tables.items():
                if row not in tables[t]["rows"]:
                    tables[t]["rows"].append(row)
        runs = [{"name": r.name, "variant": r.variant, "seed": r.seed, "tables": r.tables, "checkpoint": r.checkpoint,
                 "config_hash": config_hash({"stages": [s.key for s in r.stages],
                                             "propagation": self.propagation_settings(r.name)})}
                for r in self.ablation_runs()]
        return {"tables": tables, "runs": runs, "paper_datasets": exp.get("paper_datasets", {})}

    # the default target
    def targets(self) -> list[str]:
        cfg = self.config
        targets = [p for name in cfg["datasets"] for p in (paths.index(name), paths.preview(name))]
        targets += [paths.propagation(m, d) for m in self.reported_methods()
                    for d in dict.fromkeys(map(self.propagated_dataset, cfg["evaluation"]["datasets"]))]
        if self.scored():
            targets += [paths.summary("csv"), paths.summary("png")]
        targets += [paths.weight_maps(key) for key in self.weight_map_stages()]
        for name in self.flow()["datasets"]:
            targets += [paths.flow_index(name), paths.flow_picture(name)]
        if cfg.get("ablation"):
            targets.append(paths.ABLATION)
        if self.curve_points:
            targets.append(paths.learning_curve("csv"))
        if self.zoo:
            targets.append(paths.zoo_table("md"))
        if self.flow()["validation"]:
            targets.append(paths.flow_epe(self.flow()["validation"]["dataset"]))
        return targets


__all__ = ["Plan", "Run", "Stage", "CurvePoint", "ZooModel", "deep_merge", "paths"]
