"""The files describer: the three layouts of a description folder, and the shipped Lytro texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtif.text.descriptions import Descriptions, get_describer
from mtif.text.files import FilesDescriber

TEXTS = {"detail": "Fine grass.", "structure": "A path on the left.", "semantic": "A park."}


def test_json_layout(tmp_path) -> None:
    (tmp_path / "s1.json").write_text(json.dumps(TEXTS))
    (tmp_path / "s2.json").write_text('{"detail": "x"')
    d = get_describer("files", text_dir=tmp_path)
    assert d.describe([Path("A/s1.png"), Path("B/s1.png")]) == Descriptions(**TEXTS)
    with pytest.raises(ValueError, match="s2.json: not valid JSON"):
        d.describe([Path("A/s2.png")])
    with pytest.raises(FileNotFoundError, match="no descriptions for 's3'"):
        d.describe([Path("A/s3.png")])


def test_level_folders(tmp_path) -> None:
    for level, text in TEXTS.items():
        (tmp_path / level.upper()).mkdir()
        (tmp_path / level.upper() / "s1.txt").write_text(text + "\n")
    d = FilesDescriber(tmp_path)
    assert d.layout == "levels"
    assert d.describe([Path("s1.jpg")]).as_dict() == TEXTS
    (tmp_path / "STRUCTURE" / "s1.txt").unlink()
    with pytest.raises(FileNotFoundError, match="STRUCTURE/s1.txt"):
        d.describe([Path("s1.jpg")])


def test_per_input_folders_are_joined_in_input_order(tmp_path) -> None:
    (tmp_path / "FAR").mkdir()
    (tmp_path / "NEAR").mkdir()
    (tmp_path / "NEAR" / "x.txt").write_text("A golfer in focus.")
    (tmp_path / "FAR" / "x.txt").write_text("A blurred golfer.")
    d = FilesDescriber(tmp_path)
    with pytest.warns(UserWarning, match="single-grained"):
        out = d.describe([Path("x.png")])
    assert out.detail == "Near: A golfer in focus. Far: A blurred golfer."
    assert out.detail == out.structure == out.semantic
    (tmp_path / "FAR" / "y.txt").write_text("Only far.")
    assert d.describe([Path("y.png")]).semantic == "Only far."


def test_bad_folders(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="--text-dir"):
        FilesDescriber(tmp_path / "missing")
    (tmp_path / "notes.md").write_text("hello")
    with pytest.raises(ValueError, match="found none of these"):
        FilesDescriber(tmp_path)
    with pytest.raises(ValueError, match="unknown describer 'gpt'"):
        get_describer("gpt")


def test_shipped_lytro_texts(shared_data) -> None:
    text_dir = shared_data / "Lytro" / "text"
    if not text_dir.is_dir():
        pytest.skip(f"{text_dir} not found")
    d = FilesDescriber(text_dir)
    with pytest.warns(UserWarning):
        out = d.describe([shared_data / "Lytro" / "A" / "lytro-01.jpg"])
    near = (text_dir / "NEAR" / "lytro-01.txt").read_text().strip()
    assert out.detail.startswith("Near: " + near)
    assert "Far: " in out.detail
