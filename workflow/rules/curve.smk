# Learning curve: J&F of each run's epoch checkpoints (propagated and scored by the usual rules,
# as methods named <stage key>@<epoch>) against training steps, with the baselines as flat lines.


rule learning_curve:
    input:
        points=[paths.metrics(p.method, config["learning_curve"]["dataset"]) for p in PLAN.curve_points],
        baselines=[paths.metrics(b, config["learning_curve"]["dataset"]) for b in PLAN.curve_baselines],
    output:
        table=paths.learning_curve("csv"),
        plot=report(paths.learning_curve("png"), caption="../report/learning_curve.rst", category="Metrics"),
    params:
        points=lambda wc, input: " ".join(f"--point {shlex.quote(p.run)} {p.step} {shlex.quote(f)}"
                                          for p, f in zip(PLAN.curve_points, input.points)),
        baselines=lambda wc, input: " ".join(f"--baseline {shlex.quote(b)} {shlex.quote(f)}" for b, f in zip(PLAN.curve_baselines, input.baselines)),
        title=lambda wc: shlex.quote(f"{config['learning_curve']['dataset']}: J&F against training steps"),
    log:
        paths.log("learning_curve"),
    benchmark:
        paths.timing("learning_curve")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr learning-curve {params.points} {params.baselines} --title {params.title}"
        " --out {output.table:q} --plot {output.plot:q} > {log:q} 2>&1"
