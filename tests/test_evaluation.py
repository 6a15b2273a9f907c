"""The evaluation harness: a full `mtif evaluate` run, `mtif compare`, the published tables."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from mtif import __version__
from mtif.cli.main import main
from mtif.evaluation import (
    PUBLISHED_DATASETS,
    compare_runs,
    published_rows,
    published_table,
    run_evaluation,
)
from mtif.io import read_image, write_image
from mtif.metrics import METRIC_NAMES, evaluate

PAPER = Path(__file__).resolve().parents[1].parent / "shared" / "paper" / "MTIF-paper.md"
GOOD = ("s1", "s2", "s10")


def _scene(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random colour scene in [0, 1], (size, size, 3)."""
    coarse = rng.random((size // 8 + 2, size // 8 + 2, 3))
    up = np.kron(coarse, np.ones((8, 8, 1)))[:size, :size]
    return (0.8 * up + 0.2 * rng.random((size, size, 3))).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three good exposure pairs with ground truth, plus three that must fail: a corrupt
    file, inputs of different sizes, and a pair too small for the metrics (< 41 px)."""
    root = tmp_path_factory.mktemp("tiny_set")
    rng = np.random.default_rng(7)
    for name in GOOD:
        scene = _scene(rng, 64)
        write_image(root / "A" / f"{name}.png", scene * 0.5)
        write_image(root / "B" / f"{name}.png", np.clip(scene * 1.6, 0, 1))
        write_image(root / "GT" / f"{name}.png", scene)
    write_image(root / "A" / "corrupt.png", _scene(rng, 64))
    (root / "B" / "corrupt.png").write_bytes(b"this is not a PNG file")
    write_image(root / "A" / "mismatch.png", _scene(rng, 64))
    write_image(root / "B" / "mismatch.png", _scene(rng, 72))
    write_image(root / "A" / "tiny.png", _scene(rng, 32))
    write_image(root / "B" / "tiny.png", _scene(rng, 32))
    return root


@pytest.fixture(scope="module")
def mean_run(tiny_set: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("runs") / "mean"
    code = main(["evaluate", "--method", "mean", "--data", str(tiny_set), "--out", str(out)])
    return out, code


def test_evaluate_reports_failures_and_exits_1(mean_run: tuple[Path, int]) -> None:
    out, code = mean_run
    assert code == 1
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["n_samples"], summary["n_ok"], summary["n_failed"]) == (6, 3, 3)
    reasons = {f["name"]: f["reason"] for f in summary["failures"]}
    assert reasons["corrupt"].startswith("read: ") and "corrupt.png" in reasons["corrupt"]
    assert (
        reasons["mismatch"]
        == "read: ValueError: inputs differ in size: A/mismatch.png 64x64, B/mismatch.png 72x72"
    )
    assert reasons["tiny"].startswith("metrics: ValueError: fused image")
    assert "32x32" in reasons["tiny"]
    assert all("\n" not in r for r in reasons.values())
    assert sorted(p.stem for p in (out / "fused").glob("*.png")) == sorted([*GOOD, "tiny"])


def test_fused_images_are_the_pixel_mean(tiny_set: Path, mean_run: tuple[Path, int]) -> None:
    out = mean_run[0]
    for name in GOOD:
        a, b = (read_image(tiny_set / d / f"{name}.png") * 255 for d in "AB")
        fused = read_image(out / "fused" / f"{name}.png") * 255
        assert np.abs(fused - (a + b) / 2).max() <= 0.5 + 1e-3


def test_csv_and_summaries_match_metrics_on_written_files(
    tiny_set: Path, mean_run: tuple[Path, int]
) -> None:
    out = mean_run[0]
    expected = {
        n: evaluate(
            out / "fused" / f"{n}.png",
            tiny_set / "A" / f"{n}.png",
            tiny_set / "B" / f"{n}.png",
            gt=tiny_set / "GT" / f"{n}.png",
        )
        for n in GOOD
    }
    columns = [*METRIC_NAMES, "PSNR_gt", "SSIM_gt"]
    with (out / "per_image.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["name", *columns, "seconds"]
    assert [r["name"] for r in rows] == list(GOOD)  # natural order: s10 after s2
    for row in rows:
        assert {c: float(row[c]) for c in columns} == expected[row["name"]]
        assert float(row["seconds"]) >= 0

    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "mean"
    assert summary["metrics"] == columns
    assert list(summary["means"]) == columns
    for c in columns:
        assert summary["means"][c] == pytest.approx(
            np.mean([expected[n][c] for n in GOOD]), rel=1e-12
        )

    md = (out / "summary.md").read_text()
    means = summary["means"]
    row = (
        "| mean | "
        + " | ".join(f"{means[c]:.{ {'Qabf': 3, 'SSIM_gt': 4}.get(c, 2) }f}" for c in columns)
        + " |"
    )
    assert row in md
    assert "- corrupt: read: " in md and "- tiny: metrics: " in md

    run = json.loads((out / "run.json").read_text())
    assert run["method"] == "mean" and run["mtif_version"] == __version__
    assert run["data"] == str(tiny_set.resolve())
    assert run["started"] <= run["finished"]


def test_existing_results_need_overwrite(
    tiny_set: Path, mean_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    out = mean_run[0]
    args = ["evaluate", "--method", "mean", "--data", str(tiny_set), "--out", str(out)]
    capsys.readouterr()
    assert main([*args, "--no-progress"]) == 2
    assert "already holds results" in capsys.readouterr().err
    stale = out / "fused" / "gone.png"
    write_image(stale, np.zeros((8, 8), np.float32))
    assert main([*args, "--no-progress", "--overwrite"]) == 1
    assert not stale.exists()
    assert "| mean |" in capsys.readouterr().out


def test_series_of_three_is_scored_against_first_and_last(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    data = tmp_path / "data"
    for d in "ABC":
        write_image(data / d / "x.png", _scene(rng, 48))
    result = run_evaluation("max", data, tmp_path / "out", progress=False)
    assert result.ok and [r["name"] for r in result.rows] == ["x"]
    scores = {k: v for k, v in result.rows[0].items() if k not in ("name", "seconds")}
    assert scores == evaluate(tmp_path / "out/fused/x.png", data / "A/x.png", data / "C/x.png")


def _fake_run(root: Path, method: str, means: dict[str, float]) -> Path:
    root.mkdir(parents=True)
    (root / "summary.json").write_text(json.dumps({"method": method, "means": means}))
    return root


def test_compare_bolds_the_best_value_per_column(tmp_path: Path) -> None:
    six = dict(zip(METRIC_NAMES, (7.0, 50.0, 20.0, 6.0, 1.2, 0.7004), strict=True))
    r1 = _fake_run(tmp_path / "r1", "alpha", six)
    r2 = _fake_run(tmp_path / "r2", "beta", {**six, "EN": 7.2, "SD": 49.0, "Qabf": 0.6996})
    table = compare_runs([r1, r2])
    lines = table.splitlines()
    assert lines[0] == "| Method | EN | SD | SF | AG | VIF | Qabf |"
    # Ties (SF, AG, VIF, and Qabf equal at three decimals) are bold in both rows.
    assert lines[2] == "| alpha | 7.00 | **50.00** | **20.00** | **6.00** | **1.20** | **0.700** |"
    assert lines[3] == "| beta | **7.20** | 49.00 | **20.00** | **6.00** | **1.20** | **0.700** |"


def test_compare_with_published_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    means = dict(zip(METRIC_NAMES, (7.5, 61.0, 19.0, 6.5, 1.0, 0.75), strict=True))
    run = _fake_run(tmp_path / "run", "ours", means)
    out_md = tmp_path / "table.md"
    assert main(["compare", str(run), "--published", "lytro", "--out", str(out_md)]) == 0
    table = out_md.read_text()
    assert table == capsys.readouterr().out
    rows = {line.split(" | ")[0][2:]: line for line in table.splitlines()[2:]}
    assert len(rows) == 11
    assert rows["ours"] == "| ours | 7.50 | **61.00** | 19.00 | 6.50 | 1.00 | **0.750** |"
    assert rows["MTIF (paper)"] == (
        "| MTIF (paper) | **7.59** | 60.85 | **19.85** | **7.01** | 1.30 | **0.75** |"
    )
    assert "**1.37**" in rows["GACN (paper)"]


def test_compare_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path)]) == 2
    assert "summary.json: not found" in capsys.readouterr().err
    with pytest.raises(ValueError, match="nothing to compare"):
        compare_runs([])


def test_published_spot_checks() -> None:
    assert published_rows("lytro")["MTIF"]["SD"] == 60.85
    assert published_rows("mefb")["FILM"]["Qabf"] == 0.77
    assert published_rows("roadscene")["MTIF"]["SF"] == 18.14
    assert published_rows("sice")["HoLoCo"]["SF"] == 9.33
    assert published_rows("m3fd")["CDDF"]["SF"] == 16.49
    assert published_rows("msrs")["TarD"]["Qabf"] == 0.18
    assert published_rows("realmff")["DB-MFIF"]["VIF"] == 1.50
    assert published_rows("Table 4") == published_rows("Lytro") == published_rows("4")
    for key in PUBLISHED_DATASETS:
        rows = published_rows(key)
        assert len(rows) == 10 and list(rows)[-1] == "MTIF"
        assert all(list(r) == list(METRIC_NAMES) for r in rows.values())


def test_published_lookup_errors() -> None:
    with pytest.raises(ValueError, match="msrs, m3fd, roadscene"):
        published_rows("Table A1")
    with pytest.raises(ValueError, match="no published table 'kodak'"):
        published_rows("kodak")


def _paper_block(lines: list[str], title: str) -> dict[str, dict[str, float]]:
    """Rows of the block headed ``title`` in the paper (Table A1 has three blocks per line)."""
    i = next(i for i, line in enumerate(lines) if title in line)
    block = next(j for j, cell in enumerate(lines[i].split("\t")) if title in cell) // 7
    rows = {}
    for line in lines[i + 2 :]:
        if not line.strip():
            break
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in line.split("\t")][7 * block :][:7]
        name = re.sub(r"\s*\[\d+\]$", "", cells[0])
        rows["MTIF" if name == "Ours" else name] = dict(
            zip(METRIC_NAMES, map(float, cells[1:]), strict=True)
        )
    return rows


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("sice", "SICE Multi-exposure"),
        ("mefb", "MEFB Multi-exposure"),
        ("realmff", "RealMFF Multi-focus"),
        ("lytro", "Lytro Multi-focus"),
        ("msrs", "MSRS Infrared-Visible"),
        ("m3fd", "FD Infrared-Visible"),
        ("roadscene", "RoadScene Infrared-Visible"),
    ],
)
def test_published_tables_match_the_paper(key: str, title: str) -> None:
    if not PAPER.is_file():
        pytest.skip(f"paper text not found at {PAPER}")
    assert published_rows(key) == _paper_block(PAPER.read_text().splitlines(), title)
    assert published_table(key)["table"] == PUBLISHED_DATASETS[key]


def test_names_restrict_the_run_to_a_subset(tiny_set: Path, tmp_path: Path) -> None:
    result = run_evaluation("mean", tiny_set, tmp_path / "out", progress=False, names=["s10", "s1"])
    assert result.ok and [r["name"] for r in result.rows] == ["s1", "s10"]
    assert sorted(p.stem for p in (tmp_path / "out/fused").glob("*.png")) == ["s1", "s10"]
    assert json.loads((tmp_path / "out/summary.json").read_text())["n_samples"] == 2
    assert json.loads((tmp_path / "out/run.json").read_text())["selected"] == 2
    with pytest.raises(ValueError, match="1 of the 2 selected samples .*: nope"):
        run_evaluation("mean", tiny_set, tmp_path / "other", progress=False, names=["s1", "nope"])
    assert not (tmp_path / "other").exists()  # refused before writing anything


def test_split_option_errors(
    tiny_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--method", "mean", "--data", str(tiny_set), "--out", str(tmp_path)]
    assert main([*args, "--split", "roadscene:test"]) == 2
    assert "71 of the 71 selected samples are not in the data folder" in capsys.readouterr().err
    assert main([*args, "--split", "roadscene"]) == 2
    assert "expected a split as NAME:PART" in capsys.readouterr().err


def test_ground_truth_reference_row(tiny_set: Path, tmp_path: Path) -> None:
    # The truth scored as if it were a fused image: identical to it, and a data set without
    # GT/ reports every sample as failed, naming why.
    result = run_evaluation("ground-truth", tiny_set, tmp_path / "gt", progress=False, names=GOOD)
    assert result.ok and result.method == "ground-truth"
    for row in result.rows:
        name = row["name"]
        np.testing.assert_array_equal(
            read_image(tmp_path / "gt" / "fused" / f"{name}.png"),
            read_image(tiny_set / "GT" / f"{name}.png"),
        )
        assert row["SSIM_gt"] == pytest.approx(1.0)
        assert (
            row["SD"]
            == evaluate(
                tiny_set / "GT" / f"{name}.png",
                tiny_set / "A" / f"{name}.png",
                tiny_set / "B" / f"{name}.png",
            )["SD"]
        )
    no_gt = tmp_path / "no_gt"
    for d in "AB":
        write_image(no_gt / d / "x.png", read_image(tiny_set / d / "s1.png"))
    failed = run_evaluation("ground-truth", no_gt, tmp_path / "out", progress=False)
    assert not failed.rows and "no ground truth" in failed.failures[0].reason
