# vidcorr: self-supervised video correspondence learning (LIIR, MER) as one Snakemake pipeline.
# Thin entry point: configuration, report, stage includes and the default target.

from vidcorr.settings_schema import DEFAULTS_PATH


# Every config is laid on the defaults every config shares (src/vidcorr/config.defaults.yaml):
# config.yaml (the demo), or instead the files given with --configfile, in order (e.g.
# workflow/configs/paper.yaml; `--configfile config.yaml mine.yaml` changes the demo).
configfile: str(DEFAULTS_PATH)


if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


# Jobs that only write what the plan says (settings, manifests) run where Snakemake runs, never
# as a cluster job of their own.
localrules:
    flow_settings,
    flow_validation_settings,
    train_settings,
    propagation_settings,
    ablation_manifest,


include: "workflow/rules/common.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/frames.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/propagate.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/ablation.smk"
include: "workflow/rules/curve.smk"
include: "workflow/rules/zoo.smk"


rule all:
    input:
        PLAN.targets(),
    default_target: True
