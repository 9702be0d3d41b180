# Frames stage: decode each raw video into JPEG frames plus manifest.json.


rule extract_frames:
    input:
        video_source,
    output:
        directory(paths.frames("{dataset}", "{video}")),
    params:
        fps=lambda wc: f"--fps {config['frames']['fps']}" if config["frames"]["fps"] else "",
        short_side=lambda wc: f"--short-side {config['frames']['short_side']}" if config["frames"]["short_side"] else "",
        skip="--skip-bad" if config["frames"]["skip_bad_videos"] else "",
        quality=config["frames"]["jpeg_quality"],
    log:
        paths.log("frames/{dataset}/{video}"),
    benchmark:
        paths.timing("frames/{dataset}/{video}")
    threads: 1
    conda:
        "../../envs/vidcorr.yaml"
    shell:
        "vidcorr frames --video {input:q} --out {output:q} {params.fps} {params.short_side}"
        " --jpeg-quality {params.quality} {params.skip} > {log:q} 2>&1"
