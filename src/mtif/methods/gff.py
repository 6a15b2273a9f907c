"""Guided filtering fusion, GFF (Li, Kang and Hu, "Image Fusion with Guided Filtering",
IEEE TIP 22(7), 2013).

Each source is split into a base layer (31x31 mean filter) and a detail layer (the residual).
Saliency is the Gaussian-smoothed absolute 3x3 Laplacian; each pixel's binary weight goes to
the most salient source. The binary maps are refined by a guided filter guided by their own
source: a wide, strongly regularised one for the base layers (spatially smooth weights), a
narrow, edge-preserving one for the detail layers. Base and detail layers are fused with their
own normalised weights and added.

Differences from the paper, on purpose and small:

- Colour: saliency and guidance use the luma ``0.299 R + 0.587 G + 0.114 B`` and the weights
  are applied to every channel alike. The paper's code guides with the colour image; luma
  guidance keeps one grey guided filter and gives the same weights where edges show in luma.
- Ties (pixels where several sources are equally salient, e.g. flat areas or equal inputs)
  give weight 1 to each tied source rather than to the first one, so the result does not
  depend on the input order.
- Refined weights are clipped at 0 before normalising (the guided filter can undershoot near
  edges), and a pixel whose weights all vanish falls back to the plain mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mtif.io.images import to_grey
from mtif.methods.base import check_inputs
from mtif.methods.guided_filter import BORDER, box_mean, guided_filter


def saliency(grey: np.ndarray, gauss_radius: int = 5, gauss_sigma: float = 5.0) -> np.ndarray:
    """``|Laplacian(grey)|`` (4-neighbour 3x3 kernel) smoothed by a Gaussian of radius
    ``gauss_radius`` (window ``2r+1``) and ``gauss_sigma``; ``(H, W)`` float64."""
    lap = cv2.Laplacian(np.asarray(grey, dtype=np.float64), cv2.CV_64F, ksize=1, borderType=BORDER)
    size = 2 * gauss_radius + 1
    return cv2.GaussianBlur(np.abs(lap), (size, size), gauss_sigma, borderType=BORDER)


def _refined_weights(binary: np.ndarray, guides: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Guided-filter each binary map ``(N, H, W)`` by its own guide; weights sum to 1."""
    refined = np.stack(
        [guided_filter(g, p, radius, eps) for g, p in zip(guides, binary, strict=True)]
    )
    refined = np.clip(refined, 0.0, None)
    total = refined.sum(axis=0)
    empty = total < 1e-12
    refined[:, empty] = 1.0
    return refined / np.where(empty, len(binary), total)


@dataclass(frozen=True)
class GuidedFilterFusion:
    """GFF for N sources; defaults are the paper's parameters (images on ``[0, 1]``).

    Inputs float32 ``[0, 1]``, all ``(H, W)`` or all ``(H, W, 3)`` RGB; output float32 in
    ``[0, 1]`` with the same layout. ``name``/``task`` only label the registry entry: the paper
    uses one parameter set for multi-focus and multi-exposure fusion alike.
    """

    name: str = "gff"
    task: str = "any"
    mean_radius: int = 15  # 31x31 mean filter for the two-scale decomposition
    gauss_radius: int = 5
    gauss_sigma: float = 5.0
    base_radius: int = 45
    base_eps: float = 0.3
    detail_radius: int = 7
    detail_eps: float = 1e-6

    def weights(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Base and detail weight maps, each ``(N, H, W)`` float64 summing to 1 per pixel."""
        imgs = check_inputs(images)
        guides = np.stack([to_grey(im) for im in imgs]).astype(np.float64)
        sal = np.stack([saliency(g, self.gauss_radius, self.gauss_sigma) for g in guides])
        binary = (sal == sal.max(axis=0, keepdims=True)).astype(np.float64)
        base_w = _refined_weights(binary, guides, self.base_radius, self.base_eps)
        detail_w = _refined_weights(binary, guides, self.detail_radius, self.detail_eps)
        return base_w, detail_w

    def fuse(self, images: Sequence[np.ndarray]) -> np.ndarray:
        imgs = check_inputs(images)
        base_w, detail_w = self.weights(imgs)
        fused = np.zeros(imgs[0].shape, dtype=np.float64)
        for im, wb, wd in zip(imgs, base_w, detail_w, strict=True):
            src = im.astype(np.float64)
            base = box_mean(src, self.mean_radius)
            if src.ndim == 3:
                wb, wd = wb[:, :, None], wd[:, :, None]
            fused += wb * base + wd * (src - base)
        return np.clip(fused, 0.0, 1.0).astype(np.float32)
