"""Alignment of hand-held series: a known shift + rotation is recovered."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fuse_data import stack
from mtif.fusion import align_images, fuse_images
from mtif.fusion.align import RigidTransform, warp


def _displace(img: np.ndarray, t: RigidTransform) -> np.ndarray:
    """``img`` moved so that ``warp(result, t)`` gives ``img`` back (away from the borders)."""
    full = np.vstack([t.matrix, [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(full)[:2].astype(np.float32)
    h, w = img.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(img, inverse, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("task", ["mef", "mff"])
def test_shift_and_rotation_are_recovered(task):
    s = stack(task, size=384, seed=1)
    truth = RigidTransform(angle=1.0, tx=7.0, ty=4.0)
    moved = _displace(s.inputs[1], truth)
    aligned, found = align_images([s.inputs[0], moved], task)
    assert found[0] == RigidTransform(0.0, 0.0, 0.0)
    assert abs(found[1].angle - truth.angle) < 0.05
    assert abs(found[1].tx - truth.tx) < 0.35 and abs(found[1].ty - truth.ty) < 0.35
    inner = np.s_[24:-24, 24:-24]
    before = np.abs(moved - s.inputs[1])[inner].mean()
    after = np.abs(aligned[1] - s.inputs[1])[inner].mean()
    assert after < 0.2 * before


def test_warp_identity_is_a_no_op():
    img = stack("mff", size=64).inputs[0]
    np.testing.assert_allclose(warp(img, RigidTransform(0.0, 0.0, 0.0)), img, atol=1e-6)


def test_fuse_with_align_reports_transforms():
    s = stack("mff", size=256, seed=4)
    moved = _displace(s.inputs[1], RigidTransform(0.5, -3.0, 5.0))
    result = fuse_images([s.inputs[0], moved], task="mff", align=True)
    t = result.transforms[1]
    assert abs(t.tx + 3.0) < 0.5 and abs(t.ty - 5.0) < 0.5 and abs(t.angle - 0.5) < 0.1
