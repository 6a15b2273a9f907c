"""The assembled network, its configs and checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from model_helpers import wake
from mtif.engine.state import init_weights
from mtif.model import (
    VARIANTS,
    ModelConfig,
    MTIFNet,
    TextBatch,
    config_from_dict,
    config_to_dict,
    create_model,
    get_config,
    load_model,
    save_checkpoint,
)
from mtif.model.config import BLENDS
from mtif.model.network import (
    ACTIVITY_GAINS,
    COMPOSE_EPS,
    HEAD_CHANNELS,
    compose,
    convert_heads,
    single_map_as_bands,
)
from mtif.model.pyramid import laplacian_pyramid

pytestmark = pytest.mark.usefixtures("one_thread")


# Every registered variant, plus the paper's "w/o TG" ablation.
CASES = [(name, {}) for name in VARIANTS] + [
    ("mtif-small", {"use_text": False}),
    ("mtif-small", {"blend": "pyramid"}),
    ("mtif-small", {"blend": "bands"}),
    ("mtif-small", {"blend": "activity"}),
    ("mtif-small", {"restore_blocks": 2}),
]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _texts(b: int, d: int = 384, tokens: tuple[int, int, int] = (5, 7, 3)) -> TextBatch:
    return TextBatch(
        tuple(torch.randn(b, t, d) for t in tokens),
        tuple(torch.ones(b, t, dtype=torch.bool) for t in tokens),
    )


def _pair(b: int, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.rand(b, 1, h, w), torch.rand(b, 1, h, w)


@pytest.mark.parametrize(("name", "overrides"), CASES)
def test_forward_backward_every_variant(name: str, overrides: dict) -> None:
    model = create_model(name, **overrides)
    wake(model)
    a, b = _pair(2, 37, 53)  # odd sizes: padded inside, cropped back
    texts = _texts(2) if model.config.use_text else None
    out = model(a, b, texts, return_aux=True)
    for img in out:
        assert img.shape == (2, 1, 37, 53)
        assert torch.isfinite(img).all() and img.min() >= 0 and img.max() <= 1
    loss = sum((img * torch.randn_like(img)).sum() for img in out)
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reached {pname}"
    assert (model.tgvm is None) == (overrides.get("use_text") is False)


def test_untrained_text_model_equals_no_text_model() -> None:
    with_text = create_model("mtif-small")
    with torch.no_grad():  # heads off zero (an all-mean output would make this vacuous)
        with_text.head.weight.normal_(std=0.1)
    without = create_model("mtif-small", use_text=False)
    state = {k: v for k, v in with_text.state_dict().items() if not k.startswith("tgvm.")}
    without.load_state_dict(state, strict=True)
    a, b = _pair(1, 20, 24)
    torch.testing.assert_close(with_text(a, b, _texts(1)), without(a, b, None))


def test_batch_items_are_independent() -> None:
    model = create_model("mtif-small").eval()
    wake(model)
    a, b = _pair(3, 16, 20)
    texts = _texts(3)
    joint = model(a, b, texts, return_aux=True)
    for i in range(3):
        one = TextBatch(
            tuple(t[i : i + 1] for t in texts.tokens), tuple(m[i : i + 1] for m in texts.masks)
        )
        single = model(a[i : i + 1], b[i : i + 1], one, return_aux=True)
        for got, ref in zip(single, joint, strict=True):
            torch.testing.assert_close(got, ref[i : i + 1], atol=1e-5, rtol=1e-4)


def test_padding_tokens_and_other_text_width() -> None:
    model = create_model("mtif-small", text_dim=768).eval()
    wake(model)
    a, b = _pair(1, 21, 19)
    texts = _texts(1, 768)
    padded = TextBatch(
        tuple(torch.cat([t, torch.randn(1, 2, 768)], 1) for t in texts.tokens),
        tuple(torch.cat([m, torch.zeros(1, 2, dtype=torch.bool)], 1) for m in texts.masks),
    )
    torch.testing.assert_close(model(a, b, padded), model(a, b, texts))


def test_input_errors() -> None:
    model = create_model("mtif-small")
    a, b = _pair(1, 16, 16)
    with pytest.raises(TypeError, match="needs a TextBatch"):
        model(a, b, None)
    with pytest.raises(ValueError, match="width 384"):
        model(a, b, _texts(1, 512))
    with pytest.raises(ValueError, match="batch 1"):
        model(a, b, _texts(2))
    with pytest.raises(ValueError, match="equal size"):
        model(a, b[..., :8], _texts(1))
    with pytest.raises(ValueError, match=r"luma \(B, 1, H, W\)"):
        model(a.expand(1, 3, 16, 16), b, _texts(1))
    with pytest.raises(ValueError, match="without text"):
        create_model("mtif-small", use_text=False)(a, b, _texts(1))
    with pytest.raises(TypeError, match="must be a bool tensor"):
        TextBatch(_texts(1).tokens, tuple(torch.ones(1, 5) for _ in range(3)))
    with pytest.raises(ValueError, match="expected 3 token tensors"):
        TextBatch(_texts(1).tokens[:2], _texts(1).masks[:2])


def test_config_round_trip_and_strictness() -> None:
    for cfg in VARIANTS.values():
        data = json.loads(json.dumps(config_to_dict(cfg)))
        assert config_from_dict(data) == cfg
    with pytest.raises(ValueError, match=r"unknown model config keys \['chanels'\]"):
        config_from_dict({**config_to_dict(VARIANTS["mtif-small"]), "chanels": [8, 8, 8]})
    with pytest.raises(ValueError, match="unknown model variant 'mtif-huge'"):
        get_config("mtif-huge")
    with pytest.raises(ValueError, match="divisible by heads"):
        ModelConfig(channels=(16, 32, 66))
    with pytest.raises(ValueError, match="channels must be 3 integers"):
        ModelConfig(channels=(16, 32))
    assert get_config("mtif-base", use_text=False).use_text is False
    with pytest.raises(ValueError, match="blend must be one of"):
        get_config("mtif-small", blend="poisson")
    old = config_to_dict(VARIANTS["mtif-small"])
    del old["blend"]  # checkpoints written before the option blend per pixel
    assert config_from_dict(old).blend == "pixel"


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = create_model("mtif-small", channels=(8, 16, 16), heads=(1, 2, 2)).eval()
    wake(model)
    weights, meta = save_checkpoint(tmp_path / "run" / "best", model, model.config, {"step": 7})
    assert weights.name == "best.safetensors" and meta.name == "best.json"
    loaded = load_model(weights)
    assert loaded.config == model.config and not loaded.training
    a, b = _pair(1, 18, 22)
    texts = _texts(1)
    torch.testing.assert_close(loaded(a, b, texts), model(a, b, texts), atol=0, rtol=0)
    assert json.loads(meta.read_text())["extra"] == {"step": 7}


def test_checkpoint_strips_wrapper_prefixes(tmp_path: Path) -> None:
    model = create_model("mtif-small", use_text=False).eval()
    save_checkpoint(tmp_path / "m", model, model.config)
    state = {f"module._orig_mod.{k}": v for k, v in model.state_dict().items()}
    save_file(state, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m")
    a, b = _pair(1, 12, 12)
    torch.testing.assert_close(loaded(a, b, None), model(a, b, None), atol=0, rtol=0)


def test_checkpoint_errors(tmp_path: Path) -> None:
    model = create_model("mtif-small", use_text=False)
    _, meta = save_checkpoint(tmp_path / "m", model, model.config)
    data = json.loads(meta.read_text())
    data["config"]["use_txt"] = True
    meta.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="unknown model config keys"):
        load_model(tmp_path / "m")
    del data["config"]["use_txt"]
    data["config"]["use_text"] = True
    meta.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"does not fit the config.*missing \['tgvm"):
        load_model(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="nothere.json"):
        load_model(tmp_path / "nothere")
    with pytest.raises(ValueError, match="does not match the model"):
        save_checkpoint(tmp_path / "x", model, VARIANTS["mtif-base"])
    assert isinstance(create_model("mtif-small"), MTIFNet)


@pytest.mark.parametrize("blend", BLENDS)
def test_untrained_network_returns_the_inputs_mean(blend: str) -> None:
    a, b = _pair(1, 24, 20)
    out = create_model("mtif-small", use_text=False, blend=blend)(a, b, None, return_aux=True)
    for img in out:  # zero-initialised heads: equal weights, no correction
        torch.testing.assert_close(img, (a + b) / 2, atol=COMPOSE_EPS, rtol=0)


def test_compose_selects_per_pixel_and_corrects_in_logit_space() -> None:
    a, b = _pair(1, 8, 8)
    head = torch.zeros(1, 3, 8, 8)
    head[:, 0, :, :4] = 30.0  # left half: all of a; right half: all of b
    head[:, 1, :, 4:] = 30.0
    out = compose(head, a, b)
    torch.testing.assert_close(out[..., :4], a[..., :4], atol=COMPOSE_EPS, rtol=0)
    torch.testing.assert_close(out[..., 4:], b[..., 4:], atol=COMPOSE_EPS, rtol=0)
    head[:, 2] = 1.0  # a positive correction brightens every pixel
    assert (compose(head, a, b) > out).all()
    saturated = compose(torch.zeros(1, 3, 1, 2), torch.ones(1, 1, 1, 2), torch.zeros(1, 1, 1, 2))
    assert torch.allclose(saturated, torch.full_like(saturated, 0.5))
    bright = torch.ones(1, 1, 1, 1, requires_grad=True)
    compose(torch.zeros(1, 3, 1, 1), bright, bright).sum().backward()
    assert bright.grad.abs().item() > 0  # a saturated pixel still has a gradient


def test_compose_with_a_map_per_band_mixes_bands_of_both_inputs() -> None:
    a, b = _pair(1, 32, 32)
    head = torch.full((1, HEAD_CHANNELS["bands"], 32, 32), -30.0)
    head[:, 0] = 30.0  # the finest band from a, the coarser ones from b
    head[:, -1] = 0.0  # no correction
    fine_a, fine_b = laplacian_pyramid(a, 4)[0], laplacian_pyramid(b, 4)[0]
    expected = (fine_a + b - fine_b).clamp(0, 1)
    torch.testing.assert_close(compose(head, a, b, "bands"), expected, atol=2e-3, rtol=0)


def test_single_map_network_seeds_a_bands_network_with_the_same_output() -> None:
    # A pyramid network's weights converted to bands give the same fused and auxiliary images;
    # a pixel network's too, up to applying its one map band by band (checked loosely).
    a, b = _pair(1, 24, 20)
    texts = _texts(1)
    for blend, atol in (("pyramid", 1e-5), ("pixel", 0.2)):
        single = wake(create_model("mtif-small", blend=blend)).eval()
        bands = create_model("mtif-small", blend="bands").eval()
        bands.load_state_dict(single_map_as_bands(single.state_dict()))
        with torch.no_grad():
            outputs = (net(a, b, texts, return_aux=True) for net in (single, bands))
            for x, y in zip(*outputs, strict=True):
                torch.testing.assert_close(y, x, atol=atol, rtol=0)
    with pytest.raises(ValueError, match="single map"):
        single_map_as_bands(bands.state_dict())


def test_bands_network_seeds_an_activity_network_with_the_same_output() -> None:
    # Zero gain maps leave every image as it was; a network never converts downwards.
    a, b = _pair(1, 24, 20)
    texts = _texts(1)
    bands = wake(create_model("mtif-small", blend="bands")).eval()
    activity = create_model("mtif-small", blend="activity").eval()
    activity.load_state_dict(convert_heads(bands.state_dict(), "bands", "activity"))
    with torch.no_grad():
        outputs = (net(a, b, texts, return_aux=True) for net in (bands, activity))
        for x, y in zip(*outputs, strict=True):
            torch.testing.assert_close(y, x, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="cannot turn"):
        convert_heads(activity.state_dict(), "activity", "bands")


def test_network_seeds_one_with_a_restoration_branch_that_starts_at_zero_and_learns() -> None:
    # The new branch leaves every image as it was, yet its output layer gets a gradient, so
    # training can move it; a branch never seeds a network without one.
    a, b = _pair(1, 23, 18)
    texts = _texts(1)
    plain = wake(create_model("mtif-small", blend="bands")).eval()
    restoring = create_model("mtif-small", blend="bands", restore_blocks=2).eval()
    init_weights(restoring, plain, "plain")
    with torch.no_grad():
        outputs = (net(a, b, texts, return_aux=True) for net in (plain, restoring))
        for x, y in zip(*outputs, strict=True):
            torch.testing.assert_close(y, x, atol=1e-6, rtol=0)
    restoring(a, b, texts).square().mean().backward()
    assert restoring.restore[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="differs from this run"):
        init_weights(plain, restoring, "restoring")


def test_activity_gain_takes_each_band_from_the_input_with_more_detail() -> None:
    # Detail alternates between the inputs by halves: even maps at one half take half of it;
    # a large gain on every detail band keeps, on each side, the input that has it there.
    torch.manual_seed(1)
    texture = (torch.rand(1, 1, 64, 64) - 0.5) * 0.4  # zero mean: both have one brightness
    left = torch.zeros(1, 1, 64, 64)
    left[..., :32] = 1.0
    a = 0.3 + texture * left
    b = 0.3 + texture * (1 - left)
    head = torch.zeros(1, HEAD_CHANNELS["activity"], 64, 64)
    even = compose(head, a, b, "activity")
    head[:, ACTIVITY_GAINS] = 40.0
    chosen = compose(head, a, b, "activity")
    truth = 0.3 + texture
    inner = (..., slice(8, -8), slice(8, -8))
    even_err = (even - truth)[inner].abs().mean()
    chosen_err = (chosen - truth)[inner].abs().mean()
    assert chosen_err < 0.3 * even_err
