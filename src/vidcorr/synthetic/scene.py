"""A synthetic scene: a panning photo background and star-shaped photo/texture cut-outs under affine motion.

Every layer maps its own plane into the frame with one 2x3 affine matrix per frame, so masks,
parts, keypoints and optical flow all follow exactly from the stored matrices.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .sources import PHOTOS, TEXTURES, load_source

PARTS_PER_OBJECT = 4
NUM_KEYPOINTS = 15


@dataclass
class Layer:
    """One image layer. object_id is 0 for the background and for unlabelled distractors."""

    kind: str  # "background", "object" or "distractor"
    object_id: int
    source: str
    tint: list[float]
    src_center: list[float]  # where the plane's origin samples the source image (x, y)
    src_scale: float  # source pixels per plane unit
    radius: float = 0.0  # star-shape base radius in plane units (objects only)
    harmonics: list[list[float]] = field(default_factory=list)  # [amplitude, frequency, phase]
    part_offset: float = 0.0
    motion: list[list[list[float]]] = field(default_factory=list)  # per frame, 2x3 plane->frame

    def matrix(self, t: int) -> np.ndarray:
        """3x3 homogeneous plane->frame transform at frame t."""
        m = np.eye(3)
        m[:2] = np.asarray(self.motion[t])
        return m

    def outline(self, theta: np.ndarray) -> np.ndarray:
        """Boundary radius r(theta) of the star shape."""
        r = np.ones_like(theta)
        for amp, freq, phase in self.harmonics:
            r = r + amp * np.sin(freq * theta + phase)
        return self.radius * r


@dataclass
class Scene:
    name: str
    width: int
    height: int
    num_frames: int
    layers: list[Layer]  # bottom to top
    keypoints: list[list[float]]  # plane coordinates of object 1's keypoints

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        d = json.loads(text)
        d["layers"] = [Layer(**layer) for layer in d["layers"]]
        return cls(**d)

    def object_layer(self, object_id: int) -> int:
        return next(i for i, l in enumerate(self.layers) if l.object_id == object_id)


def _affine(cx, cy, theta, sx, sy) -> list[list[float]]:
    c, s = math.cos(theta), math.sin(theta)
    return [[c * sx, -s * sy, cx], [s * sx, c * sy, cy]]


def _background(rng, name, w, h, t_len) -> Layer:
    src = load_source(name)
    sh, sw = src.shape[:2]
    # The plane spans the frame plus a 10% pan margin each way; keep every sample inside the photo.
    scale = 0.98 * min(sw / (1.2 * w), sh / (1.2 * h))
    pan = rng.uniform(-0.08, 0.08, size=2) * [w, h] / max(t_len - 1, 1)
    motion = [[[1.0, 0.0, w / 2 - pan[0] * t], [0.0, 1.0, h / 2 - pan[1] * t]] for t in range(t_len)]
    return Layer("background", 0, name, [1.0, 1.0, 1.0], [sw / 2, sh / 2], scale, motion=motion)


def _skin(rng, name, radius) -> dict:
    src = load_source(name)
    sh, sw = src.shape[:2]
    harmonics = [[float(rng.uniform(0.03, 0.12)), float(k), float(rng.uniform(0, 2 * math.pi))] for k in (2, 3, 5)]
    extent = radius * (1 + sum(a for a, _, _ in harmonics))
    src_radius = rng.uniform(0.18, 0.3) * min(sw, sh)
    scale = src_radius / extent
    cx = rng.uniform(src_radius, sw - src_radius)
    cy = rng.uniform(src_radius, sh - src_radius)
    tint = [1.0, 1.0, 1.0] if name in PHOTOS else [float(v) for v in rng.uniform(0.35, 1.0, size=3)]
    return dict(source=name, tint=tint, src_center=[cx, cy], src_scale=float(scale), radius=float(radius),
                harmonics=harmonics, part_offset=float(rng.uniform(0, 2 * math.pi)))


def _trajectory(rng, w, h, t_len, leaves_frame: bool, start=None) -> list:
    c0 = np.asarray(start if start is not None else rng.uniform(0.3, 0.7, size=2) * [w, h])
    amp = rng.uniform(0.1, 0.3, size=2) * [w, h]
    omega = rng.uniform(0.5, 1.5, size=2) * 2 * math.pi / t_len
    phase = rng.uniform(0, 2 * math.pi, size=2)
    spin = rng.uniform(-0.05, 0.05)
    theta0 = rng.uniform(-0.5, 0.5)
    s0, aniso = rng.uniform(0.9, 1.1), rng.uniform(-0.1, 0.1)
    motion = []
    for t in range(t_len):
        if leaves_frame:
            # Out past the right edge, back, out past the left edge, back in by the last frame.
            cx = c0[0] + 1.15 * w * math.sin(2 * math.pi * t / max(t_len - 1, 1))
            cy = c0[1] + 0.1 * h * math.sin(omega[1] * t)
        else:
            cx = c0[0] + amp[0] * (math.sin(omega[0] * t + phase[0]) - math.sin(phase[0]))
            cy = c0[1] + amp[1] * (math.sin(omega[1] * t + phase[1]) - math.sin(phase[1]))
        breathe = s0 * (1 + 0.08 * math.sin(omega[0] * t))
        motion.append(_affine(cx, cy, theta0 + spin * t, breathe * (1 + aniso), breathe * (1 - aniso)))
    return motion


def _keypoints(layer: Layer) -> list[list[float]]:
    """Object 1's keypoints: the centre, then 7 directions at 35% and 70% of the outline radius."""
    pts = [[0.0, 0.0]]
    for k in range(7):
        theta = layer.part_offset + 2 * math.pi * k / 7
        r = float(layer.outline(np.array([theta]))[0])
        for frac in (0.35, 0.7):
            pts.append([frac * r * math.cos(theta), frac * r * math.sin(theta)])
    return pts


def sample_scene(seed: int, name: str, width: int, height: int, num_frames: int, num_objects: int) -> Scene:
    """Draw one scene: photo background, `num_objects` labelled cut-outs, one look-alike distractor."""
    if not 1 <= num_objects <= 4:
        raise ValueError("num_objects must be between 1 and 4 (4 parts each must fit in 20 part classes)")
    rng = np.random.default_rng(seed)
    photos = list(rng.permutation(PHOTOS))
    skins = list(rng.permutation(list(TEXTURES) + photos[1:]))
    layers = [_background(rng, photos[0], width, height, num_frames)]
    objects = []
    for k in range(num_objects):
        radius = rng.uniform(0.13, 0.2) * min(width, height)
        leaves = num_objects > 1 and k == 1
        layer = Layer("object", k + 1, **_skin(rng, skins[k % len(skins)], radius))
        layer.motion = _trajectory(rng, width, height, num_frames, leaves_frame=leaves)
        objects.append(layer)
    # The distractor copies object 1's skin and shape, starts elsewhere and carries no label.
    twin = Layer("distractor", 0, **{k: v for k, v in asdict(objects[0]).items() if k not in ("kind", "object_id", "motion")})
    far = np.array([0.25 if rng.random() < 0.5 else 0.75, 0.25 if rng.random() < 0.5 else 0.75]) * [width, height]
    twin.motion = _trajectory(rng, width, height, num_frames, leaves_frame=False, start=far)
    movers = objects + [twin]
    order = rng.permutation(len(movers))
    layers += [movers[i] for i in order]
    return Scene(name, width, height, num_frames, layers, _keypoints(objects[0]))
