"""Text-guided visual modulation (TGVM, paper Sec. 4.3, Eq. 4).

Text tokens are the queries and visual tokens the keys and values, as the paper says. To stay
linear in image size, the visual tokens are the feature map average-pooled to a fixed
``pool_grid x pool_grid`` grid (64 tokens by default) whatever the resolution; the attended text
is then pooled over its valid tokens into one vector per image, which an MLP turns into a
per-channel scale ``gamma`` and shift ``beta`` applied to the level's full-resolution map:
``x * (1 + gamma) + beta``. The only per-pixel work is the pooling and that one multiply-add.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TGVM(nn.Module):
    """Cross-attention from text to pooled visual tokens, turned into a channel-wise FiLM.

    Args:
        channels: ``C``, channels of the visual map this module modulates.
        text_dim: ``D``, width of the incoming text tokens (384 MiniLM, 768 BLIP-2, 512 CLIP);
            they are projected to ``C`` inside.
        heads: attention heads; ``C`` must be divisible by it.
        pool_grid: side of the grid the visual map is pooled to for keys and values.
    """

    def __init__(self, channels: int, text_dim: int, heads: int, pool_grid: int = 8) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.pool_grid = pool_grid
        self.text_dim = text_dim
        self.text_norm = nn.LayerNorm(text_dim)
        self.text_proj = nn.Linear(text_dim, channels)
        self.visual_norm = nn.LayerNorm(channels)
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(channels, channels * 2)
        self.out = nn.Linear(channels, channels)
        self.mlp = nn.Sequential(
            nn.Linear(channels, channels), nn.GELU(), nn.Linear(channels, channels * 2)
        )
        # Zero-initialised last layer: gamma = beta = 0, so an untrained TGVM is the identity.
        # The visual path then trains from a working encoder-decoder and the text guidance is
        # added as a learnt correction, instead of random modulations scrambling every level
        # (and a no-text ablation starts from the same function as the full model).
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def embed_text(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T, D)`` text tokens -> ``(B, T, C)`` queries' source, in the visual width."""
        return self.text_proj(self.text_norm(tokens))

    def visual_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` map -> ``(B, pool_grid**2, C)`` normalised pooled tokens."""
        pooled = F.adaptive_avg_pool2d(x, self.pool_grid).flatten(2).transpose(1, 2)
        return self.visual_norm(pooled)

    def attend(self, text: torch.Tensor, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Multi-head cross-attention, text ``(B, T, C)`` as queries over visual ``(B, N, C)``.

        Returns the projected attended values ``(B, T, C)`` and the weights ``(B, h, T, N)``.
        """
        b, t, c = text.shape
        d = c // self.heads
        q = self.q(text).reshape(b, t, self.heads, d).transpose(1, 2)
        k, v = self.kv(visual).reshape(b, -1, 2, self.heads, d).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) / math.sqrt(d)).softmax(dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, t, c)
        return self.out(out), weights

    def modulation(
        self, x: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image, per-channel ``(gamma, beta)``, each ``(B, C)``, from map and text.

        ``mask`` is ``(B, T)`` bool, True for valid tokens. Padding tokens never influence the
        result: queries do not attend to each other and the pooling over tokens is a masked mean.
        A row with no valid token gets ``gamma = beta = 0`` (identity) rather than a NaN.
        """
        text = self.embed_text(tokens)
        attended, _ = self.attend(text, self.visual_tokens(x))
        # Residual as in a transformer decoder's cross-attention: the text itself plus what it
        # found in the image.
        fused = text + attended
        valid = mask.to(fused.dtype).unsqueeze(-1)
        count = valid.sum(dim=1)
        pooled = (fused * valid).sum(dim=1) / count.clamp_min(1.0)
        gamma, beta = self.mlp(pooled).chunk(2, dim=-1)
        has_text = (count > 0).to(fused.dtype)
        return gamma * has_text, beta * has_text

    def forward(self, x: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Modulate ``x`` ``(B, C, H, W)`` by ``tokens`` ``(B, T, D)`` with ``mask`` ``(B, T)``."""
        gamma, beta = self.modulation(x, tokens, mask)
        return torch.addcmul(beta[:, :, None, None], x, 1.0 + gamma[:, :, None, None])
