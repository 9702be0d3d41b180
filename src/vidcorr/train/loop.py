"""One training stage: `train()` builds, resumes and loops over `train_one_epoch()`, whose step
calls `step_losses()` (the reconstruction, and MER's terms) and `push_to_bank()`.

Each step: draw the global batch's dropped Lab channel, encode query and reference (channel
zeroed), reconstruct the query's channel from the reference's (plus memory-bank negatives in the
inter-video stage), step Adam, update the momentum encoder, and push momentum-encoder points of
this batch (gathered over DDP ranks) into the FIFO bank. A full checkpoint is written after every
epoch (and a first stage's initial encoder as epoch_000.pt, step 0 of the learning curve);
rerunning in the same folder resumes from the last one.

The MER stage adds, each behind its own switch: flow fused into both frames before the encoder,
the multi-cluster sampler's per-pixel windows for the affinity, the positive-negative loss
against the memory bank (its reconstruction stays intra-video), and the weight-map loss in place
of the plain smooth L1, whose weights come from the VEN or, with the VEN off (MER Table 5A's
rows without it), from Eq. 6's potential-value map. Either map enters L_w without gradient; the
VEN learns, if at all, from its own target on detached features (model/ven.py says why).
"""

from __future__ import annotations

import copy
import csv
import math
import os
import random
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..atomic import atomic_file
from ..lab_scale import AB_SCALE
from ..model import ResNet18Stride4, encoder_config, read_checkpoint, save_encoder, write_checkpoint
from ..model.cluster_sampler import MultiClusterSampler
from ..model.encoder import HEAD_CHANNELS, STRIDE
from ..model.flow_fusion import FlowFusion
from ..model.ven import ValueExtractionNetwork, potential_value, value_loss, value_target
from ..device import Policy, autocast_dtype
from ..provenance import record, sha256_file
from . import distributed as dist_utils
from .config import TrainConfig
from .curves import TERMS, plot_curve
from .data import PairDataset, videos_from_indexes
from .lab_dropout import KEEP_SCALE, drop_channel, pick_channels
from .memory_bank import MemoryBank
from .mer_losses import beta_at, normalise_weights, positive_logits, positive_negative_loss, weight_map_loss
from .reconstruction import RECON_SCALE, reconstruction_losses

LOG_COLUMNS = ["global_step", "epoch", "step", "loss", *TERMS, *(f"grad_{t}" for t in TERMS), "lr"]


def term_gradient_norms(terms: dict[str, torch.Tensor], params: list[torch.Tensor]) -> dict[str, float]:
    """L2 norm of each loss term's gradient on the shared (encoder) parameters: which term the
    encoder actually learns from. Terms that do not reach the parameters get 0. Over several
    processes, the norm of the gradient averaged over ranks (what the optimiser steps on)."""
    out = {}
    for name, term in terms.items():
        grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True) if term.requires_grad else []
        flat = torch.cat([(g if g is not None else torch.zeros_like(p)).float().flatten() for g, p in zip(grads, params)]) \
            if grads else torch.zeros(1, device=params[0].device)
        out[f"grad_{name}"] = float(dist_utils.mean_over_ranks(flat).double().norm())  # float32's norm of 5M
                                                                                        # entries is off by 1e-4
    return out


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, momentum: float) -> None:
    """The momentum encoder, updated in this one place."""
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(momentum).add_(pm.detach(), alpha=1 - momentum)
    for be, bm in zip(ema.buffers(), model.buffers()):
        be.copy_(bm)


def _load_init(model: torch.nn.Module, path: Path) -> None:
    """Start from a previous stage's encoder; only position-encoding weights may be new."""
    saved = read_checkpoint(path)
    scale = saved.get("encoder_config", {}).get("ab_scale", AB_SCALE)
    if scale != model.ab_scale:
        raise ValueError(f"initial checkpoint {path} was trained on Lab a/b divided by {scale:g}, this stage divides "
                         f"by {model.ab_scale:g}: give the stage ab_scale: {scale:g}")
    state = saved["encoder"]
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # a tensor of another shape
        raise ValueError(f"initial checkpoint {path} does not fit the encoder of this stage "
                         f"({' '.join(str(e).split())[:300]})") from e
    bad = [k for k in missing if not k.startswith("position.")] + [k for k in unexpected if not k.startswith("position.")]
    if bad:
        raise ValueError(f"initial checkpoint {path} does not fit the encoder of this stage: {bad[:5]}")


def _rng_state() -> dict:
    """RNG states as tensors and ints, so checkpoints load with torch.load(weights_only=True)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "numpy_keys": torch.from_numpy(keys.astype(np.int64)),
            "numpy_rest": [pos, has_gauss, cached], "python": random.getstate()}


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    pos, has_gauss, cached = state["numpy_rest"]
    np.random.set_state(("MT19937", state["numpy_keys"].numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(state["python"])


def _schedule(cfg: TrainConfig, total: int):
    if cfg.schedule == "cosine":
        return lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / max(total, 1)))
    if cfg.schedule == "step":  # MAST halves the lr at fixed points of its schedule
        factors = [1.0, *(cfg.decay_factors or [cfg.decay_factor ** (i + 1) for i in range(len(cfg.decay_at))])]
        return lambda s: factors[sum(s >= f * total for f in cfg.decay_at)]
    if cfg.schedule != "constant":
        raise ValueError(f"unknown schedule {cfg.schedule!r}; use constant, cosine or step")
    return lambda s: 1.0


def _inputs(indexes: list, flow: list | None, init) -> dict:
    """What a run trains on, by content: (path, sha256) of each data index, flow index and the init checkpoint."""
    def files(paths):
        return [[str(p), sha256_file(p)] for p in paths or []]

    return {"data": files(indexes), "flow": files(flow), "init": files([init] if init else [])}


def _digests(inputs: dict) -> dict:
    """The contents' sha256 only: the same files under another path (a moved folder) are the same inputs."""
    return {k: [sha for _, sha in v] for k, v in inputs.items()}


def _check_same_inputs(saved: dict | None, inputs: dict, last: Path, out: Path) -> None:
    """Resume only onto the data a run started with; a finished run is not reused for other data."""
    if saved is None or _digests(saved) != _digests(inputs):
        def names(d):
            return "; ".join(f"{k}: {[p for p, _ in v]}" for k, v in d.items() if v) if d else "unrecorded inputs"
        raise ValueError(f"{last} was trained on {names(saved)}, but this run asks for {names(inputs)} "
                         f"(or the same files changed); delete {out} to start over, or pass the original inputs")


def _check_finite(objective: dict, global_step: int, out: Path) -> None:
    """Stop at the first non-finite loss term, on every rank with the same message: weights trained
    on NaN must never become final.pt, and no rank may be left waiting for one that stopped."""
    bad = dist_utils.nonfinite_terms(objective)
    if bad:
        where = "" if dist_utils.world_size() == 1 else \
            " on rank(s) " + ", ".join(sorted({str(r) for r, _ in bad})) + f" of {dist_utils.world_size()}"
        raise FloatingPointError(
            f"training step {global_step}: loss term(s) {sorted({t for _, t in bad})} not finite{where}; stopped "
            f"without writing {out / 'final.pt'} (lower lr, or check the inputs and settings)")


def _mer_heads(cfg: TrainConfig) -> torch.nn.ModuleDict:
    """The MER stage's trainable parts besides the encoder (empty for the other stages)."""
    heads = torch.nn.ModuleDict()
    if cfg.flow_fusion:
        heads["fusion"] = FlowFusion(cfg.flow_alpha, cfg.flow_max)
    if cfg.ven and cfg.loss_weight_map:  # the VEN's weight map reaches the loss only through L_w
        heads["ven"] = ValueExtractionNetwork(HEAD_CHANNELS[cfg.head], cfg.ven_dim, cfg.ven_layers,
                                              cfg.ven_gamma, cfg.ven_omega, cfg.radius,
                                              cfg.dropkey).requires_grad_(cfg.ven_target != "frozen")
    return heads


def _flow_readers(paths: list | None) -> dict | None:
    """Dataset name -> FlowReader, from results/flow/<dataset>/index.json files."""
    if not paths:
        return None
    from ..flow import FlowReader

    readers = {}
    for p in paths:
        reader = FlowReader(p)
        readers[reader.index.get("dataset") or Path(p).parent.name] = reader
    return readers


@dataclass
class Parts:
    """Everything one stage trains, reads and keeps, built once by `build`."""

    data: torch.utils.data.Dataset  # a PairDataset (or the compute probe's random pairs)
    model: ResNet18Stride4  # the encoder being trained
    ema: ResNet18Stride4  # its momentum copy (fills the memory bank)
    heads: torch.nn.ModuleDict  # the MER stage's other trainable parts
    net: torch.nn.Module  # the encoder as called (DDP-wrapped on several ranks)
    fusion: torch.nn.Module | None
    ven: torch.nn.Module | None
    clusters: MultiClusterSampler | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    bank: MemoryBank
    use_bank: bool  # the stage reads the bank (inter-video; MER with L_pn), so it is filled
    total: int  # the stage's steps
    scaler: torch.amp.GradScaler  # loss scaling, on only for float16 autocast (vidcorr.device)


@dataclass
class Ranks:
    rank: int
    world: int
    local: int  # this rank's share of the global batch
    policy: Policy  # the device and the autocast dtype (vidcorr.device)

    @property
    def device(self) -> torch.device:
        return self.policy.device


def pair_data(cfg: TrainConfig, indexes: list, flow: list | None) -> PairDataset:
    """The stage's training pairs: frames of its datasets' indexes (with their flow where it reads flow)."""
    videos = videos_from_indexes(indexes)
    if cfg.needs_flow() and not flow:
        raise ValueError("flow_fusion and ven_target motion need the training datasets' flow: pass their "
                         "results/flow/<dataset>/index.json")
    return PairDataset(videos, cfg.crop, cfg.max_gap, cfg.steps_per_epoch * cfg.batch_size, cfg.seed,
                       flow=_flow_readers(flow) if cfg.needs_flow() else None, flow_gap=cfg.flow_gap,
                       gaps=cfg.gaps, gap_probs=cfg.gap_probs, resize=cfg.resize, flip=cfg.flip, pairs=cfg.pairs,
                       ab_scale=cfg.ab_scale, crop_scale=cfg.crop_scale)


def build(cfg: TrainConfig, data: torch.utils.data.Dataset, init, ranks: Ranks) -> Parts:
    """Encoder (from `init`), momentum encoder, MER heads, optimizer, schedule and bank around
    `data`, in the order that fixes what the seed gives each."""
    model = ResNet18Stride4(position=cfg.position, position_size=(cfg.crop // 2, cfg.crop // 2), layer4=cfg.layer4,
                            head=cfg.head, position_init=cfg.position_init, ab_scale=cfg.ab_scale)
    if init:
        _load_init(model, Path(init))
    model.to(ranks.device)
    heads = _mer_heads(cfg).to(ranks.device)
    clusters = MultiClusterSampler(cfg.clusters, cfg.sampler_tau, cfg.kmeans_iters, cfg.range_min, cfg.range_max,
                                   None if cfg.range_base == "r0" else float(cfg.radius)) if cfg.sampler else None
    ema = copy.deepcopy(model).requires_grad_(False)
    net, fusion, ven = model, *(heads[k] if k in heads else None for k in ("fusion", "ven"))
    if cfg.ven and not cfg.loss_weight_map:
        warnings.warn("ven without loss_weight_map: the VEN reaches training only through L_w's weight map, "
                      "so this stage trains as if ven were false")
    if ranks.world > 1:
        net, fusion = (dist_utils.wrap(m, ranks.device) if m is not None else None for m in (net, fusion))
        dist_utils.global_batchnorm(ema, ranks.device)  # fills the bank in training mode: global statistics too
        if cfg.ven_target != "frozen":  # its own target trains it: its gradients are averaged over ranks too
            ven = dist_utils.wrap(ven, ranks.device)
        elif ven is not None:
            dist_utils.global_batchnorm(ven, ranks.device)
    total = cfg.epochs * cfg.steps_per_epoch
    optimizer = torch.optim.Adam([p for p in (*model.parameters(), *heads.parameters()) if p.requires_grad], lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg, total))
    bank = MemoryBank(cfg.bank_frames, cfg.bank_points, HEAD_CHANNELS[cfg.head])
    use_bank = bool(bank.capacity) and cfg.reads_bank
    return Parts(data, model, ema, heads, net, fusion, ven, clusters, optimizer, scheduler, bank, use_bank, total,
                 ranks.policy.grad_scaler())


def resume(parts: Parts, cfg: TrainConfig, out: Path, inputs: dict) -> tuple[int, list[dict]]:
    """(first epoch to run, log so far): from out/last.pt when there is one, else (0, [])."""
    last = out / "last.pt"
    if not last.is_file():
        return 0, []
    state = read_checkpoint(last)
    if state["config"] != cfg.to_dict():
        raise ValueError(f"{last} was written with other settings; delete {out} to start over")
    _check_same_inputs(state.get("inputs"), inputs, last, out)
    parts.model.load_state_dict(state["encoder"])
    parts.heads.load_state_dict(state["heads"])
    parts.ema.load_state_dict(state["ema"])
    parts.optimizer.load_state_dict(state["optimizer"])
    parts.scheduler.load_state_dict(state["scheduler"])
    parts.bank.load_state_dict(state["bank"])
    if state.get("scaler"):
        parts.scaler.load_state_dict(state["scaler"])
    _set_rng_state(state["rng"])
    return state["epoch"] + 1, state["log"]


def train(cfg: TrainConfig, indexes: list, out_dir: str | os.PathLike, init: str | os.PathLike | None = None,
          device: str = "auto", flow: list | None = None, precision: str = "auto") -> Path:
    """Run (or resume) one stage into out_dir; returns out_dir/final.pt. `flow`: flow index files
    of the training datasets (needed by the MER stage's flow fusion). `precision`: the autocast
    dtype, auto by the device (vidcorr.device). A stage with `devices: N` runs under torchrun with N
    processes, each on batch_size / N samples of the global batch."""
    rank, world, dev = dist_utils.setup(device)
    if world != cfg.devices:
        raise ValueError(f"the stage asks for devices: {cfg.devices} but runs as {world} process(es): launch it with "
                         f"`torchrun --standalone --nproc_per_node {cfg.devices} --no-python vidcorr train ...` (the "
                         "workflow's train_stage rule does), or set devices to the processes you launch")
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} does not split over {world} ranks")
    ranks = Ranks(rank, world, cfg.batch_size // world, Policy(dev, autocast_dtype(dev, precision)))
    if ranks.policy.dtype == torch.float16 and dev.type != "cuda":
        raise ValueError("float16 training needs CUDA's loss scaling: train in bfloat16 or float32 on the CPU")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    random.seed(cfg.seed)
    parts = build(cfg, pair_data(cfg, indexes, flow), init, ranks)
    inputs = _inputs(indexes, flow if cfg.needs_flow() else None, init)
    start_epoch, log_rows = resume(parts, cfg, out, inputs)
    if rank == 0 and init is None and start_epoch == 0:  # step 0 of the learning curve
        save_encoder(out / "epoch_000.pt", parts.model)
    writer = None
    if rank == 0:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(out / "tb"))
    for epoch in range(start_epoch, cfg.epochs):
        train_one_epoch(parts, cfg, epoch, ranks, log_rows, writer, out)
        if rank == 0:
            state = training_state(parts, cfg, epoch, inputs, log_rows, indexes, init, ranks)
            for path in (out / f"epoch_{epoch + 1:03d}.pt", out / "last.pt"):
                write_checkpoint(path, state)
            _write_log(out / "log.csv", log_rows)
        dist_utils.barrier()
    final = out / "final.pt"
    if rank == 0:
        write_checkpoint(final, torch.load(out / "last.pt", map_location="cpu", weights_only=True))
        _write_log(out / "log.csv", log_rows)
        plot_curve(log_rows, out / "curve.png", title=f"{out.parent.name}: {cfg.stage} stage")
        writer.close()
    dist_utils.barrier()
    return final


def train_one_epoch(parts: Parts, cfg: TrainConfig, epoch: int, ranks: Ranks, log_rows: list[dict], writer,
                    out: Path) -> None:
    """One pass over the epoch's batches: the step's losses, one Adam step, the momentum encoder,
    the bank; each step's row appended to log_rows (and TensorBoard)."""
    rank, local, dev = ranks.rank, ranks.local, ranks.device
    parts.data.set_epoch(epoch)
    batches = [list(range(s * cfg.batch_size + rank * local, s * cfg.batch_size + (rank + 1) * local))
               for s in range(cfg.steps_per_epoch)]
    loader = torch.utils.data.DataLoader(parts.data, batch_sampler=batches, num_workers=cfg.workers)
    parts.net.train()
    parts.heads.train()
    autocast = ranks.policy.autocast()
    bar = tqdm(loader, desc=f"{cfg.stage} epoch {epoch + 1}/{cfg.epochs}", disable=rank != 0, unit="step")
    for step, batch in enumerate(bar):
        global_step = epoch * cfg.steps_per_epoch + step
        g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + global_step)
        channel = pick_channels(cfg.batch_size, g, cfg.drop)[rank * local:(rank + 1) * local].to(dev)
        qi, losses, objective = step_losses(parts, cfg, batch, channel, g, global_step, dev, autocast)
        total_loss = sum(objective.values())
        _check_finite(objective, global_step, out)
        grad_norms = {}
        if cfg.grad_log_every and global_step % cfg.grad_log_every == 0:
            grad_norms = term_gradient_norms(objective, list(parts.model.parameters()))
        parts.optimizer.zero_grad(set_to_none=True)
        parts.scaler.scale(total_loss).backward()
        parts.scaler.step(parts.optimizer)
        parts.scaler.update()
        parts.scheduler.step()
        update_ema(parts.ema, parts.model, cfg.momentum)
        if parts.use_bank:  # the EMA encoder's pass fills the bank only for a stage that reads it
            push_to_bank(parts, cfg, qi, batch["video"], g, dev, autocast)
        # the global batch's losses: each rank's mean over its share, averaged over ranks (one all-reduce)
        logged = dist_utils.mean_over_ranks(torch.stack(
            [total_loss, *(objective[t] if t in objective else torch.zeros_like(total_loss) for t in TERMS),
             losses.reconstruction]).detach().float()).tolist()
        row = {"global_step": global_step, "epoch": epoch, "step": step, "loss": logged[0],
               **dict(zip(TERMS, logged[1:-1])),
               "reconstruction": logged[-1],  # logged even where L_w replaces it
               **{f"grad_{t}": grad_norms.get(f"grad_{t}", "") for t in TERMS},
               "lr": parts.scheduler.get_last_lr()[0]}
        log_rows.append(row)
        if writer is not None:
            for key in ("loss", *TERMS, *grad_norms, "lr"):
                writer.add_scalar(f"{cfg.stage}/{key}", row[key], global_step)
            bar.set_postfix(loss=f"{row['loss']:.4f}")


def step_losses(parts: Parts, cfg: TrainConfig, batch: dict, channel: torch.Tensor, g: torch.Generator,
                global_step: int, dev: torch.device, autocast):
    """(encoder input of the query, the reconstruction's losses, the objective's terms) of one step."""
    keep = KEEP_SCALE if cfg.drop == "ab" else 1.0
    q, r = batch["query"].to(dev), batch["reference"].to(dev)
    qi, ri = drop_channel(q, channel, keep), drop_channel(r, channel, keep)
    if parts.fusion is not None:  # Eq. 5, one call for both frames
        flows = torch.cat([batch["query_flow"], batch["reference_flow"]]).to(dev)
        qi, ri = parts.fusion(torch.cat([qi, ri]), flows).chunk(2)
    with autocast:
        fq = F.normalize(parts.net(qi).float(), dim=1)
        fr = F.normalize(parts.net(ri).float(), dim=1)
    size = fq.shape[-2:]
    pick = torch.arange(q.shape[0], device=dev), channel
    # the dropped channel at input resolution (MAST), or at the features' (recon: feature)
    target = (q if cfg.recon == "input" else F.adaptive_avg_pool2d(q, size))[pick].unsqueeze(1)
    scale = RECON_SCALE if cfg.recon == "input" else 1.0
    # the reference's values per feature cell: the mean of its pixels, or (MAST) its top-left pixel
    values = (F.adaptive_avg_pool2d(r, size) if cfg.values == "mean" else r[..., ::STRIDE, ::STRIDE])[pick].unsqueeze(1)
    negs, neg_videos = parts.bank.ordered() if parts.use_bank and parts.bank.filled else (None, None)
    losses = reconstruction_losses(
        fq, fr, values, target, radius=cfg.radius, temperature=cfg.temperature,
        ranges=parts.clusters(fq.detach(), fr.detach(), g).ranges if parts.clusters is not None else None,
        negatives=negs if cfg.bank_in_softmax else None, negative_videos=neg_videos,
        videos=batch["video"],
        compactness=cfg.compactness_prior(),
        scale=scale,
    )
    objective = {"compactness": losses.compactness}
    if cfg.loss_weight_map:
        weights = weight_map(parts, cfg, fq, fr, batch, g, objective, dev)
        beta = beta_at(global_step / max(parts.total - 1, 1), cfg.beta_start, cfg.beta_end, cfg.beta_schedule)
        objective["weight_map"] = cfg.weight_lambda * weight_map_loss(
            losses.prediction, target, normalise_weights(weights, cfg.weight_norm), beta, scale)
    elif not (cfg.pixel_positive and negs is not None):  # (the pixel reading's L_pn is this reconstruction)
        objective["reconstruction"] = losses.reconstruction
    if cfg.pos_neg_loss and negs is not None:  # Eq. 17
        if cfg.pixel_positive:  # the reconstruction through the bank-widened affinity, against the pixel
            objective["pos_neg"] = losses.reconstruction
        else:
            pos = positive_logits(fq, fr, losses, cfg.temperature, cfg.pos_neg_positive)
            objective["pos_neg"] = positive_negative_loss(fq, pos, negs, neg_videos, batch["video"], cfg.temperature)
    return qi, losses, objective


def weight_map(parts: Parts, cfg: TrainConfig, fq, fr, batch: dict, g: torch.Generator, objective: dict,
               dev: torch.device) -> torch.Tensor:
    """The weights of MER's L_w (Eq. 18-21), without gradient: the VEN's map, or Eq. 6's
    potential-value map without it. A VEN with a target adds its own term, `ven`, to `objective`."""
    if parts.ven is None:
        with torch.no_grad():
            return potential_value(fq, fr, cfg.ven_gamma, cfg.ven_omega, cfg.radius)
    if cfg.ven_target == "frozen":
        with torch.no_grad():
            return parts.ven(fq, fr, generator=g)[0]
    weights, v = parts.ven(fq.detach(), fr.detach(), generator=g)
    flow = batch["query_flow"].to(dev) if "query_flow" in batch else None
    objective["ven"] = value_loss(weights, value_target(cfg.ven_target, v, flow))
    return weights.detach()


def push_to_bank(parts: Parts, cfg: TrainConfig, qi: torch.Tensor, videos: torch.Tensor, g: torch.Generator,
                 dev: torch.device, autocast) -> None:
    """bank_points momentum-encoder points of each query (position-modulated), gathered over ranks."""
    with torch.no_grad(), autocast:
        fe = F.normalize(parts.ema(qi, modulation=cfg.modulation, generator=g).float(), dim=1).flatten(2)
    idx = torch.stack([torch.randperm(fe.shape[-1], generator=g)[: cfg.bank_points] for _ in range(fe.shape[0])])
    points = torch.gather(fe, 2, idx.to(dev)[:, None, :].expand(-1, fe.shape[1], -1)).transpose(1, 2)
    parts.bank.push(dist_utils.all_gather_cat(points).cpu(), dist_utils.all_gather_cat(videos.to(dev)).cpu())


def training_state(parts: Parts, cfg: TrainConfig, epoch: int, inputs: dict, log_rows: list[dict], indexes: list,
                   init, ranks: Ranks) -> dict:
    """A full checkpoint: the encoder (what propagation reads), all that resuming needs, provenance."""
    return {
        "encoder": parts.model.state_dict(), "encoder_config": encoder_config(parts.model), "ema": parts.ema.state_dict(),
        "heads": parts.heads.state_dict(),
        "optimizer": parts.optimizer.state_dict(), "scheduler": parts.scheduler.state_dict(), "bank": parts.bank.state_dict(),
        "scaler": parts.scaler.state_dict(),
        "rng": _rng_state(), "epoch": epoch, "config": cfg.to_dict(), "inputs": inputs, "log": log_rows,
        "provenance": record(config=cfg.to_dict(), seed=cfg.seed, inputs=[str(p) for p in indexes],
                             init=str(init) if init else None, world_size=ranks.world,
                             per_process_batch=ranks.local, backend=dist_utils.backend(), ran=ranks.policy.describe()),
    }


def _write_log(path: Path, rows: list[dict]) -> None:
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, LOG_COLUMNS)
        w.writeheader()
        w.writerows(rows)
