"""Render a Scene frame by frame: image, instance ids, part ids, layer map, keypoints, and exact flow."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .scene import PARTS_PER_OBJECT, Layer, Scene
from .sources import load_source


@dataclass
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    instances: np.ndarray  # (H, W) uint8 object ids, 0 = background and distractors
    parts: np.ndarray  # (H, W) uint8 part classes, 0 = background
    layers: np.ndarray  # (H, W) int16 index of the visible layer
    keypoints: np.ndarray  # (J, 2) x/y of object 1's keypoints
    visible: np.ndarray  # (J,) bool: inside the frame and not occluded


def _grid(w: int, h: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.stack([xs, ys, np.ones_like(xs)], axis=0).reshape(3, -1)


def _plane_coords(layer: Layer, t: int, grid: np.ndarray) -> np.ndarray:
    """Plane coordinates (2, N) that each frame pixel sees on this layer."""
    return (np.linalg.inv(layer.matrix(t)) @ grid)[:2]


def _coverage(layer: Layer, q: np.ndarray) -> np.ndarray:
    if layer.kind == "background":
        return np.ones(q.shape[1], dtype=bool)
    theta = np.arctan2(q[1], q[0])
    return np.hypot(q[0], q[1]) < layer.outline(theta)


def _colour(layer: Layer, q: np.ndarray, w: int, h: int) -> np.ndarray:
    src = load_source(layer.source).astype(np.float32)
    u = (layer.src_center[0] + layer.src_scale * q[0]).reshape(h, w).astype(np.float32)
    v = (layer.src_center[1] + layer.src_scale * q[1]).reshape(h, w).astype(np.float32)
    rgb = cv2.remap(src, u, v, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return rgb * np.asarray(layer.tint, dtype=np.float32)


def render_layers(scene: Scene, t: int) -> np.ndarray:
    """(H, W) index of the topmost layer covering each pixel at frame t."""
    w, h = scene.width, scene.height
    grid = _grid(w, h)
    top = np.zeros(w * h, dtype=np.int16)
    for i, layer in enumerate(scene.layers):
        top[_coverage(layer, _plane_coords(layer, t, grid))] = i
    return top.reshape(h, w)


def render_frame(scene: Scene, t: int) -> Frame:
    w, h = scene.width, scene.height
    grid = _grid(w, h)
    image = np.zeros((h, w, 3), dtype=np.float32)
    instances = np.zeros(h * w, dtype=np.uint8)
    parts = np.zeros(h * w, dtype=np.uint8)
    top = np.zeros(h * w, dtype=np.int16)
    for i, layer in enumerate(scene.layers):
        q = _plane_coords(layer, t, grid)
        cover = _coverage(layer, q)
        image.reshape(-1, 3)[cover] = _colour(layer, q, w, h).reshape(-1, 3)[cover]
        top[cover] = i
        instances[cover] = layer.object_id
        if layer.kind == "object":
            angle = np.mod(np.arctan2(q[1], q[0]) - layer.part_offset, 2 * math.pi)
            sector = np.minimum((angle / (2 * math.pi / PARTS_PER_OBJECT)).astype(np.int64), PARTS_PER_OBJECT - 1)
            parts[cover] = (PARTS_PER_OBJECT * (layer.object_id - 1) + sector + 1)[cover]
        else:
            parts[cover] = 0
    top = top.reshape(h, w)
    kp, vis = keypoints(scene, t, top)
    img = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return Frame(img, instances.reshape(h, w), parts.reshape(h, w), top, kp, vis)


def keypoints(scene: Scene, t: int, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Object 1's keypoints in frame t and whether each is visible there."""
    li = scene.object_layer(1)
    pts = np.asarray(scene.keypoints, dtype=np.float64)
    xy = (scene.layers[li].matrix(t) @ np.c_[pts, np.ones(len(pts))].T)[:2].T
    xi, yi = np.rint(xy[:, 0]).astype(int), np.rint(xy[:, 1]).astype(int)
    inside = (xi >= 0) & (xi < scene.width) & (yi >= 0) & (yi < scene.height)
    vis = inside.copy()
    vis[inside] = top[yi[inside], xi[inside]] == li
    return xy, vis


def forward_flow(scene: Scene, t: int, gap: int = 1, top: np.ndarray | None = None) -> np.ndarray:
    """Exact (H, W, 2) flow from frame t to t+gap: each pixel follows the layer visible at it in frame t."""
    if not 0 <= t < t + gap < scene.num_frames:
        raise ValueError(f"{scene.name}: no frame pair ({t}, {t + gap}) in {scene.num_frames} frames")
    w, h = scene.width, scene.height
    top = render_layers(scene, t) if top is None else top
    grid = _grid(w, h)
    flow = np.zeros((2, h * w))
    flat = top.reshape(-1)
    for i, layer in enumerate(scene.layers):
        sel = flat == i
        if sel.any():
            step = layer.matrix(t + gap) @ np.linalg.inv(layer.matrix(t))
            flow[:, sel] = (step @ grid[:, sel])[:2] - grid[:2, sel]
    return flow.T.reshape(h, w, 2).astype(np.float32)
