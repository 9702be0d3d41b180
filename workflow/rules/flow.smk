# Optical flow: one HDF5 file per video (forward flow for every configured gap), a merged index per
# dataset, a colour-wheel picture, and the backends' end-point error on the generated benchmark.


rule flow_settings:
    output:
        "results/flow/settings.yaml",
    params:
        settings=lambda wc: json.dumps(PLAN.flow()["compute"], sort_keys=True),
    log:
        "logs/flow/settings.log",
    benchmark:
        "benchmarks/flow/settings.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section flow --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule flow_video:
    input:
        index=paths.index("{dataset}"),
        settings="results/flow/settings.yaml",
    output:
        "results/flow/{dataset}/videos/{video}.h5",
    log:
        "logs/flow/{dataset}/{video}.log",
    benchmark:
        "benchmarks/flow/{dataset}/{video}.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow compute --index {input.index:q} --video {wildcards.video:q} --config {input.settings:q}"
        " --out {output:q} > {log:q} 2>&1"


rule flow_index:
    input:
        flow_files,
    output:
        paths.flow_index("{dataset}"),
    log:
        "logs/flow/{dataset}/index.log",
    benchmark:
        "benchmarks/flow/{dataset}/index.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow index {input:q} --dataset {wildcards.dataset:q} --out {output:q} > {log:q} 2>&1"


rule flow_picture:
    input:
        flow=paths.flow_index("{dataset}"),
        data=paths.index("{dataset}"),
    output:
        report(
            "results/figures/flow/{dataset}.png",
            caption="../report/flow.rst",
            category="Flow",
            labels={"dataset": "{dataset}"},
        ),
    log:
        "logs/flow/{dataset}/picture.log",
    benchmark:
        "benchmarks/flow/{dataset}/picture.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow picture --flow-index {input.flow:q} --data-index {input.data:q} --out {output:q} > {log:q} 2>&1"


rule flow_validation_settings:
    output:
        "results/flow/validation.yaml",
    params:
        settings=lambda wc: json.dumps(PLAN.flow_validation_methods(), sort_keys=True),
    log:
        "logs/flow/validation_settings.log",
    benchmark:
        "benchmarks/flow/validation_settings.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section flow_validation --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule flow_epe:
    input:
        benchmark=paths.SYNTHETIC,
        settings="results/flow/validation.yaml",
    output:
        "results/flow/{dataset}/epe.csv",
    params:
        root=lambda wc: config["roots"][wc.dataset],
    log:
        "logs/flow/{dataset}/epe.log",
    benchmark:
        "benchmarks/flow/{dataset}/epe.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow epe --root {params.root:q} --config {input.settings:q} --out {output:q} > {log:q} 2>&1"
