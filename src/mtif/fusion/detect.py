"""Telling an exposure series from a focus series from an infrared + visible pair (``task="auto"``).

The rules, in order, on lumas reduced to about 256 pixels on the long side:

1. Infrared + visible: some of the inputs are grey (``colour.is_grey``) and some colour, or
   the inputs barely agree on structure: gradient magnitudes of an IR and a visible image
   correlate weakly (different physics), where two exposures or two focus settings of one
   scene correlate strongly. Gradients are taken on rank-equalised lumas (exposure-invariant,
   like Ward's median threshold bitmaps) and compared only where no input is clipped; a pair
   with no such pixels (an extreme bracket) counts as agreeing.
2. Exposure: the mean brightness differs by more than ``MEAN_GAP`` or the clipped fractions
   (below 0.02 or above 0.98) differ by more than ``CLIP_GAP``.
3. Focus: otherwise (same brightness, same structure; sharpness differs by region).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mtif.fusion.colour import is_grey, luma

MEAN_GAP = 0.12
CLIP_GAP = 0.10
#: Below this correlation of gradient magnitudes the inputs are taken for different modalities.
#: Measured on the shared test sets: MEFB >= 0.46, Lytro >= 0.64, RealMFF >= 0.81; MSRS IR +
#: visible <= 0.35 (RoadScene pairs, grey + colour, are caught by the mix rule).
STRUCTURE_MIN = 0.40
_CLIP_LO, _CLIP_HI = 0.02, 0.98


@dataclass(frozen=True)
class TaskEvidence:
    """What ``detect_task`` measured, for messages and tests."""

    task: str
    mean_gap: float
    clip_gap: float
    structure: float
    grey_colour_mix: bool


def _small(img: np.ndarray, side: int = 256) -> np.ndarray:
    y = luma(img)
    scale = min(1.0, side / max(y.shape))
    if scale < 1.0:
        size = (max(4, round(y.shape[1] * scale)), max(4, round(y.shape[0] * scale)))
        y = cv2.resize(y, size, interpolation=cv2.INTER_AREA)
    return y


def _gradient(y: np.ndarray) -> np.ndarray:
    s = cv2.GaussianBlur(y, (0, 0), 1.5)  # blur so focus differences do not dominate
    return cv2.magnitude(cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1))


def _structure(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the gradient magnitudes of rank-equalised ``a`` and ``b`` where neither
    is clipped (eroded, so clipping edges do not count); 1.0 with too few such pixels."""
    ok = (a > _CLIP_LO) & (a < _CLIP_HI) & (b > _CLIP_LO) & (b < _CLIP_HI)
    ok = cv2.erode(ok.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if ok.sum() < 100:
        return 1.0
    eq = [
        cv2.equalizeHist(np.round(y * 255).astype(np.uint8)).astype(np.float32) / 255
        for y in (a, b)
    ]
    return _correlation(_gradient(eq[0])[ok], _gradient(eq[1])[ok])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 1.0


def measure_task(images: Sequence[np.ndarray]) -> TaskEvidence:
    """Measure the evidence and decide (see the module docstring)."""
    greys = [is_grey(im) for im in images]
    mix = any(greys) and not all(greys)
    ys = [_small(im) for im in images]
    means = [float(y.mean()) for y in ys]
    clips = [float(((y < _CLIP_LO) | (y > _CLIP_HI)).mean()) for y in ys]
    # The weakest agreement between neighbours: one mismatched input is enough for IVF.
    structure = min(_structure(ys[i], ys[i + 1]) for i in range(len(ys) - 1))
    mean_gap = max(means) - min(means)
    clip_gap = max(clips) - min(clips)
    if mix or structure < STRUCTURE_MIN:
        task = "ivf"
    elif mean_gap > MEAN_GAP or clip_gap > CLIP_GAP:
        task = "mef"
    else:
        task = "mff"
    return TaskEvidence(task, mean_gap, clip_gap, structure, mix)


def detect_task(images: Sequence[np.ndarray]) -> str:
    """ "mef", "mff" or "ivf" for aligned inputs (float32 ``[0, 1]``, grey or RGB)."""
    return measure_task(images).task
