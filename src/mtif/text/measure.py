"""Measurements of an aligned input series that the offline describer puts into words.

Everything is computed on the luma of each input, downscaled so that its longer side is at most
``WORK_SIDE`` pixels: the statements are about regions, not pixels, and this keeps a pair well
under 0.1 s. Luma is in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mtif.io import to_grey
from mtif.methods.base import check_inputs

WORK_SIDE = 256
OVER, UNDER = 0.92, 0.08  # luma beyond these has lost its detail to clipping or noise
EDGE_STEP = 0.04  # Sobel magnitude (luma per pixel) that counts as an edge
TEXTURE_FLOOR = 1e-5  # local gradient energy below which a region is flat
SHARPER = 2.0  # one input's focus measure must exceed the others' by this factor


@dataclass(frozen=True)
class Measurements:
    """Per-input statistics and maps, all maps ``(h, w)`` at the working resolution.

    ``over``/``under``: boolean clipping maps per input; ``sharpest``: index of the input that
    is clearly in focus at each pixel, or -1 (flat, clipped, or no clear winner).
    ``scene``: the inputs' mean luma, a stand-in for the fused scene.
    """

    mean: tuple[float, ...]
    well_exposed: tuple[float, ...]
    over: tuple[np.ndarray, ...]
    under: tuple[np.ndarray, ...]
    edge_density: tuple[float, ...]
    sharpest: np.ndarray
    textured: np.ndarray
    scene: np.ndarray
    rgb: np.ndarray | None  # mean of the inputs in RGB, (h, w, 3), None for grey inputs
    lumas: tuple[np.ndarray, ...]  # each input's luma at the working resolution


def _work_size(h: int, w: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIDE / max(h, w))
    return max(8, round(w * scale)), max(8, round(h * scale))


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return img
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _box(x: np.ndarray, k: int = 9) -> np.ndarray:
    return cv2.blur(x, (k, k), borderType=cv2.BORDER_REFLECT)


def gradients(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel derivatives ``(gx, gy)`` in luma per pixel (the 3x3 kernel's weight 8 removed)."""
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT) / 8
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT) / 8
    return gx, gy


def focus_measure(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local focus measure and local gradient energy of one luma map.

    Focus is the ratio of Laplacian energy to gradient energy in a 9x9 window: blur removes
    the highest frequencies first, so it drops, while a gain in brightness (another exposure)
    leaves it unchanged.
    """
    gx, gy = gradients(luma)
    grad = _box(gx * gx + gy * gy)
    lap = cv2.Laplacian(luma, cv2.CV_32F, ksize=1, borderType=cv2.BORDER_REFLECT)
    return _box(lap * lap) / (grad + TEXTURE_FLOOR), grad


def _sharpest(lumas: list[np.ndarray], clipped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    focus, energy = zip(*(focus_measure(y) for y in lumas), strict=True)
    f = np.stack(focus)
    textured = (np.stack(energy) > TEXTURE_FLOOR).all(axis=0) & ~clipped
    order = np.sort(f, axis=0)
    best = np.argmax(f, axis=0)
    # order[-2] is the runner-up: a winner must beat every other input by the factor.
    clear = order[-1] > SHARPER * order[-2]
    return np.where(textured & clear, best, -1), textured


def work_images(images: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Validated inputs at the working resolution, and their lumas ``(h, w)`` float32.

    Grey and colour inputs are made uniform (``check_inputs``): grey ones become RGB with
    three equal channels when any input has colour.
    """
    imgs = check_inputs(images)
    size = _work_size(*imgs[0].shape[:2])
    small = [_resize(np.ascontiguousarray(im), size) for im in imgs]
    return small, [np.ascontiguousarray(to_grey(im), dtype=np.float32) for im in small]


def measure(images: Sequence[np.ndarray]) -> Measurements:
    """Measure an aligned series of float32 ``[0, 1]`` images, all ``(H, W)`` or ``(H, W, 3)``."""
    small, lumas = work_images(images)
    over = tuple(y >= OVER for y in lumas)
    under = tuple(y <= UNDER for y in lumas)
    clipped = np.any(np.stack(over) | np.stack(under), axis=0)
    edges = []
    for y in lumas:
        gx, gy = gradients(y)
        edges.append(float(np.mean(np.hypot(gx, gy) > EDGE_STEP)))
    sharpest, textured = _sharpest(lumas, clipped)
    return Measurements(
        mean=tuple(float(y.mean()) for y in lumas),
        well_exposed=tuple(float(np.mean(~o & ~u)) for o, u in zip(over, under, strict=True)),
        over=over,
        under=under,
        edge_density=tuple(edges),
        sharpest=sharpest,
        textured=textured,
        scene=np.mean(lumas, axis=0, dtype=np.float32),
        rgb=np.mean(small, axis=0, dtype=np.float32) if small[0].ndim == 3 else None,
        lumas=tuple(lumas),
    )


def edge_orientation(luma: np.ndarray) -> tuple[str, float] | None:
    """Dominant direction of the edges ("horizontal", "vertical", "diagonal") and its share.

    Gradient directions (mod 180 degrees), weighted by magnitude, fall in four 45-degree bins;
    an edge runs across its gradient. None when no bin holds 40% of the weight (uniform: 25%).
    """
    gx, gy = gradients(luma)
    mag = np.hypot(gx, gy)
    total = float(mag.sum())
    if total <= 0:
        return None
    angle = np.degrees(np.arctan2(gy, gx)) % 180
    bins = ((angle + 22.5) // 45).astype(int) % 4  # 0: gradient along x, 2: along y
    share = np.bincount(bins.ravel(), weights=mag.ravel(), minlength=4) / total
    k = int(np.argmax(share))
    if share[k] < 0.4:
        return None
    name = {0: "vertical", 1: "diagonal", 2: "horizontal", 3: "diagonal"}[k]
    return name, float(share[k])


def horizon(luma: np.ndarray) -> tuple[float, str] | None:
    """A frame-wide horizontal brightness boundary: its height (0 = top, 1 = bottom) and side.

    The boundary is the row with the largest mean difference between the bands above and below
    it (each a tenth of the height); it counts when the difference is at least 0.1 and has the
    same sign in 80% of the columns. Returns ``(position, "above" | "below")``, the brighter
    side, or None.
    """
    h = luma.shape[0]
    band = max(2, h // 10)
    rows = range(max(band, int(0.15 * h)), min(h - band, int(0.85 * h)) + 1)
    if not rows:
        return None
    cum = np.concatenate([np.zeros((1, luma.shape[1])), np.cumsum(luma, axis=0)])
    diffs = [(cum[r] - cum[r - band] - (cum[r + band] - cum[r])) / band for r in rows]
    means = np.array([d.mean() for d in diffs])
    i = int(np.argmax(np.abs(means)))
    if abs(means[i]) < 0.1 or np.mean(np.sign(diffs[i]) == np.sign(means[i])) < 0.8:
        return None
    return rows[i] / h, ("above" if means[i] > 0 else "below")


def salient_region(luma: np.ndarray) -> tuple[int, int] | None:
    """Grid cell ``(row, col)`` of the most salient region of an ``(h, w)`` luma map.

    Spectral-residual saliency (OpenCV contrib); the region is the top 10% of the map and its
    cell that of its centroid. None when the map is flat (a featureless frame).
    """
    sal = cv2.saliency.StaticSaliencySpectralResidual_create()
    ok, smap = sal.computeSaliency((luma * 255).astype(np.uint8))
    if not ok or float(np.ptp(smap)) <= 1e-6:
        return None
    h, w = luma.shape
    smap = cv2.resize(smap.astype(np.float32), (w, h))
    rows, cols = np.nonzero(smap >= np.quantile(smap, 0.9))
    return min(2, int(3 * rows.mean() / h)), min(2, int(3 * cols.mean() / w))
