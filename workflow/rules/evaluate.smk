# Metrics of each propagated dataset, and their summary table and bar chart.


rule evaluate:
    input:
        index=paths.index("{dataset}"),
        results=lambda wc: paths.propagation(wc.method, PLAN.propagated_dataset(wc.dataset)),
    output:
        table=paths.metrics("{method}", "{dataset}"),
        per_sequence=paths.metrics_per_sequence("{method}", "{dataset}"),
    log:
        paths.log("evaluate/{method}/{dataset}"),
    benchmark:
        paths.timing("evaluate/{method}/{dataset}")
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr evaluate --index {input.index:q} --results {input.results:q} --out {output.table:q}"
        " --workers {threads} > {log:q} 2>&1"


rule metrics_summary:
    input:
        [paths.metrics(m, d) for m, d in PLAN.scored()],
    output:
        table=paths.summary("csv"),
        plot=report(paths.summary("png"), caption="../report/metrics.rst", category="Metrics"),
    params:
        tables=lambda wc, input: metric_triples(PLAN.scored(), input),
    log:
        paths.log("metrics_summary"),
    benchmark:
        paths.timing("metrics_summary")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr summarize {params.tables} --out {output.table:q} --plot {output.plot:q} > {log:q} 2>&1"
