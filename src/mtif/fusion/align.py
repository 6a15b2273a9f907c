"""Aligning hand-held series: a rigid (rotation + translation) warp of each input onto the first.

Exposure series change brightness non-linearly (clipping, tone curves), so intensities cannot
be compared directly. Ward's median threshold bitmaps (MTB, 2003) compare each image with its
own median, which is invariant to any monotone change of exposure. We use the same idea in a
smooth form: each luma is replaced by its rank (histogram equalisation, so the median maps to
0.5 in every input), and OpenCV's ECC (Evangelidis and Psarakis, 2008; ``findTransformECC``,
``MOTION_EUCLIDEAN``) finds the rotation and translation that maximise their correlation.
OpenCV's MTB aligner gives the starting translation, which makes large shifts safe.

Focus series keep brightness but not sharpness: ECC runs on Gradient magnitudes of both images
smoothed to the same blur, where edges line up whatever their focus.

Estimation runs on a copy reduced to at most ``work_side`` pixels on its long side, then is
refined at twice that size; the warp is applied to the full-resolution input with bilinear
interpolation and reflected borders (so no black wedges enter the fusion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mtif.fusion.colour import luma

_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 200, 1e-6)


@dataclass(frozen=True)
class RigidTransform:
    """Maps output pixel ``p`` to input pixel ``R(angle) p + (tx, ty)`` (OpenCV's inverse-map
    convention, pixels of the full-resolution image, angle in degrees, counter-clockwise about
    the origin in image coordinates)."""

    angle: float
    tx: float
    ty: float

    @property
    def matrix(self) -> np.ndarray:
        """The ``2 x 3`` float32 matrix for ``cv2.warpAffine(..., WARP_INVERSE_MAP)``."""
        t = np.deg2rad(self.angle)
        c, s = np.cos(t), np.sin(t)
        return np.array([[c, -s, self.tx], [s, c, self.ty]], np.float32)

    @classmethod
    def from_matrix(cls, m: np.ndarray) -> RigidTransform:
        return cls(float(np.rad2deg(np.arctan2(m[1, 0], m[0, 0]))), float(m[0, 2]), float(m[1, 2]))


def _rank(y: np.ndarray) -> np.ndarray:
    """Exposure-invariant version of a luma: its rank, as 8-bit histogram equalisation."""
    eq = cv2.equalizeHist(np.round(y * 255).astype(np.uint8)).astype(np.float32) / 255.0
    return cv2.GaussianBlur(eq, (0, 0), 1.0)


def _gradient(y: np.ndarray) -> np.ndarray:
    """Gradient magnitude after a blur wide enough to hide focus differences, normalised."""
    s = cv2.GaussianBlur(y, (0, 0), 2.0)
    g = cv2.magnitude(cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1))
    return g / max(float(g.max()), 1e-6)


def _mtb_shift(ref: np.ndarray, moving: np.ndarray) -> tuple[int, int]:
    """Integer translation ``(dx, dy)`` from OpenCV's median threshold bitmap aligner."""
    to8 = [np.round(im * 255).astype(np.uint8) for im in (ref, moving)]
    dx, dy = cv2.createAlignMTB(max_bits=5).calculateShift(to8[0], to8[1])
    return int(dx), int(dy)


def _resize(y: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return y
    size = (max(8, round(y.shape[1] * scale)), max(8, round(y.shape[0] * scale)))
    return cv2.resize(y, size, interpolation=cv2.INTER_AREA)


def estimate(
    ref: np.ndarray, moving: np.ndarray, task: str, *, work_side: int = 512
) -> RigidTransform:
    """Rigid transform taking ``ref``'s pixel grid to ``moving``'s (see ``RigidTransform``).

    ``ref``, ``moving``: ``(H, W)`` luma float32 ``[0, 1]``. ``task`` "mef" uses rank images,
    any other task gradient magnitudes. Raises ValueError when ECC does not converge.
    """
    feature = _rank if task == "mef" else _gradient
    long_side = max(ref.shape)
    m = np.eye(2, 3, dtype=np.float32)
    scales = [min(1.0, work_side / long_side), min(1.0, 2 * work_side / long_side)]
    prev = 0.0
    for scale in dict.fromkeys(scales):  # coarse, then finer (one level for small images)
        r, mv = _resize(ref, scale), _resize(moving, scale)
        if not prev:
            # MTB's shift maps moving to ref; the inverse map needs the opposite sign.
            dx, dy = _mtb_shift(r, mv)
            m[:, 2] = (-dx, -dy)
        else:
            m[:, 2] *= scale / prev
        prev = scale
        try:
            _, m = cv2.findTransformECC(
                feature(r), feature(mv), m, cv2.MOTION_EUCLIDEAN, _CRITERIA, None, 5
            )
        except cv2.error as exc:
            raise ValueError(
                f"alignment failed: the images share too little structure to register ({exc.msg})"
            ) from exc
    m[:, 2] /= prev
    return RigidTransform.from_matrix(m)


def warp(img: np.ndarray, transform: RigidTransform) -> np.ndarray:
    """``img`` (grey or RGB float32) resampled on the reference grid, borders reflected."""
    h, w = img.shape[:2]
    return cv2.warpAffine(
        img,
        transform.matrix,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )


def align_images(
    images: Sequence[np.ndarray], task: str
) -> tuple[list[np.ndarray], list[RigidTransform]]:
    """Warp every input onto the first one's grid; returns the aligned images and, per input,
    the transform found (identity for the first)."""
    ref = luma(images[0])
    out, transforms = [images[0]], [RigidTransform(0.0, 0.0, 0.0)]
    for img in images[1:]:
        t = estimate(ref, luma(img), task)
        transforms.append(t)
        out.append(warp(img, t))
    return out, transforms
