"""The fusion metrics: reference values, fast == slow, hand-computed cases, errors and the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from mtif.cli.main import main
from mtif.io.images import write_image
from mtif.metrics import (
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    as_reference_grey,
    evaluate,
    load_reference_grey,
)
from mtif.metrics.extras import mutual_information, psnr
from mtif.metrics.fusion_metrics import (
    ag,
    en,
    gaussian_window_1d,
    qabf,
    sd,
    separable_valid,
    sf,
    vif,
    vifp,
)
from mtif.metrics.reference import conv2d_valid, gaussian_window_2d, qabf_reference, vif_reference


def _structured(seed: int, shape: tuple[int, int] = (90, 110)) -> np.ndarray:
    """Smooth texture plus noise, with a saturated flat block and a flat dark band (0..255)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    img = 128 + 60 * np.sin(x / (5 + seed)) * np.cos(y / 9) + rng.normal(0, 6, shape)
    img[:30, :40] = 255
    img[-25:, :] = 17
    return np.clip(np.round(img), 0, 255).astype(np.float32)


def _random(seed: int, shape: tuple[int, int] = (64, 77)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, shape).astype(np.float32)


def _fused_halves(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Left half from A, right half from B: many pixels where gF equals gA or gB exactly."""
    f = b.copy()
    f[:, : a.shape[1] // 2] = a[:, : a.shape[1] // 2]
    return f


# --- the reference values ------------------------------------------------------------------


@pytest.mark.parametrize("case", ["case0", "case1", "case2"])
def test_reference_cases(shared_data: Path, case: str) -> None:
    root = shared_data / "metric_cases"
    spec = json.loads((root / "expected.json").read_text())
    entry = spec["cases"][case]
    got = evaluate(root / entry["fused"], root / entry["A"], root / entry["B"])
    assert tuple(got) == METRIC_NAMES
    for name, want in entry["expected"].items():
        tol = spec["tolerance"][name]
        assert got[name] == pytest.approx(want, abs=tol.get("abs"), rel=tol.get("rel")), name


# --- fast == the literal 2-D convolution version -------------------------------------------


@pytest.mark.parametrize(
    "triple",
    [
        pytest.param(lambda: (_random(0), _random(1), _random(2)), id="random"),
        pytest.param(
            lambda: (_fused_halves(_structured(1), _structured(2)), _structured(1), _structured(2)),
            id="structured",
        ),
    ],
)
def test_fast_equals_reference(triple) -> None:
    f, a, b = triple()
    assert vif(f, a, b) == pytest.approx(vif_reference(f, a, b), rel=1e-12)
    assert qabf(f, a, b) == pytest.approx(qabf_reference(f, a, b), rel=1e-6)


def test_separable_window_is_the_2d_window() -> None:
    for n in (17, 9, 5, 3):
        w = gaussian_window_1d(n)
        np.testing.assert_allclose(np.outer(w, w), gaussian_window_2d(n), rtol=1e-14, atol=0)


def test_flat_regions_hit_the_thresholds_alike() -> None:
    # Variance in flat areas is rounding noise; both filterings must put the same pixels under
    # the 1e-10 cut, or VIF would differ between them.
    img = _structured(3).astype(np.float64)
    stack = np.stack([img, img * img])
    var_fast = separable_valid(stack, 17)
    var_ref = conv2d_valid(stack, 17)
    flat_fast = var_fast[1] - var_fast[0] ** 2 < 1e-10
    flat_ref = var_ref[1] - var_ref[0] ** 2 < 1e-10
    assert flat_fast.sum() > 100
    np.testing.assert_array_equal(flat_fast, flat_ref)


def test_vif_of_flat_reference_is_one() -> None:
    # 0/0 in the reference becomes 1.0.
    flat = np.full((50, 50), 80, np.float32)
    assert vifp(flat, _random(4, (50, 50))) == 1.0


def test_vif_of_identical_images() -> None:
    a = _structured(5)
    # Not exactly 1: the residual variance is floored at 1e-10 beside the noise variance 2.
    assert vifp(a, a) == pytest.approx(1.0, rel=1e-9)


def test_qabf_keeps_the_equal_gradient_quirk() -> None:
    # F = A = B, a vertical step: Sobel strength 4 * 50 = 200 on the two edge columns, angle 0.
    # Where gA == gF the reference takes G = gF (200), not 1; the two differ by ~5e-4.
    img = np.zeros((60, 60), np.float32)
    img[:, 30:] = 50
    q_angle = 0.9879 / (1 + math.exp(-22 * 0.2))
    quirk = 0.9994 / (1 + math.exp(-15 * (200 - 0.5))) * q_angle
    textbook = 0.9994 / (1 + math.exp(-15 * (1 - 0.5))) * q_angle
    got = qabf(img, img, img)
    assert got == pytest.approx(quirk, rel=1e-6)
    assert got != pytest.approx(textbook, rel=1e-5)


# --- hand-computed values ------------------------------------------------------------------


def test_en_of_two_and_four_levels() -> None:
    two = np.zeros((50, 50), np.float32)
    two[:, 25:] = 255
    assert en(two) == pytest.approx(1.0, abs=1e-12)
    four = np.repeat(np.array([0, 10, 20, 30], np.float32), 25)[None, :].repeat(10, 0)
    assert en(four) == pytest.approx(2.0, abs=1e-12)


def test_sd_of_two_levels() -> None:
    img = np.zeros((40, 40), np.float32)
    img[:20] = 100
    assert sd(img) == pytest.approx(50.0, rel=1e-6)


def test_sf_and_ag_of_a_ramp() -> None:
    y, x = np.mgrid[0:50, 0:60]
    ramp = (2 * y + 3 * x).astype(np.float32)  # every difference: 3 across, 2 down
    assert sf(ramp) == pytest.approx(math.sqrt(13), rel=1e-6)
    assert ag(ramp) == pytest.approx(math.sqrt(13 / 2), rel=1e-6)


def test_mutual_information() -> None:
    img = _structured(6)
    levels = np.bincount(img.astype(np.int64).ravel()) / img.size
    levels = levels[levels > 0]
    assert mutual_information(img, img) == pytest.approx(-np.sum(levels * np.log(levels)))
    assert mutual_information(img, np.full_like(img, 9)) == pytest.approx(0.0, abs=1e-12)


def test_psnr() -> None:
    truth = np.full((50, 50), 100, np.float32)
    assert psnr(truth + 1, truth) == pytest.approx(20 * math.log10(255), rel=1e-12)
    assert psnr(truth, truth) == math.inf


# --- reading and evaluate() ----------------------------------------------------------------


def test_array_is_scored_as_its_saved_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rgb = rng.uniform(-0.05, 1.05, (45, 52, 3)).astype(np.float32)
    path = write_image(tmp_path / "x.png", rgb)
    np.testing.assert_array_equal(as_reference_grey(rgb), load_reference_grey(path))
    grey = rng.integers(0, 256, (45, 52)).astype(np.uint8)
    np.testing.assert_array_equal(as_reference_grey(grey), grey.astype(np.float32))


def test_float_image_in_0_255_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\].*uint8"):
        as_reference_grey(np.full((50, 50), 200.0))


def test_small_images_are_refused() -> None:
    small = np.zeros((40, 60), np.uint8)
    with pytest.raises(ValueError, match=r"40x60 .*at least 41x41"):
        evaluate(small, small, small)


def test_different_sizes_are_refused() -> None:
    a = np.zeros((50, 60), np.uint8)
    with pytest.raises(ValueError, match=r"differ in size: 50x60 vs 60x50"):
        evaluate(a, a, a.T)


def test_extras_and_ground_truth() -> None:
    a, b = _structured(8), _structured(9)
    f = _fused_halves(a, b)
    f8, a8, b8 = (x.astype(np.uint8) for x in (f, a, b))  # the luma of uint8 grey is itself
    got = evaluate(f8, a8, b8, gt=f8, extras=True)
    assert list(got) == [*METRIC_NAMES, "SSIM", "MI", "PSNR_gt", "SSIM_gt"]
    want = structural_similarity(a, f, data_range=255) + structural_similarity(b, f, data_range=255)
    assert got["SSIM"] == pytest.approx(want, rel=1e-12)
    assert got["SSIM_gt"] == pytest.approx(1.0)
    assert got["PSNR_gt"] == math.inf
    assert all(HIGHER_IS_BETTER[k] for k in got)


# --- the command line ----------------------------------------------------------------------


@pytest.fixture()
def triple_files(tmp_path: Path) -> list[Path]:
    images = [_fused_halves(_structured(1), _structured(2)), _structured(1), _structured(2)]
    return [
        write_image(tmp_path / f"{n}.png", im / 255) for n, im in zip("FAB", images, strict=True)
    ]


def test_cli_json(triple_files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", *map(str, triple_files), "--json", "--extras"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert list(got) == [*METRIC_NAMES, "SSIM", "MI"]
    want = evaluate(*triple_files, extras=True)
    assert got == pytest.approx(want, rel=1e-12)


def test_cli_table_and_bad_path(triple_files, tmp_path, capsys) -> None:
    assert main(["metrics", *map(str, triple_files)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(METRIC_NAMES)
    missing = tmp_path / "nope.png"
    assert main(["metrics", str(missing), *map(str, triple_files[1:])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mtif: error:") and "nope.png" in err


def test_installed_command(triple_files: list[Path]) -> None:
    exe = Path(sys.executable).with_name("mtif")
    if not exe.exists():
        pytest.skip(f"no installed mtif script beside {sys.executable}")
    cmd = [str(exe), "metrics", *map(str, triple_files), "--json"]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)
    got = json.loads(run.stdout)
    assert got == pytest.approx(evaluate(*triple_files), rel=1e-12)
