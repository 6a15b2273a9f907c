"""The paper's Fig. 2 analysis: how the three descriptions relate to each other and to vision.

Two 3x3 measures, each computed per pair and averaged over pairs (mean and standard deviation):

**Text-text** (Fig. 2, left). For each granularity (detail, structure, semantic) the sentence
embedding is the mean of the valid token features, L2-normalised; entry ``(i, j)`` is the cosine
between granularity ``i`` and ``j``. With MiniLM this is exactly the model's own sentence
embedding (mean-pooled last hidden states, special tokens included). The diagonal is 1 by
construction, so the informative part is the off-diagonal level: high means the descriptions
repeat each other, moderate means they are complementary (the paper's claim). Texts of one
pair share words (the same objects, the same scene), which raises every off-diagonal entry;
compare values between describers, not against an absolute scale.

**Text-visual** (Fig. 2, right), for a trained ``MTIFNet``. Row ``i`` is a text granularity,
column ``l`` a visual level (1 full, 2 half, 3 quarter resolution). The visual features of
level ``l`` are the encoder features entering TGVM ``l`` (captured with a hook while the
network fuses the pair, so they are what that module sees), pooled to its grid and normalised
by ``tgvm[l].visual_tokens``, then averaged over the grid and the pair's two images: one
vector ``v_l`` of ``C_l`` channels. Text lives in ``D`` channels, so text ``i`` is projected
into level ``l``'s width with that level's own ``tgvm[l].embed_text`` and averaged over its
valid tokens: ``t_il``. Entry ``(i, l) = cos(t_il, v_l)``. Every column uses a different
projection, so values compare within a column (which text fits this level best) and along a row
only loosely. The paper's claim is that the diagonal is each row's maximum. With an untrained
model the projections are random and the numbers mean nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from mtif.data.pairs import Sample
from mtif.io import read_image
from mtif.model.network import MTIFNet
from mtif.text.cache import TextCache
from mtif.text.descriptions import LEVELS, Describer
from mtif.text.encoders import TextEncoder
from mtif.text.features import LevelTokens, TextFeatures, to_text_batch
from mtif.text.pipeline import text_features

#: Column labels of the text-visual matrix, in the network's level order.
VISUAL_LEVELS = ("level 1 (full)", "level 2 (1/2)", "level 3 (1/4)")


def _masked_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``tokens`` ``(T, C)`` over rows where ``mask`` ``(T,)`` is True -> ``(C,)``."""
    if not bool(mask.any()):
        raise ValueError("a description has no valid token; cannot pool it")
    return tokens[mask].mean(dim=0)


def sentence_embedding(level: LevelTokens) -> torch.Tensor:
    """Unit-length ``(D,)`` embedding of one level's ``(T, D)`` tokens: masked mean, L2-normed."""
    if level.tokens.ndim != 2:
        raise ValueError(f"expected one text's tokens (T, D), got {tuple(level.tokens.shape)}")
    return F.normalize(_masked_mean(level.tokens, level.mask), dim=0)


def text_text_similarity(feats: TextFeatures) -> np.ndarray:
    """Cosine similarity ``(3, 3)`` float64 in ``[-1, 1]`` between one pair's three texts."""
    emb = torch.stack([sentence_embedding(lv) for lv in feats.levels]).double()
    return (emb @ emb.T).clamp(-1.0, 1.0).numpy()


def level_features(
    model: MTIFNet, img_a: torch.Tensor, img_b: torch.Tensor, feats: TextFeatures
) -> list[torch.Tensor]:
    """Visual features entering each TGVM: per level ``(2, C_l, H_l, W_l)`` (image a, image b).

    ``img_a``/``img_b``: luma ``(1, 1, H, W)`` in ``[0, 1]``. The network runs its normal
    forward (so level ``l + 1`` is computed from text-modulated level ``l``, as in fusion).
    """
    if model.tgvm is None:
        raise ValueError(
            "this checkpoint was built without text (use_text=False): it has no TGVM, so "
            "there is no text-visual alignment to measure"
        )
    captured: list[torch.Tensor] = []
    hooks = [
        m.register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach()))
        for m in model.tgvm
    ]
    try:
        with torch.inference_mode():
            model(img_a, img_b, to_text_batch([feats]))
    finally:
        for h in hooks:
            h.remove()
    return captured


def text_visual_similarity(
    model: MTIFNet, feats: TextFeatures, img_a: torch.Tensor, img_b: torch.Tensor
) -> np.ndarray:
    """Cosine ``(3, 3)`` float64 in ``[-1, 1]``: rows text granularity, columns visual level.

    See the module docstring for the exact definition; inputs as in :func:`level_features`.
    """
    if feats.dim != model.config.text_dim:
        raise ValueError(
            f"the model takes {model.config.text_dim}-d text tokens but the encoder gives "
            f"{feats.dim}-d ones; use the encoder the checkpoint was trained with"
        )
    out = np.empty((len(LEVELS), len(VISUAL_LEVELS)))
    with torch.inference_mode():
        for col, (tgvm, vis) in enumerate(
            zip(model.tgvm, level_features(model, img_a, img_b, feats), strict=True)
        ):
            v = tgvm.visual_tokens(vis).mean(dim=(0, 1))
            for row, lv in enumerate(feats.levels):
                t = _masked_mean(tgvm.embed_text(lv.tokens[None])[0], lv.mask)
                out[row, col] = float(F.cosine_similarity(t, v, dim=0).clamp(-1.0, 1.0))
    return out


@dataclass
class Summary:
    """Per-pair 3x3 matrices of one measure and their statistics (see ``as_dict``)."""

    measure: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    matrices: list[np.ndarray] = field(default_factory=list)

    @property
    def mean(self) -> np.ndarray:
        if not self.matrices:
            raise ValueError(f"no pairs were measured for {self.measure}")
        return np.mean(self.matrices, axis=0)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: mean/std over pairs, diagonal vs off-diagonal, each row's best column."""
        mean, std = self.mean, np.std(self.matrices, axis=0)
        diag = np.eye(len(self.rows), dtype=bool)
        best = mean.argmax(axis=1)
        return {
            "measure": self.measure,
            "rows": list(self.rows),
            "cols": list(self.cols),
            "n_pairs": len(self.matrices),
            "mean": np.round(mean, 6).tolist(),
            "std": np.round(std, 6).tolist(),
            "diagonal_mean": round(float(mean[diag].mean()), 6),
            "off_diagonal_mean": round(float(mean[~diag].mean()), 6),
            "margin": round(float(mean[diag].mean() - mean[~diag].mean()), 6),
            "row_best_col": [self.cols[int(j)] for j in best],
            # Ties count as highest: identical texts give a row of equal values.
            "same_level_highest": [
                bool(mean[i, i] >= mean[i].max() - 1e-9) for i in range(len(self.rows))
            ],
        }


def load_luma(path: Path, max_side: int) -> torch.Tensor:
    """Luma ``(1, 1, H, W)`` in ``[0, 1]``, area-downscaled so its longer side <= ``max_side``."""
    img = read_image(path, grey=True)
    scale = max_side / max(img.shape)
    if scale < 1.0:
        size = (max(4, round(img.shape[1] * scale)), max(4, round(img.shape[0] * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return torch.from_numpy(np.ascontiguousarray(img))[None, None]


def analyze_samples(
    samples: Sequence[Sample],
    describer: Describer,
    encoder: TextEncoder,
    cache: TextCache | None,
    model: MTIFNet | None = None,
    max_side: int = 512,
    progress: bool = True,
) -> tuple[Summary, Summary | None]:
    """Text-text summary of every sample, and the text-visual one when ``model`` is given.

    The text-visual part needs two-input samples of equal size (the network fuses pairs).
    """
    if max_side < 4:
        raise ValueError(f"max_side must be at least 4 pixels, got {max_side}")
    tt = Summary("text-text cosine", LEVELS, LEVELS)
    tv = Summary("text-visual cosine", LEVELS, VISUAL_LEVELS) if model is not None else None
    for sample in tqdm(samples, desc="analyze", unit="pair", disable=not progress):
        feats = text_features(sample.inputs, describer, encoder, cache)
        tt.matrices.append(text_text_similarity(feats))
        if tv is None or model is None:
            continue
        if len(sample.inputs) != 2:
            raise ValueError(
                f"{sample.name}: the text-visual analysis needs two-input pairs, got "
                f"{len(sample.inputs)} inputs"
            )
        a, b = (load_luma(p, max_side) for p in sample.inputs)
        if a.shape != b.shape:
            raise ValueError(
                f"{sample.name}: inputs differ in size ({tuple(a.shape[2:])} and "
                f"{tuple(b.shape[2:])}); the network needs aligned pairs of one size"
            )
        device = next(model.parameters()).device
        tv.matrices.append(text_visual_similarity(model, feats, a.to(device), b.to(device)))
    return tt, tv


def heatmap_png(summary: Summary, title: str) -> bytes:
    """An annotated heatmap of ``summary.mean`` as PNG bytes (matplotlib Agg, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mean = summary.mean
    fig = Figure(figsize=(5.2, 4.4), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(mean, cmap="viridis", vmin=min(0.0, float(mean.min())), vmax=1.0)
    ax.set_xticks(range(len(summary.cols)), summary.cols, rotation=20, ha="right")
    ax.set_yticks(range(len(summary.rows)), [f"{r} text" for r in summary.rows])
    mid = (im.norm.vmin + im.norm.vmax) / 2
    for (i, j), value in np.ndenumerate(mean):
        colour = "black" if value > mid else "white"
        ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=colour)
    ax.set_title(f"{title}\n(mean over {len(summary.matrices)} pairs)", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    buf = BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
