"""Small synthetic inputs shared by the fusion tests (made from scikit-image's bundled photo)."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from mtif.data.synthetic import NightScene, SyntheticStack, make_stack, night_scene


def photo(size: int = 192) -> np.ndarray:
    """The astronaut photo, RGB float32 ``[0, 1]``, ``size x size``."""
    img = data.astronaut().astype(np.float32) / 255.0
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


def stack(task: str, size: int = 192, n_inputs: int = 2, seed: int = 0) -> SyntheticStack:
    """A synthetic exposure bracket ("mef") or focus stack ("mff") of the photo."""
    return make_stack(photo(size), task, np.random.default_rng(seed), n_inputs)


def ir_visible(size: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """A stand-in infrared + visible pair: grey "heat" blobs unrelated to the visible texture,
    and the colour photo."""
    rng = np.random.default_rng(3)
    heat = np.zeros((size, size), np.float32)
    for _ in range(6):
        x, y = rng.integers(0, size, 2)
        cv2.circle(heat, (int(x), int(y)), int(rng.integers(8, 30)), float(rng.uniform(0.5, 1)), -1)
    heat = cv2.GaussianBlur(heat, (0, 0), 4) * 0.8 + 0.1
    return heat, photo(size)


def night_pair(size: int = 256) -> NightScene:
    """A warm object in a corner too dark to see in visible light (``night_scene``)."""
    return night_scene(photo(size))


def series_folder(root, task: str, n: int, size: int = 64):
    """A data-set folder ``root/{A,B}/scene<i>.png`` of ``n`` synthetic pairs; returns root."""
    from mtif.io import write_image

    for i in range(n):
        s = stack(task, size=size, seed=i)
        for k, im in zip("AB", s.inputs, strict=True):
            write_image(root / k / f"scene{i}.png", im)
    return root
