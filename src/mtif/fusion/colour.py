"""Colour around a luma-only fusion: YCbCr split, chroma blending, recombination that keeps
the fused luma exactly (out-of-gamut colours are desaturated, not clipped).

The network fuses luma only, the field's usual practice. Chroma is blended per channel with weights
``|C - 0.5|``, so the more saturated input wins; clipped highlights and crushed shadows are
nearly achromatic, so this also favours the better exposed input. Grey inputs (infrared)
have no chroma and take no part in the blend: an infrared + visible pair keeps the visible
image's colours.

Conventions: full-range BT.601 YCbCr with the luma of ``mtif.io.to_grey``
(``Y = 0.299 R + 0.587 G + 0.114 B``), all planes float32 in ``[0, 1]``, chroma centred on
0.5. Work is done in row strips so a 24-megapixel image never needs full-size temporaries
beyond the output.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mtif.io import to_grey

# BT.601 full range: Cb = 0.5 + (B - Y) / 1.772, Cr = 0.5 + (R - Y) / 1.402.
_KB, _KR = 1.772, 1.402
_STRIP = 256  # rows per strip: bounds the temporaries to a few strips of the image
_EPS = 1e-4  # keeps the weights' sum positive where every input is grey (weights all 0)
# Window sum of squared luma differences below which an input counts as matching: 25 pixels
# 1/5 of an 8-bit level off.
_MATCH_EPS = 25 * (0.2 / 255) ** 2


def is_grey(img: np.ndarray, tol: float = 1.0 / 512) -> bool:
    """True for ``(H, W)`` images and for RGB images whose three channels agree within ``tol``
    (a grey photo saved as RGB: its chroma is 0.5 everywhere and carries no colour)."""
    if img.ndim == 2:
        return True
    step = max(1, int(np.sqrt(img.shape[0] * img.shape[1] / 250_000)))  # sample large images
    s = img[::step, ::step]
    return bool(
        np.abs(s[..., 0] - s[..., 1]).max() <= tol and np.abs(s[..., 1] - s[..., 2]).max() <= tol
    )


def chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(Cb, Cr)`` of an ``(H, W, 3)`` RGB image, each ``(H, W)`` float32 around 0.5."""
    y = to_grey(rgb)
    cb = (rgb[..., 2] - y) / _KB + 0.5
    cr = (rgb[..., 0] - y) / _KR + 0.5
    return cb.astype(np.float32), cr.astype(np.float32)


def ycbcr_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """Inverse of (``to_grey``, ``chroma``): ``(H, W, 3)`` RGB float32 in ``[0, 1]``.

    A colour outside the RGB cube is desaturated towards its grey ``(y, y, y)`` until it fits,
    rather than clipped channel by channel: clipping changes the luma (a bright saturated red
    loses brightness, and the edges the network made with it), desaturating keeps it exactly.
    """
    r = _KR * (cr - 0.5)
    b = _KB * (cb - 0.5)
    g = (-0.299 * r - 0.114 * b) / 0.587
    return with_luma(y, np.stack([r, g, b], axis=-1))


def with_luma(y: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``(y, y, y) + s * offset`` for an ``(H, W, 3)`` colour ``offset`` of zero luma, with the
    largest ``s <= 1`` per pixel that stays in the RGB cube: luma ``y`` exactly, colour as
    saturated as it fits."""
    y = np.clip(y, 0.0, 1.0)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        # How far each channel may go before leaving [0, 1]; a channel on its grey, none.
        room = np.where(offset > 0, (1.0 - y) / offset, np.where(offset < 0, -y / offset, np.inf))
    scale = np.clip(room.min(axis=-1), 0.0, 1.0)
    return np.clip(y + scale[..., None] * offset, 0.0, 1.0).astype(np.float32)


def blend_chroma(cs: Sequence[np.ndarray]) -> np.ndarray:
    """Weighted mean of chroma planes with weights ``|C - 0.5|`` (+ a tiny floor)."""
    num = np.zeros_like(cs[0])
    den = np.zeros_like(cs[0])
    for c in cs:
        w = np.abs(c - 0.5) + _EPS
        num += w * c
        den += w
    return num / den


def recolour(fused_luma: np.ndarray, images: Sequence[np.ndarray]) -> np.ndarray:
    """Colour image from the fused luma ``(H, W)`` and the chroma of the colour inputs.

    ``images`` are the (aligned) inputs, grey ``(H, W)`` or RGB ``(H, W, 3)``; grey ones (see
    ``is_grey``) are left out of the chroma blend. If every input is grey the fused luma is
    returned as it is, ``(H, W)``.
    """
    colour = [im for im in images if not is_grey(im)]
    if not colour:
        return fused_luma.astype(np.float32)
    h, w = fused_luma.shape
    out = np.empty((h, w, 3), np.float32)
    for top in range(0, h, _STRIP):
        rows = slice(top, min(h, top + _STRIP))
        planes = [chroma(im[rows]) for im in colour]
        cb = blend_chroma([p[0] for p in planes])
        cr = blend_chroma([p[1] for p in planes])
        out[rows] = ycbcr_to_rgb(fused_luma[rows], cb, cr)
    return out


def recolour_from_sources(
    fused_luma: np.ndarray, images: Sequence[np.ndarray], radius: int = 2
) -> np.ndarray:
    """Colour image taking each pixel from the input whose luma the fused luma follows there.

    For focus fusion, where the fused image is, pixel by pixel, one of the inputs: the input
    ``k`` with the least ``(Y_fused - Y_k)^2`` summed over a ``(2 radius + 1)^2`` window gives
    the pixel's colour: its RGB shifted equally in R, G and B by ``Y_fused - Y_k`` and
    desaturated only where that leaves the RGB cube (``with_luma``). Inputs are weighted by the
    inverse square of that sum, so the best match gives nearly all of the colour. Where the network
    kept an input, its pixels come back bit for bit after 8-bit rounding; chroma blending
    (``recolour``) re-mixes colours there and the rounding of the re-mixed channels adds noise
    to the luma, which costs Qabf and VIF (docs/RESULTS.md).
    Falls back to ``recolour`` when an input is grey.
    """
    if any(is_grey(im) for im in images):
        return recolour(fused_luma, images)
    h, w = fused_luma.shape
    out = np.empty((h, w, 3), np.float32)
    size = (2 * radius + 1, 2 * radius + 1)
    for top in range(0, h, _STRIP):
        # A halo of `radius` rows so that the window sums do not see the strip's edge.
        lo, hi = max(0, top - radius), min(h, top + _STRIP + radius)
        rows = slice(top - lo, min(h, top + _STRIP) - lo)
        y = fused_luma[lo:hi]
        lumas = [to_grey(im[lo:hi]) for im in images]
        cost = [cv2.boxFilter((y - yk) ** 2, -1, size, normalize=False) for yk in lumas]
        # Inverse-square weights: all but 1 where one input matches far better than the others
        # (its pixels come back exactly); an even mix where none does (flat areas, where the
        # inputs' colours agree anyway), and no jumps between the two.
        weights = [1.0 / (c[rows] + _MATCH_EPS) ** 2 for c in cost]
        total = np.sum(weights, axis=0)
        offset = np.zeros((*total.shape, 3), np.float32)
        for wk, yk, im in zip(weights, lumas, images, strict=True):
            offset += (wk / total)[..., None] * (im[lo:hi][rows] - yk[rows][..., None])
        out[top : top + total.shape[0]] = with_luma(y[rows], offset)
    return out


def luma(img: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 luma of a grey or RGB image, in row strips (no full-size temporaries
    beyond the result)."""
    if img.ndim == 2:
        return img.astype(np.float32, copy=False)
    out = np.empty(img.shape[:2], np.float32)
    for top in range(0, img.shape[0], _STRIP):
        out[top : top + _STRIP] = to_grey(img[top : top + _STRIP])
    return out
