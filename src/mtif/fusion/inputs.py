"""Turning what a user hands over (paths or arrays) into a checked, uniform input series.

Every problem is one ValueError / FileNotFoundError line that names the input and says what
to do: different sizes (or ``resize=True``), unreadable files, tiny images, unsupported pixel
types, series too large to fuse whole. Identical inputs are legal but pointless: a warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from mtif.io import read_image

MIN_SIDE = 8  # below this neither the pyramids nor the network have anything to work with
#: Working memory per pixel of one input when fusing without tiles, in bytes: the float32
#: inputs (12 B/px for RGB) and, measured on a 2 MP pair (benchmarks/fuse_scaling.py), about
#: 400 B/px for the untiled mtif-small network and 250 B/px for OpenCV's Mertens pyramids.
BYTES_PER_PIXEL = 400
DEFAULT_MAX_MEGAPIXELS = 40.0

ImageLike = np.ndarray | str | os.PathLike


def _name(item: ImageLike, index: int) -> str:
    return str(item) if isinstance(item, (str, os.PathLike)) else f"image {index + 1}"


def as_float_image(arr: np.ndarray, name: str) -> np.ndarray:
    """An array as float32 ``[0, 1]``: uint8 / uint16 are scaled, floats must lie in
    ``[0, 1]``; shape ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)``; ``(H, W, 4)`` loses alpha."""
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] in (1, 4):
        arr = arr[:, :, 0] if arr.shape[2] == 1 else arr[:, :, :3]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"{name}: expected an (H, W) or (H, W, 3) image, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{name}: unsupported pixel type {arr.dtype}; use uint8, uint16 or float")
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    slack = FLOAT_SLACK
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -slack or hi > 1.0 + slack:
        raise ValueError(
            f"{name}: float pixels must be finite and in [0, 1], got [{lo:.6g}, {hi:.6g}]; "
            "scale the image (e.g. divide by 255)"
        )
    if lo < 0.0 or hi > 1.0:  # a resize or a colour conversion's rounding: clip, keep the image
        arr = np.clip(arr, 0.0, 1.0)
    return arr.astype(np.float32, copy=False)


#: How far outside [0, 1] a float pixel may lie and be clipped rather than refused: OpenCV's
#: resizing and colour conversions overshoot by rounding (1 + 1e-7 after an area resize),
#: while a real scaling mistake (0..255 floats) is far beyond it.
FLOAT_SLACK = 1e-3


def load(items: Sequence[ImageLike]) -> tuple[list[np.ndarray], list[str]]:
    """Read paths / convert arrays; returns the images and a display name for each."""
    if isinstance(items, (str, os.PathLike, np.ndarray)):
        raise TypeError("expected a list of images (arrays or paths), got a single one")
    images, names = [], []
    for i, item in enumerate(items):
        name = _name(item, i)
        img = read_image(Path(item)) if isinstance(item, (str, os.PathLike)) else item
        images.append(as_float_image(img, name))
        names.append(name)
    if len(images) < 2:
        raise ValueError(f"fusion needs at least 2 images, got {len(images)}")
    return images, names


def check_sizes(images: list[np.ndarray], names: list[str], resize: bool) -> list[np.ndarray]:
    """Same size for all (or resized to the first's with ``resize``), none smaller than
    ``MIN_SIDE``."""
    for img, name in zip(images, names, strict=True):
        if min(img.shape[:2]) < MIN_SIDE:
            raise ValueError(
                f"{name}: {img.shape[1]}x{img.shape[0]} is too small to fuse; "
                f"images need at least {MIN_SIDE} pixels on each side"
            )
    h, w = images[0].shape[:2]
    odd = [(n, im.shape[:2]) for n, im in zip(names, images, strict=True) if im.shape[:2] != (h, w)]
    if not odd:
        return images
    if not resize:
        first = odd[0]
        raise ValueError(
            f"images differ in size: {names[0]} is {w}x{h}, {first[0]} is "
            f"{first[1][1]}x{first[1][0]}; pass --resize (resize=True) to scale all to the first"
        )
    # Area averaging when shrinking (no aliasing), bilinear when enlarging.
    out = []
    for img in images:
        shrink = img.shape[0] * img.shape[1] > h * w
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        out.append(
            img if img.shape[:2] == (h, w) else cv2.resize(img, (w, h), interpolation=interp)
        )
    return [np.clip(o, 0.0, 1.0).astype(np.float32, copy=False) for o in out]


def check_memory(pixels: int, n_inputs: int, max_megapixels: float, tiled: bool) -> None:
    """Refuse an untiled fusion of images above ``max_megapixels`` (0 or less: no limit)."""
    mp = pixels / 1e6
    if tiled or max_megapixels <= 0 or mp <= max_megapixels:
        return
    gb = pixels * (BYTES_PER_PIXEL + 12 * n_inputs) / 2**30
    raise ValueError(
        f"{mp:.1f}-megapixel images would need about {gb:.0f} GB fused whole (limit "
        f"{max_megapixels:g} MP); fuse by tiles with the network (--tile-size 512), or raise "
        "--max-megapixels if the memory is there"
    )


def warn_if_identical(images: list[np.ndarray], names: list[str]) -> bool:
    """Warn (and return True) when every input holds the same pixels: fusion returns them."""
    first = images[0]
    same = all(im.shape == first.shape and np.array_equal(im, first) for im in images[1:])
    if same:
        warnings.warn(
            f"{', '.join(names)}: the inputs are identical; the result is that image",
            stacklevel=3,
        )
    return same
