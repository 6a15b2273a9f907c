"""Reusable network blocks, each testable alone: Restormer, residual convolution, TGVM."""

from mtif.model.layers.conv import ResidualConvBlock
from mtif.model.layers.restormer import GDFN, MDTA, LayerNorm2d, RestormerBlock
from mtif.model.layers.tgvm import TGVM

__all__ = ["GDFN", "MDTA", "TGVM", "LayerNorm2d", "ResidualConvBlock", "RestormerBlock"]
