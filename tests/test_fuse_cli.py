"""``mtif fuse``: single series, folders, and one clear line for every bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from fuse_data import series_folder, stack
from model_helpers import awake_model
from mtif.cli.main import main
from mtif.io import read_image, write_image

# These tests are about the classical default path and its messages.
pytestmark = pytest.mark.usefixtures("no_shipped_networks")


def _pair(tmp_path: Path, task: str = "mef", size: int = 96, seed: int = 0) -> list[Path]:
    s = stack(task, size=size, seed=seed)
    return [write_image(tmp_path / f"{k}.png", im) for k, im in zip("ab", s.inputs, strict=True)]


def _error(capsys, argv: list[str]) -> str:
    """Run a command that must fail as a user error; return its one stderr line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mtif: error: "), err
    return err[0]


def _nothing_written(folder: Path, out: Path) -> None:
    assert not out.exists()
    assert not list(folder.glob(".*.part")), "a temporary file was left behind"


def test_fuse_pair_writes_output_and_names_the_method(tmp_path, capsys):
    a, b = _pair(tmp_path)
    out = tmp_path / "fused.png"
    assert main(["fuse", str(a), str(b), "-o", str(out)]) == 0
    line = capsys.readouterr().out
    assert "task mef (detected)" in line and "method mertens" in line
    assert read_image(out).shape == (96, 96, 3)
    # Existing output: refused before any work unless --overwrite.
    assert "--overwrite" in _error(capsys, ["fuse", str(a), str(b), "-o", str(out)])
    assert main(["fuse", str(a), str(b), "-o", str(out), "--overwrite"]) == 0


def test_different_sizes_error_or_resize(tmp_path, capsys):
    a, b = _pair(tmp_path)
    write_image(b, cv2.resize(read_image(b), (80, 96)), overwrite=True)
    out = tmp_path / "o.png"
    msg = _error(capsys, ["fuse", str(a), str(b), "-o", str(out)])
    assert "differ in size" in msg and "96x96" in msg and "80x96" in msg and "--resize" in msg
    _nothing_written(tmp_path, out)
    assert main(["fuse", str(a), str(b), "-o", str(out), "--resize"]) == 0
    assert read_image(out).shape == (96, 96, 3)


def test_truncated_file(tmp_path, capsys):
    a, b = _pair(tmp_path)
    b.write_bytes(b.read_bytes()[:200])
    out = tmp_path / "o.png"
    assert "unreadable or truncated" in _error(capsys, ["fuse", str(a), str(b), "-o", str(out)])
    _nothing_written(tmp_path, out)


@pytest.mark.parametrize(("name", "content", "expect"), [
    ("notes.txt", b"hello", "unsupported file type"),
    ("fake.png", b"this is not a png", "unreadable"),
    ("missing.png", None, "no such file"),
])  # fmt: skip
def test_non_image_inputs(tmp_path, capsys, name, content, expect):
    a, _ = _pair(tmp_path)
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    out = tmp_path / "o.png"
    assert expect in _error(capsys, ["fuse", str(a), str(bad), "-o", str(out)])
    _nothing_written(tmp_path, out)


def test_sixteen_bit_in_and_out(tmp_path, capsys):
    s = stack("mff", size=96)
    paths = []
    for k, im in zip("ab", s.inputs, strict=True):
        # A smooth 16-bit gradient added so the files hold more than 256 levels.
        ramp = np.linspace(0, 1 / 255, im.shape[1], dtype=np.float32)[None, :, None]
        paths.append(write_image(tmp_path / f"{k}.png", np.clip(im + ramp, 0, 1), bit_depth=16))
    out = tmp_path / "o.png"
    assert main(["fuse", *map(str, paths), "-o", str(out), "--bit-depth", "16"]) == 0
    raw = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and len(np.unique(raw)) > 256
    assert "16-bit output needs" in _error(
        capsys, ["fuse", *map(str, paths), "-o", str(tmp_path / "o.jpg"), "--bit-depth", "16"]
    )


def test_grey_and_colour_mix(tmp_path, capsys):
    a, b = _pair(tmp_path, "mff")
    write_image(a, read_image(a, grey=True), overwrite=True)  # "infrared": grey
    out = tmp_path / "o.png"
    assert main(["fuse", str(a), str(b), "-o", str(out)]) == 0
    assert "task ivf" in capsys.readouterr().out
    assert read_image(out).ndim == 3


def test_tiny_images(tmp_path, capsys):
    paths = [write_image(tmp_path / f"{k}.png", np.full((6, 6), 0.5, np.float32)) for k in "ab"]
    out = tmp_path / "o.png"
    msg = _error(capsys, ["fuse", *map(str, paths), "-o", str(out)])
    assert "too small" in msg and "at least 8" in msg
    _nothing_written(tmp_path, out)


def test_huge_images_beyond_the_limit_suggest_tiling(tmp_path, capsys):
    a, b = _pair(tmp_path)
    out = tmp_path / "o.png"
    argv = ["fuse", str(a), str(b), "-o", str(out), "--max-megapixels", "0.005"]
    msg = _error(capsys, argv)
    assert "megapixel" in msg and "--tile-size" in msg
    _nothing_written(tmp_path, out)


def test_identical_inputs_warn_and_still_fuse(tmp_path, capsys):
    a, _ = _pair(tmp_path)
    out = tmp_path / "o.png"
    assert main(["fuse", str(a), str(a), "-o", str(out), "--task", "mff"]) == 0
    assert "identical" in capsys.readouterr().err
    np.testing.assert_allclose(read_image(out), read_image(a), atol=1 / 255)


def test_usage_errors(tmp_path, capsys):
    a, _ = _pair(tmp_path)
    assert "two or more input images" in _error(capsys, ["fuse", str(a), "-o", "x.png"])
    empty = tmp_path / "empty"
    (empty / "A").mkdir(parents=True)
    (empty / "B").mkdir()
    msg = _error(capsys, ["fuse", "--input-dir", str(empty), "--out", str(tmp_path / "o")])
    assert "no complete image series" in msg
    msg = _error(capsys, ["fuse", "--input-dir", str(tmp_path), "--out", str(tmp_path / "o")])
    assert "expected sub-folders A/ and B/" in msg


def test_folder_mode_skips_bad_series_and_exits_1(tmp_path, capsys):
    data = series_folder(tmp_path / "set", "mff", 3)
    (data / "B" / "scene1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "out"
    argv = ["fuse", "--input-dir", str(data), "--out", str(out), "--no-progress"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "scene1" in captured.err and "unreadable" in captured.err
    assert "2 fused" in captured.out and "1 failed: scene1" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["scene0.png", "scene2.png"]
    # A second run keeps what is there and only retries the failure.
    assert main(argv) == 1
    assert "2 already there" in capsys.readouterr().out


def test_checkpoint_runs_the_network(tmp_path, capsys):
    import torch

    from mtif.model import save_checkpoint

    torch.manual_seed(0)
    model = awake_model("mtif-small", use_text=False)
    weights, _ = save_checkpoint(tmp_path / "net", model, model.config)
    a, b = _pair(tmp_path)
    out = tmp_path / "o.png"
    assert main(["fuse", str(a), str(b), "-o", str(out), "--checkpoint", str(weights)]) == 0
    assert "method network (net.safetensors)" in capsys.readouterr().out
    argv = ["fuse", str(a), str(b), "-o", str(tmp_path / "p.png"), "--checkpoint", str(weights)]
    assert "cannot go with 'mertens'" in _error(capsys, [*argv, "--method", "mertens"])
