# Self-supervised training: warm-up (intra-video), then inter-video starting from its checkpoint,
# then (for runs with a `mer:` block) the MER stage starting from the inter-video checkpoint.
# A killed job resumes from results/train/<run>/<stage>/last.pt when rerun.


rule train_settings:
    output:
        "results/train/{run}/{stage}.yaml",
    params:
        settings=stage_settings,
    log:
        "logs/train/{run}/{stage}_settings.log",
    benchmark:
        "benchmarks/train/{run}/{stage}_settings.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "vidcorr settings --section train --json '{params.settings}' --out {output} > {log} 2>&1"


rule train_warmup:
    input:
        settings="results/train/{run}/warmup.yaml",
        data=training_indexes,
    output:
        checkpoint="results/train/{run}/warmup/final.pt",
        log="results/train/{run}/warmup/log.csv",
        curve=report(
            "results/train/{run}/warmup/curve.png",
            caption="../report/curve.rst",
            category="Training",
            labels={"run": "{run}", "stage": "warmup"},
        ),
    params:
        out=lambda wc, output: os.path.dirname(output.checkpoint),
    log:
        "logs/train/{run}/warmup.log",
    benchmark:
        "benchmarks/train/{run}/warmup.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=8000,
        runtime=1440,
    shell:
        "vidcorr train --config {input.settings} --data {input.data} --out {params.out} > {log} 2>&1"


rule train_inter:
    input:
        settings="results/train/{run}/inter.yaml",
        data=training_indexes,
        init="results/train/{run}/warmup/final.pt",
    output:
        checkpoint="results/train/{run}/inter/final.pt",
        log="results/train/{run}/inter/log.csv",
        curve=report(
            "results/train/{run}/inter/curve.png",
            caption="../report/curve.rst",
            category="Training",
            labels={"run": "{run}", "stage": "inter"},
        ),
    params:
        out=lambda wc, output: os.path.dirname(output.checkpoint),
    log:
        "logs/train/{run}/inter.log",
    benchmark:
        "benchmarks/train/{run}/inter.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=8000,
        runtime=1440,
    shell:
        "vidcorr train --config {input.settings} --data {input.data} --init {input.init} --out {params.out} > {log} 2>&1"


rule train_mer:
    input:
        settings="results/train/{run}/mer.yaml",
        data=training_indexes,
        flow=training_flow,
        init="results/train/{run}/inter/final.pt",
    output:
        checkpoint="results/train/{run}/mer/final.pt",
        log="results/train/{run}/mer/log.csv",
        curve=report(
            "results/train/{run}/mer/curve.png",
            caption="../report/curve.rst",
            category="Training",
            labels={"run": "{run}", "stage": "mer"},
        ),
    params:
        out=lambda wc, output: os.path.dirname(output.checkpoint),
        flow=lambda wc, input: f"--flow {' '.join(input.flow)}" if input.flow else "",
    log:
        "logs/train/{run}/mer.log",
    benchmark:
        "benchmarks/train/{run}/mer.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=8000,
        runtime=1440,
    shell:
        "vidcorr train --config {input.settings} --data {input.data} {params.flow} --init {input.init}"
        " --out {params.out} > {log} 2>&1"
