# Optical flow: one HDF5 file per video (forward flow for every configured gap), a merged index per
# dataset, a colour-wheel picture, and the backends' end-point error on the generated benchmark.


rule flow_settings:
    output:
        paths.flow_settings(),
    params:
        settings=lambda wc: json.dumps(PLAN.flow()["compute"], sort_keys=True),
    log:
        paths.log("flow/settings"),
    benchmark:
        paths.timing("flow/settings")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section flow --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule flow_video:
    input:
        index=paths.index("{dataset}"),
        settings=paths.flow_settings(),
    output:
        paths.flow_video("{dataset}", "{video}"),
    log:
        paths.log("flow/{dataset}/{video}"),
    benchmark:
        paths.timing("flow/{dataset}/{video}")
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
        paths.log("flow/{dataset}/index"),
    benchmark:
        paths.timing("flow/{dataset}/index")
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
            paths.flow_picture("{dataset}"),
            caption="../report/flow.rst",
            category="Flow",
            labels={"dataset": "{dataset}"},
        ),
    log:
        paths.log("flow/{dataset}/picture"),
    benchmark:
        paths.timing("flow/{dataset}/picture")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow picture --flow-index {input.flow:q} --data-index {input.data:q} --out {output:q} > {log:q} 2>&1"


rule flow_validation_settings:
    output:
        paths.flow_validation_settings(),
    params:
        settings=lambda wc: json.dumps(PLAN.flow_validation_methods(), sort_keys=True),
    log:
        paths.log("flow/validation_settings"),
    benchmark:
        paths.timing("flow/validation_settings")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section flow_validation --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule flow_epe:
    input:
        benchmark=paths.SYNTHETIC,
        settings=paths.flow_validation_settings(),
    output:
        paths.flow_epe("{dataset}"),
    params:
        root=lambda wc: config["roots"][wc.dataset],
    log:
        paths.log("flow/{dataset}/epe"),
    benchmark:
        paths.timing("flow/{dataset}/epe")
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr flow epe --root {params.root:q} --config {input.settings:q} --out {output:q} > {log:q} 2>&1"
