"""The user's words reach the network: ``fuse_images(descriptions=, describer=)`` and
``mtif fuse --detail/--structure/--semantic/--descriptions/--describer``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fuse_data import series_folder, stack
from model_helpers import awake_model
from mtif.cli.main import main
from mtif.fusion import fuse_images
from mtif.fusion.text import DescribedText, get_text_encoder
from mtif.io import read_image, write_image
from mtif.text import LEVELS, Descriptions, get_describer

pytestmark = pytest.mark.usefixtures("one_thread")

SEMANTIC = "An astronaut in a white space suit in front of an American flag."
# A GPT-4o-style paragraph, other scripts and emoji: well past the encoder's 512 tokens.
LONG = (
    "The first image is underexposed: the shadows of the suit and the background are crushed "
    "to black, while the second image keeps them but blows out the helmet and the flag. "
) * 12 + "Eine Astronautin im Raumanzug. 宇航员站在国旗前。 🚀🧑‍🚀🇺🇸 " * 20


def _files(tmp_path: Path, n: int = 2, size: int = 96, names: str = "abc") -> list[Path]:
    s = stack("mef", size=size, n_inputs=n)
    return [write_image(tmp_path / f"{k}.png", im) for k, im in zip(names, s.inputs, strict=False)]


def _text_net():
    torch.manual_seed(0)
    return awake_model("mtif-small", use_text=True)


def _diff(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x - y).max())


def test_user_words_reach_the_shipped_network(tmp_path):
    paths = _files(tmp_path)
    default = fuse_images(paths, "mef")
    assert default.describer == "offline" and default.from_user == ()
    assert set(default.descriptions) == set(LEVELS) and all(default.descriptions.values())
    # The describer's own words given back: exactly the default fusion.
    again = fuse_images(paths, "mef", descriptions=default.descriptions)
    np.testing.assert_array_equal(again.image, default.image)
    assert again.from_user == LEVELS
    # Another semantic text changes the output, and only that level is replaced.
    words = fuse_images(paths, "mef", descriptions={"semantic": SEMANTIC})
    assert _diff(words.image, default.image) > 1e-3
    assert words.descriptions == {**default.descriptions, "semantic": SEMANTIC}
    assert words.from_user == ("semantic",)
    other = fuse_images(paths, "mef", descriptions={"semantic": "A bowl of green apples."})
    assert _diff(other.image, words.image) > 1e-3


def test_describer_none_and_blank_levels_are_null_text(tmp_path):
    paths = _files(tmp_path)
    model = _text_net()
    none = fuse_images(paths, "mef", checkpoint=model, describer="none")
    assert none.describer == "none" and none.descriptions == dict.fromkeys(LEVELS, "")
    assert np.isfinite(none.image).all()
    # A blank level is the same as no text for it.
    blank = fuse_images(
        paths, "mef", checkpoint=model, describer="none", descriptions={"semantic": " "}
    )
    np.testing.assert_array_equal(blank.image, none.image)
    said = fuse_images(
        paths, "mef", checkpoint=model, describer="none", descriptions={"semantic": SEMANTIC}
    )
    assert _diff(said.image, none.image) > 1e-4
    assert said.descriptions == {"detail": "", "structure": "", "semantic": SEMANTIC}


def test_a_blank_level_has_no_tokens():
    s = stack("mef", size=64)
    source = DescribedText(get_describer("offline"), get_text_encoder(), {"detail": "\n "})
    batch = source(*s.inputs)
    assert not batch.masks[0].any() and batch.masks[1].any() and batch.masks[2].any()
    assert source.used["detail"] == "" and source.used["structure"]


class _FileOnlyDescriber:
    """Describes files only (no ``describe_images``): records what it was given."""

    identity = "stub:v1"
    cacheable = False

    def __init__(self) -> None:
        self.calls: list[tuple[list[Path], bool]] = []

    def describe(self, paths):
        paths = [Path(p) for p in paths]
        self.calls.append((paths, all(p.is_file() for p in paths)))
        return Descriptions("detail words", "structure words", f"scene {len(self.calls)}")


def test_tree_nodes_leaf_files_and_previews_of_intermediate_nodes(tmp_path):
    paths = _files(tmp_path, n=3)
    stub = _FileOnlyDescriber()
    out = fuse_images(
        paths, "mef", checkpoint=_text_net(), describer=stub, descriptions={"detail": "mine"}
    )
    (leaf, leaf_ok), (top, top_ok) = stub.calls  # 3 inputs: (a + b), then (ab + c)
    assert leaf == paths[:2] and leaf_ok
    assert top_ok and all(p.suffix == ".png" and p.parent != tmp_path for p in top)
    assert not any(p.exists() for p in top), "the temporary previews were left behind"
    # The result reports the top node's text, the user's level in place of the describer's.
    assert out.descriptions == {
        "detail": "mine",
        "structure": "structure words",
        "semantic": "scene 2",
    }
    assert out.describer == "stub" and out.from_user == ("detail",)


def test_files_describer_uses_the_series_files_at_every_node(tmp_path):
    paths = _files(tmp_path, n=3)
    text = tmp_path / "text"
    text.mkdir()
    shipped = {"detail": "d from file", "structure": "s from file", "semantic": "m from file"}
    (text / "a.json").write_text(json.dumps(shipped))
    out = fuse_images(
        paths,
        "mef",
        checkpoint=_text_net(),
        describer="files",
        describer_options={"text_dir": text},
        descriptions={"semantic": SEMANTIC},
    )
    assert out.descriptions == {**shipped, "semantic": SEMANTIC} and out.describer == "files"
    arrays = [read_image(p) for p in paths]
    with pytest.raises(ValueError, match="file paths"):
        fuse_images(
            arrays,
            "mef",
            checkpoint=_text_net(),
            describer="files",
            describer_options={"text_dir": text},
        )


def test_long_and_foreign_text_fuses():
    assert len(LONG) > 2000
    tokens = get_text_encoder().encode_texts([LONG])[0]
    assert tokens.tokens.shape[0] == 512  # cut at the encoder's limit, not an error
    s = stack("mef", size=96)
    out = fuse_images(list(s.inputs), "mef", descriptions={"semantic": LONG, "detail": "🙂"})
    assert out.descriptions["semantic"] == LONG.strip() and np.isfinite(out.image).all()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"descriptions": {"semantics": "x"}}, "allowed keys are detail, structure, semantic"),
    ({"descriptions": {"detail": 3}}, "detail must be a string"),
    ({"descriptions": ["x"]}, "expected a mapping"),
    ({"describer": "gpt"}, "unknown describer 'gpt'"),
    ({"describer": "none", "describer_options": {"text_dir": "t"}}, "takes no describer_options"),
])  # fmt: skip
def test_bad_text_arguments(tmp_path, kwargs, match):
    paths = _files(tmp_path)
    with pytest.raises(ValueError, match=match):
        fuse_images(paths, "mef", checkpoint=_text_net(), **kwargs)


def test_text_and_descriptions_together_are_refused():
    s = stack("mef", size=64)
    source = DescribedText(None, get_text_encoder(), {})
    with pytest.raises(ValueError, match="not both"):
        fuse_images(list(s.inputs), "mef", text=source, descriptions={"semantic": "x"})


# --- the command line ---------------------------------------------------------------------


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mtif: error: "), err
    return err[0]


@pytest.mark.parametrize(("content", "expect"), [
    ('{"semantic": ', "not valid JSON"),
    ('["a sunny beach"]', "expected a JSON object"),
    ('{"semantic": 3}', "semantic must be a string"),
    ('{"semantic": "x", "colour": "red"}', "unknown key 'colour'"),
    (b"\xff\xfe\x00bad", "not valid JSON"),
])  # fmt: skip
def test_bad_descriptions_file_is_one_error_line(tmp_path, capsys, content, expect):
    a, b = _files(tmp_path)
    bad = tmp_path / "words.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "o.png"
    msg = _error(capsys, ["fuse", str(a), str(b), "-o", str(out), "--descriptions", str(bad)])
    assert expect in msg and "words.json" in msg
    assert "detail, structure, semantic" in msg or "must be a string" in msg
    assert not out.exists()
    missing = ["fuse", str(a), str(b), "-o", str(out), "--descriptions", str(tmp_path / "no.json")]
    assert "no such descriptions file" in _error(capsys, missing)


def test_cli_show_save_and_give_back(tmp_path, capsys):
    a, b = _files(tmp_path)
    saved, out = tmp_path / "words.json", tmp_path / "o.png"
    argv = ["fuse", str(a), str(b), "-o", str(out), "--semantic", SEMANTIC]
    assert main([*argv, "--show-descriptions", "--save-descriptions", str(saved)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("text: offline, semantic from you")
    assert lines[3] == f"  semantic: {SEMANTIC}" and lines[1].startswith("  detail: ")
    data = json.loads(saved.read_text())
    assert set(data) == {*LEVELS, "describer"} and data["semantic"] == SEMANTIC
    assert data["describer"] == "offline"
    # The saved file given back, one level overridden on the command line: that level wins.
    again = tmp_path / "p.png"
    argv = ["fuse", str(a), str(b), "-o", str(again), "--descriptions", str(saved)]
    assert main([*argv, "--semantic", "A bowl of green apples."]) == 0
    assert "text: detail, structure and semantic from you" in capsys.readouterr().out
    assert _diff(read_image(again), read_image(out)) > 0
    assert main([*argv, "--overwrite"]) == 0  # the file alone: the same words, the same image
    np.testing.assert_array_equal(read_image(again), read_image(out))
    # An existing descriptions file is not replaced without --overwrite, before any work.
    argv = [
        "fuse",
        str(a),
        str(b),
        "-o",
        str(tmp_path / "q.png"),
        "--save-descriptions",
        str(saved),
    ]
    assert "--overwrite" in _error(capsys, argv)


def test_cli_describer_none_and_an_empty_level(tmp_path, capsys):
    a, b = _files(tmp_path)
    argv = ["fuse", str(a), str(b), "-o", str(tmp_path / "o.png"), "--describer", "none"]
    assert main([*argv, "--structure", "", "--show-descriptions"]) == 0
    out = capsys.readouterr().out
    assert "text: none, structure empty (yours)" in out and "  semantic: (no text)" in out


def test_cli_folder_applies_the_words_to_every_series(tmp_path, capsys):
    data = series_folder(tmp_path / "set", "mef", 2)
    saved = tmp_path / "words.json"
    argv = ["fuse", "--input-dir", str(data), "--out", str(tmp_path / "out"), "--no-progress"]
    argv += ["--describer", "none", "--semantic", SEMANTIC, "--save-descriptions", str(saved)]
    assert main(argv) == 0
    found = json.loads(saved.read_text())
    assert sorted(found) == ["scene0", "scene1"]
    assert all(
        v == {"detail": "", "structure": "", "semantic": SEMANTIC, "describer": "none"}
        for v in found.values()
    )


def test_cli_classical_method_ignores_words_with_one_warning(tmp_path, capsys):
    a, b = _files(tmp_path)
    argv = ["fuse", str(a), str(b), "-o", str(tmp_path / "o.png"), "--method", "mertens"]
    assert main([*argv, "--semantic", SEMANTIC]) == 0
    captured = capsys.readouterr()
    warnings = [ln for ln in captured.err.splitlines() if ln.startswith("mtif: warning:")]
    assert len(warnings) == 1 and "ignored" in warnings[0] and "mertens" in warnings[0]
    assert "text:" not in captured.out


def test_cli_vlm_options_need_the_vlm_describer(tmp_path, capsys):
    a, b = _files(tmp_path)
    argv = ["fuse", str(a), str(b), "-o", str(tmp_path / "o.png"), "--model", "llava"]
    assert "--describer vlm only" in _error(capsys, argv)


def _jpeg_with_exposure(path: Path, img: np.ndarray, seconds: float) -> Path:
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x829A] = seconds  # ExposureTime, in the Exif sub-IFD
    Image.fromarray((img * 255).round().astype(np.uint8)).save(path, exif=exif.tobytes())
    return path


def test_leaf_pairs_of_files_are_described_with_their_exif(tmp_path):
    s = stack("mef", size=96, n_inputs=3)
    times = (1 / 100, 1 / 25, 1 / 6.25)  # two stops apart each
    paths = [
        _jpeg_with_exposure(tmp_path / f"{k}.jpg", im, t)
        for k, im, t in zip("abc", s.inputs, times, strict=True)
    ]
    pair = fuse_images(paths[:2], "mef", checkpoint=_text_net())
    assert "EXIF: 1/100 s and 1/25 s" in pair.descriptions["detail"]
    # The top node of three fuses a fused image: it has no EXIF of its own.
    top = fuse_images(paths, "mef", checkpoint=_text_net())
    assert "EXIF" not in top.descriptions["detail"]
