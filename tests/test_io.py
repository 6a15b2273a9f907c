"""Image reading and writing: formats, bit depths, orientation, alpha, errors, atomicity."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from mtif.io import images as images_mod
from mtif.io import read_image, write_image


@pytest.fixture()
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((23, 31, 3), dtype=np.float32)


@pytest.mark.parametrize("ext", [".png", ".tif", ".bmp"])
def test_lossless_round_trip_8bit(tmp_path, rgb, ext):
    path = write_image(tmp_path / f"x{ext}", rgb)
    back = read_image(path)
    assert back.shape == rgb.shape and back.dtype == np.float32
    np.testing.assert_allclose(back, np.round(rgb * 255) / 255, atol=1e-7)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_keeps_precision(tmp_path, rgb, ext):
    path = write_image(tmp_path / f"x{ext}", rgb, bit_depth=16)
    back = read_image(path)
    assert np.abs(back - rgb).max() < 1.0 / 65535
    assert np.abs(back - rgb).max() < 1.0 / 255 / 10  # finer than any 8-bit file


def test_grey_round_trip_and_luma(tmp_path, rgb):
    grey = rgb[..., 0]
    back = read_image(write_image(tmp_path / "g.png", grey))
    assert back.shape == grey.shape
    luma = read_image(write_image(tmp_path / "c.png", rgb), grey=True)
    expected = np.round(rgb * 255) / 255 @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(luma, expected, atol=1e-6)


def test_jpeg_reads_close(tmp_path, rgb):
    back = read_image(write_image(tmp_path / "x.jpg", np.full_like(rgb, 0.5)))
    assert np.abs(back - 0.5).max() < 0.02


def test_alpha_dropped_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(images_mod, "_alpha_reported", False)
    rgba = np.zeros((8, 9, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.warns(UserWarning, match="alpha"):
        img = read_image(tmp_path / "a.png")
    assert img.shape == (8, 9, 3)
    assert img[0, 0, 0] == pytest.approx(200 / 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process, not per file
        read_image(tmp_path / "a.png")


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_exif_orientation_honoured(tmp_path, ext):
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :5] = 255  # a bright left band
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    Image.fromarray(arr).save(tmp_path / f"o{ext}", exif=exif)
    img = read_image(tmp_path / f"o{ext}")
    assert img.shape[:2] == (20, 10)
    assert img[:5].mean() > 0.9 and img[-5:].mean() < 0.1  # the band is now on top


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image(tmp_path / "nope.png")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ValueError, match="notes.png"):
        read_image(tmp_path / "notes.png")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="unsupported file type"):
        read_image(tmp_path / "notes.txt")


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_truncated_file(tmp_path, rgb, ext):
    path = write_image(tmp_path / f"t{ext}", np.tile(rgb, (8, 8, 1)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"t{ext}"):
        read_image(path)


def test_write_refuses_existing_and_is_atomic(tmp_path, rgb):
    path = write_image(tmp_path / "out.png", rgb)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_image(path, 1 - rgb)
    assert path.read_bytes() == before
    write_image(path, 1 - rgb, overwrite=True)
    assert path.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temporary left


def test_write_rejects_bad_requests(tmp_path, rgb):
    with pytest.raises(ValueError, match="16-bit"):
        write_image(tmp_path / "x.jpg", rgb, bit_depth=16)
    with pytest.raises(ValueError, match="shape"):
        write_image(tmp_path / "x.png", np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match="cannot write"):
        write_image(tmp_path / "x.gif", rgb)


def test_written_files_get_ordinary_permissions(tmp_path, rgb):
    import os

    umask = os.umask(0o022)
    try:
        path = write_image(tmp_path / "p.png", rgb)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
