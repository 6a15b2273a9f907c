"""Per-shot facts of the offline describer: noise levels, exposure gaps, EXIF.

The noise estimator is checked against noise of a known sigma added to scikit-image's photos;
the EXIF gap against JPEGs written here with known exposure tags.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from skimage import data

from mtif.io import quantize, to_grey, write_image
from mtif.io.exif import Exposure, read_exposure
from mtif.text.noise import noise_sigma
from mtif.text.offline import OfflineDescriber
from mtif.text.shots import (
    brightness_gap,
    exif_gap_sentence,
    noise_sentence,
    noise_word,
    pixel_gap_sentence,
)

PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "rocket")


def photo(name: str) -> np.ndarray:
    return getattr(data, name)().astype(np.float32) / 255.0


def eight_bit(img: np.ndarray) -> np.ndarray:
    """What an 8-bit file holds: clipped to [0, 1] and rounded to 1/255."""
    return quantize(img, 8).astype(np.float32) / 255.0


def dark_noisy(name: str, sigma_8bit: float, mean: float = 0.15, seed: int = 0) -> np.ndarray:
    """The photo's luma scaled to ``mean``, plus Gaussian noise, clipped and quantised."""
    luma = to_grey(photo(name))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma_8bit / 255.0, luma.shape)
    return eight_bit(luma * (mean / luma.mean()) + noise)


@pytest.mark.parametrize("name", PHOTOS)
def test_clean_photos_read_clean(name: str) -> None:
    sigma = noise_sigma(photo(name))
    assert sigma is not None and 255 * sigma < 2.0  # all read 0.3 to 1.8 (8-bit levels)
    assert noise_word(255 * sigma) == "clean"


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("sigma", [4, 8, 12, 16])
def test_added_noise_is_recovered(name: str, sigma: float) -> None:
    found = noise_sigma(dark_noisy(name, sigma))
    assert found is not None
    assert 255 * found == pytest.approx(sigma, rel=0.25)


def test_noise_of_a_large_image_is_read_at_full_resolution() -> None:
    # A 1500 x 1500 frame goes through full-resolution crops: the noise is not averaged away.
    import cv2

    big = cv2.resize(to_grey(photo("astronaut")), (1500, 1500), interpolation=cv2.INTER_CUBIC)
    noisy = eight_bit(big + np.random.default_rng(1).normal(0, 8 / 255, big.shape))
    found = noise_sigma(np.repeat(noisy[..., None], 3, axis=2))  # colour input: its luma
    assert found is not None and 255 * found == pytest.approx(8, rel=0.25)


def test_clipped_image_has_no_noise_estimate() -> None:
    assert noise_sigma(np.ones((64, 64), np.float32)) is None
    assert noise_sigma(np.zeros((64, 64, 3), np.float32)) is None


def test_noise_words_and_sentence() -> None:
    assert [noise_word(s) for s in (0.5, 1.99, 2, 4.9, 5, 9.9, 10, 30)] == [
        "clean", "clean", "slightly noisy", "slightly noisy", "noisy", "noisy",
        "very noisy", "very noisy",
    ]  # fmt: skip
    text = noise_sentence(["the first image", "the second image"], [9 / 255, 1.2 / 255])
    assert text == (
        "Noise: the first image is noisy (about 9/255), the second image is clean (about 1/255)."
    )
    assert noise_sentence(["a", "b"], [0.001, None]) == (
        "Noise: a is clean (under 1/255), b is too clipped to judge."
    )


def test_exif_gap_sentence() -> None:
    short, long = Exposure(1 / 400, 8.0, 100.0), Exposure(1 / 60, 8.0, 100.0)
    assert exif_gap_sentence([short, long]) == (
        "The exposures are 2.7 stops apart (EXIF: 1/400 s, f/8, ISO 100 and 1/60 s, f/8, ISO 100)."
    )
    # ISO and aperture count too; a setting that only some shots record is left out.
    assert exif_gap_sentence([Exposure(1 / 100, 2.8, 100.0), Exposure(1 / 100, 5.6, 400.0)]) == (
        "The exposures are 0.0 stops apart (EXIF: 1/100 s, f/2.8, ISO 100 and 1/100 s, f/5.6, "
        "ISO 400)."
    )
    assert exif_gap_sentence([Exposure(0.4, None, 100.0), Exposure(2.0, 11.0, None)]) == (
        "The exposures are 2.3 stops apart (EXIF: 0.4 s and 2 s)."
    )
    three = [
        Exposure(1 / 250, None, None),
        Exposure(1 / 60, None, None),
        Exposure(1 / 15, None, None),
    ]
    assert exif_gap_sentence(three) == (
        "Successive exposures are 2.1 and 2.0 stops apart (EXIF: 1/250 s; 1/60 s; 1/15 s)."
    )
    assert exif_gap_sentence([short, None]) is None
    assert exif_gap_sentence([short, Exposure(None, 8.0, 100.0)]) is None


def test_brightness_gap_of_a_linear_gain() -> None:
    # Two stops more light is 4x in linear light: luma rises by 4 ** (1 / 2.2).
    dark = 0.3 * to_grey(photo("coffee")) + 0.05
    bright = np.clip(dark * 4 ** (1 / 2.2), 0, 1)
    assert brightness_gap(dark, bright) == pytest.approx(2.0, abs=0.05)
    assert pixel_gap_sentence([dark, bright]) == (
        "The exposures are about 2.0 stops apart, judging by brightness."
    )
    black = np.zeros_like(dark)
    assert brightness_gap(dark, black) is None and pixel_gap_sentence([dark, black]) is None


def write_jpeg(path: Path, img: np.ndarray, exposure: Exposure | None) -> Path:
    exif = Image.Exif()
    if exposure is not None:
        ifd = exif.get_ifd(0x8769)
        ifd[0x829A] = IFDRational(1, round(1 / exposure.exposure_time))
        ifd[0x829D] = IFDRational(round(10 * exposure.f_number), 10)
        ifd[0x8827] = round(exposure.iso)
    Image.fromarray(quantize(img, 8)).save(path, quality=95, exif=exif)
    return path


def test_read_exposure(tmp_path: Path) -> None:
    img = photo("astronaut")
    tagged = write_jpeg(tmp_path / "a.jpg", img, Exposure(1 / 250, 5.6, 200.0))
    assert read_exposure(tagged) == Exposure(pytest.approx(1 / 250), 5.6, 200.0)
    assert read_exposure(write_jpeg(tmp_path / "b.jpg", img, None)) is None
    assert read_exposure(write_image(tmp_path / "c.png", img)) is None
    (tmp_path / "d.jpg").write_bytes(b"not an image")
    assert read_exposure(tmp_path / "d.jpg") is None
    assert read_exposure(tmp_path / "missing.tif") is None


def test_describer_states_the_exif_gap(tmp_path: Path) -> None:
    luma = to_grey(photo("camera"))
    dark, bright = 0.4 * luma, np.clip(1.4 * luma, 0, 1)
    paths = [
        write_jpeg(tmp_path / "dark.jpg", dark, Exposure(1 / 400, 8.0, 100.0)),
        write_jpeg(tmp_path / "bright.jpg", bright, Exposure(1 / 60, 8.0, 100.0)),
    ]
    detail = OfflineDescriber().describe(paths).detail
    assert (
        "The exposures are 2.7 stops apart (EXIF: 1/400 s, f/8, ISO 100 and 1/60 s, f/8, ISO 100)."
        in detail
    )
    assert "judging by brightness" not in detail
    # Without EXIF the gap is judged from the pixels; the noise sentence is there either way.
    plain = OfflineDescriber().describe_images([dark, bright]).detail
    assert "stops apart, judging by brightness." in plain
    assert "Noise: the first image is clean" in plain and "the second image is clean" in plain
    with pytest.raises(ValueError, match="one EXIF entry per image"):
        OfflineDescriber().describe_images([dark, bright], exif=[None])


def test_noisy_shot_is_named_and_a_focus_series_has_no_gap() -> None:
    luma = to_grey(photo("chelsea"))
    noisy = dark_noisy("chelsea", 9, mean=0.5)
    detail = OfflineDescriber().describe_images([noisy, luma]).detail
    assert "Noise: the first image is noisy (about 9/255), the second image is clean" in detail
    assert "stops apart" not in detail  # same brightness: not an exposure series


def ir_pair(visible: np.ndarray) -> list[np.ndarray]:
    """A flat infrared frame with one warm disc, and ``visible`` (RGB)."""
    h, w = visible.shape[:2]
    ir = np.full((h, w), 0.3, np.float32)
    yy, xx = np.mgrid[:h, :w]
    ir[(yy - h // 3) ** 2 + (xx - w // 3) ** 2 < (h // 10) ** 2] = 0.9
    return [ir, visible]


def test_hazy_visible_image_is_named() -> None:
    clear = photo("astronaut")
    veiled = clear * 0.4 + 0.9 * 0.6  # transmission 0.4 through a bright veil
    hazy = OfflineDescriber().describe_images(ir_pair(veiled)).detail
    assert "The visible image looks hazy or washed out: even its darkest parts are pale" in hazy
    assert "hazy" not in OfflineDescriber().describe_images(ir_pair(clear)).detail


def test_dark_noisy_visible_image_in_an_ir_pair() -> None:
    luma = to_grey(photo("coffee"))
    rng = np.random.default_rng(2)
    noise = rng.normal(0.0, 12 / 255, luma.shape)[..., None]  # the same in R, G and B
    tint = np.array([1.0, 0.8, 0.6], np.float32)  # colour, so that it reads as the visible one
    vis = eight_bit(luma[..., None] * tint * (0.12 / luma.mean()) + noise)
    detail = OfflineDescriber().describe_images(ir_pair(vis)).detail
    assert "Noise: the infrared image is clean (under 1/255), the visible image is very noisy" in (
        detail
    )
    assert "of the visible image's pixels are too dark to show detail" in detail
    assert "hazy" not in detail


def test_blown_highlights_in_the_visible_image() -> None:
    vis = photo("chelsea").copy()
    vis[:60, :100] = 1.0  # a lamp's glare: 4% of the frame
    detail = OfflineDescriber().describe_images(ir_pair(vis)).detail
    # 4.4% of the full frame; the working resolution's area averaging blurs its border.
    assert re.search(r" [45]% of the visible image's pixels are blown out\.", detail)
