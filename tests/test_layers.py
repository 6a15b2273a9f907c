"""Network blocks alone: shapes, gradients reach every parameter, attention vs manual einsum."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mtif.model.layers import MDTA, TGVM, LayerNorm2d, ResidualConvBlock, RestormerBlock

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _assert_all_params_get_gradient(module: nn.Module, loss: torch.Tensor) -> None:
    loss.backward()
    for name, p in module.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reached {name}"


def _randomise_last_layer(tgvm: TGVM) -> None:
    # The zero-initialised last layer blocks gradient to everything before it at step 0 (by
    # design); any optimiser step moves it, so tests that need a live path start from there.
    nn.init.normal_(tgvm.mlp[-1].weight, std=0.1)
    nn.init.normal_(tgvm.mlp[-1].bias, std=0.1)


def test_layernorm2d_matches_manual() -> None:
    x = torch.randn(2, 6, 5, 7)
    ln = LayerNorm2d(6)
    nn.init.normal_(ln.weight)
    nn.init.normal_(ln.bias)
    mu = x.mean(dim=1, keepdim=True)
    var = x.var(dim=1, unbiased=False, keepdim=True)
    manual = (x - mu) / torch.sqrt(var + 1e-5) * ln.weight[:, None, None] + ln.bias[:, None, None]
    torch.testing.assert_close(ln(x), manual, atol=1e-5, rtol=1e-5)


def test_mdta_matches_manual() -> None:
    b, c, h, w, heads = 2, 8, 6, 5, 2
    x = torch.randn(b, c, h, w)
    attn = MDTA(c, heads)
    nn.init.uniform_(attn.temperature, 0.5, 2.0)
    qkv = attn.qkv_dw(attn.qkv(x)).reshape(b, 3, heads, c // heads, h * w)
    q, k, v = F.normalize(qkv[:, 0], dim=-1), F.normalize(qkv[:, 1], dim=-1), qkv[:, 2]
    logits = torch.einsum("bhip,bhjp->bhij", q, k) * attn.temperature
    out = torch.einsum("bhij,bhjp->bhip", logits.softmax(-1), v).reshape(b, c, h, w)
    torch.testing.assert_close(attn(x), attn.proj(out), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "block", [lambda: RestormerBlock(16, 2, 2.66), lambda: ResidualConvBlock(8)]
)
def test_blocks_keep_shape_and_train(block) -> None:
    m = block()
    c = m.attn.proj.out_channels if isinstance(m, RestormerBlock) else m.conv1.in_channels
    x = torch.randn(2, c, 9, 11)
    y = m(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    _assert_all_params_get_gradient(m, (y * torch.randn_like(y)).sum())


def test_heads_must_divide_channels() -> None:
    with pytest.raises(ValueError, match="divisible by heads"):
        MDTA(10, 3)
    with pytest.raises(ValueError, match="divisible by heads"):
        TGVM(10, 32, 4)


def _text(b: int, t: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(b, t, d), torch.ones(b, t, dtype=torch.bool)


def test_tgvm_is_identity_at_init() -> None:
    x = torch.randn(2, 16, 13, 17)
    tokens, mask = _text(2, 5, 384)
    torch.testing.assert_close(TGVM(16, 384, 2)(x, tokens, mask), x, atol=0, rtol=0)


def test_tgvm_attention_matches_einsum() -> None:
    b, c, t, heads, grid = 2, 16, 5, 4, 4
    m = TGVM(c, 48, heads, pool_grid=grid)
    x = torch.randn(b, c, 20, 28)
    tokens = torch.randn(b, t, 48)
    text = m.embed_text(tokens)
    # Keys/values: average over each 5x7 cell of the 4x4 grid, then LayerNorm over channels.
    cells = x.reshape(b, c, grid, 5, grid, 7).mean(dim=(3, 5)).flatten(2).transpose(1, 2)
    visual = F.layer_norm(cells, (c,), m.visual_norm.weight, m.visual_norm.bias)
    torch.testing.assert_close(m.visual_tokens(x), visual, atol=1e-5, rtol=1e-5)
    d = c // heads
    q = (text @ m.q.weight.T + m.q.bias).reshape(b, t, heads, d)
    kv = (visual @ m.kv.weight.T + m.kv.bias).reshape(b, grid * grid, 2, heads, d)
    k, v = kv[:, :, 0], kv[:, :, 1]
    weights = torch.einsum("bthd,bnhd->bhtn", q, k).div(math.sqrt(d)).softmax(dim=-1)
    out = torch.einsum("bhtn,bnhd->bthd", weights, v).reshape(b, t, c) @ m.out.weight.T
    got, got_weights = m.attend(text, visual)
    torch.testing.assert_close(got_weights, weights, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got, out + m.out.bias, atol=1e-5, rtol=1e-5)


def test_tgvm_tokens_do_not_grow_with_image() -> None:
    m = TGVM(8, 16, 1, pool_grid=8)
    for size in ((16, 16), (40, 24), (5, 7)):
        assert m.visual_tokens(torch.randn(1, 8, *size)).shape == (1, 64, 8)


@pytest.mark.parametrize("text_dim", [384, 512, 768])
def test_tgvm_any_text_width_and_gradients(text_dim: int) -> None:
    m = TGVM(16, text_dim, 2)
    _randomise_last_layer(m)
    x = torch.randn(2, 16, 12, 10, requires_grad=True)
    tokens, mask = _text(2, 6, text_dim)
    mask[1, 4:] = False
    y = m(x, tokens, mask)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert not torch.allclose(y, x)
    _assert_all_params_get_gradient(m, (y * torch.randn_like(y)).sum())


def test_tgvm_masked_tokens_are_ignored() -> None:
    m = TGVM(16, 32, 2)
    _randomise_last_layer(m)
    x = torch.randn(2, 16, 12, 10)
    tokens, mask = _text(2, 4, 32)
    padded = torch.cat([tokens, 100 * torch.randn(2, 3, 32)], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], dim=1)
    torch.testing.assert_close(m(x, padded, padded_mask), m(x, tokens, mask))


def test_tgvm_fully_masked_row_is_identity_without_nan() -> None:
    m = TGVM(16, 32, 2)
    _randomise_last_layer(m)
    x = torch.randn(2, 16, 12, 10)
    tokens, mask = _text(2, 4, 32)
    mask[0] = False
    y = m(x, tokens, mask)
    assert torch.isfinite(y).all()
    torch.testing.assert_close(y[0], x[0], atol=0, rtol=0)
    assert not torch.allclose(y[1], x[1])
