"""The guided filter of He, Sun and Tang (ECCV 2010 / TPAMI 2013), grey guidance."""

from __future__ import annotations

import cv2
import numpy as np

# Mirror with the edge pixel repeated: the border cv2.ximgproc.guidedFilter uses, so the two
# agree to float precision (tests/test_methods.py checks it).
BORDER = cv2.BORDER_REFLECT


def box_mean(img: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the ``(2r+1) x (2r+1)`` window around each pixel, mirrored borders."""
    size = 2 * radius + 1
    return cv2.boxFilter(img, -1, (size, size), normalize=True, borderType=BORDER)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Filter ``src`` with the edges of ``guide``: ``q = mean(a) * guide + mean(b)``.

    ``guide`` and ``src`` are ``(H, W)`` arrays on the same scale (here ``[0, 1]``); ``radius``
    is the window radius ``r`` (window ``2r+1``) and ``eps`` the regulariser, on the squared
    scale of ``guide``. Computed in float64: with ``eps`` as small as ``1e-6`` the variance
    differences below lose too many digits in float32. Returns float64 ``(H, W)``.
    """
    if guide.ndim != 2 or guide.shape != src.shape:
        raise ValueError(
            f"expected a 2-D guide and source of equal shape, got {guide.shape} and {src.shape}"
        )
    if radius < 0 or eps < 0:
        raise ValueError(f"expected radius >= 0 and eps >= 0, got radius={radius}, eps={eps}")
    g = np.asarray(guide, dtype=np.float64)
    p = np.asarray(src, dtype=np.float64)
    mean_g = box_mean(g, radius)
    mean_p = box_mean(p, radius)
    cov_gp = box_mean(g * p, radius) - mean_g * mean_p
    var_g = box_mean(g * g, radius) - mean_g * mean_g
    a = cov_gp / (var_g + eps)
    b = mean_p - a * mean_g
    return box_mean(a, radius) * g + box_mean(b, radius)
