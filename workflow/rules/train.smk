# Self-supervised training, one job per distinct stage. A stage is keyed by its settings, seed,
# datasets and the stage it starts from (vidcorr.plan.runs), so runs and ablation variants
# that share a prefix of the schedule share its checkpoints: results/train/<stage>-<hash>/.
# A killed job resumes from its last.pt when rerun.


rule train_settings:
    output:
        paths.train_settings("{key}"),
    params:
        # only what differs from the defaults (vidcorr train fills them in): a new option at its
        # default changes no job's parameters, so Snakemake does not retrain finished stages
        settings=lambda wc: json.dumps(PLAN.stages[wc.key].overrides, sort_keys=True),
    log:
        paths.log("train/{key}_settings"),
    benchmark:
        paths.timing("train/{key}_settings")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section train --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule train_stage:
    input:
        settings=paths.train_settings("{key}"),
        data=stage_indexes,
        flow=stage_flow,
        init=stage_init,
    output:
        checkpoint=paths.checkpoint("{key}"),
        log=paths.train_log("{key}"),
        curve=report(
            paths.train_curve("{key}"),
            caption="../report/curve.rst",
            category="Training",
            labels={"stage": "{key}"},
        ),
    params:
        launch=lambda wc: PLAN.stages[wc.key].launcher,
        out=lambda wc, output: os.path.dirname(output.checkpoint),
        init=lambda wc, input: f"--init {' '.join(map(shlex.quote, input.init))}" if input.init else "",
        flow=lambda wc, input: f"--flow {' '.join(map(shlex.quote, input.flow))}" if input.flow else "",
    log:
        paths.log("train/{key}"),
    benchmark:
        paths.timing("train/{key}")
    threads: 2
    # A stage's `devices` decides its GPUs and CPUs (so these two are stated here, not in the profile):
    # on SLURM one node, --gpus N and 8 CPUs per GPU (the plugin prefers cpus_per_task to threads).
    resources:
        gpu=lambda wc: PLAN.stages[wc.key].devices,
        cpus_per_task=lambda wc: 8 * PLAN.stages[wc.key].devices,
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "{params.launch} train --config {input.settings:q} --data {input.data:q} {params.flow} {params.init}"
        " --out {params.out:q} > {log:q} 2>&1"


rule weight_maps:
    input:
        checkpoint=paths.checkpoint("{key}"),
        data=stage_indexes,
        flow=stage_flow,
    output:
        report(
            paths.weight_maps("{key}"),
            caption="../report/weight_maps.rst",
            category="Training",
            labels={"stage": "{key}"},
        ),
    params:
        flow=lambda wc, input: f"--flow {' '.join(map(shlex.quote, input.flow))}" if input.flow else "",
    log:
        paths.log("train/{key}_weight_maps"),
    benchmark:
        paths.timing("train/{key}_weight_maps")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr weight-maps --checkpoint {input.checkpoint:q} --data {input.data:q} {params.flow} --out {output:q} > {log:q} 2>&1"
