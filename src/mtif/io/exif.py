"""Exposure settings recorded in an image file's EXIF: shutter time, aperture, ISO.

The offline describer states exposure gaps from these when every shot of a series has them:
the camera's own record beats any estimate from the pixels. Files without EXIF (PNG, BMP,
most processed images) or with broken EXIF give None, never an error.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

_EXIF_IFD = 0x8769  # pointer from the main IFD to the Exif sub-IFD, where exposure tags live
_EXPOSURE_TIME = 0x829A
_F_NUMBER = 0x829D
_ISO = 0x8827  # ISOSpeedRatings (EXIF 2.2), renamed PhotographicSensitivity in EXIF 2.3


@dataclass(frozen=True)
class Exposure:
    """One shot's exposure: ``exposure_time`` in seconds, ``f_number``, ``iso``; None if absent."""

    exposure_time: float | None
    f_number: float | None
    iso: float | None


def _positive(value: object) -> float | None:
    """A tag value as a positive finite float, or None (missing, zero, or malformed)."""
    if isinstance(value, tuple | list):  # ISO may be stored as a sequence; the first counts
        value = value[0] if value else None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def read_exposure(path: str | os.PathLike[str]) -> Exposure | None:
    """The exposure settings in ``path``'s EXIF, or None when it records no exposure time,
    aperture or ISO (or the file has no EXIF, or cannot be read)."""
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            # Cameras write the tags in the Exif sub-IFD; a few tools put them in the main IFD.
            tags = {**dict(exif), **dict(exif.get_ifd(_EXIF_IFD))}
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, TypeError, KeyError):
        return None
    found = Exposure(
        exposure_time=_positive(tags.get(_EXPOSURE_TIME)),
        f_number=_positive(tags.get(_F_NUMBER)),
        iso=_positive(tags.get(_ISO)),
    )
    return None if found == Exposure(None, None, None) else found
