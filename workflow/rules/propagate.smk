# Label propagation of first-frame labels with each method, and qualitative overlays.


rule propagation_settings:
    output:
        "results/config/propagation/{method}.yaml",
    params:
        settings=lambda wc: json.dumps(PLAN.propagation_settings(wc.method), sort_keys=True),
    log:
        "logs/propagation_settings/{method}.log",
    benchmark:
        "benchmarks/propagation_settings/{method}.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section propagation --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule propagate:
    input:
        index=paths.index("{dataset}"),
        settings="results/config/propagation/{method}.yaml",
        checkpoint=checkpoint_inputs,
    output:
        results=directory(paths.propagation("{method}", "{dataset}")),
        overlays=report(
            "results/figures/overlays/{method}/{dataset}.png",
            caption="../report/overlays.rst",
            category="Propagation",
            labels={"method": "{method}", "dataset": "{dataset}"},
        ),
    params:
        checkpoint=lambda wc: PLAN.methods()[wc.method],
    log:
        "logs/propagate/{method}/{dataset}.log",
    benchmark:
        "benchmarks/propagate/{method}/{dataset}.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr propagate --index {input.index:q} --checkpoint {params.checkpoint:q} --config {input.settings:q}"
        " --out {output.results:q} --overlays {output.overlays:q} > {log:q} 2>&1"
