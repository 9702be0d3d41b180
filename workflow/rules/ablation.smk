# Ablation: every experiment run scored on the datasets of the tables it fills, aggregated with
# the papers' values into results/ablation.csv, one Markdown + LaTeX table and one bar chart per
# table. YouTube-VOS runs are zipped for the challenge server; its numbers come back through
# experiments.server_scores.


rule ablation_manifest:
    output:
        "results/ablation/manifest.yaml",
    params:
        manifest=lambda wc: json.dumps(PLAN.ablation_manifest(), sort_keys=True),
    log:
        "logs/ablation/manifest.log",
    benchmark:
        "benchmarks/ablation/manifest.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr settings --section manifest --json {params.manifest:q} --out {output:q} > {log:q} 2>&1"


rule submission_zip:
    input:
        paths.propagation("{method}", "{dataset}"),
    output:
        paths.submission("{method}", "{dataset}"),
    log:
        "logs/submission_zip/{method}/{dataset}.log",
    benchmark:
        "benchmarks/submission_zip/{method}/{dataset}.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr zip-submission --results {input:q} --out {output:q} > {log:q} 2>&1"


rule ablation:
    input:
        metrics=[paths.metrics(m, d) for m, d in PLAN.ablation_scored()],
        submissions=[paths.submission(m, d) for m, d in PLAN.ablation_submitted()],
        server=server_scores(),
        manifest="results/ablation/manifest.yaml",
        paper=PAPER_VALUES,
    output:
        table=report("results/ablation.csv", caption="../report/ablation_csv.rst", category="Ablation"),
        tables=directory("results/tables"),
        plots=report(
            directory("results/figures/ablation"),
            patterns=["{table}.png"],
            caption="../report/ablation.rst",
            category="Ablation",
        ),
    params:
        metrics=lambda wc, input: metric_triples(PLAN.ablation_scored(), input.metrics),
        submissions=lambda wc, input: metric_triples(PLAN.ablation_submitted(), input.submissions, "--submission"),
        server=lambda wc, input: f"--server-scores {shlex.quote(input.server[0])}" if input.server else "",
    log:
        "logs/ablation/ablation.log",
    benchmark:
        "benchmarks/ablation/ablation.tsv"
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr ablation {params.metrics} {params.submissions} {params.server}"
        " --manifest {input.manifest:q} --paper {input.paper:q} --out {output.table:q}"
        " --tables {output.tables:q} --plots {output.plots:q} > {log:q} 2>&1"
