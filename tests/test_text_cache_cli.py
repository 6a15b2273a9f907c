"""Caches (keys, reuse, resume) and the ``mtif describe`` / ``mtif encode`` commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mtif.cli.main import main
from mtif.data.pairs import find_samples
from mtif.io import write_image
from mtif.text.cache import TextCache, default_cache_dir, descriptions_key
from mtif.text.descriptions import Descriptions
from mtif.text.offline import OfflineDescriber
from mtif.text.pipeline import describe_samples, text_features


class Counting:
    """The offline describer, counting its calls and failing on request (an interrupted run)."""

    cacheable = True

    def __init__(self, fail_on: str | None = None) -> None:
        self.inner, self.calls, self.fail_on = OfflineDescriber(), 0, fail_on
        self.identity = self.inner.identity

    def describe(self, paths: Sequence[Path]) -> Descriptions:
        if self.fail_on and Path(paths[0]).stem == self.fail_on:
            raise KeyboardInterrupt
        self.calls += 1
        return self.inner.describe(paths)


@pytest.fixture
def data(tmp_path) -> Path:
    """Three under/over-exposed pairs in A/ and B/."""
    rng = np.random.default_rng(0)
    for name in ("s1", "s2", "s3"):
        scene = rng.random((48, 64, 3)).astype(np.float32) * 0.6 + 0.2
        for folder, img in (("A", scene * 0.5), ("B", np.clip(scene * 1.6, 0, 1))):
            (tmp_path / folder).mkdir(exist_ok=True)
            write_image(tmp_path / folder / f"{name}.png", img)
    return tmp_path


def test_second_run_reuses_and_killed_run_resumes(data) -> None:
    samples = find_samples(data).samples
    cache = TextCache(data / ".mtif-cache")
    with pytest.raises(KeyboardInterrupt):
        describe_samples(samples, Counting(fail_on="s2"), cache, progress=False)
    assert len(list((data / ".mtif-cache" / "descriptions").glob("*.json"))) == 1
    d = Counting()
    first, counts = describe_samples(samples, d, cache, progress=False)
    assert (counts.reused, counts.new, d.calls) == (1, 2, 2)
    again, counts = describe_samples(samples, d, cache, progress=False)
    assert (counts.reused, counts.new, d.calls) == (3, 0, 2) and again == first
    assert list(first) == ["s1", "s2", "s3"]
    assert not list((data / ".mtif-cache" / "descriptions").glob("*.part"))


def test_key_follows_file_content_and_describer(data) -> None:
    a, b = data / "A" / "s1.png", data / "B" / "s1.png"
    key = descriptions_key([a, b], "offline:v1")
    assert descriptions_key([a, b], "offline:v1") == key
    assert descriptions_key([a, b], "offline:v2") != key
    assert descriptions_key([b, a], "offline:v1") != key
    write_image(a, np.zeros((48, 64, 3), np.float32), overwrite=True)
    assert descriptions_key([a, b], "offline:v1") != key


def test_damaged_entry_is_described_again(data) -> None:
    samples = find_samples(data).samples[:1]
    cache = TextCache(data / "c")
    d = Counting()
    describe_samples(samples, d, cache, progress=False)
    next((data / "c" / "descriptions").glob("*.json")).write_text("{broken")
    describe_samples(samples, d, cache, progress=False)
    assert d.calls == 2


def test_text_features_are_cached_by_text_and_encoder(data, monkeypatch) -> None:
    from mtif.text.encoders import get_encoder

    enc = get_encoder("minilm")
    cache = TextCache(data / "c")
    paths = find_samples(data).samples[0].inputs
    f1 = text_features(paths, OfflineDescriber(), enc, cache)
    files = list((data / "c" / "features").glob("*.safetensors"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr(enc, "encode", lambda desc: calls.append(desc))
    f2 = text_features(paths, OfflineDescriber(), enc, cache)
    assert calls == [] and f2.encoder == f1.encoder == enc.identity
    assert all(
        np.array_equal(x.tokens.numpy(), y.tokens.numpy())
        for x, y in zip(f1.levels, f2.levels, strict=True)
    )


def test_default_cache_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MTIF_CACHE", raising=False)
    assert default_cache_dir(tmp_path) == tmp_path / ".mtif-cache"
    monkeypatch.setenv("MTIF_CACHE", str(tmp_path / "elsewhere"))
    assert default_cache_dir(tmp_path) == tmp_path / "elsewhere"


def test_cli_describe_and_encode(data, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MTIF_CACHE", raising=False)
    assert main(["describe", str(data), "--no-progress"]) == 0
    assert "3 new, 0 from the cache" in capsys.readouterr().out
    assert main(["describe", str(data), "--json", "--no-progress"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert list(shown) == ["s1", "s2", "s3"] and set(shown["s1"]) == {
        "detail",
        "structure",
        "semantic",
    }
    assert main(["encode", str(data), "--no-progress", "--cache", str(data / "c2")]) == 0
    out = capsys.readouterr().out
    assert "encoded 3 pairs (3 new, 0 from the cache)" in out and "384-d" in out
    assert main(["encode", str(data), "--no-progress", "--cache", str(data / "c2")]) == 0
    assert "(0 new, 3 from the cache)" in capsys.readouterr().out


def test_cli_errors_are_one_line(data, tmp_path, capsys) -> None:
    assert main(["describe", str(tmp_path / "none")]) == 2
    assert "mtif: error:" in capsys.readouterr().err
    assert main(["encode", str(data), "--encoder", "blip2"]) == 2
    assert "--weights" in capsys.readouterr().err
    assert main(["describe", str(data), "--model", "x"]) == 2
    assert "--describer vlm only" in capsys.readouterr().err
    assert main(["describe", str(data), "--describer", "files"]) == 2
    assert "--text-dir" in capsys.readouterr().err
