# The checkpoint zoo: released files of other methods converted, each scored under its own test
# protocol and under ours (propagate and evaluate as for any method), beside the printed numbers.


rule convert_checkpoint:
    input:
        lambda wc: PLAN.zoo_model(wc.name).file,
    output:
        paths.zoo_checkpoint("{name}"),
    params:
        format=lambda wc: PLAN.zoo_model(wc.name).format,
    log:
        paths.log("zoo/convert/{name}"),
    benchmark:
        paths.timing("zoo/convert/{name}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr convert-checkpoint --from {params.format:q} {input:q} {output:q} > {log:q} 2>&1"


rule zoo_table:
    input:
        [paths.metrics(m, d) for m, d in PLAN.zoo_scored()],
    output:
        md=report(paths.zoo_table("md"), caption="../report/zoo.rst", category="Zoo"),
        csv=paths.zoo_table("csv"),
    params:
        manifest=lambda wc: json.dumps({"models": PLAN.zoo_manifest(),
                                        "datasets": {d: PLAN.scorer(d) for d in config["zoo"]["datasets"]}}),
        metrics=lambda wc, input: metric_triples(PLAN.zoo_scored(), input),
    log:
        paths.log("zoo/table"),
    benchmark:
        paths.timing("zoo/table")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr zoo-table --manifest {params.manifest:q} {params.metrics} --md {output.md:q} --csv {output.csv:q}"
        " > {log:q} 2>&1"
