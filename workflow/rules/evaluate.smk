# Metrics of each propagated dataset, and their summary table and bar chart.


rule evaluate:
    input:
        lambda wc: f"results/propagation/{wc.method}/{propagated_dataset(wc.dataset)}",
    output:
        table="results/metrics/{method}/{dataset}.csv",
        per_sequence="results/metrics/{method}/{dataset}_per_sequence.csv",
    params:
        dataset=dataset_args,
    log:
        "logs/evaluate/{method}/{dataset}.log",
    benchmark:
        "benchmarks/evaluate/{method}/{dataset}.tsv"
    threads: 2
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        "vidcorr evaluate {params.dataset} --results {input:q} --out {output.table:q} > {log:q} 2>&1"


rule metrics_summary:
    input:
        [f"results/metrics/{m}/{d}.csv" for m, d in scored()],
    output:
        table="results/metrics/summary.csv",
        plot=report("results/figures/metrics.png", caption="../report/metrics.rst", category="Metrics"),
    log:
        "logs/metrics_summary.log",
    benchmark:
        "benchmarks/metrics_summary.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "vidcorr summarize {input:q} --out {output.table:q} --plot {output.plot:q} > {log:q} 2>&1"
