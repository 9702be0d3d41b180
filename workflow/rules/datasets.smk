# Dataset index: validate each dataset's layout in place and list its sequences (nothing is copied).
# A checkpoint, because per-video jobs (flow) learn the sequence names from it.


checkpoint index_dataset:
    input:
        index_inputs,
    output:
        index=paths.index("{dataset}"),
        skipped=paths.skipped("{dataset}"),
    params:
        args=index_args,
    log:
        paths.log("index/{dataset}"),
    benchmark:
        paths.timing("index/{dataset}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr index {params.args} --out {output.index:q} --skipped {output.skipped:q} > {log:q} 2>&1"


rule preview_dataset:
    input:
        index=paths.index("{dataset}"),
    output:
        report(
            paths.preview("{dataset}"),
            caption="../report/preview.rst",
            category="Data",
            labels={"dataset": "{dataset}"},
        ),
    log:
        paths.log("preview/{dataset}"),
    benchmark:
        paths.timing("preview/{dataset}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr preview --index {input.index:q} --out {output:q} > {log:q} 2>&1"
