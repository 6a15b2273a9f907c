"""Token features of the three descriptions, as the network consumes them.

One pair's features are a ``TextFeatures``: for each level, in the order detail (1),
structure (2), semantic (3), a ``LevelTokens`` with ``tokens`` float32 ``(T, D)`` and ``mask``
bool ``(T,)`` (True = a real token). ``collate`` pads a list of them into per-level batches
``(B, T_max, D)`` / ``(B, T_max)``; padded positions are zero with mask False.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from mtif.io import atomic_write_bytes
from mtif.model.text_batch import TextBatch
from mtif.text.descriptions import LEVELS


@dataclass(frozen=True)
class LevelTokens:
    """Tokens of one level: ``tokens`` float32 ``(T, D)`` (or ``(B, T, D)`` after collate) and
    ``mask`` bool ``(T,)`` (``(B, T)``), True where a token is real."""

    tokens: torch.Tensor
    mask: torch.Tensor

    def __post_init__(self) -> None:
        if self.tokens.dtype != torch.float32 or self.mask.dtype != torch.bool:
            raise TypeError(
                f"expected float32 tokens and a bool mask, got {self.tokens.dtype} and "
                f"{self.mask.dtype}"
            )
        if self.tokens.ndim not in (2, 3) or self.tokens.shape[:-1] != self.mask.shape:
            raise ValueError(
                "expected tokens (T, D) with mask (T,), or (B, T, D) with (B, T); got "
                f"{tuple(self.tokens.shape)} and {tuple(self.mask.shape)}"
            )


@dataclass(frozen=True)
class TextFeatures:
    """The features of one pair: ``levels`` = (detail, structure, semantic), one ``encoder``.

    ``encoder`` is the encoder's identity; all levels share its width ``D``.
    """

    levels: tuple[LevelTokens, LevelTokens, LevelTokens]
    encoder: str

    def __post_init__(self) -> None:
        if len(self.levels) != len(LEVELS):
            raise ValueError(
                f"expected {len(LEVELS)} levels ({', '.join(LEVELS)}), got {len(self.levels)}"
            )
        widths = {lv.tokens.shape[-1] for lv in self.levels}
        if len(widths) != 1:
            raise ValueError(f"all levels must share one token width, got {sorted(widths)}")

    @property
    def dim(self) -> int:
        """Token width ``D`` (384 for MiniLM, 768 for BLIP-2's Q-Former)."""
        return int(self.levels[0].tokens.shape[-1])

    def level(self, name: str) -> LevelTokens:
        """The tokens of level ``name`` ("detail", "structure" or "semantic")."""
        if name not in LEVELS:
            raise ValueError(f"unknown level {name!r}; expected one of {', '.join(LEVELS)}")
        return self.levels[LEVELS.index(name)]


def null_level(dim: int) -> LevelTokens:
    """A level with no text: zero tokens. TGVM leaves such a level's features unmodulated,
    which is what "no description" means to the network (``--describer none``)."""
    return LevelTokens(torch.zeros(0, dim), torch.zeros(0, dtype=torch.bool))


def null_features(dim: int, encoder: str) -> TextFeatures:
    """Features of a pair with no description at any level (see ``null_level``)."""
    return TextFeatures(levels=(null_level(dim), null_level(dim), null_level(dim)), encoder=encoder)


def with_level(feats: TextFeatures, name: str, tokens: LevelTokens) -> TextFeatures:
    """``feats`` with level ``name`` replaced by ``tokens`` (the user's words for one level)."""
    if name not in LEVELS:
        raise ValueError(f"unknown level {name!r}; expected one of {', '.join(LEVELS)}")
    levels = list(feats.levels)
    levels[LEVELS.index(name)] = tokens
    return TextFeatures(levels=(levels[0], levels[1], levels[2]), encoder=feats.encoder)


def collate(items: Sequence[TextFeatures]) -> tuple[LevelTokens, LevelTokens, LevelTokens]:
    """Batch single-pair features: per level, tokens ``(B, T_max, D)`` and mask ``(B, T_max)``.

    Each level is padded to its own longest sequence (zeros, mask False). All items must come
    from one encoder (same width); level order stays detail, structure, semantic.
    """
    if not items:
        raise ValueError("collate needs at least one TextFeatures, got none")
    encoders = {it.encoder for it in items}
    if len(encoders) != 1:
        raise ValueError(f"cannot batch features of different encoders: {sorted(encoders)}")
    out = []
    for k in range(len(LEVELS)):
        seqs = [it.levels[k] for it in items]
        # At least one slot: a batch whose level is null everywhere still has a (B, 1) mask.
        t_max = max(1, max(s.tokens.shape[0] for s in seqs))
        tokens = torch.zeros(len(seqs), t_max, items[0].dim)
        mask = torch.zeros(len(seqs), t_max, dtype=torch.bool)
        for b, s in enumerate(seqs):
            tokens[b, : s.tokens.shape[0]] = s.tokens
            mask[b, : s.tokens.shape[0]] = s.mask
        out.append(LevelTokens(tokens, mask))
    return (out[0], out[1], out[2])


def save_features(path: Path, feats: TextFeatures) -> None:
    """Write ``feats`` atomically as safetensors (``detail.tokens``, ``detail.mask``, ...)."""
    tensors = {}
    for name, lv in zip(LEVELS, feats.levels, strict=True):
        tensors[f"{name}.tokens"] = lv.tokens.contiguous()
        tensors[f"{name}.mask"] = lv.mask.contiguous()
    atomic_write_bytes(Path(path), save(tensors, metadata={"encoder": feats.encoder}))


def load_features(path: Path) -> TextFeatures:
    """Read features written by ``save_features``; ValueError names a damaged or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such features file")
    try:
        with safe_open(str(path), framework="pt") as fh:
            encoder = (fh.metadata() or {}).get("encoder", "")
            levels = tuple(
                LevelTokens(fh.get_tensor(f"{n}.tokens"), fh.get_tensor(f"{n}.mask"))
                for n in LEVELS
            )
    except (KeyError, OSError, RuntimeError, ValueError, TypeError, SafetensorError) as exc:
        raise ValueError(f"{path}: not a text-features file written by mtif ({exc})") from None
    return TextFeatures(levels=levels, encoder=encoder)  # type: ignore[arg-type]


def to_text_batch(items: Sequence[TextFeatures]) -> TextBatch:
    """The network's input for a batch of pairs: :func:`collate` packed as a ``TextBatch``."""
    levels = collate(items)
    return TextBatch(tuple(lv.tokens for lv in levels), tuple(lv.mask for lv in levels))
