"""Facts about each shot of a series that the offline describer states with their numbers:
how noisy each shot is, and how many stops apart the exposures are.

Noise is ``mtif.text.noise.noise_sigma`` in 8-bit levels. The exposure gap comes from EXIF
when every shot records its shutter time (the camera's record is exact), otherwise from the
pixels: the median ratio of linearised luma (gamma 2.2) where both shots are well exposed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mtif.io.exif import Exposure
from mtif.text.measure import OVER, UNDER
from mtif.text.regions import join_words

# Noise words by sigma in 8-bit levels. Below 2 noise is invisible at a normal view (clean
# photos and good JPEGs read 0.3 to 2); up to 5 it shows as grain in flat dark areas; up to 10
# the whole image looks grainy (high-ISO phone shots); beyond, noise swamps the shadows' detail.
NOISE_WORDS = ((2.0, "clean"), (5.0, "slightly noisy"), (10.0, "noisy"))
VERY_NOISY = "very noisy"
GAMMA = 2.2  # sRGB-like encoding: linear light is about luma ** 2.2
MIN_SHARED = 0.01  # share of pixels well exposed in both shots needed to compare brightness
HALF_STOP = 0.5  # brightness-based gaps are rounded to this: the tone curve is only guessed


def noise_word(sigma_8bit: float) -> str:
    """ "clean", "slightly noisy", "noisy" or "very noisy" for a sigma in 8-bit levels."""
    return next((word for limit, word in NOISE_WORDS if sigma_8bit < limit), VERY_NOISY)


def _noise_phrase(name: str, sigma: float | None) -> str:
    if sigma is None:
        return f"{name} is too clipped to judge"
    level = 255 * sigma
    amount = "under 1/255" if level < 0.5 else f"about {round(level)}/255"
    return f"{name} is {noise_word(level)} ({amount})"


def noise_sentence(names: Sequence[str], sigmas: Sequence[float | None]) -> str:
    """One sentence with each shot's noise word and level, e.g. "Noise: the first image is
    noisy (about 9/255), the second image is clean (about 1/255)." ``sigmas`` in ``[0, 1]``
    units (None: too few unclipped pixels to measure)."""
    parts = [_noise_phrase(n, s) for n, s in zip(names, sigmas, strict=True)]
    return "Noise: " + ", ".join(parts) + "."


def _stops(e: Exposure, aperture: bool, iso: bool) -> float:
    """Light gathered in stops (log2): time times ISO over the aperture area."""
    assert e.exposure_time is not None
    ev = math.log2(e.exposure_time)
    if aperture and e.f_number is not None:
        ev -= 2 * math.log2(e.f_number)
    if iso and e.iso is not None:
        ev += math.log2(e.iso)
    return ev


def _time_text(t: float) -> str:
    # Cameras show short times as fractions (1/250 s) and long or odd ones as decimals (0.4 s).
    if t < 1 and abs(1 / t - round(1 / t)) < 0.05 * (1 / t):
        return f"1/{round(1 / t)} s"
    return f"{t:.2g} s"


def _settings_text(e: Exposure, aperture: bool, iso: bool) -> str:
    assert e.exposure_time is not None
    words = [_time_text(e.exposure_time)]
    if aperture and e.f_number is not None:
        words.append(f"f/{e.f_number:.2g}" if e.f_number < 10 else f"f/{round(e.f_number)}")
    if iso and e.iso is not None:
        words.append(f"ISO {round(e.iso)}")
    return ", ".join(words)


def _gaps_text(gaps: Sequence[float], about: bool) -> str:
    values = ("about " if about else "") + join_words([f"{g:.1f}" for g in gaps])
    if len(gaps) == 1:
        return f"The exposures are {values} stops apart"
    return f"Successive exposures are {values} stops apart"


def exif_gap_sentence(exif: Sequence[Exposure | None]) -> str | None:
    """The exposure gap(s) from EXIF, e.g. "The exposures are 2.7 stops apart (EXIF: 1/250 s,
    f/8, ISO 100 and 1/40 s, f/8, ISO 100)."; None unless every shot records its time.

    Aperture and ISO count when every shot records them; with more than two shots the gaps
    are between successive ones, in input order.
    """
    if not exif or any(e is None or e.exposure_time is None for e in exif):
        return None
    shots = [e for e in exif if e is not None]
    aperture = all(e.f_number is not None for e in shots)
    iso = all(e.iso is not None for e in shots)
    ev = [_stops(e, aperture, iso) for e in shots]
    gaps = [abs(b - a) for a, b in zip(ev, ev[1:], strict=False)]
    each = [_settings_text(e, aperture, iso) for e in shots]
    # Settings hold commas themselves: beyond two shots, semicolons keep them apart.
    settings = join_words(each) if len(each) == 2 else "; ".join(each)
    return f"{_gaps_text(gaps, about=False)} (EXIF: {settings})."


def brightness_gap(a: np.ndarray, b: np.ndarray) -> float | None:
    """Stops between two shots' exposures judged by their lumas, or None when too few pixels
    are well exposed in both: the median log2 ratio of linearised luma there."""
    both = (a > UNDER) & (a < OVER) & (b > UNDER) & (b < OVER)
    if both.mean() < MIN_SHARED:
        return None
    ratio = GAMMA * (np.log2(b[both]) - np.log2(a[both]))
    return abs(float(np.median(ratio)))


def pixel_gap_sentence(lumas: Sequence[np.ndarray]) -> str | None:
    """The exposure gap(s) judged by brightness, e.g. "The exposures are about 2.5 stops apart,
    judging by brightness."; None when some successive pair shares too few well-exposed
    pixels to compare."""
    gaps = [brightness_gap(a, b) for a, b in zip(lumas, lumas[1:], strict=False)]
    if any(g is None for g in gaps):
        return None
    rounded = [HALF_STOP * round(g / HALF_STOP) for g in gaps if g is not None]
    return f"{_gaps_text(rounded, about=True)}, judging by brightness."
