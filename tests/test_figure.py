"""`mtif figure`: inputs and fused images of several runs side by side."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mtif.cli.main import main
from mtif.data.pairs import find_samples
from mtif.data.synthetic import make_stack
from mtif.evaluation import run_evaluation
from mtif.evaluation.figure import (
    PAD_PX,
    ROW_LABEL_PX,
    build_figure,
    comparison_figure,
    load_run,
    select_samples,
)
from mtif.io import read_image, write_image

NAMES = ("s1", "s2", "s10")  # natural order: s10 comes last, not between s1 and s2
H, W = 48, 64  # not square, so that a swapped aspect would show


def _make_set(root: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for name in NAMES:
        coarse = rng.random((H // 8, W // 8, 3))
        photo = (0.8 * np.kron(coarse, np.ones((8, 8, 1))) + 0.2 * rng.random((H, W, 3))).astype(
            np.float32
        )
        stack = make_stack(photo, "mef", rng)
        for folder, image in zip("AB", stack.inputs, strict=True):
            write_image(root / folder / f"{name}.png", image)
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The data set and two runs of the mean method over it (the second under another name)."""
    base = tmp_path_factory.mktemp("figure")
    data = _make_set(base / "data", 3)
    run_evaluation("mean", data, base / "mean-1", progress=False)
    run_evaluation("mean", data, base / "mean-2", progress=False)
    return data, base / "mean-1", base / "mean-2"


def _texts(fig) -> list[str]:  # noqa: ANN001 - a matplotlib Figure
    return [t.get_text() for t in fig.texts]


def test_grid_has_one_axes_per_image_and_natural_order(runs: tuple[Path, Path, Path]) -> None:
    _, run1, run2 = runs
    fig = build_figure([run1, run2], count=2, width=120)
    assert len(fig.axes) == 2 * (2 + 2)  # 2 rows x (inputs A, B + 2 runs)
    texts = _texts(fig)
    assert "s1" in texts and "s2" in texts and "s10" not in texts
    # The same method twice is told apart by the run folder.
    assert {"input A", "input B", "mean (mean-1)", "mean (mean-2)"} <= set(texts)


def test_thumbnails_are_area_resized_and_fused_column_is_the_run(
    runs: tuple[Path, Path, Path],
) -> None:
    data, run1, _ = runs
    fig = build_figure([run1], samples=["s10"], width=32)
    shown = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    sources = [data / "A" / "s10.png", data / "B" / "s10.png", run1 / "fused" / "s10.png"]
    for image, path in zip(shown, sources, strict=True):
        expected = cv2.resize(read_image(path), (32, 24), interpolation=cv2.INTER_AREA)
        assert image.shape == (24, 32, 3)  # 48x64 at width 32 keeps the 3:4 aspect
        np.testing.assert_allclose(image, expected, atol=1e-6)


def test_png_size_follows_rows_and_columns(runs: tuple[Path, Path, Path]) -> None:
    _, run1, run2 = runs
    width = 120  # wide enough for "mean (mean-1)" on one line: same header height
    row_h = round(H * width / W)
    sizes = [
        Image.open(io.BytesIO(comparison_figure([run1, run2], count=n, width=width))).size
        for n in (1, 3)
    ]
    n_cols = 4
    expected_w = ROW_LABEL_PX + n_cols * width + n_cols * PAD_PX
    assert sizes[0][0] == sizes[1][0] == expected_w
    assert sizes[1][1] - sizes[0][1] == 2 * (row_h + PAD_PX)
    one_run = Image.open(io.BytesIO(comparison_figure([run1], count=1, width=width))).size
    assert sizes[0][0] - one_run[0] == width + PAD_PX
    assert one_run[1] == sizes[0][1]


def test_metric_labels_come_from_per_image_csv(runs: tuple[Path, Path, Path]) -> None:
    _, run1, _ = runs
    with (run1 / "per_image.csv").open(newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["name"] == "s2")
    expected = f"Qabf {float(row['Qabf']):.3f}  VIF {float(row['VIF']):.2f}"
    fig = build_figure([run1], samples=["s2"], width=200, metric_labels=True)
    assert expected in _texts(fig)
    assert not any(t.startswith("Qabf") for t in _texts(build_figure([run1], samples=["s2"])))


def test_cli_writes_png_and_refuses_to_overwrite(
    runs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run1, run2 = runs
    out = tmp_path / "sub" / "fig.png"
    args = ["figure", str(run1), str(run2), "-o", str(out), "--samples", "s10,s1", "--width", "40"]
    assert main(args) == 0
    first = out.read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out).size[0] == ROW_LABEL_PX + 4 * 40 + 4 * PAD_PX
    assert main([*args, "--metric-labels"]) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert main([*args, "--metric-labels", "--overwrite"]) == 0
    assert out.read_bytes() != first
    assert main(["figure", str(run1), "-o", str(tmp_path / "fig.jpg")]) == 2
    assert "expected a .png file" in capsys.readouterr().err


def test_select_samples_checks_every_run(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data, run1, run2 = runs
    partial = tmp_path / "partial"
    shutil.copytree(run2, partial)
    (partial / "fused" / "s1.png").unlink()
    loaded = [load_run(run1), load_run(partial)]
    available = {s.name: s for s in find_samples(data).samples}
    assert select_samples(loaded, available, count=5) == ["s2", "s10"]
    assert select_samples(loaded, available, samples=["s10", "s2"]) == ["s10", "s2"]
    with pytest.raises(ValueError, match=r"'s1' is missing in .*partial/fused/"):
        select_samples(loaded, available, samples=["s2", "s1"])
    with pytest.raises(ValueError, match="'nope' is not in the data set"):
        select_samples(loaded, available, samples=["nope"])
    with pytest.raises(ValueError, match="count must be at least 1, got 0"):
        select_samples(loaded, available, count=0)
    for name in ("s2", "s10"):
        (partial / "fused" / f"{name}.png").unlink()
    with pytest.raises(ValueError, match="no sample is fused by every run"):
        comparison_figure([run1, partial])


def test_runs_over_different_data_sets_are_refused(
    runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, run1, _ = runs
    other = run_evaluation("mean", _make_set(tmp_path / "other", 5), tmp_path / "o", progress=False)
    with pytest.raises(ValueError, match="different data sets") as err:
        comparison_figure([run1, other.out_dir])
    assert str(tmp_path / "other") in str(err.value) and str(run1) in str(err.value)


def test_moved_data_folder_needs_data(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data, run1, _ = runs
    moved_data = tmp_path / "moved"
    run = run_evaluation("mean", shutil.copytree(data, moved_data), tmp_path / "r", progress=False)
    moved_data.rename(tmp_path / "elsewhere")
    with pytest.raises(FileNotFoundError, match="pass --data DIR"):
        comparison_figure([run.out_dir])
    fig = build_figure([run.out_dir], data=tmp_path / "elsewhere", count=1)
    assert len(fig.axes) == 3
    with pytest.raises(FileNotFoundError, match="expected a run folder"):
        comparison_figure([tmp_path / "not-a-run"])
    with pytest.raises(ValueError, match="no run folders given"):
        comparison_figure([])


def test_long_titles_wrap_inside_their_column(runs: tuple[Path, Path, Path]) -> None:
    _, run1, run2 = runs
    fig = build_figure([run1, run2], count=1, width=48)  # about 7 characters per line
    assert "mean\n(mean-1)" in _texts(fig)  # split at the space only
    titles = [t for t in fig.texts if t.get_text().startswith("mean")]
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in titles]
    image_top = max(ax.get_window_extent().y1 for ax in fig.axes)
    # Side by side without touching, and above the images.
    assert boxes[0].x1 < boxes[1].x0
    assert min(b.y0 for b in boxes) > image_top
    assert max(b.y1 for b in boxes) <= fig.bbox.height
