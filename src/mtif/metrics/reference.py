"""Slow, literal versions of VIF and Qabf: full 2-D convolutions, as the reference evaluator.

Not used for scoring. ``benchmarks/metrics_speed.py`` and ``tests/test_metrics.py`` run these
beside the fast versions in ``mtif.metrics.fusion_metrics`` to show that the separable VIF
filtering and the shifted-sum Sobel change the speed and not the numbers. Only the filtering
differs; the per-pixel formulas are shared, so they are checked against ``expected.json``
through the fast versions.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d

from mtif.metrics.fusion_metrics import qabf, vifp

# Sobel kernels exactly as the reference writes them (float32, applied by true convolution).
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
_SOBEL_Y = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float32)


def gaussian_window_2d(n: int) -> np.ndarray:
    """The reference's N x N Gaussian (sigma = N/5): entries below eps * max zeroed, sum 1."""
    r = np.arange(n, dtype=np.float64) - (n - 1) / 2
    y, x = np.meshgrid(r, r, indexing="ij")
    sigma = n / 5
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < np.finfo(h.dtype).eps * h.max()] = 0
    return h / h.sum()


def conv2d_valid(stack: np.ndarray, n: int) -> np.ndarray:
    """Gaussian 'valid' filtering of a (K, H, W) stack by one 2-D convolution per image."""
    # Convolving with the window turned by 180 degrees is correlating with it, as the reference.
    win = np.rot90(gaussian_window_2d(n), 2)
    return np.stack([convolve2d(img, win, mode="valid") for img in stack])


def sobel_conv2d(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero-padded 'same'-size Sobel responses (Sx, Sy) by 2-D convolution, float32."""
    img = img.astype(np.float32, copy=False)
    return (
        convolve2d(img, _SOBEL_X, mode="same"),
        convolve2d(img, _SOBEL_Y, mode="same"),
    )


def vif_reference(fused: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``vifp(a, fused) + vifp(b, fused)`` with 2-D convolutions (26 per vifp call)."""
    return vifp(a, fused, conv2d_valid) + vifp(b, fused, conv2d_valid)


def qabf_reference(fused: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Qabf with the Sobel responses computed by 2-D convolution."""
    return qabf(fused, a, b, sobel=sobel_conv2d)
