"""Classical fusion baselines: layout contract, identities, behaviour on synthetic pairs with a
ground truth, and cross-checks against independent implementations (OpenCV contrib, SciPy)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from mtif.methods import available_methods, enfuse, get_method
from mtif.methods.gff import GuidedFilterFusion
from mtif.methods.guided_filter import guided_filter
from mtif.methods.laplacian import laplacian_pyramid, reconstruct

H, W = 101, 67  # odd on purpose
# Classical methods: a trained network is not an identity on identical inputs (its correction
# channel adjusts contrast), and its input checks are tested in test_network_method.py.
METHODS = [m for m in available_methods() if not m.startswith("mtif-")]


def _texture(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(shape)
    return np.clip(0.5 + 0.2 * cv2.GaussianBlur(noise, (3, 3), 0.7), 0, 1).astype(np.float32)


def _psnr(x: np.ndarray, ref: np.ndarray) -> float:
    return float(-10 * np.log10(np.mean((x.astype(np.float64) - ref) ** 2)))


@pytest.fixture(scope="module")
def focus_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All-sharp texture, and two copies each blurred on one half (left sharp in A)."""
    sharp = _texture((H, W))
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3)
    a, b = sharp.copy(), sharp.copy()
    a[:, W // 2 :] = blurred[:, W // 2 :]
    b[:, : W // 2] = blurred[:, : W // 2]
    return a, b, sharp


@pytest.fixture(scope="module")
def exposure_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured ramp, and an under- and an over-exposed copy (shifted by -/+0.35, clipped)."""
    y, x = np.mgrid[0:H, 0:W]
    truth = 0.1 + 0.8 * x / (W - 1) + 0.08 * np.sin(0.7 * y) * np.sin(0.9 * x)
    truth = truth.astype(np.float32)
    return np.clip(truth - 0.35, 0, 1), np.clip(truth + 0.35, 0, 1), truth


def test_registry_lists_names_and_rejects_unknown() -> None:
    assert {"mean", "max", "mertens", "gff-mef", "gff-mff", "laplacian"} <= set(METHODS)
    assert set(available_methods("mff")) >= {"laplacian", "gff-mff", "mean", "max"}
    assert "mertens" not in available_methods("mff")
    assert "laplacian" not in available_methods("mef")
    for name in METHODS:
        method = get_method(name)
        assert method.name == name and method.task in ("mef", "mff", "any")
    with pytest.raises(ValueError, match="unknown fusion method 'nope'.*laplacian"):
        get_method("nope")
    with pytest.raises(ValueError, match="unknown task 'hdr'"):
        available_methods("hdr")


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(
    "layouts",
    [("grey", "grey"), ("rgb", "rgb"), ("grey", "rgb"), ("rgb", "rgb", "rgb"), ("grey",) * 3],
)
def test_output_layout(name: str, layouts: tuple[str, ...]) -> None:
    shapes = {"grey": (H, W), "rgb": (H, W, 3)}
    images = [_texture(shapes[kind], seed=i) for i, kind in enumerate(layouts)]
    out = get_method(name).fuse(images)
    assert out.shape == ((H, W, 3) if "rgb" in layouts else (H, W))
    assert out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("shape", [(H, W), (H, W, 3)])
def test_identical_inputs_give_that_input(name: str, shape: tuple[int, ...]) -> None:
    img = _texture(shape, seed=7)
    np.testing.assert_allclose(get_method(name).fuse([img, img, img]), img, atol=2e-5)


def test_mean_and_max_are_exact() -> None:
    rng = np.random.default_rng(1)
    images = [rng.random((H, W, 3), dtype=np.float32) for _ in range(3)]
    np.testing.assert_array_equal(get_method("max").fuse(images), np.maximum.reduce(images))
    expected = ((images[0].astype(np.float64) + images[1] + images[2]) / 3).astype(np.float32)
    np.testing.assert_array_equal(get_method("mean").fuse(images), expected)


@pytest.mark.parametrize("name", ["laplacian", "gff-mff"])
@pytest.mark.parametrize("colour", [False, True])
def test_multi_focus_pair_picks_the_sharp_halves(name: str, colour: bool, focus_pair) -> None:
    a, b, sharp = focus_pair
    if colour:  # same scene in colour: tint the grey texture
        a, b, sharp = (np.clip(im[:, :, None] * [1.1, 1.0, 0.8], 0, 1) for im in (a, b, sharp))
        a, b, sharp = (im.astype(np.float32) for im in (a, b, sharp))
    mean_err = np.abs(get_method("mean").fuse([a, b]) - sharp).mean()
    err = np.abs(get_method(name).fuse([a, b]) - sharp).mean()
    assert err < 0.35 * mean_err, (err, mean_err)
    # order of the inputs must not matter, nor a third, fully blurred source
    third = cv2.GaussianBlur(sharp, (0, 0), 3)
    err3 = np.abs(get_method(name).fuse([b, third, a]) - sharp).mean()
    assert err3 < 0.35 * mean_err, (err3, mean_err)


@pytest.mark.parametrize("name", ["mertens", "gff-mef"])
def test_exposure_pair_is_better_exposed_than_either_input(name: str, exposure_pair) -> None:
    dark, bright, truth = exposure_pair
    out = get_method(name).fuse([dark, bright])
    assert abs(out.mean() - 0.5) < min(abs(dark.mean() - 0.5), abs(bright.mean() - 0.5)) - 0.2
    assert _psnr(out, truth) > max(_psnr(dark, truth), _psnr(bright, truth)) + 6


@pytest.mark.parametrize(("radius", "eps"), [(2, 0.01), (7, 1e-6), (45, 0.3)])
def test_guided_filter_matches_opencv_contrib(radius: int, eps: float) -> None:
    rng = np.random.default_rng(2)
    guide = rng.random((H, W))
    src = (rng.random((H, W)) > 0.5).astype(np.float64)
    ours = guided_filter(guide, src, radius, eps)
    ref = cv2.ximgproc.guidedFilter(guide.astype(np.float32), src.astype(np.float32), radius, eps)
    # The reference runs in float32 (errors up to ~3e-5 here); a wrong border or formula
    # is off by 1e-3 or more.
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_gff_matches_an_independent_scipy_implementation(focus_pair) -> None:
    """GFF rebuilt from SciPy filters and OpenCV-contrib's guided filter (grey, 2 sources)."""
    a, b, _ = focus_pair
    images = [a.astype(np.float64), b.astype(np.float64)]
    lap = [np.abs(ndimage.laplace(im, mode="reflect")) for im in images]
    sal = np.stack([ndimage.gaussian_filter(h, 5.0, mode="reflect", truncate=1.0) for h in lap])
    binary = [(sal[i] >= sal[1 - i]).astype(np.float32) for i in range(2)]

    def weights(radius: int, eps: float) -> np.ndarray:
        w = np.stack(
            [
                cv2.ximgproc.guidedFilter(im.astype(np.float32), p, radius, eps)
                for im, p in zip(images, binary, strict=True)
            ]
        ).clip(0, None)
        return w / w.sum(axis=0)

    wb, wd = weights(45, 0.3), weights(7, 1e-6)
    base = [ndimage.uniform_filter(im, 31, mode="reflect") for im in images]
    ref = sum(wb[i] * base[i] + wd[i] * (images[i] - base[i]) for i in range(2))
    np.testing.assert_allclose(get_method("gff-mff").fuse([a, b]), np.clip(ref, 0, 1), atol=1e-3)


def test_gff_weights_sum_to_one_and_follow_detail() -> None:
    flat = np.full((H, W), 0.5, dtype=np.float32)
    textured = _texture((H, W))
    base_w, detail_w = GuidedFilterFusion().weights([flat, textured, flat])
    np.testing.assert_allclose(base_w.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(detail_w.sum(axis=0), 1.0, atol=1e-9)
    assert detail_w[1].min() > 0.99  # all detail from the only textured source


@pytest.mark.parametrize(
    ("shape", "coarsest"),
    [((H, W), (7, 5)), ((H, W, 3), (7, 5)), ((3, 2), (1, 1)), ((1, 9), (1, 1))],
)
def test_laplacian_pyramid_reconstructs_odd_and_tiny_sizes(
    shape: tuple[int, ...], coarsest: tuple[int, int]
) -> None:
    img = np.random.default_rng(3).random(shape, dtype=np.float32)
    pyramid = laplacian_pyramid(img, 5)
    assert len(pyramid) == 5 and pyramid[-1].shape[:2] == coarsest  # ceil(size / 2) per level
    np.testing.assert_allclose(reconstruct(pyramid), img, atol=1e-5)


def test_laplacian_fusion_on_tiny_images() -> None:
    rng = np.random.default_rng(4)
    images = [rng.random((3, 2), dtype=np.float32) for _ in range(2)]
    assert get_method("laplacian").fuse(images).shape == (3, 2)


@pytest.mark.parametrize("name", METHODS)
def test_bad_inputs_are_refused_with_a_clear_message(name: str) -> None:
    method = get_method(name)
    with pytest.raises(ValueError, match="equal size"):
        method.fuse([np.zeros((8, 8), np.float32), np.zeros((8, 9), np.float32)])
    with pytest.raises(ValueError, match="at least 2 images, got 1"):
        method.fuse([np.zeros((8, 8), np.float32)])
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, 3\)"):
        method.fuse([np.zeros((8, 8, 4), np.float32)] * 2)


def test_enfuse_absent_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enfuse.shutil, "which", lambda _name: None)
    assert "enfuse-mef" not in available_methods()
    for name in ("enfuse-mef", "enfuse-mff"):
        with pytest.raises(ValueError, match="apt-get install enblend-enfuse"):
            get_method(name)


@pytest.mark.skipif(not enfuse.enfuse_available(), reason="enfuse is not installed")
def test_enfuse_focus_stack_picks_the_sharp_halves(focus_pair) -> None:
    a, b, sharp = focus_pair
    mean_err = np.abs(get_method("mean").fuse([a, b]) - sharp).mean()
    assert np.abs(get_method("enfuse-mff").fuse([a, b]) - sharp).mean() < 0.5 * mean_err


def test_mertens_matches_opencv_defaults_on_8bit_bgr():
    # The "Mertens (OpenCV)" rows of fusion tables come from OpenCV's defaults on 8-bit BGR.
    rng = np.random.default_rng(5)
    rgb = [rng.integers(0, 256, (40, 52, 3), dtype=np.uint8) for _ in range(2)]
    expected = cv2.createMergeMertens().process([np.ascontiguousarray(x[:, :, ::-1]) for x in rgb])
    ours = get_method("mertens").fuse([x.astype(np.float32) / 255 for x in rgb])
    np.testing.assert_allclose(ours, np.clip(expected, 0, 1)[:, :, ::-1], atol=1e-6)
