"""One HDF5 file of precomputed flow per video: datasets `gap_<g>` of shape (frames, 2, H, W).

Values are int16 with a stored scale (default step 1/64 px) or float16; each frame is one
compressed chunk, so reading a single field decompresses only that field. Blosc (LZ4HC or Zstd
with byte shuffle, from hdf5plugin) decompresses a 480p field in 1-3 ms, where gzip takes 5-9 ms. The file is built under
a temporary name and renamed when complete, and carries `complete = True` as its last attribute.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np

from ..atomic import atomic_file

FORMAT = "vidcorr-flow/1"
INT16_MAX = np.iinfo(np.int16).max
COMPRESSION = {
    "blosc-lz4hc": lambda: hdf5plugin.Blosc(cname="lz4hc", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE),
    "blosc-zstd": lambda: hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=hdf5plugin.Blosc.SHUFFLE),
    "gzip": lambda: {"compression": "gzip", "shuffle": True},  # readable by any HDF5 tool, slower
    "lzf": lambda: {"compression": "lzf", "shuffle": True},
}


def quantise(flow: np.ndarray, dtype: str, steps_per_pixel: int) -> tuple[np.ndarray, int]:
    """Stored values for a float flow field, and how many components had to be clipped."""
    if dtype == "float16":
        return flow.astype(np.float16), 0
    q = np.rint(flow * steps_per_pixel)
    clipped = int(np.count_nonzero(np.abs(q) > INT16_MAX))
    return np.clip(q, -INT16_MAX, INT16_MAX).astype(np.int16), clipped


def dequantise(stored: np.ndarray, scale: float) -> np.ndarray:
    """Float32 pixels from stored values (`scale` is 1 for float16)."""
    out = stored.astype(np.float32)
    out *= np.float32(scale)
    return out


class FlowWriter:
    """Fills the gap datasets of one file frame by frame; created by `write_flow_file`."""

    def __init__(self, f: h5py.File, num_frames: int, height: int, width: int, dtype: str,
                 steps_per_pixel: int, compression: str):
        self.f, self.num_frames, self.size = f, num_frames, (height, width)
        self.dtype, self.steps = dtype, steps_per_pixel
        self.compression = compression
        self.clipped: dict[int, int] = {}
        self.written: dict[int, set[int]] = {}

    def _dataset(self, gap: int) -> h5py.Dataset:
        name = f"gap_{gap}"
        if name not in self.f:
            h, w = self.size
            n = max(0, self.num_frames - gap)
            # Fletcher32 per chunk: without it a damaged byte in Blosc-compressed data reads as flow
            layout = dict(chunks=(1, 2, h, w), fletcher32=True, **COMPRESSION[self.compression]()) if n else {}
            ds = self.f.create_dataset(name, shape=(n, 2, h, w), dtype=self.dtype, **layout)
            ds.attrs["gap"] = gap
            ds.attrs["scale"] = 1.0 / self.steps if self.dtype == "int16" else 1.0
            self.clipped[gap] = 0
            self.written[gap] = set()
        return self.f[name]

    def write(self, gap: int, t: int, flow: np.ndarray) -> None:
        """Store the (2, H, W) flow from frame t to t + gap."""
        if flow.shape != (2, *self.size):
            raise ValueError(f"flow field of shape {flow.shape}, expected {(2, *self.size)}")
        if not np.isfinite(flow).all():
            raise ValueError(f"the flow from frame {t} to {t + gap} has non-finite values; with ptlflow, frames "
                             "smaller than about 128 px a side make RAFT's coarsest correlation level empty")
        stored, clipped = quantise(flow, self.dtype, self.steps)
        ds = self._dataset(gap)
        ds[t] = stored
        self.clipped[gap] += clipped
        self.written[gap].add(t)


@contextlib.contextmanager
def write_flow_file(path: str | os.PathLike, *, num_frames: int, height: int, width: int, gaps,
                    dtype: str = "int16", steps_per_pixel: int = 64, compression: str = "gzip",
                    attrs: dict | None = None) -> Iterator[FlowWriter]:
    """Yield a writer; the file appears at `path` only if the block completes and every field is set."""
    with atomic_file(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            for k, v in (attrs or {}).items():
                f.attrs[k] = json.dumps(v) if isinstance(v, (dict, list, tuple)) else ("" if v is None else v)
            f.attrs["height"], f.attrs["width"], f.attrs["num_frames"] = height, width, num_frames
            f.attrs["gaps"] = list(gaps)
            f.attrs["compression"] = compression
            writer = FlowWriter(f, num_frames, height, width, dtype, steps_per_pixel, compression)
            yield writer
            for g in gaps:
                ds = writer._dataset(g)
                if len(writer.written[g]) != ds.shape[0]:
                    raise RuntimeError(f"{path}: only {len(writer.written[g])} of {ds.shape[0]} flow fields "
                                       f"at gap {g} were written")
                ds.attrs["clipped"] = writer.clipped[g]
            f.attrs["complete"] = True


class FlowFile:
    """Random access to one video's flow; the HDF5 handle opens lazily, once per process."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"flow file {self.path} does not exist; run the flow stage (vidcorr flow compute)")
        self._f, self._pid, self._gaps = None, None, {}
        with self._damaged("its attributes cannot be read"):
            complete = self.file.attrs.get("complete", False)
        if not complete:
            raise ValueError(f"flow file {self.path} is incomplete (its writer was interrupted); delete it and rerun")

    @property
    def file(self) -> h5py.File:
        if self._f is None or self._pid != os.getpid():
            with self._damaged("cannot be opened as HDF5"):
                handle = h5py.File(self.path, "r")
            self._f, self._pid, self._gaps = handle, os.getpid(), {}
        return self._f

    @property
    def attrs(self) -> dict:
        out = {}
        with self._damaged("its attributes cannot be read"):
            items = list(self.file.attrs.items())
        for k, v in items:
            v = v.item() if isinstance(v, np.generic) else v
            if isinstance(v, str) and v[:1] in ("[", "{"):
                v = json.loads(v)
            out[k] = v.tolist() if isinstance(v, np.ndarray) else v
        return out

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) the flow was computed at."""
        return int(self.file.attrs["height"]), int(self.file.attrs["width"])

    def gaps(self) -> list[int]:
        return sorted(int(k.split("_")[1]) for k in self.file if k.startswith("gap_"))

    def field(self, t: int, gap: int = 1) -> np.ndarray:
        """(2, H, W) float32 flow in pixels from frame t to frame t + gap."""
        f = self.file
        if gap not in self._gaps:
            with self._damaged(f"gap {gap} cannot be read"):
                if f"gap_{gap}" not in f:
                    raise KeyError(f"{self.path}: no flow for gap {gap} (stored gaps: {self.gaps()})")
                ds = f[f"gap_{gap}"]
                self._gaps[gap] = ds, float(ds.attrs["scale"])
        ds, scale = self._gaps[gap]
        if not 0 <= t < ds.shape[0]:
            raise IndexError(f"{self.path}: frame {t} has no flow at gap {gap} ({ds.shape[0]} fields)")
        with self._damaged(f"the field from frame {t} at gap {gap} cannot be read"):  # Fletcher32, decompression
            stored = ds[t]
        return dequantise(stored, scale)

    @contextlib.contextmanager
    def _damaged(self, what: str):
        """h5py reports damage as OSError or RuntimeError about HDF5 internals; say which file and what to do."""
        try:
            yield
        except (OSError, RuntimeError) as e:
            raise ValueError(f"flow file {self.path} is damaged or not HDF5: {what} ({e}); delete it and rerun "
                             "the flow stage") from e

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f, self._gaps = None, {}
