"""Metrics beside the paper's six: SSIM and MI against the sources, PSNR/SSIM against a truth.

All take float32 ``(H, W)`` luma in 0..255 from ``mtif.metrics.reading``. They are not in the
published tables, so there is no reference number to match; SSIM is scikit-image's with its
defaults (7x7 uniform window) and ``data_range=255``.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """scikit-image SSIM of two 0..255 luma images, default settings, ``data_range=255``."""
    return float(structural_similarity(x, y, data_range=255))


def ssim_sources(fused: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """SSIM(A, F) + SSIM(B, F), the sum the fusion papers report."""
    return ssim(a, fused) + ssim(b, fused)


def mutual_information(x: np.ndarray, y: np.ndarray) -> float:
    """Mutual information in nats between the 256-level values of two images of equal size."""
    if x.shape != y.shape:
        raise ValueError(f"expected two images of equal size, got {x.shape} and {y.shape}")
    xi = np.clip(np.round(x), 0, 255).astype(np.int64).ravel()
    yi = np.clip(np.round(y), 0, 255).astype(np.int64).ravel()
    joint = np.bincount(xi * 256 + yi, minlength=256 * 256).reshape(256, 256) / xi.size
    px = joint.sum(axis=1, keepdims=True)
    py = joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / (px @ py)[nz])))


def mi_sources(fused: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """MI(A, F) + MI(B, F) in nats."""
    return mutual_information(a, fused) + mutual_information(b, fused)


def psnr(x: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB for 0..255 images; ``inf`` when they are identical."""
    if x.shape != truth.shape:
        raise ValueError(f"expected two images of equal size, got {x.shape} and {truth.shape}")
    mse = float(np.mean((x.astype(np.float64) - truth.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))
