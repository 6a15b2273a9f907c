"""Semantic-driven visual enrichment (paper Sec. 4.2, Fig. 4): N views of one training pair.

The paper crops "a central region with the highest saliency" and "four peripheral regions
extended outward from it", N = 5 views per pair, the same crops on both inputs. It gives no
geometry beyond that; the choices made here:

* **Centre**: the ``crop x crop`` window whose summed pair saliency is largest (integral image,
  exhaustive argmax). Among equal sums (a flat or empty map) the window nearest the image
  centre wins, so an image with nothing salient is cropped in its middle.
* **Periphery**: the centre window moved by one full window height/width up, down, left and
  right, so each peripheral patch touches the centre and shares none of its pixels: together
  they tile a cross around the salient region, adding its context. A patch that would leave
  the image is shifted back inside (it then overlaps the centre; at an edge with no room at all
  it equals the centre). Views 6-9, when asked for, are the four diagonal neighbours.
* **Small images**: inputs smaller than the crop are reflection-padded (:func:`pad_to_crop`)
  rather than the crop shrunk, because a training batch needs every view at the same size.

Random cropping (:func:`random_views`, ``mode="random"``) is the alternative of the ablation
(Exp. IV, "RC" in place of VE): the same number of views at uniform random positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mtif.data.saliency import Backend, pair_saliency

__all__ = [
    "MODES",
    "CropBox",
    "enrich_pair",
    "pad_to_crop",
    "random_views",
    "salient_views",
    "view_boxes",
]

MODES: tuple[str, ...] = ("saliency", "random")
MAX_VIEWS = 9  # centre + 4 edge neighbours + 4 diagonal neighbours
# Offsets of the views in window units (rows, cols): centre, up, down, left, right, diagonals.
_OFFSETS = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclass(frozen=True)
class CropBox:
    """A crop window in pixels: rows ``top:top+height``, columns ``left:left+width``."""

    top: int
    left: int
    height: int
    width: int

    def crop(self, img: np.ndarray) -> np.ndarray:
        """The window of an ``(H, W)`` or ``(H, W, C)`` array (a view, not a copy)."""
        return img[self.top : self.top + self.height, self.left : self.left + self.width]


def _crop_hw(crop_size: int | tuple[int, int]) -> tuple[int, int]:
    size = (crop_size, crop_size) if isinstance(crop_size, (int, np.integer)) else crop_size
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size)
    ):
        raise ValueError(f"crop size must be a positive int or (height, width), got {crop_size!r}")
    return int(size[0]), int(size[1])


def _check_fits(shape: Sequence[int], ch: int, cw: int) -> tuple[int, int]:
    h, w = int(shape[0]), int(shape[1])
    if ch > h or cw > w:
        raise ValueError(
            f"crop {ch}x{cw} does not fit an image of {h}x{w}; pad it first (pad_to_crop) "
            "or choose a smaller crop size"
        )
    return h, w


def _check_count(n_views: int) -> None:
    if not isinstance(n_views, (int, np.integer)) or not 1 <= n_views <= MAX_VIEWS:
        raise ValueError(f"n_views must be an int in 1..{MAX_VIEWS}, got {n_views!r}")


def salient_views(
    saliency: np.ndarray, crop_size: int | tuple[int, int], n_views: int = 5
) -> list[CropBox]:
    """Centre-periphery crops of an ``(H, W)`` saliency map (any non-negative scale).

    Returns ``n_views`` boxes of ``crop_size`` (int or ``(height, width)``), all inside the
    map: first the centre (highest summed saliency), then up, down, left, right neighbours
    (and diagonals for ``n_views`` > 5). See the module docstring for the geometry.
    """
    sal = np.asarray(saliency, dtype=np.float64)
    if sal.ndim != 2:
        raise ValueError(f"expected an (H, W) saliency map, got shape {sal.shape}")
    if not np.isfinite(sal).all():
        raise ValueError("saliency map contains NaN or infinite values")
    ch, cw = _crop_hw(crop_size)
    h, w = _check_fits(sal.shape, ch, cw)
    _check_count(n_views)
    # Integral image with a zero row/column so every window sum is four look-ups.
    ii = np.zeros((h + 1, w + 1))
    ii[1:, 1:] = sal.cumsum(0).cumsum(1)
    sums = ii[ch:, cw:] - ii[:-ch, cw:] - ii[ch:, :-cw] + ii[:-ch, :-cw]
    # Tolerance for ties: cumulative sums carry rounding of order eps * total.
    tol = 1e-9 * max(float(np.abs(ii[-1, -1])), 1.0)
    rows, cols = np.nonzero(sums >= sums.max() - tol)
    dist = (rows + ch / 2 - h / 2) ** 2 + (cols + cw / 2 - w / 2) ** 2
    top, left = int(rows[np.argmin(dist)]), int(cols[np.argmin(dist)])
    return [
        CropBox(
            top=int(np.clip(top + dy * ch, 0, h - ch)),
            left=int(np.clip(left + dx * cw, 0, w - cw)),
            height=ch,
            width=cw,
        )
        for dy, dx in _OFFSETS[:n_views]
    ]


def random_views(
    shape: Sequence[int],
    crop_size: int | tuple[int, int],
    n_views: int = 5,
    rng: np.random.Generator | int | None = None,
) -> list[CropBox]:
    """``n_views`` crops at independent uniform positions in an image of ``shape`` ``(H, W, ...)``.

    ``rng`` is a NumPy ``Generator`` or a seed; the same seed gives the same boxes.
    """
    ch, cw = _crop_hw(crop_size)
    h, w = _check_fits(shape, ch, cw)
    if not isinstance(n_views, (int, np.integer)) or n_views < 1:
        raise ValueError(f"n_views must be a positive int, got {n_views!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    tops = gen.integers(0, h - ch + 1, size=n_views)
    lefts = gen.integers(0, w - cw + 1, size=n_views)
    return [CropBox(int(t), int(lf), ch, cw) for t, lf in zip(tops, lefts, strict=True)]


def pad_to_crop(img: np.ndarray, crop_size: int | tuple[int, int]) -> np.ndarray:
    """Reflection-pad ``img`` (``(H, W)`` or ``(H, W, C)``) evenly to at least ``crop_size``.

    Images already large enough are returned unchanged (same object).
    """
    ch, cw = _crop_hw(crop_size)
    h, w = img.shape[:2]
    ph, pw = max(ch - h, 0), max(cw - w, 0)
    if ph == 0 and pw == 0:
        return img
    pads = [(ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)] + [(0, 0)] * (img.ndim - 2)
    # "symmetric" (edge pixel repeated) also works on 1-pixel-wide images, where "reflect"
    # would have nothing to mirror; numpy repeats the reflection when the pad is wider.
    return np.pad(img, pads, mode="symmetric")


def _check_same_size(images: Sequence[np.ndarray]) -> None:
    for im in images:
        if im.ndim not in (2, 3) or im.shape[0] < 1 or im.shape[1] < 1:
            raise ValueError(f"expected (H, W) or (H, W, C) images, got shape {im.shape}")
    sizes = sorted({im.shape[:2] for im in images})
    if len(sizes) > 1:
        raise ValueError(f"expected images of equal height and width, got {sizes}")


def enrich_pair(
    a: np.ndarray,
    b: np.ndarray,
    crop_size: int | tuple[int, int],
    mode: Literal["saliency", "random"] = "saliency",
    rng: np.random.Generator | int | None = None,
    *,
    n_views: int = 5,
    ground_truth: np.ndarray | None = None,
    saliency: np.ndarray | None = None,
    backend: Backend = "auto",
) -> list[tuple[np.ndarray, ...]]:
    """Enriched views of a pair: ``[(crop_a, crop_b), ...]``, or ``(crop_a, crop_b, crop_gt)``.

    ``a``, ``b`` (and ``ground_truth``) are ``(H, W)`` or ``(H, W, C)`` arrays of one height and
    width; each keeps its own layout and dtype. Inputs smaller than ``crop_size`` are
    reflection-padded first, so every crop is exactly ``crop_size``. ``mode="saliency"`` uses
    :func:`salient_views` on :func:`~mtif.data.saliency.pair_saliency` (or on ``saliency``, an
    ``(H, W)`` map computed beforehand, e.g. cached); ``mode="random"`` uses
    :func:`random_views` with ``rng``. The same boxes cut every array. Crops are copies.
    """
    arrays = [np.asarray(a), np.asarray(b)]
    if ground_truth is not None:
        arrays.append(np.asarray(ground_truth))
    _check_same_size(arrays)
    if saliency is not None and np.shape(saliency) != arrays[0].shape[:2]:
        raise ValueError(
            f"expected a saliency map of shape {arrays[0].shape[:2]}, got {np.shape(saliency)}"
        )
    arrays = [pad_to_crop(arr, crop_size) for arr in arrays]
    if saliency is not None:
        saliency = pad_to_crop(np.asarray(saliency, dtype=np.float32), crop_size)
    boxes = view_boxes(
        arrays[0],
        arrays[1],
        crop_size,
        mode,
        rng,
        n_views=n_views,
        saliency=saliency,
        backend=backend,
    )
    return [tuple(box.crop(arr).copy() for arr in arrays) for box in boxes]


def view_boxes(
    a: np.ndarray,
    b: np.ndarray,
    crop_size: int | tuple[int, int],
    mode: Literal["saliency", "random"] = "saliency",
    rng: np.random.Generator | int | None = None,
    *,
    n_views: int = 5,
    saliency: np.ndarray | None = None,
    backend: Backend = "auto",
) -> list[CropBox]:
    """The boxes :func:`enrich_pair` cuts, for inputs already at least ``crop_size``.

    In ``"saliency"`` mode the map is ``saliency`` when given, else ``pair_saliency(a, b)``.
    """
    if mode not in MODES:
        raise ValueError(f"enrichment mode must be one of {MODES}, got {mode!r}")
    if mode == "random":
        return random_views(a.shape, crop_size, n_views, rng)
    sal = pair_saliency(a, b, backend=backend) if saliency is None else saliency
    return salient_views(sal, crop_size, n_views)
