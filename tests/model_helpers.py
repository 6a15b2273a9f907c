"""Untrained networks whose every layer matters, for tests of behaviour rather than training."""

from __future__ import annotations

import torch
from torch import nn

from mtif.model import MTIFNet, create_model
from mtif.model.layers import TGVM


def wake(model: MTIFNet, std: float = 0.1) -> MTIFNet:
    """Move the zero-initialised layers off zero: TGVM outputs (identity at init), the output
    heads (the inputs' mean at init) and a restoration branch's last layer. Without this an
    untrained network ignores its text and returns the mean, and a test of tiling or text use
    would pass for any code."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, TGVM):
                nn.init.normal_(m.mlp[-1].weight, std=std)
        for name in model.zero_start_layers():
            nn.init.normal_(model.get_submodule(name).weight, std=std)
    return model


def awake_model(name: str = "mtif-small", **overrides: object) -> MTIFNet:
    """``create_model`` followed by ``wake``."""
    return wake(create_model(name, **overrides))
