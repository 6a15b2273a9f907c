"""What the offline describer measures in an infrared + visible pair, and says about it.

Infrared brightness is heat: objects much brighter than the infrared image's median are warm
(people, engines, tyres, sun-heated walls). A region shows detail "only in infrared" where
the infrared image has strong local contrast and the visible image little (a pedestrian in the
dark, through smoke), and "only in the visible image" the other way round (texture, painted
markings, colour edges: no temperature difference). Low light is a dark visible image.

The visible image's own degradations are measured too (``measure_visible``): haze or a washed
out veil (He et al.'s dark channel prior: in a clear outdoor photo most patches hold some
nearly black pixel, so a pale dark channel with low contrast means a veil of scattered light),
and its share of crushed shadows and blown highlights.

Maps are at the describer's working resolution (``measure.work_images``, long side 256);
luma in ``[0, 1]``. Positions use the 3x3 grid names of ``mtif.text.regions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mtif.fusion.colour import is_grey
from mtif.text.measure import OVER, UNDER
from mtif.text.regions import cell_name, grid_means, join_words

WARM_RISE = 0.25  # infrared luma this far above the infrared median is warm
WARM_MIN_AREA = 0.002  # warm blobs smaller than this share of the frame are noise
WARM_AREA = 0.10  # a warm blob larger than this share of the frame is an area, not an object
WINDOW = 9  # local contrast window (pixels at the working resolution)
STRONG = 0.04  # local standard deviation of luma that a viewer sees as detail
DOMINANCE = 3.0  # one modality's contrast must exceed the other's by this factor
ONLY_SHARE = 0.10  # share of a grid cell that must show one-modality detail to name it
LOW_LIGHT = 0.2  # a visible image darker than this on average was taken in low light
MAX_NAMED = 4  # objects and cells named per sentence; the rest are counted
DARK_PATCH = 7  # dark-channel patch at the working resolution (He et al.'s 15 at ~500 px)
# Hazy when the dark channel's median is this pale and the luma's spread this low: together
# they flag 1% of BSDS500 and none of Kodak24 photos, and every photo seen through a synthetic
# veil of transmission 0.4 (grey photos need both too: their dark channel is paler).
HAZE_DARK, HAZE_CONTRAST = 0.4, 0.15
UNDER_SHARE = 0.05  # a visible image with this share of crushed shadows has lost detail there
OVER_SHARE = 0.01  # blown highlights matter from a small share: lamps and headlights glare


@dataclass(frozen=True)
class WarmBlob:
    """A connected warm region: grid cell of its centroid, share of the frame, and whether
    the visible image shows detail there (local contrast at least ``STRONG`` on average)."""

    cell: tuple[int, int]
    area: float
    seen_in_visible: bool


@dataclass(frozen=True)
class InfraredMeasurements:
    """``ir_only``/``vis_only``: ``(3, 3)`` shares of each grid cell with detail in only one
    modality; ``warm``: warm blobs, largest first; means are mean luma."""

    infrared: int  # index of the infrared input
    warm: tuple[WarmBlob, ...]
    ir_only: np.ndarray
    vis_only: np.ndarray
    ir_mean: float
    vis_mean: float


@dataclass(frozen=True)
class VisibleQuality:
    """The visible image's degradations: ``dark_channel`` (median of the dark channel),
    ``contrast`` (standard deviation of luma), shares of ``under``- and ``over``-exposed
    pixels (``measure.UNDER``/``OVER``)."""

    dark_channel: float
    contrast: float
    under: float
    over: float

    @property
    def hazy(self) -> bool:
        return self.dark_channel >= HAZE_DARK and self.contrast < HAZE_CONTRAST


def infrared_index(images: Sequence[np.ndarray], task: str | None) -> int | None:
    """Index of the infrared input if the series is an infrared + visible pair, else None.

    ``task`` "ivf" says it is one (the grey input is the infrared one; with two grey or two
    colour inputs the first, as in the A/B layout); "mef"/"mff" say it is not; None decides
    by the inputs: exactly two, one grey (``fusion.colour.is_grey``) and one colour.
    """
    if task in ("mef", "mff"):
        return None
    if len(images) != 2:
        if task == "ivf":
            raise ValueError(f"an infrared + visible pair is two images, got {len(images)}")
        return None
    greys = [is_grey(np.asarray(im)) for im in images]
    if greys.count(True) == 1:
        return greys.index(True)
    return 0 if task == "ivf" else None


def local_contrast(luma: np.ndarray) -> np.ndarray:
    """Local standard deviation of ``luma`` in a ``WINDOW`` x ``WINDOW`` box, ``(h, w)``."""
    mean = cv2.blur(luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    sq = cv2.blur(luma * luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def _warm_blobs(ir: np.ndarray, vis_contrast: np.ndarray) -> tuple[WarmBlob, ...]:
    warm = (ir >= float(np.median(ir)) + WARM_RISE).astype(np.uint8)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(warm, connectivity=8)
    h, w = ir.shape
    blobs = []
    for k in range(1, n):
        area = stats[k, cv2.CC_STAT_AREA] / (h * w)
        if area < WARM_MIN_AREA:
            continue
        x, y = centroids[k]
        seen = float(vis_contrast[labels == k].mean()) >= STRONG
        blobs.append(WarmBlob((min(2, int(3 * y / h)), min(2, int(3 * x / w))), area, seen))
    return tuple(sorted(blobs, key=lambda b: -b.area))


def measure_infrared(lumas: Sequence[np.ndarray], infrared: int) -> InfraredMeasurements:
    """Measure a pair of working-resolution lumas ``(h, w)``; ``infrared`` is 0 or 1."""
    ir, vis = lumas[infrared], lumas[1 - infrared]
    c_ir, c_vis = local_contrast(ir), local_contrast(vis)
    ir_only = (c_ir >= STRONG) & (c_ir > DOMINANCE * c_vis)
    vis_only = (c_vis >= STRONG) & (c_vis > DOMINANCE * c_ir)
    return InfraredMeasurements(
        infrared=infrared,
        warm=_warm_blobs(ir, c_vis),
        ir_only=grid_means(ir_only.astype(np.float32)),
        vis_only=grid_means(vis_only.astype(np.float32)),
        ir_mean=float(ir.mean()),
        vis_mean=float(vis.mean()),
    )


def measure_visible(visible: np.ndarray, luma: np.ndarray) -> VisibleQuality:
    """Measure the visible image at the working resolution: ``visible`` ``(h, w)`` or
    ``(h, w, 3)``, ``luma`` its ``(h, w)`` luma."""
    darkest = visible.min(axis=2) if visible.ndim == 3 else visible
    kernel = np.ones((DARK_PATCH, DARK_PATCH), np.uint8)
    dark = cv2.erode(np.ascontiguousarray(darkest, dtype=np.float32), kernel)
    return VisibleQuality(
        dark_channel=float(np.median(dark)),
        contrast=float(luma.std()),
        under=float(np.mean(luma <= UNDER)),
        over=float(np.mean(luma >= OVER)),
    )


def visible_quality_sentences(q: VisibleQuality) -> list[str]:
    """Haze, crushed shadows and blown highlights of the visible image, where they matter
    (its darkness as a whole is ``lighting_sentence``'s)."""
    out = []
    if q.hazy:
        out.append(
            "The visible image looks hazy or washed out: even its darkest parts are pale "
            f"(dark channel {q.dark_channel:.2f}) and its contrast is low ({q.contrast:.2f})."
        )
    parts = []
    if q.under >= UNDER_SHARE:
        parts.append(
            f"{round(100 * q.under)}% of the visible image's pixels are too dark to show detail"
        )
    if q.over >= OVER_SHARE:
        whose = "are" if parts else "of the visible image's pixels are"
        parts.append(f"{round(100 * q.over)}% {whose} blown out")
    if parts:
        out.append(" and ".join(parts) + ".")  # starts with a number: no capital needed
    return out


def _cells(shares: np.ndarray) -> str:
    """The grid cells where ``shares`` reach ``ONLY_SHARE``, largest share first."""
    cells = [(float(shares[r, c]), r, c) for r in range(3) for c in range(3)]
    named = sorted(((s, r, c) for s, r, c in cells if s >= ONLY_SHARE), key=lambda t: -t[0])
    if len(named) == 9:
        return "across the whole frame"
    words = [f"the {cell_name(r, c)}" for _, r, c in named[:MAX_NAMED]]
    more = len(named) - MAX_NAMED
    if more > 0:
        words.append(f"{more} more region{'s' if more > 1 else ''}")
    return "in " + join_words(words)


def exclusive_detail_sentences(im: InfraredMeasurements) -> list[str]:
    """Where detail is visible in only one modality, or that there is none."""
    out = []
    for shares, only, other in (
        (im.ir_only, "the infrared image", "the visible image"),
        (im.vis_only, "the visible image", "the infrared image"),
    ):
        if shares.max() >= ONLY_SHARE:
            out.append(f"Detail visible only in {only} (weak in {other}) lies {_cells(shares)}.")
        else:
            out.append(f"No region shows detail only in {only}.")
    return out


def _count(n: int) -> str:
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n - 1] if n <= len(words) else str(n)


def _size_word(area: float) -> str:
    return "small" if area < 0.01 else ("medium-sized" if area < 0.04 else "large")


def warm_sentences(im: InfraredMeasurements) -> list[str]:
    """Warm objects (bright in infrared) and warm areas, where they are, and whether the
    visible image shows them."""
    objects = [b for b in im.warm if b.area <= WARM_AREA]
    areas = [b for b in im.warm if b.area > WARM_AREA]
    out = []
    if objects:
        # Objects alike (same cell, size word, visibility) are counted, not listed one by one.
        groups: dict[tuple[str, str, bool], int] = {}
        for b in objects:
            key = (_size_word(b.area), cell_name(*b.cell), b.seen_in_visible)
            groups[key] = groups.get(key, 0) + 1
        words = []
        for (size, where, seen), count in list(groups.items())[:MAX_NAMED]:
            which = f"a {size} one" if count == 1 else f"{_count(count)} {size} ones"
            shown = "also seen" if seen else "hidden"
            words.append(f"{which} in the {where} ({shown} in the visible image)")
        rest = sum(list(groups.values())[MAX_NAMED:])
        if rest:
            words.append(f"{_count(rest)} more")
        out.append(f"Warm objects, bright in the infrared image: {join_words(words)}.")
    if areas:
        where = join_words([f"the {cell_name(*b.cell)}" for b in areas[:MAX_NAMED]])
        what = "A large warm area" if len(areas) == 1 else f"{len(areas)} large warm areas"
        share = round(100 * sum(b.area for b in areas))
        out.append(f"{what} ({share}% of the frame) centred in {where}.")
    if not out:
        out.append("Nothing stands out as warm: no region is much brighter in infrared.")
    return out


def lighting_sentence(im: InfraredMeasurements) -> str:
    """Low light (a dark visible image) or a well-lit scene, with the mean brightness."""
    if im.vis_mean < LOW_LIGHT:
        return (
            f"The visible image is dark (mean brightness {im.vis_mean:.2f}): the scene was "
            "taken in low light, and the infrared image shows what the darkness hides."
        )
    return f"The visible image is well lit (mean brightness {im.vis_mean:.2f})."
