# vidcorr: self-supervised video correspondence learning (LIIR, MER) as one Snakemake pipeline.
# Thin entry point: configuration, report, stage includes and the default target.

# config.yaml is the default; a --configfile (e.g. workflow/configs/paper.yaml) replaces it
# rather than being merged into it. Layer overrides with `--configfile config.yaml mine.yaml`.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


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
