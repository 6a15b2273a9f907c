"""Exposure fusion of Mertens, Kautz and Van Reeth (2007), as implemented by OpenCV."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mtif.methods.base import check_inputs


class MertensFusion:
    """OpenCV's ``MergeMertens`` with OpenCV's default weights: contrast 1, saturation 1,
    well-exposedness 0. (The 2007 paper weights all three by 1; OpenCV's defaults are what
    "Mertens (OpenCV)" rows in fusion tables use, so ours reproduce them.)

    Inputs are float32 ``[0, 1]``, all ``(H, W)`` or all ``(H, W, 3)`` RGB; the output has the
    same layout, float32, clipped to ``[0, 1]``. OpenCV divides its input by 255, so the images
    are handed over as float32 scaled to ``0..255`` (no 8-bit rounding) and the result comes
    back in ``[0, 1]``; its Laplacian-pyramid blend can overshoot slightly, hence the clip.
    Grey stacks are replicated to three channels and the saturation weight is set to 0 for
    them: the channel spread of a grey pixel is 0, so a saturation weight would zero every
    weight and turn the method into a plain mean.
    """

    name = "mertens"
    task = "mef"

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        imgs = check_inputs(images)
        grey = imgs[0].ndim == 2
        merger = cv2.createMergeMertens(1.0, 0.0 if grey else 1.0, 0.0)
        # OpenCV expects BGR: its contrast weight is taken on a BGR-to-grey conversion.
        bgr = [np.repeat(im[:, :, None], 3, axis=2) if grey else im[:, :, ::-1] for im in imgs]
        fused = merger.process([np.ascontiguousarray(b * 255.0, dtype=np.float32) for b in bgr])
        fused = fused.mean(axis=2) if grey else fused[:, :, ::-1]
        return np.clip(fused, 0.0, 1.0).astype(np.float32)
