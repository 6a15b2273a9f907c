"""Text encoders (MiniLM from its wheel; BLIP-2 and CLIP from tiny random configs) and the
feature container, collate and safetensors round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mtif.text.descriptions import Descriptions
from mtif.text.encoders import get_encoder
from mtif.text.features import LevelTokens, TextFeatures, collate, load_features, save_features

DESC = Descriptions(
    detail="The left half of the second image is over-exposed.",
    structure="A horizon crosses the frame.",
    semantic="A lake under a blue sky with a small red boat near the shore.",
)
WORDS = ["the", "left", "half", "of", "second", "image", "is", "over", "##exposed", "a", "lake"]


@pytest.fixture(scope="session")
def minilm():
    return get_encoder("minilm")  # ~3.5 s, once per session (the loader is also cached)


def test_minilm_tokens_shape_mask_and_determinism(minilm) -> None:
    feats = minilm.encode(DESC)
    assert minilm.dim == 384 and feats.dim == 384
    lengths = [lv.tokens.shape[0] for lv in feats.levels]
    expected = [len(minilm.tokenizer(t)["input_ids"]) for t in DESC.texts]  # with [CLS]/[SEP]
    assert lengths == expected
    for lv in feats.levels:
        assert lv.tokens.dtype == torch.float32 and lv.mask.all()
        assert torch.isfinite(lv.tokens).all()
    again = minilm.encode(DESC)
    for x, y in zip(feats.levels, again.levels, strict=True):
        assert torch.equal(x.tokens, y.tokens)
    # Batched with padding equals one at a time: the mask really hides the padding.
    alone = minilm.encode_texts([DESC.structure])[0]
    assert torch.allclose(alone.tokens, feats.level("structure").tokens, atol=1e-5)


def test_minilm_related_texts_are_closer(minilm) -> None:
    a, b, c = (
        lv.tokens.mean(0)
        for lv in minilm.encode_texts(
            ["the sky is over-exposed", "the bright sky is blown out", "a sharp tennis racket"]
        )
    )
    cos = torch.nn.functional.cosine_similarity
    assert cos(a, b, dim=0) > cos(a, c, dim=0)


def _bert_vocab(folder: Path) -> None:
    from transformers import BertTokenizer

    (folder / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "."]) + "\n"
    )
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)


@pytest.fixture(scope="module")
def blip2_folder(tmp_path_factory) -> Path:
    from transformers import Blip2Config, Blip2TextModelWithProjection

    folder = tmp_path_factory.mktemp("blip2")
    cfg = Blip2Config(
        vision_config={"hidden_size": 16, "intermediate_size": 20, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 16, "patch_size": 8},
        qformer_config={"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                        "intermediate_size": 40, "vocab_size": len(WORDS) + 6,
                        "use_qformer_text_input": True, "encoder_hidden_size": 16,
                        "max_position_embeddings": 64},
        text_config={"model_type": "opt", "hidden_size": 16, "num_hidden_layers": 1,
                     "ffn_dim": 20, "num_attention_heads": 2, "vocab_size": 50,
                     "word_embed_proj_dim": 16},
        num_query_tokens=4,
        image_text_hidden_size=8,
    )  # fmt: skip
    torch.manual_seed(0)
    Blip2TextModelWithProjection(cfg).save_pretrained(folder)
    _bert_vocab(folder)
    return folder


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory) -> Path:
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder = tmp_path_factory.mktemp("clip")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    letters = "abcdefghijklmnopqrstuvwxyz"
    for piece in [*letters, *(c + "</w>" for c in letters), "th", "the</w>", ".</w>"]:
        vocab.setdefault(piece, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\nt h\nth e</w>\n")
    CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt")).save_pretrained(folder)
    cfg = CLIPTextConfig(vocab_size=len(vocab), hidden_size=24, intermediate_size=30,
                         num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=32,
                         bos_token_id=0, eos_token_id=1, pad_token_id=1)  # fmt: skip
    torch.manual_seed(0)
    CLIPTextModel(cfg).save_pretrained(folder)
    return folder


def test_blip2_qformer_text_path(blip2_folder) -> None:
    from transformers import AutoTokenizer, Blip2TextModelWithProjection

    enc = get_encoder("blip2", blip2_folder)
    feats = enc.encode(DESC)
    assert enc.dim == 32 and enc.identity.startswith("blip2:")
    # Independent computation: the same model called directly on one text.
    tok = AutoTokenizer.from_pretrained(blip2_folder)
    model = Blip2TextModelWithProjection.from_pretrained(blip2_folder).eval()
    ids = tok([DESC.detail], return_tensors="pt")
    with torch.no_grad():
        ref = model(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"])
    assert torch.allclose(feats.levels[0].tokens, ref.last_hidden_state[0], atol=1e-5)


def test_clip_text_tower_truncates_to_its_positions(clip_folder) -> None:
    enc = get_encoder("clip", clip_folder)
    assert enc.dim == 24 and enc.max_length == 32
    feats = enc.encode(Descriptions("the " * 100, "a b c", "the lake."))
    assert feats.levels[0].tokens.shape == (32, 24)
    assert feats.levels[1].tokens.shape[0] < 32


def test_missing_weights_are_clear(tmp_path) -> None:
    with pytest.raises(ValueError, match="blip2 encoder needs its weights: pass --weights"):
        get_encoder("blip2")
    with pytest.raises(FileNotFoundError, match="no such weights folder.*--weights FOLDER"):
        get_encoder("clip", tmp_path / "nowhere")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ValueError):
        get_encoder("clip", tmp_path)
    with pytest.raises(ValueError, match="unknown encoder 'bert'"):
        get_encoder("bert")


def _feats(lengths: tuple[int, int, int], dim: int = 4, enc: str = "e") -> TextFeatures:
    levels = tuple(
        LevelTokens(
            torch.arange(t * dim, dtype=torch.float32).reshape(t, dim) + 1,
            torch.ones(t, dtype=torch.bool),
        )
        for t in lengths
    )
    return TextFeatures(levels=levels, encoder=enc)  # type: ignore[arg-type]


def test_collate_pads_each_level_to_its_longest() -> None:
    a, b = _feats((2, 5, 1)), _feats((3, 1, 1))
    detail, structure, semantic = collate([a, b])
    assert detail.tokens.shape == (2, 3, 4) and structure.tokens.shape == (2, 5, 4)
    assert semantic.tokens.shape == (2, 1, 4)
    assert detail.mask.tolist() == [[True, True, False], [True, True, True]]
    assert torch.equal(detail.tokens[0, :2], a.levels[0].tokens)
    assert (detail.tokens[0, 2] == 0).all()
    with pytest.raises(ValueError, match="different encoders"):
        collate([a, _feats((1, 1, 1), enc="other")])
    with pytest.raises(ValueError, match="at least one"):
        collate([])


def test_features_validation_and_round_trip(tmp_path) -> None:
    f = _feats((2, 3, 4))
    save_features(tmp_path / "f.safetensors", f)
    g = load_features(tmp_path / "f.safetensors")
    assert g.encoder == "e"
    for x, y in zip(f.levels, g.levels, strict=True):
        assert torch.equal(x.tokens, y.tokens) and torch.equal(x.mask, y.mask)
    (tmp_path / "bad.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ValueError, match="not a text-features file"):
        load_features(tmp_path / "bad.safetensors")
    with pytest.raises(TypeError, match="float32 tokens and a bool mask"):
        LevelTokens(torch.zeros(2, 3, dtype=torch.float64), torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="share one token width"):
        TextFeatures((f.levels[0], f.levels[1], _feats((1, 1, 1), dim=5).levels[2]), "e")
    assert f.level("semantic") is f.levels[2]
