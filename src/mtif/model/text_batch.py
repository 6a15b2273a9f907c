"""The network's text input: one token tensor and mask per granularity level."""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: Granularity of each level's text, in level order (full, 1/2, 1/4 resolution).
LEVEL_NAMES = ("detail", "structure", "semantic")


@dataclass(frozen=True)
class TextBatch:
    """Encoded descriptions of a batch of image pairs, one entry per level (see ``LEVEL_NAMES``).

    ``tokens[l]`` is float ``(B, T_l, D)`` and ``masks[l]`` bool ``(B, T_l)``, True for a valid
    token. ``B`` and ``D`` are shared by the three levels; the token counts ``T_l`` may differ.
    The two images of a pair share one description set: the text describes the pair.
    """

    tokens: tuple[torch.Tensor, ...]
    masks: tuple[torch.Tensor, ...]

    def __post_init__(self) -> None:
        n = len(LEVEL_NAMES)
        if len(self.tokens) != n or len(self.masks) != n:
            raise ValueError(
                f"expected {n} token tensors and {n} masks (levels {', '.join(LEVEL_NAMES)}), "
                f"got {len(self.tokens)} and {len(self.masks)}"
            )
        b, d = _shape_of(self.tokens[0], "detail")[::2]
        for name, tok, mask in zip(LEVEL_NAMES, self.tokens, self.masks, strict=True):
            tb, tt, td = _shape_of(tok, name)
            if (tb, td) != (b, d):
                raise ValueError(
                    f"{name} tokens are {tuple(tok.shape)}; every level needs batch {b} and "
                    f"width {d} like the detail tokens"
                )
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise TypeError(f"{name} mask must be a bool tensor, got {_describe(mask)}")
            if tuple(mask.shape) != (tb, tt):
                raise ValueError(
                    f"{name} mask must be (B, T) = {(tb, tt)} to match its tokens, "
                    f"got {tuple(mask.shape)}"
                )

    @property
    def batch_size(self) -> int:
        return int(self.tokens[0].shape[0])

    @property
    def dim(self) -> int:
        """``D``, the width of the text tokens."""
        return int(self.tokens[0].shape[2])

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> TextBatch:
        """A copy on ``device``; ``dtype`` (if given) applies to the tokens, never the masks."""
        return TextBatch(
            tuple(t.to(device=device, dtype=dtype) for t in self.tokens),
            tuple(m.to(device=device) for m in self.masks),
        )

    def repeat(self, times: int) -> TextBatch:
        """The batch stacked ``times`` times along dim 0 (to pair it with a stacked image batch)."""
        return TextBatch(
            tuple(t.repeat(times, 1, 1) for t in self.tokens),
            tuple(m.repeat(times, 1) for m in self.masks),
        )


def _describe(x: object) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor {tuple(x.shape)} {x.dtype}"
    return type(x).__name__


def _shape_of(tok: object, name: str) -> tuple[int, int, int]:
    if not isinstance(tok, torch.Tensor) or not tok.is_floating_point() or tok.ndim != 3:
        raise TypeError(f"{name} tokens must be a float tensor (B, T, D), got {_describe(tok)}")
    return tuple(tok.shape)  # type: ignore[return-value]
