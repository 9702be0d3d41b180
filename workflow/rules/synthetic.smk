# The generated, seeded evaluation benchmark (DAVIS/VIP/JHMDB layouts plus exact flow).


rule synthetic_benchmark:
    output:
        directory(paths.SYNTHETIC),
    params:
        s=config["synthetic"],
    log:
        paths.log("synthetic_benchmark"),
    benchmark:
        paths.timing("synthetic_benchmark")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr synth --out {output:q} --seed {params.s[seed]} --sequences {params.s[num_sequences]}"
        " --frames {params.s[num_frames]} --width {params.s[width]} --height {params.s[height]}"
        " --objects {params.s[num_objects]} > {log:q} 2>&1"
