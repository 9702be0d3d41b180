# Label propagation of first-frame labels with each method, and qualitative overlays.


rule propagation_settings:
    output:
        paths.propagation_settings("{method}"),
    params:
        settings=lambda wc: json.dumps(PLAN.propagation_settings(wc.method), sort_keys=True),
    log:
        paths.log("propagation_settings/{method}"),
    benchmark:
        paths.timing("propagation_settings/{method}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section propagation --json {params.settings:q} --out {output:q} > {log:q} 2>&1"


rule propagate:
    input:
        index=paths.index("{dataset}"),
        settings=paths.propagation_settings("{method}"),
        checkpoint=checkpoint_inputs,
    output:
        results=directory(paths.propagation("{method}", "{dataset}")),
        overlays=report(
            paths.overlays("{method}", "{dataset}"),
            caption="../report/overlays.rst",
            category="Propagation",
            labels={"method": "{method}", "dataset": "{dataset}"},
        ),
    params:
        checkpoint=lambda wc: PLAN.methods()[wc.method],
    log:
        paths.log("propagate/{method}/{dataset}"),
    benchmark:
        paths.timing("propagate/{method}/{dataset}")
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr propagate --index {input.index:q} --checkpoint {params.checkpoint:q} --config {input.settings:q}"
        " --out {output.results:q} --overlays {output.overlays:q} > {log:q} 2>&1"
