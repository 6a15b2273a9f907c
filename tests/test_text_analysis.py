"""The Fig. 2 analysis: text-text and text-visual similarity, and ``mtif analyze-text``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from model_helpers import awake_model
from mtif.cli.main import main
from mtif.io import write_image
from mtif.model import save_checkpoint
from mtif.text.analysis import (
    Summary,
    heatmap_png,
    sentence_embedding,
    text_text_similarity,
    text_visual_similarity,
)
from mtif.text.descriptions import LEVELS
from mtif.text.features import LevelTokens, TextFeatures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _feats(*levels: tuple[torch.Tensor, torch.Tensor]) -> TextFeatures:
    return TextFeatures(tuple(LevelTokens(t, m) for t, m in levels), encoder="test")  # type: ignore[arg-type]


def test_identical_texts_are_all_ones() -> None:
    tokens = torch.randn(5, 8)
    mask = torch.tensor([True, True, True, False, True])
    sim = text_text_similarity(_feats(*[(tokens, mask)] * 3))
    np.testing.assert_allclose(sim, np.ones((3, 3)), atol=1e-12)


def test_orthogonal_texts_give_identity_and_padding_is_ignored() -> None:
    eye = torch.eye(6)
    # Level k's valid tokens live on axes 2k, 2k+1; padding rows point anywhere and must not count.
    levels = []
    for k in range(3):
        tokens = torch.cat([eye[2 * k : 2 * k + 2], torch.ones(2, 6)])
        levels.append((tokens, torch.tensor([True, True, False, False])))
    np.testing.assert_allclose(text_text_similarity(_feats(*levels)), np.eye(3), atol=1e-12)


def test_sentence_embedding_matches_hand_computation() -> None:
    tokens = torch.tensor([[3.0, 0.0], [1.0, 4.0], [100.0, 100.0]])
    emb = sentence_embedding(LevelTokens(tokens, torch.tensor([True, True, False])))
    np.testing.assert_allclose(emb.numpy(), np.array([2.0, 2.0]) / np.sqrt(8.0), rtol=1e-6)
    with pytest.raises(ValueError, match="no valid token"):
        sentence_embedding(LevelTokens(tokens, torch.zeros(3, dtype=torch.bool)))


def test_summary_statistics_and_heatmap() -> None:
    s = Summary("m", LEVELS, LEVELS, [np.eye(3), np.full((3, 3), 0.5)])
    d = s.as_dict()
    np.testing.assert_allclose(d["mean"], 0.25 + 0.5 * np.eye(3))
    np.testing.assert_allclose(d["std"], np.full((3, 3), 0.25))
    assert d["n_pairs"] == 2 and d["diagonal_mean"] == 0.75 and d["off_diagonal_mean"] == 0.25
    assert d["margin"] == 0.5 and d["same_level_highest"] == [True] * 3
    assert d["row_best_col"] == list(LEVELS)
    assert heatmap_png(s, "title").startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="no pairs"):
        Summary("empty", LEVELS, LEVELS).as_dict()


def test_text_visual_shapes_range_and_width_check(one_thread) -> None:
    torch.manual_seed(0)
    model = awake_model("mtif-small", text_dim=16).eval()
    feats = _feats(*[(torch.randn(4, 16), torch.ones(4, dtype=torch.bool))] * 3)
    img = torch.rand(1, 1, 24, 20)
    sim = text_visual_similarity(model, feats, img, 1 - img)
    assert sim.shape == (3, 3) and np.all(np.abs(sim) <= 1.0) and np.isfinite(sim).all()
    # Identical texts project identically, so every row is the same.
    np.testing.assert_allclose(sim, np.broadcast_to(sim[0], (3, 3)), atol=1e-6)
    wide = _feats(*[(torch.randn(4, 32), torch.ones(4, dtype=torch.bool))] * 3)
    with pytest.raises(ValueError, match="16-d text tokens but the encoder gives 32-d"):
        text_visual_similarity(model, wide, img, img)
    with pytest.raises(ValueError, match="without text"):
        text_visual_similarity(
            awake_model("mtif-small", text_dim=16, use_text=False), feats, img, img
        )


@pytest.fixture
def data(tmp_path) -> Path:
    """Two synthetic under/over-exposed pairs in A/ and B/."""
    rng = np.random.default_rng(0)
    for name in ("s1", "s2"):
        scene = rng.random((40, 48, 3)).astype(np.float32) * 0.6 + 0.2
        for folder, img in (("A", scene * 0.5), ("B", np.clip(scene * 1.6, 0, 1))):
            (tmp_path / folder).mkdir(exist_ok=True)
            write_image(tmp_path / folder / f"{name}.png", img)
    return tmp_path


def test_cli_text_only_then_with_checkpoint(
    data, tmp_path, one_thread, capsys, monkeypatch
) -> None:
    monkeypatch.delenv("MTIF_CACHE", raising=False)
    out = tmp_path / "out"
    base = ["analyze-text", str(data), "--out", str(out), "--no-progress"]
    assert main(base) == 0
    assert "text-visual similarity skipped" in capsys.readouterr().out
    record = json.loads((out / "text_similarity.json").read_text())
    assert record["pairs"] == ["s1", "s2"] and record["n_pairs"] == 2
    mean = np.array(record["mean"])
    assert mean.shape == (3, 3) and np.allclose(np.diag(mean), 1.0, atol=1e-5)
    np.testing.assert_allclose(mean, mean.T, atol=1e-6)
    assert (out / "text_similarity.png").read_bytes().startswith(PNG_MAGIC)
    assert not (out / "text_visual_similarity.json").exists()
    # A second run refuses to replace results.
    assert main(base) == 2
    assert "--overwrite" in capsys.readouterr().err

    ckpt = tmp_path / "ckpt" / "model"
    model = awake_model("mtif-small")
    save_checkpoint(ckpt, model, model.config)
    args = [*base, "--checkpoint", str(ckpt), "--overwrite", "--max-pairs", "1"]
    assert main(args) == 0
    tv = json.loads((out / "text_visual_similarity.json").read_text())
    assert tv["n_pairs"] == 1 and tv["pairs"] == ["s1"] and tv["rows"] == list(LEVELS)
    assert len(tv["cols"]) == 3 and np.all(np.abs(np.array(tv["mean"])) <= 1.0)
    assert (out / "text_visual_similarity.png").read_bytes().startswith(PNG_MAGIC)


def test_cli_missing_checkpoint_is_a_clear_error(data, tmp_path, capsys) -> None:
    missing = tmp_path / "nothing" / "model"
    code = main(["analyze-text", str(data), "--checkpoint", str(missing), "--no-progress"])
    assert code == 2
    assert "checkpoint metadata" in capsys.readouterr().err
    assert not (data / ".mtif-analysis").exists()
