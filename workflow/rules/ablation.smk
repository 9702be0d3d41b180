# Ablation: every ablation run scored on the datasets of the tables it fills, aggregated with
# the papers' values into results/ablation.csv, one Markdown + LaTeX table and one bar chart per
# table. YouTube-VOS runs are zipped for the challenge server; its numbers come back through
# ablation.server_scores.


rule ablation_manifest:
    output:
        paths.ABLATION_MANIFEST,
    params:
        manifest=lambda wc: json.dumps(PLAN.ablation_manifest(), sort_keys=True),
    log:
        paths.log("ablation/manifest"),
    benchmark:
        paths.timing("ablation/manifest")
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
        paths.log("submission_zip/{method}/{dataset}"),
    benchmark:
        paths.timing("submission_zip/{method}/{dataset}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr zip-submission --results {input:q} --out {output:q} > {log:q} 2>&1"


rule ablation:
    input:
        metrics=[paths.metrics(m, d) for m, d in PLAN.ablation_scored()],
        submissions=[paths.submission(m, d) for m, d in PLAN.ablation_submitted()],
        server=PLAN.server_scores(),
        manifest=paths.ABLATION_MANIFEST,
        paper=PAPER_VALUES,
    output:
        table=report(paths.ABLATION, caption="../report/ablation_csv.rst", category="Ablation"),
        tables=directory(paths.ABLATION_TABLES),
        plots=report(
            directory(paths.ABLATION_FIGURES),
            patterns=["{table}.png"],
            caption="../report/ablation.rst",
            category="Ablation",
        ),
    params:
        metrics=lambda wc, input: metric_triples(PLAN.ablation_scored(), input.metrics),
        submissions=lambda wc, input: metric_triples(PLAN.ablation_submitted(), input.submissions, "--submission"),
        server=lambda wc, input: f"--server-scores {shlex.quote(input.server[0])}" if input.server else "",
    log:
        paths.log("ablation/ablation"),
    benchmark:
        paths.timing("ablation/ablation")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr ablation {params.metrics} {params.submissions} {params.server}"
        " --manifest {input.manifest:q} --paper {input.paper:q} --out {output.table:q}"
        " --tables {output.tables:q} --plots {output.plots:q} > {log:q} 2>&1"
