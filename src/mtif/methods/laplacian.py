"""Laplacian-pyramid fusion with the max-abs rule (Burt and Adelson, 1983; Burt and Kolczynski,
1993): the classical multi-focus baseline."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mtif.methods.base import check_inputs

_LUMA = np.array([0.299, 0.587, 0.114])


def usable_levels(shape: tuple[int, ...], levels: int) -> int:
    """``levels`` capped so the coarsest level is at least 1 pixel on its shorter side."""
    return max(1, min(levels, int(np.log2(min(shape[:2]))) + 1))


def laplacian_pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """``levels`` arrays, finest first: ``levels - 1`` detail (band-pass) levels, then the
    coarsest Gaussian level. ``img`` is ``(H, W)`` or ``(H, W, C)`` float; odd sizes work
    because each expansion is made to the exact size of the finer level."""
    pyramid = []
    current = img
    for _ in range(levels - 1):
        smaller = cv2.pyrDown(current)
        size = (current.shape[1], current.shape[0])
        pyramid.append(current - cv2.pyrUp(smaller, dstsize=size))
        current = smaller
    pyramid.append(current)
    return pyramid


def reconstruct(pyramid: Sequence[np.ndarray]) -> np.ndarray:
    """Inverse of ``laplacian_pyramid`` (exact up to float rounding)."""
    current = pyramid[-1]
    for detail in reversed(pyramid[:-1]):
        current = cv2.pyrUp(current, dstsize=(detail.shape[1], detail.shape[0])) + detail
    return current


class LaplacianPyramidFusion:
    """Pick, at each detail level and pixel, the source coefficient of largest magnitude;
    average the coarsest level; reconstruct.

    Inputs float32 ``[0, 1]``, all ``(H, W)`` or all ``(H, W, 3)`` RGB; output float32 clipped
    to ``[0, 1]``, same layout. ``levels`` counts all pyramid levels (detail levels plus the
    coarsest), capped for small images. For colour, the choice is made on the luma
    coefficient (a linear mix of the channel coefficients) and all three channels come from
    the chosen source: choosing per channel can mix sources within one pixel and create hues
    that neither input has.
    """

    name = "laplacian"
    task = "mff"

    def __init__(self, levels: int = 5) -> None:
        if levels < 1:
            raise ValueError(f"expected levels >= 1, got {levels}")
        self.levels = levels

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        imgs = check_inputs(images)
        levels = usable_levels(imgs[0].shape, self.levels)
        pyramids = [laplacian_pyramid(im, levels) for im in imgs]
        fused = []
        for k in range(levels - 1):
            coeffs = np.stack([p[k] for p in pyramids])  # (N, h, w[, 3])
            activity = np.abs(coeffs @ _LUMA if coeffs.ndim == 4 else coeffs)
            choice = activity.argmax(axis=0)[None]
            if coeffs.ndim == 4:
                choice = choice[..., None]
            fused.append(np.take_along_axis(coeffs, choice, axis=0)[0])
        fused.append(np.mean([p[-1] for p in pyramids], axis=0, dtype=np.float32))
        return np.clip(reconstruct(fused), 0.0, 1.0).astype(np.float32)
