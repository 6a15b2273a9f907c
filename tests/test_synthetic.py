"""Synthetic exposure brackets and focus stacks: deterministic, and true to their task."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from mtif.data.synthetic import make_stack


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return skimage.data.astronaut()[::2, ::2].astype(np.float32) / 255.0


def _sharpness(img: np.ndarray) -> np.ndarray:
    g = img.mean(axis=2)
    return np.abs(np.diff(g, axis=1))[:-1] + np.abs(np.diff(g, axis=0))[:, :-1]


@pytest.mark.parametrize(
    ("task", "options"), [("mef", {}), ("mff", {}), ("mff", {"continuous_depth": True})]
)
def test_deterministic_by_seed(photo, task, options):
    a = make_stack(photo, task, np.random.default_rng(3), **options)
    b = make_stack(photo, task, np.random.default_rng(3), **options)
    c = make_stack(photo, task, np.random.default_rng(4), **options)
    for x, y in zip(a.inputs, b.inputs, strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a.inputs, c.inputs, strict=True))
    assert a.gt is not None and a.task == task


@pytest.mark.parametrize("n", [2, 3, 5])
def test_bracket_is_ordered_dark_to_bright(photo, n):
    stack = make_stack(photo, "mef", np.random.default_rng(0), n_inputs=n)
    means = [float(x.mean()) for x in stack.inputs]
    assert means == sorted(means)
    assert means[0] < photo.mean() < means[-1]
    assert (stack.inputs[-1] >= 254 / 255).mean() > (photo >= 254 / 255).mean()  # clipping
    for x in stack.inputs:
        assert x.shape == photo.shape and x.dtype == np.float32
        assert x.min() >= 0.0 and x.max() <= 1.0


@pytest.mark.parametrize("continuous_depth", [False, True])
@pytest.mark.parametrize("n", [2, 3])
def test_focus_stack_each_input_sharp_somewhere(photo, n, continuous_depth):
    stack = make_stack(
        photo, "mff", np.random.default_rng(1), n_inputs=n, continuous_depth=continuous_depth
    )
    truth = _sharpness(photo)
    sharp = np.stack([_sharpness(x) for x in stack.inputs])
    # Every input is the sharpest one over a real share of the image, and never sharper than
    # the all-in-focus photo on average.
    best = sharp.argmax(axis=0)[truth > 0.05]
    for k in range(n):
        assert (best == k).mean() > 0.15
        assert sharp[k].mean() < truth.mean()


def test_grey_photo_and_bad_arguments(photo):
    grey = photo.mean(axis=2)
    stack = make_stack(grey, "mff", np.random.default_rng(0))
    assert stack.inputs[0].shape == grey.shape
    with pytest.raises(ValueError, match="task"):
        make_stack(photo, "ivf", np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 2"):
        make_stack(photo, "mef", np.random.default_rng(0), n_inputs=1)


def test_synthesise_folder_resumes(tmp_path, photo):
    from mtif.data.synthetic import list_photos, synthesise_folder
    from mtif.io import write_image

    src = tmp_path / "photos"
    for k in range(3):
        write_image(src / f"p{k}.png", photo[k * 10 : k * 10 + 64, :64])
    (src / "readme.txt").write_text("not a photo")
    photos = list_photos([src])
    assert [p.name for p in photos] == ["p0.png", "p1.png", "p2.png"]
    out = tmp_path / "set"
    assert synthesise_folder(photos, "mef", out, progress=False) == 3
    first = (out / "A" / "photos_p1.png").read_bytes()
    (out / "GT" / "photos_p1.png").unlink()  # as if killed before the stack was complete
    assert synthesise_folder(photos, "mef", out, progress=False) == 1
    assert (out / "A" / "photos_p1.png").read_bytes() == first
    names = sorted(p.name for p in (out / "GT").iterdir())
    assert sorted(p.name for p in (out / "B").iterdir()) == names
    with pytest.raises(ValueError, match="no photos"):
        list_photos([out])  # only sub-folders inside


def _tile_gains(shot: np.ndarray, gt: np.ndarray, tiles: int = 4) -> np.ndarray:
    # log2 of each tile's brightness in the shot over the ground truth's: one value per tile
    # when the whole scene is lit alike, spread out when it is lit unevenly.
    h, w = gt.shape[:2]
    gains = []
    for i in range(tiles):
        for j in range(tiles):
            rows = slice(i * h // tiles, (i + 1) * h // tiles)
            cols = slice(j * w // tiles, (j + 1) * w // tiles)
            gains.append(np.log2(shot[rows, cols].mean() / gt[rows, cols].mean()))
    return np.array(gains)


def test_hdr_stops_light_the_scene_unevenly(photo):
    even = make_stack(photo, "mef", np.random.default_rng(5))
    uneven = make_stack(photo, "mef", np.random.default_rng(5), hdr_stops=8.0)
    np.testing.assert_array_equal(even.gt, uneven.gt)  # the target stays the evenly lit photo
    assert _tile_gains(uneven.inputs[0], photo).std() > 2 * _tile_gains(even.inputs[0], photo).std()
    means = [float(x.mean()) for x in uneven.inputs]
    assert means == sorted(means)
    with pytest.raises(ValueError, match="hdr_stops"):
        make_stack(photo, "mff", np.random.default_rng(0), hdr_stops=2.0)
    with pytest.raises(ValueError, match="hdr_stops"):
        make_stack(photo, "mef", np.random.default_rng(0), hdr_stops=-1.0)


def test_synth_cli_refuses_hdr_stops_for_focus(tmp_path, capsys):
    from mtif.cli.main import main

    assert main(["synth", str(tmp_path), "--task", "mff", "--hdr-stops", "2", "--out", "x"]) == 2
    assert "--hdr-stops" in capsys.readouterr().err


def test_continuous_depth_leaves_a_middle_ground_soft_in_every_shot(photo):
    # Layers: every place is sharp in one shot, so the sharpest shot holds nearly all the
    # photo's detail. Continuous depth: between the focus planes every shot is soft.
    held = {}
    for continuous in (False, True):
        stack = make_stack(photo, "mff", np.random.default_rng(2), continuous_depth=continuous)
        best = np.max([_sharpness(x) for x in stack.inputs], axis=0)
        held[continuous] = best.mean() / _sharpness(photo).mean()
    assert held[False] > 0.9
    assert held[True] < held[False] - 0.05


def test_varying_blur_mixes_the_two_nearest_uniform_blurs(photo):
    from mtif.data.synthetic import _disk_blur, _varying_blur

    def field(radius: float) -> np.ndarray:
        return np.full(photo.shape[:2], radius, np.float32)

    for on_ladder in (0.0, 1.5):
        np.testing.assert_allclose(
            _varying_blur(photo, field(on_ladder)), _disk_blur(photo, on_ladder), atol=1e-6
        )
    between = 0.6 * _disk_blur(photo, 2.0) + 0.4 * _disk_blur(photo, 2.5)
    np.testing.assert_allclose(_varying_blur(photo, field(2.2)), between, atol=1e-6)


def test_continuous_depth_is_for_focus_only(photo, tmp_path, capsys):
    from mtif.cli.main import main

    with pytest.raises(ValueError, match="continuous_depth"):
        make_stack(photo, "mef", np.random.default_rng(0), continuous_depth=True)
    assert main(["synth", str(tmp_path), "--task", "mef", "--continuous-depth", "--out", "x"]) == 2
    assert "--continuous-depth" in capsys.readouterr().err
