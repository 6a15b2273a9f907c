"""The interface every fusion method follows, classical or learned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

TASKS = ("mef", "mff", "ivf", "any")


class FusionMethod(Protocol):
    """Fuses N aligned images into one.

    ``fuse`` takes images as float32 arrays in ``[0, 1]``, all ``(H, W)`` or all
    ``(H, W, 3)`` RGB (``check_inputs`` makes a grey + colour mix uniform), and returns one
    image of the same layout in ``[0, 1]``.
    """

    name: str
    task: str

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray: ...


def check_inputs(images: Sequence[np.ndarray], minimum: int = 2) -> list[np.ndarray]:
    """Validate a stack and bring it to one layout (grey inputs become RGB beside colour ones)."""
    imgs = [np.asarray(im, dtype=np.float32) for im in images]
    if len(imgs) < minimum:
        raise ValueError(f"expected at least {minimum} images, got {len(imgs)}")
    for im in imgs:
        if im.ndim not in (2, 3) or (im.ndim == 3 and im.shape[2] != 3):
            raise ValueError(f"expected (H, W) or (H, W, 3) images, got shape {im.shape}")
    sizes = {im.shape[:2] for im in imgs}
    if len(sizes) > 1:
        raise ValueError(f"expected images of equal size, got {sorted(sizes)}")
    if any(im.ndim == 3 for im in imgs):
        imgs = [im if im.ndim == 3 else np.repeat(im[:, :, None], 3, axis=2) for im in imgs]
    return imgs
