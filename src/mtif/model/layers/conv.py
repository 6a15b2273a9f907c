"""Plain convolutional blocks: the cheap, compute-bound part of the network on a CPU."""

from __future__ import annotations

import torch
from torch import nn


class ResidualConvBlock(nn.Module):
    """``x + conv3x3(LeakyReLU(conv3x3(x)))`` on a ``(B, C, H, W)`` map; shape preserved.

    Dense 3x3 convolutions are the cheapest way to add local capacity here (6 ms for a 16-channel
    520x520 map on the 2-core reference CPU), so the full-resolution level uses only these.
    LeakyReLU rather than GELU: it is elementwise work on the largest maps, and it keeps a
    gradient for negative inputs.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))
