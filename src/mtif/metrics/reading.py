"""Images as the reference evaluator sees them: 8-bit luma, float32 in 0..255.

The evaluator behind the published tables reads each file with ``cv2.imread`` (8-bit BGR, a
grey file expanded to three equal channels), casts to float32, converts with
``cv2.COLOR_BGR2GRAY`` on the float32 array and rounds half-to-even. Only this exact sequence
gives the tables' numbers, so it is reproduced here rather than going through
``mtif.io.images.read_image`` (which keeps 16 bits and would round differently).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from mtif.io.images import quantize

# A float image whose maximum is above this is almost surely 0..255 data passed by mistake;
# clipping it to [0, 1] would silently score a white image.
_FLOAT_MAX = 2.0


def _luma(bgr: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR -> float32 ``(H, W)`` luma in 0..255, rounded half-to-even."""
    grey = cv2.cvtColor(bgr.astype(np.float32), cv2.COLOR_BGR2GRAY)
    return np.round(grey)


def load_reference_grey(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file the way the reference evaluator does.

    Returns float32 ``(H, W)`` with integer values in 0..255. 16-bit files are reduced to 8 bits
    by OpenCV as ``cv2.imread`` does; alpha is dropped. Raises ``FileNotFoundError`` or
    ``ValueError`` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory, expected an image file" if path.is_dir() else "no such file"
        raise FileNotFoundError(f"{path}: {what}")
    data = np.fromfile(path, dtype=np.uint8)
    # imdecode runs the same decoders as imread, and also copes with non-ASCII paths.
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise ValueError(f"{path}: not a readable image")
    return _luma(bgr)


def as_reference_grey(img: np.ndarray) -> np.ndarray:
    """Bring an in-memory image to what scoring its saved 8-bit PNG would see.

    ``img``: uint8 ``(H, W)`` or ``(H, W, 3)`` RGB in 0..255, used as is; or a float array
    ``(H, W)`` / ``(H, W, 3)`` RGB taken as ``[0, 1]``, clipped and quantised to 8 bits with
    round-to-nearest (exactly what ``mtif.io.images.write_image`` stores). Returns float32
    ``(H, W)`` luma in 0..255, rounded half-to-even like the reference.
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) RGB image, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("image contains NaN or infinite values")
        if arr.size and float(arr.max()) > _FLOAT_MAX:
            raise ValueError(
                f"float images must be in [0, 1], got a maximum of {float(arr.max()):g}; "
                "pass 0..255 data as uint8"
            )
        arr = quantize(arr, 8)
    elif arr.dtype != np.uint8:
        raise TypeError(f"expected a uint8 or float image, got dtype {arr.dtype}")
    # Through BGR and the same cvtColor call so the luma is bit-identical to reading the file.
    bgr = np.repeat(arr[:, :, None], 3, axis=2) if arr.ndim == 2 else arr[:, :, ::-1]
    return _luma(np.ascontiguousarray(bgr))
