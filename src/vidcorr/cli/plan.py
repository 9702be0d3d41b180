"""`vidcorr plan`: what a config costs to train, before it is submitted (vidcorr.plan.compute)."""

from __future__ import annotations

import datetime


def _given_rates(entries: list[str]) -> dict[str, float]:
    """--samples-per-second S (every stage) or KIND=S (warmup, inter, mer), per device."""
    rates = {}
    for entry in entries:
        kind, _, value = entry.rpartition("=")
        try:
            rates[kind] = float(value)
        except ValueError:
            raise ValueError(f"--samples-per-second {entry!r}: give a number, or warmup=, inter= or mer= a number") from None
        if rates[kind] <= 0:
            raise ValueError(f"--samples-per-second {entry!r} must be positive")
    return rates


def _plan(args) -> int:
    from ..atomic import write_text
    from ..plan import Plan
    from ..plan.compute import cost_signature, plan_table, selected
    from ..sections import load_config

    plan = Plan(load_config(args.config))
    stages = {cost_signature(s): s for r in selected(plan, args.runs).values() for s in r.stages}
    header = [f"# Compute plan: {', '.join(args.config)}", "",
              f"{datetime.date.today().isoformat()}; {len(stages)} distinct step costs"
              + (f" (runs {', '.join(args.runs)})." if args.runs else ".")]
    if args.samples_per_second:
        given = _given_rates(args.samples_per_second)
        missing = sorted({s.stage for s in stages.values()} - set(given)) if "" not in given else []
        if missing:
            raise ValueError(f"--samples-per-second gives no rate for stage kind(s) {missing}: add KIND=S or one S for all")
        rates = {sig: given.get(s.stage, given.get("")) for sig, s in stages.items()}
        header.append("Rates given on the command line (samples per second per device).")
    else:
        rates, header = _probe(stages, args, header)
    text = plan_table(plan, rates, header, args.runs)
    print(text, end="")
    if args.out:
        write_text(args.out, text)
    return 0


def _probe(stages: dict, args, header: list[str]) -> tuple[dict, list[str]]:
    """A timed probe of each distinct step cost on this machine (vidcorr.train.probe)."""
    from ..train.config import TrainConfig
    from ..train.probe import probe

    rates, ran = {}, None
    for i, (sig, stage) in enumerate(stages.items(), 1):
        got = probe(TrainConfig.from_dict(stage.settings), steps=args.probe_steps, batch=args.probe_batch,
                    device=args.device)
        print(f"probe {i}/{len(stages)}: {stage.stage} crop {stage.settings['crop']}, batch {got['batch']}: "
              f"{got['seconds_per_step']:.2f} s a step, {got['samples_per_second']:.3g} samples/s", flush=True)
        rates[sig], ran = got["samples_per_second"], got
    where = ran.get("gpu", "the CPU") if ran else "nothing"
    header.append(f"Rates from a probe on this machine ({where}, autocast {ran['autocast'] if ran else '-'}): "
                  f"{args.probe_steps} timed steps a stage at batch min(its per-device batch, {args.probe_batch}).")
    return rates, header


def add_commands(sub) -> None:
    p = sub.add_parser("plan", help="the compute plan of a config: its training stages, samples and projected hours")
    p.add_argument("--config", nargs="+", required=True, help="config file(s), merged in order (as --configfile)")
    p.add_argument("--samples-per-second", nargs="+", default=None, metavar="[KIND=]S",
                   help="rates per device instead of a probe: one for every stage, or per kind (warmup=, inter=, mer=)")
    p.add_argument("--probe-steps", type=int, default=2, help="timed steps of each probe (after one untimed step)")
    p.add_argument("--probe-batch", type=int, default=4,
                   help="largest batch a probe runs (the stage's per-device batch when smaller)")
    p.add_argument("--device", default="auto", help="where the probe runs: auto, cpu, cuda or cuda:N")
    p.add_argument("--runs", nargs="+", default=None, help="only these runs (training.runs or ablation variants with their seed)")
    p.add_argument("--out", default=None, help="also write the plan here (Markdown)")
    p.set_defaults(func=_plan)
