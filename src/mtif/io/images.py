"""Image files in and out.

Every image inside the toolkit is a float32 array in ``[0, 1]``, shaped ``(H, W)`` for grey or
``(H, W, 3)`` for RGB. Reading honours EXIF orientation, keeps 16-bit precision and drops alpha
(saying so once); writing is atomic and never replaces a file unless asked to.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_JPEG = (".jpg", ".jpeg")
_log = logging.getLogger(__name__)
_alpha_reported = False

# EXIF orientation tag -> the numpy operation that undoes it.
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 1)[::-1],
    8: lambda a: np.rot90(a, 1),
}


def _report_alpha(path: Path) -> None:
    global _alpha_reported
    if not _alpha_reported:
        _alpha_reported = True
        warnings.warn(
            f"{path}: alpha channel dropped (fusion works on opaque images)", stacklevel=3
        )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected an image file")
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(
            f"{path}: unsupported file type {path.suffix!r}; expected one of "
            + ", ".join(IMAGE_EXTENSIONS)
        )


def _orientation(path: Path) -> int:
    try:
        with Image.open(path) as im:
            return int(im.getexif().get(0x0112, 1))
    except (UnidentifiedImageError, OSError, ValueError):
        return 1


def _decode_jpeg(path: Path) -> np.ndarray:
    # PIL refuses truncated JPEGs, where OpenCV silently pads them with grey.
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im).copy()
    except UnidentifiedImageError as exc:
        raise ValueError(f"{path}: not a readable image") from exc
    except OSError as exc:
        raise ValueError(f"{path}: unreadable or truncated image ({exc})") from exc


def _decode_other(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if arr is None:
        raise ValueError(f"{path}: unreadable or truncated image")
    if arr.ndim == 3:
        if arr.shape[2] == 4:
            _report_alpha(path)
            arr = arr[:, :, :3]
        elif arr.shape[2] == 2:  # grey + alpha
            _report_alpha(path)
            arr = arr[:, :, 0]
        if arr.ndim == 3:
            arr = cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    op = _ORIENT.get(_orientation(path))
    return np.ascontiguousarray(op(arr)) if op else arr


def read_image(path: str | os.PathLike[str], *, grey: bool = False) -> np.ndarray:
    """Read an image file as float32 in ``[0, 1]``: ``(H, W)`` grey or ``(H, W, 3)`` RGB.

    8- and 16-bit PNG/JPEG/TIFF/BMP are accepted. ``grey=True`` returns the luma
    (``0.299 R + 0.587 G + 0.114 B``). Raises ``FileNotFoundError`` or ``ValueError`` naming the
    file when it is missing, not an image, or truncated.
    """
    path = Path(path)
    _check_file(path)
    arr = _decode_jpeg(path) if path.suffix.lower() in _JPEG else _decode_other(path)
    if arr.dtype == np.uint8:
        img = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        img = arr.astype(np.float32) / 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        img = np.clip(arr.astype(np.float32), 0.0, 1.0)
    else:
        raise ValueError(f"{path}: unsupported pixel type {arr.dtype}")
    if arr.ndim == 3 and img.shape[2] == 3 and grey:
        return to_grey(img)
    if arr.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    return img


def to_grey(img: np.ndarray) -> np.ndarray:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` of an ``(H, W, 3)`` RGB image; grey passes through."""
    if img.ndim == 2:
        return img
    return (img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114).astype(np.float32)


def quantize(img: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Float ``[0, 1]`` to ``uint8``/``uint16`` with round-to-nearest, the values a file holds."""
    if bit_depth not in (8, 16):
        raise ValueError(f"bit depth must be 8 or 16, got {bit_depth}")
    peak = 255.0 if bit_depth == 8 else 65535.0
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    return np.round(np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0) * peak).astype(dtype)


def write_image(
    path: str | os.PathLike[str],
    img: np.ndarray,
    *,
    bit_depth: int = 8,
    overwrite: bool = False,
) -> Path:
    """Write a float ``[0, 1]`` image atomically (temporary file, then rename).

    An existing file is kept, and ``FileExistsError`` raised, unless ``overwrite``. 16-bit
    output needs PNG or TIFF.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ValueError(f"{path}: cannot write {ext or 'a file without extension'}; use .png")
    if bit_depth == 16 and ext not in (".png", ".tif", ".tiff"):
        raise ValueError(f"{path}: 16-bit output needs .png or .tif")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass --overwrite to replace it")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {img.shape}")
    data = quantize(img, bit_depth)
    if data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(ext, data)
    if not ok:
        raise ValueError(f"{path}: could not encode the image")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.tobytes())
    return path


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        # mkstemp makes the file private (0600); give it the permissions a plain write would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
