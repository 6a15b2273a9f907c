"""Network configuration: one dataclass, a table of named variants, strict dict round trip."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

_PER_LEVEL = ("channels", "cnn_blocks", "restormer_blocks", "heads", "decoder_blocks")
#: Ways the fused image is made from the head's weights (see ``mtif.model.network.compose``).
BLENDS = ("pixel", "pyramid", "bands", "activity")


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of ``MTIFNet``. Per-level tuples are (full, 1/2, 1/4 resolution).

    Attributes:
        channels: feature width at each level.
        cnn_blocks: residual 3x3 convolution blocks in the encoder at each level.
        restormer_blocks: Restormer blocks in the encoder at each level (run before the CNN
            blocks). Zero at full resolution by default: they are memory-bound on a CPU.
        heads: attention heads at each level, for MDTA and TGVM alike.
        decoder_blocks: residual convolution blocks in the decoder at each level.
        ffn_expansion: GDFN hidden width over input width.
        aux_channels: width of the two auxiliary heads (training only).
        text_dim: width ``D`` of the text tokens the model accepts.
        use_text: False builds the paper's "w/o TG" ablation: no TGVM at all.
        pool_grid: side of the pooled visual grid TGVM attends to.
        blend: how the head's weight map mixes the inputs (``BLENDS``): ``pixel`` per pixel,
            ``pyramid`` band by band of their Laplacian pyramids (``mtif.model.pyramid``),
            ``bands`` with a weight map of its own for every band, ``activity`` as ``bands`` with
            a learnt pull towards the input with more detail in each band.
        restore_blocks: residual convolution blocks of a full-resolution restoration branch
            (0: none). It sees the decoder's last features and both inputs and scales each
            detail band of the blend per pixel, so it can put back detail that no input holds
            sharp (a focus pair's middle ground, soft in both shots), which a weight map cannot.
    """

    channels: tuple[int, int, int] = (32, 64, 128)
    cnn_blocks: tuple[int, int, int] = (2, 1, 1)
    restormer_blocks: tuple[int, int, int] = (0, 2, 4)
    heads: tuple[int, int, int] = (1, 2, 4)
    decoder_blocks: tuple[int, int, int] = (1, 1, 1)
    ffn_expansion: float = 2.66
    aux_channels: int = 16
    text_dim: int = 384
    use_text: bool = True
    pool_grid: int = 8
    blend: str = "pixel"
    restore_blocks: int = 0

    def __post_init__(self) -> None:
        for name in _PER_LEVEL:
            value = getattr(self, name)
            minimum = 0 if name.endswith("blocks") else 1
            ok = isinstance(value, (tuple, list)) and len(value) == 3
            if not ok or not all(isinstance(v, int) and v >= minimum for v in value):
                raise ValueError(f"{name} must be 3 integers >= {minimum}, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        for c, h in zip(self.channels, self.heads, strict=True):
            if c % h:
                raise ValueError(
                    f"channels {self.channels} must be divisible by heads {self.heads}"
                )
        for name in ("aux_channels", "text_dim", "pool_grid"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not isinstance(self.restore_blocks, int) or self.restore_blocks < 0:
            raise ValueError(f"restore_blocks must be an integer >= 0, got {self.restore_blocks!r}")
        if not self.ffn_expansion > 0:
            raise ValueError(f"ffn_expansion must be positive, got {self.ffn_expansion!r}")
        if not isinstance(self.use_text, bool):
            raise TypeError(f"use_text must be a bool, got {self.use_text!r}")
        if self.blend not in BLENDS:
            raise ValueError(f"blend must be one of {BLENDS}, got {self.blend!r}")


VARIANTS: dict[str, ModelConfig] = {
    # Tuned to fuse a 520x520 luma pair in under 0.4 s on the 2-core reference CPU
    # (benchmarks/network_speed.py); Restormer blocks only at 1/4 resolution.
    "mtif-small": ModelConfig(
        channels=(16, 32, 48),
        cnn_blocks=(1, 1, 1),
        restormer_blocks=(0, 0, 1),
        heads=(1, 2, 2),
        decoder_blocks=(1, 1, 1),
        ffn_expansion=2.0,
    ),
    # The paper's scale (FILM, the backbone MTIF builds on, has 2.07 M parameters).
    "mtif-base": ModelConfig(),
}


def get_config(name: str, **overrides: Any) -> ModelConfig:
    """The named variant's config with ``overrides`` applied (unknown names/keys rejected)."""
    if name not in VARIANTS:
        raise ValueError(f"unknown model variant {name!r}; choose one of {sorted(VARIANTS)}")
    return config_from_dict({**config_to_dict(VARIANTS[name]), **overrides})


def config_to_dict(config: ModelConfig) -> dict[str, Any]:
    """A JSON-ready dict (tuples become lists)."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()
    }


def config_from_dict(data: dict[str, Any]) -> ModelConfig:
    """Build a config from a dict such as ``config_to_dict`` writes; unknown keys are errors."""
    if not isinstance(data, dict):
        raise TypeError(f"model config must be a mapping, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown model config keys {unknown}; valid keys are {sorted(known)}")
    return ModelConfig(**data)
