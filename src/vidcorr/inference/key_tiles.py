"""The windowed search over memory frames, laid out once per frame.

Queries are cut into T x T tiles; each tile is compared with the (T + 2R)^2 key square around it in
every memory frame (R: the largest search radius). A memory frame's key squares are copied into
their slot of one buffer when the frame enters memory, not again for each query frame that reads
it, and all slots are matched by one batched matmul per chunk of tiles.

Which pairs count is folded into that matmul: each query carries two one-hot channels (its
column and row in the tile), each key the matching penalties (0 inside its frame's radius,
-BIG outside it or outside the image), so out-of-window logits come out of the product already
excluded. The key side also carries -1 on the column channel, so a logit is `similarity - 1`:
in [-2, 0] for real pairs, where the best matches sit near 0, which keeps them precise in a
16-bit matmul. With such a matmul (`precision`), it only picks each query's candidates (an exact
two-step top-k: `_shortlist`); their similarities are recomputed in float32 from the kept float32
keys (a sampled matmul over just those pairs), so the labels carry float32 weights.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from ..device import native_bf16
from ..model.compactness import propagation_weights
from ..model.windows import chebyshev, in_window
from .config import PropagationConfig

RESCORE = 2  # a 16-bit matmul shortlists this many times topk candidates for the float32 pick
GROUP = 4  # candidates are picked among the top-k groups of this many logits (group maxima: vectorised)
BIG = 64.0  # penalty of an excluded pair; exact in bf16 / fp16, far below any real logit (|q . k| < BIG / 2 - 1)


def matmul_dtype(cfg: PropagationConfig, device: torch.device, unit: bool) -> torch.dtype:
    """The windowed matmul's dtype for `cfg.precision`: auto is bfloat16 for unit features (cosine
    affinity, whose bf16 rounding of about 1e-4 is far below the spacing of similarities) where bf16
    dot products are native: GPUs of compute capability 8.0 and above (device.native_bf16), CPUs with
    AVX512-BF16 or AMX (elsewhere it would be emulated, slower than float32); else float32. Raw Lab colour is not unit: its logits |f|^2 - |f - f'|^2 differ by
    less than bf16 resolves (dev J&F 0.4753 against float32's 0.4897). Always float32 with the
    compactness prior, which weighs the whole window by the affinity itself."""
    if cfg.precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"propagation.precision must be auto, float32 or bfloat16, not {cfg.precision!r}")
    if cfg.compactness or cfg.precision == "float32":
        return torch.float32
    if cfg.precision == "bfloat16":
        return torch.bfloat16
    if not unit:
        return torch.float32
    if device.type == "cuda":
        return torch.bfloat16 if native_bf16(device) else torch.float32
    native = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)() or \
        getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return torch.bfloat16 if native else torch.float32


def tile_side(cfg: PropagationConfig, dtype: torch.dtype) -> int:
    """`cfg.tile`, or by default 8 with a 16-bit matmul (faster: a 32-square holds each key 16 times,
    a 36-square 9 times, but the matmul and top-k run faster) and 12 in float32 (the same buffer
    bytes as 8 in 16 bits; at 8 the compactness prior's peak at 480p was 4.07 GB)."""
    return cfg.tile or (12 if dtype == torch.float32 else 8)


def unit_features(x: torch.Tensor, dim: int = 0) -> bool:
    """Whether every feature vector along `dim` has length 1 (the encoder's cosine features)."""
    return bool(((x.norm(dim=dim) - 1).abs() < 1e-3).all())


class KeyTiles:
    """A matcher (inference/matching.py) for settings where every radius is finite: memory frames of
    an (h, w) feature map with `dim` channels, in tile layout: slot i holds one frame's key squares
    (n, S*S, dim + 2T) and, per pixel, its float32 key and labels."""

    kind = "windowed"

    def __init__(self, h: int, w: int, dim: int, cfg: PropagationConfig, device: torch.device, slots: int = 1,
                 unit: bool = False):
        self.h, self.w, self.dim, self.cfg, self.device, self.unit = h, w, dim, cfg, device, unit
        self.dtype = matmul_dtype(cfg, device, unit)
        self.t = t = tile_side(cfg, self.dtype)
        self.r = max(cfg.radius, cfg.long_term_radius)
        self.s = s = t + 2 * self.r
        self.nty, self.ntx = -(-h // t), -(-w // t)
        # pixel index (h*w: outside the image, a zero row) of each key square position of each tile
        ky = torch.arange(self.nty, device=device)[:, None] * t - self.r + torch.arange(s, device=device)
        kx = torch.arange(self.ntx, device=device)[:, None] * t - self.r + torch.arange(s, device=device)
        self.row_inside = (ky >= 0) & (ky < h)  # (nty, S)
        self.col_inside = (kx >= 0) & (kx < w)  # (ntx, S)
        inside = self.row_inside[:, None, :, None] & self.col_inside[None, :, None, :]
        pix = ky.clamp(0, h - 1)[:, None, :, None] * w + kx.clamp(0, w - 1)[None, :, None, :]
        self.pix = torch.where(inside, pix, h * w).reshape(self.nty * self.ntx, s * s)
        self.frames: list[tuple[int, bool] | None] = []  # (frame index, long-term) held by each slot
        self.windows: list[int | None] = []
        self.rescore = self.dtype != torch.float32  # candidates' weights from float32 keys kept per pixel
        self.keys = self.exact = self.labels = self.key_norm = None
        self._grow(slots)
        self._work: dict[str, torch.Tensor] = {}

    def _grow(self, slots: int) -> None:
        more = slots - len(self.frames)
        if more <= 0:
            return
        n, ss, k, hw = self.nty * self.ntx, self.s * self.s, self.dim + 2 * self.t, self.h * self.w + 1
        keys = torch.zeros((n, more, ss, k), dtype=self.dtype, device=self.device)
        keys[..., self.dim:] = -BIG  # an empty slot: every pair excluded (zero features: whatever the query)
        exact = torch.zeros(more, hw if self.rescore else 0, self.dim, device=self.device)
        labels = torch.zeros(more, hw, 0 if self.labels is None else self.labels.shape[-1], device=self.device)
        norm = torch.zeros(more, device=self.device)
        if self.frames:  # a frame where new objects are given: one more slot than planned (copies the buffer)
            keys, exact = torch.cat([self.keys, keys], 1), torch.cat([self.exact, exact])
            labels, norm = torch.cat([self.labels, labels]), torch.cat([self.key_norm, norm])
        self.keys, self.exact, self.labels, self.key_norm = keys, exact, labels, norm
        self.frames += [None] * more
        self.windows += [None] * more  # the radius whose penalties each slot holds (None: masked)

    def describe(self) -> dict:
        """What ran, for provenance: the matmul's dtype (`precision: auto` picks it by machine) and tile side."""
        return {"kind": self.kind, "dtype": str(self.dtype).removeprefix("torch."), "tile": self.t}

    def fits(self, h: int, w: int, dim: int, device: torch.device, slots: int, unit: bool) -> bool:
        """Whether a sequence of this size and kind can reuse this layout's buffers (`clear` first)."""
        return (self.h, self.w, self.dim, self.device, len(self.frames), self.unit) == (h, w, dim, device, slots, unit)

    def clear(self) -> None:
        """Hold no frame; the buffers stay allocated, for the next sequence of this size."""
        self.keys[..., self.dim:] = -BIG
        self.frames, self.windows = [None] * len(self.frames), [None] * len(self.windows)
        self.labels = self.labels[..., :0]

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """A work buffer reused from one query frame to the next (fresh large allocations cost page
        faults on every call); a smaller first dimension (the last chunk) takes the front of it."""
        buf = self._work.get(name)
        if buf is None or buf.shape[1:] != shape[1:] or buf.shape[0] < shape[0] or buf.dtype != dtype:
            buf = self._work[name] = torch.empty(shape, dtype=dtype, device=self.device)
        return buf[:shape[0]]

    def _zeros(self, name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """A buffer kept from frame to frame whose margins stay zero (only its interior is rewritten)."""
        if name not in self._work:
            self._work[name] = torch.zeros(shape, dtype=dtype, device=self.device)
        return self._work[name]

    def _window(self, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Penalty channels of key square positions: by column (ntx, S, T), -1 within `radius` of
        query column j of the tile, and by row (nty, S, T), 0 within it; -BIG elsewhere."""
        t, s = self.t, self.s
        off = torch.arange(s, device=self.device)[:, None] - self.r - torch.arange(t, device=self.device)
        near = in_window(chebyshev(off[..., None]), radius)  # (S, T): the square window, one axis at a time
        cols = torch.where(near[None] & self.col_inside[..., None], -1.0, -BIG)
        rows = torch.where(near[None] & self.row_inside[..., None], 0.0, -BIG)
        return cols, rows

    def sync(self, entries: list[tuple[int, torch.Tensor, torch.Tensor]], long_term: list[bool]) -> None:
        """Hold exactly these memory entries (t, key (D, h, w), labels (C, h, w)): a frame already
        laid out keeps its slot, a frame gone frees its slot (masked out), a new one is laid out."""
        wanted = {(e[0], far): e for e, far in zip(entries, long_term)}
        gone = [i for i, held in enumerate(self.frames) if held is not None and held not in wanted]
        for i in gone:
            self.frames[i] = None
        classes = max(e[2].shape[0] for e in entries)
        if classes > self.labels.shape[-1]:
            self.labels = F.pad(self.labels, (0, classes - self.labels.shape[-1]))
        new = [k for k in wanted if k not in self.frames]
        self._grow(len(self.frames) - self.frames.count(None) + len(new))
        for key in new:
            self._write(self.frames.index(None), key, *wanted[key][1:])
        for i in gone:
            if self.frames[i] is None:  # freed, not refilled: masked out
                self.keys[:, i, :, self.dim:] = -BIG
                self.windows[i] = None

    def _write(self, slot: int, held: tuple[int, bool], key: torch.Tensor, labels: torch.Tensor) -> None:
        t, s, r, d = self.t, self.s, self.r, self.dim
        nty, ntx = self.nty, self.ntx
        padded = self._zeros("padded key", (nty * t + 2 * r, ntx * t + 2 * r, d), self.dtype)  # channels last
        padded[r:r + self.h, r:r + self.w] = key.permute(1, 2, 0)
        row, col = padded.stride(0), padded.stride(1)
        squares = padded.as_strided((nty, ntx, s, s, d), (t * row, t * col, row, col, 1))  # views, channels last
        view = self.keys[:, slot].view(nty, ntx, s, s, d + 2 * t)
        view[..., :d] = squares
        radius = self.cfg.long_term_radius if held[1] else self.cfg.radius
        if self.windows[slot] != radius:  # a slot keeps its penalties from frame to frame (one pass less)
            cols, rows = self._window(radius)
            view[..., d:d + t] = cols[None, :, None]
            view[..., d + t:] = rows[:, None, :, None]
            self.windows[slot] = radius
        self.key_norm[slot] = key.norm(dim=0).max()
        if self.rescore:
            self.exact[slot, :-1] = key.reshape(d, -1).t()
        self.labels[slot].zero_()
        self.labels[slot, :-1, :labels.shape[0]] = labels.reshape(labels.shape[0], -1).t()
        self.frames[slot] = held

    def _query_tiles(self, query: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(D, h, w) -> each tile's query features and one-hot column and row (n, T*T, D + 2T) in the
        matmul's dtype, and the float32 features in the same order (n * T*T, D). Both are buffers kept
        from frame to frame; the one-hot channels are written once."""
        t, d, n = self.t, self.dim, self.nty * self.ntx
        q = self._zeros("padded query", (d, self.nty * t, self.ntx * t), torch.float32)
        q[:, :self.h, :self.w] = query
        q = q.view(d, self.nty, t, self.ntx, t).permute(1, 3, 2, 4, 0)
        exact = self._buffer("queries", (n, t * t, d), torch.float32)
        exact.view(self.nty, self.ntx, t, t, d).copy_(q)
        low = self._work.get("low")
        if low is None:
            eye = torch.eye(t, device=query.device)
            onehot = torch.cat([eye[None, :].expand(t, t, t), eye[:, None].expand(t, t, t)], -1).reshape(t * t, 2 * t)
            low = self._work["low"] = torch.empty(n, t * t, d + 2 * t, dtype=self.dtype, device=self.device)
            low[..., d:] = onehot
        low[..., :d] = exact
        return low, exact.view(-1, d)

    def transfer(self, query: torch.Tensor) -> torch.Tensor:
        """Labels (C, h, w) for the query frame's features (D, h, w) from every held frame."""
        cfg, t, ss = self.cfg, self.t, self.s * self.s
        bound = float(query.norm(dim=0).max() * self.key_norm.max())
        if bound >= BIG / 2 - 1:
            raise ValueError(f"matching features reach |q . k| = {bound:.1f}; the windowed search excludes pairs "
                             f"by a penalty of {BIG:g} and needs |q . k| < {BIG / 2 - 1:g} (normalise the features)")
        low, exact = self._query_tiles(query)
        keys = self.keys.view(self.keys.shape[0], -1, self.keys.shape[-1])
        n, m = keys.shape[0], len(self.frames)
        chunk = max(1, cfg.chunk_elements // (t * t * m * ss))
        out = torch.empty(n, t * t, self.labels.shape[-1], device=query.device)
        for a in range(0, n, chunk):
            c = slice(a, a + chunk)
            b = low[c].shape[0]
            if cfg.compactness:
                work = self._buffer("logits", (b, t * t, m * ss), self.dtype)
                out[c] = self._mixture(torch.bmm(low[c], keys[c].transpose(1, 2), out=work), c)  # similarity - 1
            else:  # keys x queries: the long side first, oneDNN's faster orientation (0.16 vs 0.20 s at 480p)
                work = self._buffer("logits", (b, m * ss, t * t), self.dtype)
                out[c] = self._topk(torch.bmm(keys[c], low[c].transpose(1, 2), out=work), exact[a * t * t:(a + b) * t * t], c)
        out = out.reshape(self.nty, self.ntx, t, t, -1).permute(4, 0, 2, 1, 3).reshape(-1, self.nty * t, self.ntx * t)
        return out[:, :self.h, :self.w]

    def _topk(self, logits: torch.Tensor, queries: torch.Tensor, c: slice) -> torch.Tensor:
        """The top-k candidates' labels, softmax-weighted; logits (b, keys, T*T), `queries` (b * T*T, D)
        float32. A 16-bit matmul shortlists RESCORE x k candidates; their float32 similarities pick the
        k and weigh them."""
        ss, k = self.s * self.s, min(self.cfg.topk, logits.shape[1])
        top, idx = self._shortlist(logits, min(RESCORE * k if self.rescore else k, logits.shape[1]))
        pix = torch.gather(self.pix[c][:, None].expand(-1, idx.shape[1], -1), 2, idx % ss)
        rows = idx // ss * (self.h * self.w + 1) + pix  # row of each candidate in the per-pixel tables
        if self.rescore:
            sim = self._similarity(queries, rows).view(idx.shape) - 1
            sim, best = sim.masked_fill(top < -BIG / 2, -BIG).topk(k, dim=-1)
            top, rows = torch.gather(top, -1, best), torch.gather(rows, -1, best)
        else:
            sim = top
        sim = sim.masked_fill(top < -BIG / 2, float("-inf"))
        weights = torch.softmax(sim / self.cfg.temperature, dim=-1)
        labels = self.labels.view(-1, self.labels.shape[-1]).index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
        return (weights.unsqueeze(-1) * labels).sum(-2)

    def _shortlist(self, logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Each query's top k of logits (b, n, Q) as values and key indices (b, Q, k) (values exact,
        ties in any order), in steps cheaper than one top-k over long rows: the maxima of GROUP
        logits n/GROUP apart (elementwise, vectorised), the top-k groups by their maxima, then the top
        k of those groups' members. Exact: a group holding one of the k largest logits has a maximum
        at least the k-th largest, and at most k groups do (ties aside, where any k give the same values)."""
        n, parts, groups = logits.shape[1], 1, logits
        while parts < GROUP and groups.shape[1] % 2 == 0 and groups.shape[1] // 2 >= k:
            half = groups.shape[1] // 2
            out = self._buffer(f"groups{parts}", (groups.shape[0], half, groups.shape[2]), logits.dtype)
            groups = torch.maximum(groups[:, :half], groups[:, half:], out=out)
            parts *= 2
        by_query = logits.transpose(1, 2)
        if parts == 1:
            return by_query.topk(k, dim=-1)
        _, best = groups.transpose(1, 2).topk(k, dim=-1, sorted=False)
        members = (best[..., None] + torch.arange(0, n, n // parts, device=logits.device)).flatten(-2)
        top, pick = torch.gather(by_query, -1, members).topk(k, dim=-1)
        return top, torch.gather(members, -1, pick)

    def _similarity(self, queries: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """float32 dot products of each query (Q, D) with its candidates' kept keys (rows (.., Q, n) of
        the per-pixel table): a sampled matmul, which reads each key where it lies instead of first
        gathering Q * n key copies (5x faster on 2 cores)."""
        pairs, order = candidate_pairs(rows, self.exact.shape[0] * self.exact.shape[1])
        dots = torch.sparse.sampled_addmm(pairs, queries, self.exact.view(-1, self.dim).t(), beta=0.0).values()
        return torch.empty_like(dots).view(order.shape).scatter_(-1, order, dots.view(order.shape)).view(rows.shape)

    def _mixture(self, logits: torch.Tensor, c: slice) -> torch.Tensor:
        """Compactness prior: the affinity replaced, frame by frame, by its mixture of Gaussians
        around its top peaks, weighted by them."""
        cfg, ss = self.cfg, self.s * self.s
        b, q, _ = logits.shape
        m = len(self.frames)
        outside = (logits < -BIG / 2).view(b, q, m, ss)
        logits.div_(cfg.temperature)  # in place: bounded memory
        mixture = propagation_weights(logits, (self.s, self.s), outside, cfg)
        labels = self.labels[:, self.pix[c]]  # (M, tiles, S*S, C)
        return torch.einsum("bqmn,mbnc->bqc", mixture, labels)


def candidate_pairs(rows: torch.Tensor, columns: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(query, candidate) pairs as a CSR pattern of (Q, columns): one row per query, its candidates'
    table rows as column indices, sorted within the row as cuSPARSE assumes (it is handed the
    pattern without an invariant check, which costs as much as the product); with the order that
    sorted them, to put the products back in the candidates' order. A query's candidates are
    distinct pixels, except the out-of-frame zero row, which repeats only in a window of fewer than
    RESCORE x topk pixels, and whose products are masked."""
    per = rows.shape[-1]
    cols, order = rows.reshape(-1, per).sort(dim=-1)
    crow = torch.arange(0, cols.numel() + 1, per, device=rows.device)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        pairs = torch.sparse_csr_tensor(crow, cols.reshape(-1), torch.zeros(cols.numel(), device=rows.device),
                                        size=(cols.shape[0], columns), check_invariants=False)
    return pairs, order
