"""Fusion metrics computed exactly as the published tables compute them (``docs/METRICS.md``).

``evaluate(fused, a, b)`` reads three images (paths or arrays) the way the reference evaluator
does and returns EN, SD, SF, AG, VIF and Qabf in the paper's column order, optionally with
SSIM/MI against the sources and PSNR/SSIM against a ground truth. The single metrics are plain
functions in ``mtif.metrics.fusion_metrics`` and ``mtif.metrics.extras``.
"""

from __future__ import annotations

import os

import numpy as np

from mtif.metrics import extras as _extras
from mtif.metrics.fusion_metrics import MIN_SIZE, ag, en, qabf, sd, sf, vif
from mtif.metrics.reading import as_reference_grey, load_reference_grey

METRIC_NAMES = ("EN", "SD", "SF", "AG", "VIF", "Qabf")
EXTRA_NAMES = ("SSIM", "MI")
GT_NAMES = ("PSNR_gt", "SSIM_gt")
# Every metric here, the extras included, rewards the larger value.
HIGHER_IS_BETTER = dict.fromkeys(METRIC_NAMES + EXTRA_NAMES + GT_NAMES, True)

ImageLike = str | os.PathLike[str] | np.ndarray

__all__ = [
    "EXTRA_NAMES",
    "GT_NAMES",
    "HIGHER_IS_BETTER",
    "METRIC_NAMES",
    "MIN_SIZE",
    "ImageLike",
    "as_reference_grey",
    "evaluate",
    "load_reference_grey",
]


def _grey(img: ImageLike, role: str) -> tuple[np.ndarray, str]:
    """Reference luma of a path or an array, refused below ``MIN_SIZE`` on a side.

    Also returns the name used in messages: the role, plus the file when there is one.
    """
    if isinstance(img, np.ndarray):
        grey, name = as_reference_grey(img), role
    else:
        grey, name = load_reference_grey(img), f"{role} {os.fspath(img)}"
    if min(grey.shape) < MIN_SIZE:
        raise ValueError(
            f"{name} is {grey.shape[0]}x{grey.shape[1]} pixels; the metrics (VIF's four "
            f"scales) need at least {MIN_SIZE}x{MIN_SIZE}"
        )
    return grey, name


def evaluate(
    fused: ImageLike,
    a: ImageLike,
    b: ImageLike,
    *,
    gt: ImageLike | None = None,
    extras: bool = False,
) -> dict[str, float]:
    """Score a fused image against its two sources.

    Each argument is an image path, or an array: uint8 0..255 or float ``[0, 1]``, ``(H, W)``
    or ``(H, W, 3)`` RGB (float arrays are scored as their 8-bit PNG would be). Colour images
    are scored on their luma. Returns ``{"EN", "SD", "SF", "AG", "VIF", "Qabf"}`` in that order,
    then ``"SSIM", "MI"`` with ``extras`` and ``"PSNR_gt", "SSIM_gt"`` with ``gt``.
    """
    f, f_name = _grey(fused, "fused image")
    named = {"A": _grey(a, "source A"), "B": _grey(b, "source B")}
    if gt is not None:
        named["gt"] = _grey(gt, "ground truth")
    for img, name in named.values():
        if img.shape != f.shape:
            raise ValueError(
                f"{f_name} and {name} differ in size: {f.shape[0]}x{f.shape[1]} vs "
                f"{img.shape[0]}x{img.shape[1]}"
            )
    ga, gb = named["A"][0], named["B"][0]
    out = {
        "EN": en(f),
        "SD": sd(f),
        "SF": sf(f),
        "AG": ag(f),
        "VIF": vif(f, ga, gb),
        "Qabf": qabf(f, ga, gb),
    }
    if extras:
        out["SSIM"] = _extras.ssim_sources(f, ga, gb)
        out["MI"] = _extras.mi_sources(f, ga, gb)
    if gt is not None:
        truth = named["gt"][0]
        out["PSNR_gt"] = _extras.psnr(f, truth)
        out["SSIM_gt"] = _extras.ssim(f, truth)
    return out
