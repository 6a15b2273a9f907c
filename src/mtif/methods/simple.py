"""Pixel-wise mean and maximum: the floor any fusion method has to clear."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mtif.methods.base import check_inputs


class MeanFusion:
    """Pixel-wise average of N images (any task); output float32 ``[0, 1]``, input layout."""

    name = "mean"
    task = "any"

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        # Accumulate in float64 so the mean of N equal float32 images is that image exactly.
        stack = np.stack(check_inputs(images)).astype(np.float64)
        return np.clip(stack.mean(axis=0), 0.0, 1.0).astype(np.float32)


class MaxFusion:
    """Pixel-wise (and, for RGB, channel-wise) maximum of N images (any task)."""

    name = "max"
    task = "any"

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        stack = np.stack(check_inputs(images))
        return np.clip(stack.max(axis=0), 0.0, 1.0).astype(np.float32)
