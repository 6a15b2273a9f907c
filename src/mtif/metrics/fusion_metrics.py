"""The six metrics of the published fusion tables: EN, SD, SF, AG, VIF, Qabf.

Every function takes float32 ``(H, W)`` luma in 0..255 as returned by
``mtif.metrics.reading`` and follows the reference evaluator exactly (``docs/METRICS.md``),
quirks included, so the numbers can stand next to the paper's. SD, SF, AG and Qabf are
computed in float32 like the reference; VIF in float64. ``mtif.metrics.reference`` holds the
slow, literal 2-D convolution versions of VIF and Qabf that these fast ones are checked against.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

# Below this many pixels on a side the reference's four 'valid'-filtered VIF scales run out of
# pixels (the last scale's 3x3 window no longer fits) and its numbers mean nothing.
MIN_SIZE = 41

# (K, H, W) float64 stack, window size N -> (K, H-N+1, W-N+1) Gaussian-filtered, 'valid' mode.
ValidFilter = Callable[[np.ndarray, int], np.ndarray]
# float32 (H, W) -> Sobel responses (Sx, Sy), float32 (H, W).
SobelFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

_VIF_NOISE_VAR = 2.0
_EPS_VAR = 1e-10


def check_grey(img: np.ndarray, name: str = "image", minimum: int = 2) -> np.ndarray:
    """Validate one luma image and return it as float32 ``(H, W)``."""
    arr = np.asarray(img)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a grey (H, W) array, got shape {arr.shape}")
    if min(arr.shape) < minimum:
        raise ValueError(
            f"{name}: {arr.shape[0]}x{arr.shape[1]} pixels is too small; the metrics need at "
            f"least {minimum} pixels on each side"
        )
    return arr.astype(np.float32, copy=False)


def en(img: np.ndarray) -> float:
    """Entropy in bits of the 256-level histogram of ``uint8(round(img))``."""
    img = check_grey(img, minimum=1)
    levels = np.round(img)
    if levels.min() < 0 or levels.max() > 255:
        raise ValueError(f"EN expects values in 0..255, got {levels.min()}..{levels.max()}")
    p = np.bincount(levels.astype(np.uint8).ravel(), minlength=256) / levels.size
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def sd(img: np.ndarray) -> float:
    """Population standard deviation (float32, like the reference)."""
    return float(np.std(check_grey(img, minimum=1)))


def sf(img: np.ndarray) -> float:
    """Spatial frequency: sqrt(mean squared horizontal + mean squared vertical difference)."""
    img = check_grey(img)
    row = np.mean((img[:, 1:] - img[:, :-1]) ** 2)
    col = np.mean((img[1:, :] - img[:-1, :]) ** 2)
    return float(np.sqrt(row + col))


def gradient_map(img: np.ndarray) -> np.ndarray:
    """Per-pixel sqrt((Gx^2 + Gy^2) / 2) with ``numpy.gradient`` differences: AG's summand."""
    gy, gx = np.gradient(check_grey(img))
    return np.sqrt((gx**2 + gy**2) / 2)


def ag(img: np.ndarray) -> float:
    """Average gradient: the mean of ``gradient_map``."""
    return float(np.mean(gradient_map(img)))


def gaussian_window_1d(n: int) -> np.ndarray:
    """The 1-D factor of the reference's N x N Gaussian (sigma = N/5), float64, sum 1.

    The reference zeroes 2-D entries below eps * max; for N in (17, 9, 5, 3) the smallest
    entry is above 4e-3 of the maximum, so nothing is zeroed and the window is exactly
    separable (``tests/test_metrics.py`` checks this against the 2-D construction).
    """
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2
    sigma = n / 5
    w = np.exp(-(x * x) / (2 * sigma * sigma))
    return w / w.sum()


def separable_valid(stack: np.ndarray, n: int) -> np.ndarray:
    """Gaussian 'valid' filtering of a (K, H, W) float64 stack, one axis at a time.

    OpenCV filters float64 in float64 and was twice as fast as ``scipy.ndimage`` here; the
    border pixels it fills with zeros are the ones 'valid' mode drops, so they are cropped.
    """
    w = gaussian_window_1d(n)
    h = n // 2
    rows, cols = stack.shape[1] - h, stack.shape[2] - h
    out = [
        cv2.sepFilter2D(img, cv2.CV_64F, w, w, borderType=cv2.BORDER_CONSTANT)[h:rows, h:cols]
        for img in stack
    ]
    return np.stack(out)


def _vif_scale_terms(stats: np.ndarray) -> tuple[float, float]:
    """Numerator and denominator sums of one scale from filtered (mu1, mu2, E11, E22, E12)."""
    mu1, mu2, e11, e22, e12 = stats
    s1 = np.maximum(e11 - mu1 * mu1, 0.0)
    s2 = np.maximum(e22 - mu2 * mu2, 0.0)
    s12 = e12 - mu1 * mu2
    g = s12 / (s1 + _EPS_VAR)
    sv = s2 - g * s12
    # The order of these overrides matters; it is the reference's.
    flat_ref = s1 < _EPS_VAR
    g[flat_ref] = 0.0
    sv[flat_ref] = s2[flat_ref]
    s1[flat_ref] = 0.0
    flat_dist = s2 < _EPS_VAR
    g[flat_dist] = 0.0
    sv[flat_dist] = 0.0
    negative = g < 0
    sv[negative] = s2[negative]
    g[negative] = 0.0
    sv[sv <= _EPS_VAR] = _EPS_VAR
    num = np.sum(np.log10(1.0 + g**2 * s1 / (sv + _VIF_NOISE_VAR)))
    den = np.sum(np.log10(1.0 + s1 / _VIF_NOISE_VAR))
    return float(num), float(den)


def vifp(ref: np.ndarray, dist: np.ndarray, filter_valid: ValidFilter = separable_valid) -> float:
    """Four-scale pixel-domain VIF of ``dist`` against ``ref`` (Sheikh and Bovik).

    ``filter_valid`` is the Gaussian 'valid' filter; the default is the fast separable one.
    Returns 1.0 where the reference's ratio is NaN (both sums zero: a flat ``ref``).
    """
    ref = check_grey(ref, "reference", MIN_SIZE).astype(np.float64)
    dist = check_grey(dist, "distorted", MIN_SIZE).astype(np.float64)
    if ref.shape != dist.shape:
        raise ValueError(f"expected two images of equal size, got {ref.shape} and {dist.shape}")
    num = den = 0.0
    for scale in range(1, 5):
        n = 2 ** (5 - scale) + 1
        if scale > 1:
            ref, dist = filter_valid(np.stack([ref, dist]), n)[:, ::2, ::2]
        stats = filter_valid(np.stack([ref, dist, ref * ref, dist * dist, ref * dist]), n)
        scale_num, scale_den = _vif_scale_terms(stats)
        num += scale_num
        den += scale_den
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.float64(num) / np.float64(den)
    return 1.0 if math.isnan(value) else float(value)


def vif(fused: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """VIF of the tables: ``vifp(a, fused) + vifp(b, fused)``."""
    return vifp(a, fused) + vifp(b, fused)


def sobel_shifted(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference's zero-padded Sobel responses (true convolution), by shifted sums.

    Sx uses [[-1,0,1],[-2,0,2],[-1,0,1]] and Sy [[1,2,1],[0,0,0],[-1,-2,-1]]; convolution flips
    them, so Sx = left - right and Sy = below - above. Integer inputs make every sum exact in
    float32, so this equals the 2-D convolution bit for bit.
    """
    p = np.pad(img.astype(np.float32, copy=False), 1)
    vert = p[:-2] + 2 * p[1:-1] + p[2:]
    horiz = p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]
    return vert[:, :-2] - vert[:, 2:], horiz[2:] - horiz[:-2]


def _edges(img: np.ndarray, sobel: SobelFn) -> tuple[np.ndarray, np.ndarray]:
    """Edge strength and angle (arctan(Sy/Sx), pi/2 where Sx = 0), float32."""
    sx, sy = sobel(img)
    strength = np.sqrt(sx * sx + sy * sy)
    vertical = sx == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        angle = np.arctan(sy / np.where(vertical, np.float32(1), sx))
    angle[vertical] = np.float32(math.pi / 2)
    return strength, angle


def _edge_preservation(
    gx: np.ndarray, ax: np.ndarray, gf: np.ndarray, af: np.ndarray
) -> np.ndarray:
    """Q_XF per pixel: sigmoids of the strength ratio and of the angle agreement (float32)."""
    # Weaker over stronger strength; where gX == gF the reference keeps gF itself, not 1: its
    # quirk, kept. (0/0 only happens where both are 0, and there gF is taken.)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(gx == gf, gf, np.minimum(gx, gf) / np.maximum(gx, gf))
    agreement = 1 - np.abs(ax - af) / (math.pi / 2)
    q_strength = 0.9994 / (1 + np.exp(-15 * (ratio - 0.5)))
    q_angle = 0.9879 / (1 + np.exp(-22 * (agreement - 0.8)))
    return q_strength * q_angle


def qabf(fused: np.ndarray, a: np.ndarray, b: np.ndarray, sobel: SobelFn = sobel_shifted) -> float:
    """Xydeas-Petrovic edge preservation, weighted by source edge strength (float32).

    NaN when both sources have no edges at all (0/0), as in the reference.
    """
    g_a, a_a = _edges(check_grey(a, "A"), sobel)
    g_b, a_b = _edges(check_grey(b, "B"), sobel)
    g_f, a_f = _edges(check_grey(fused, "fused"), sobel)
    if not g_a.shape == g_b.shape == g_f.shape:
        raise ValueError(f"expected equal sizes, got {g_f.shape}, {g_a.shape} and {g_b.shape}")
    q_af = _edge_preservation(g_a, a_a, g_f, a_f)
    q_bf = _edge_preservation(g_b, a_b, g_f, a_f)
    num = np.sum(q_af * g_a + q_bf * g_b)
    den = np.sum(g_a + g_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(num / den)
