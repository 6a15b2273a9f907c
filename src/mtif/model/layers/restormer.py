"""Restormer block (Zamir et al., 2022): MDTA channel attention followed by the GDFN feed-forward.

All tensors are feature maps ``(B, C, H, W)``. The attention is across channels, so its cost is
linear in ``H * W``; it is still memory-bound on a CPU (LayerNorm, depthwise convolutions and the
gated GELU each sweep the whole map), which is why the network places these blocks only at the
half- and quarter-resolution levels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of a ``(B, C, H, W)`` map, with a learnt scale and bias."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Channels-last view so F.layer_norm normalises over C in one fused kernel.
        y = F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)


class MDTA(nn.Module):
    """Multi-Dconv-head Transposed Attention: attention between channels, per head.

    ``q, k, v`` come from a 1x1 convolution followed by a depthwise 3x3 one; ``q`` and ``k`` are
    L2-normalised over pixels, and each head has a learnt temperature. The attention matrix is
    ``(C/heads) x (C/heads)`` whatever the image size.
    """

    def __init__(self, channels: int, heads: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(channels, channels * 3, 1)
        self.qkv_dw = nn.Conv2d(channels * 3, channels * 3, 3, padding=1, groups=channels * 3)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dw(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)
        return self.proj((attn @ v).reshape(b, c, h, w))


class GDFN(nn.Module):
    """Gated-Dconv Feed-forward Network: ``proj(GELU(a) * b)`` with ``a, b`` from 1x1 + dw 3x3."""

    def __init__(self, channels: int, expansion: float) -> None:
        super().__init__()
        hidden = max(1, int(channels * expansion))
        self.inp = nn.Conv2d(channels, hidden * 2, 1)
        self.dw = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2)
        self.out = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dw(self.inp(x)).chunk(2, dim=1)
        return self.out(F.gelu(a) * b)


class RestormerBlock(nn.Module):
    """Pre-norm residual pair: ``x + MDTA(LN(x))`` then ``x + GDFN(LN(x))``; shape preserved."""

    def __init__(self, channels: int, heads: int, expansion: float) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(channels)
        self.attn = MDTA(channels, heads)
        self.norm2 = LayerNorm2d(channels)
        self.ffn = GDFN(channels, expansion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))
