"""MTIFNet: shared visual encoder with TGVM at three levels, channel concat, skip decoder.

Layout (dense convolutions are cheap on a CPU; depthwise ones and LayerNorm are not): level 1
at full resolution with dense residual convolutions only, level 2 at 1/2 and level 3 at 1/4
resolution with Restormer + CNN blocks.
Each level's features are modulated by that level's text (detail -> 1, structure -> 2,
semantic -> 3). The two inputs' level-3 features are concatenated along channels (the paper's
M) and decoded, with skips from the modulated level-1/2 features of both inputs, to per-pixel
weights over the two inputs plus a correction (see ``compose``); an optional full-resolution
restoration branch scales the blend's detail bands (``ModelConfig.restore_blocks``). Two light
auxiliary heads decode the level-1 and level-2 modulated features the same way into the
intermediate images I_f1 and I_f2 used by the multi-grained loss; inference skips them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from mtif.model.config import ModelConfig, get_config
from mtif.model.layers import TGVM, ResidualConvBlock, RestormerBlock
from mtif.model.pyramid import PYRAMID_LEVELS, boost_bands, pyramid_blend
from mtif.model.text_batch import TextBatch

#: The encoder halves the resolution twice, so inputs are padded to a multiple of this.
SIZE_MULTIPLE = 4
#: Heads output two weight logits (one per input) and one logit-space correction; with
#: ``blend="bands"`` one weight logit per pyramid band and the correction; ``activity`` adds,
#: before the correction, a gain map per detail band (``pyramid_blend``'s ``gain``).
HEAD_CHANNELS = {
    "pixel": 3,
    "pyramid": 3,
    "bands": PYRAMID_LEVELS + 1,
    "activity": 2 * PYRAMID_LEVELS,
}
#: The layers whose output channels follow ``HEAD_CHANNELS``: the head and the aux heads' last
#: convolutions (zero-initialised; ``convert_heads`` converts them).
OUTPUT_LAYERS = ("head", "aux.0.2", "aux.1.2")
#: An ``activity`` head's gain channels: between the band maps and the correction.
ACTIVITY_GAINS = slice(PYRAMID_LEVELS, -1)
#: Margin of the blend's squeeze into the open interval the logit needs.
COMPOSE_EPS = 1e-3


class NetworkOutput(NamedTuple):
    """What ``forward(..., return_aux=True)`` returns; each ``(B, 1, H, W)`` in ``[0, 1]``."""

    fused: torch.Tensor
    f1: torch.Tensor
    f2: torch.Tensor


def _resample(c_in: int, c_out: int, down: bool) -> nn.Sequential:
    # Down: a 2x2 stride-2 convolution (the same map as pixel-unshuffle + 1x1 conv, without
    # materialising the reshuffled full-resolution copy: about 2x faster here). Up: 1x1 conv +
    # pixel shuffle, which measured slightly faster than the equivalent transposed convolution.
    if down:
        return nn.Sequential(nn.Conv2d(c_in, c_out, 2, stride=2))
    return nn.Sequential(nn.Conv2d(c_in, 4 * c_out, 1), nn.PixelShuffle(2))


def _aux_head(c_in: int, width: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, width, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, c_out, 3, padding=1),
    )


def _restore_branch(width: int, blocks: int) -> nn.Sequential:
    """Full-resolution residual convolutions from the decoder's last features and the two
    inputs themselves (the features are only a learnt summary of them) to a boost map per detail
    band of the blend (``boost_bands``). Its last convolution starts at zero
    (``MTIFNet.zero_start_layers``), so adding the branch to a trained network changes nothing
    until it learns."""
    return nn.Sequential(
        nn.Conv2d(width + 2, width, 3, padding=1),
        *(ResidualConvBlock(width) for _ in range(blocks)),
        nn.Conv2d(width, PYRAMID_LEVELS - 1, 3, padding=1),
    )


def _side_by_side(x: torch.Tensor, b: int) -> torch.Tensor:
    """``(2B, C, ...) -> (B, 2C, ...)``: image a's channels, then image b's."""
    return torch.cat(x.split(b, dim=0), dim=1)


class MTIFNet(nn.Module):
    """The fusion network. Build it with ``create_model``; ``config`` is kept on ``.config``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        cfg = config
        ch = cfg.channels
        self.stem = nn.Conv2d(1, ch[0], 3, padding=1)
        self.down = nn.ModuleList([_resample(ch[i], ch[i + 1], down=True) for i in range(2)])
        self.encoder = nn.ModuleList(
            nn.Sequential(
                *(RestormerBlock(c, h, cfg.ffn_expansion) for _ in range(nr)),
                *(ResidualConvBlock(c) for _ in range(nc)),
            )
            for c, h, nr, nc in zip(
                ch, cfg.heads, cfg.restormer_blocks, cfg.cnn_blocks, strict=True
            )
        )
        self.tgvm = (
            nn.ModuleList(
                TGVM(c, cfg.text_dim, h, cfg.pool_grid) for c, h in zip(ch, cfg.heads, strict=True)
            )
            if cfg.use_text
            else None
        )
        self.fuse = nn.Conv2d(2 * ch[2], ch[2], 1)
        self.up = nn.ModuleList([_resample(ch[i + 1], ch[i], down=False) for i in (1, 0)])
        # Skip merge at levels 2 and 1: upsampled decoder state + both inputs' features.
        self.merge = nn.ModuleList([nn.Conv2d(3 * ch[i], ch[i], 1) for i in (1, 0)])
        self.decoder = nn.ModuleList(
            nn.Sequential(*(ResidualConvBlock(ch[i]) for _ in range(cfg.decoder_blocks[i])))
            for i in (2, 1, 0)
        )
        c_head = HEAD_CHANNELS[cfg.blend]
        self.head = nn.Conv2d(ch[0], c_head, 3, padding=1)
        self.aux = nn.ModuleList(_aux_head(2 * ch[i], cfg.aux_channels, c_head) for i in (0, 1))
        self.restore = _restore_branch(ch[0], cfg.restore_blocks) if cfg.restore_blocks else None
        # Zero-initialised output layers: an untrained network returns the inputs' mean.
        for name in self.zero_start_layers():
            layer = self.get_submodule(name)
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def zero_start_layers(self) -> list[str]:
        """The layers that start at zero: ``OUTPUT_LAYERS`` and a restoration branch's last."""
        if self.restore is None:
            return list(OUTPUT_LAYERS)
        return [*OUTPUT_LAYERS, f"restore.{len(self.restore) - 1}"]

    def forward(
        self,
        img_a: torch.Tensor,
        img_b: torch.Tensor,
        texts: TextBatch | None,
        *,
        return_aux: bool = False,
    ) -> torch.Tensor | NetworkOutput:
        """Fuse two luma images ``(B, 1, H, W)`` in ``[0, 1]``, any ``H, W >= 4``.

        ``texts`` holds the pair's three encoded descriptions (batch ``B``, width
        ``config.text_dim``); it must be None exactly when ``config.use_text`` is False.
        Returns the fused luma ``(B, 1, H, W)`` in ``[0, 1]``, or with ``return_aux`` a
        ``NetworkOutput(fused, f1, f2)`` adding the auxiliary level-1/2 reconstructions.

        The output goes through a sigmoid rather than a clamp: every pixel keeps a gradient
        (a clamp zeroes it wherever the prediction overshoots, which early in training is
        most of a bright or dark region).
        """
        self._check(img_a, img_b, texts)
        b, _, h, w = img_a.shape
        x = _pad(torch.cat([img_a, img_b], dim=0))
        pair_texts = texts.repeat(2) if texts is not None else None
        feats = []
        f = self.stem(x)
        for level in range(3):
            if level:
                f = self.down[level - 1](f)
            f = self.encoder[level](f)
            if self.tgvm is not None and pair_texts is not None:
                f = self.tgvm[level](f, pair_texts.tokens[level], pair_texts.masks[level])
            feats.append(f)
        pairs = [_side_by_side(f, b) for f in feats]
        y = self.decoder[0](self.fuse(pairs[2]))
        for i, skip in enumerate((pairs[1], pairs[0])):
            y = self.merge[i](torch.cat([self.up[i](y), skip], dim=1))
            y = self.decoder[i + 1](y)
        blend = self.config.blend
        boost = None
        if self.restore is not None:
            # x holds both inputs, padded as y's grid is.
            boost = self.restore(torch.cat([y, _side_by_side(x, b)], dim=1))
            boost = boost[..., :h, :w]
        fused = compose(self.head(y)[..., :h, :w], img_a, img_b, blend, boost=boost)
        if not return_aux:
            return fused
        f1 = self.aux[0](pairs[0])[..., :h, :w]
        f2 = F.interpolate(self.aux[1](pairs[1]), scale_factor=2.0, mode="bilinear")[..., :h, :w]
        return NetworkOutput(
            fused, compose(f1, img_a, img_b, blend), compose(f2, img_a, img_b, blend)
        )

    def _check(self, img_a: torch.Tensor, img_b: torch.Tensor, texts: TextBatch | None) -> None:
        for name, img in (("img_a", img_a), ("img_b", img_b)):
            if not isinstance(img, torch.Tensor) or not img.is_floating_point():
                raise TypeError(f"{name} must be a float tensor (B, 1, H, W), got {type(img)}")
            if img.ndim != 4 or img.shape[1] != 1 or min(img.shape[2:]) < SIZE_MULTIPLE:
                raise ValueError(
                    f"{name} must be luma (B, 1, H, W) with H, W >= {SIZE_MULTIPLE}, "
                    f"got {tuple(img.shape)}"
                )
        if img_a.shape != img_b.shape:
            raise ValueError(
                f"expected two images of equal size, got {tuple(img_a.shape)} and "
                f"{tuple(img_b.shape)}"
            )
        if not self.config.use_text:
            if texts is not None:
                raise ValueError("this model was built without text (use_text=False); pass None")
            return
        if not isinstance(texts, TextBatch):
            raise TypeError(
                f"this model needs a TextBatch of the pair's descriptions, got {type(texts)}"
            )
        if texts.batch_size != img_a.shape[0] or texts.dim != self.config.text_dim:
            raise ValueError(
                f"texts must have batch {img_a.shape[0]} and width {self.config.text_dim}, "
                f"got batch {texts.batch_size} and width {texts.dim}"
            )


def compose(
    head: torch.Tensor,
    img_a: torch.Tensor,
    img_b: torch.Tensor,
    blend: str = "pixel",
    boost: torch.Tensor | None = None,
) -> torch.Tensor:
    """The fused image from a head's output ``(B, HEAD_CHANNELS[blend], H, W)``: weights over
    the inputs and, in the last channel, a correction added to the blend in logit space.

    Fusion is mostly choosing, per pixel, how much of each input to keep (the sharp one, the
    well-exposed one); a weight map expresses that with smooth, low-frequency values, where a
    head that must redraw the image learnt only a sharpened mean in CPU-sized trainings. The
    correction can still add what no blend has (contrast, brightness).

    ``pixel`` and ``pyramid`` take one weight map (softmax of channels 0-1); ``pyramid`` mixes
    the inputs band by band (``pyramid_blend``) so that detail is not cancelled where the
    inputs' edges do not coincide. ``bands`` takes one map per band (sigmoid of channels
    0..PYRAMID_LEVELS-1): infrared and visible networks with a single map learnt to copy the
    infrared image, whose fine detail wins everywhere, where one map per band can keep the
    infrared detail over the visible image's brightness. The blend is squeezed into
    ``[EPS, 1 - EPS]`` by an affine map, not a clamp, so saturated pixels keep a gradient;
    8-bit 0 and 255 are still reached exactly after rounding.

    ``activity`` is ``bands`` with, per detail band, a learnt gain map on which input holds more
    detail there (the classical max-abs rule as a prior the network weighs per pixel): a band
    map alone is smooth and cannot follow detail that alternates between the inputs pixel by
    pixel.

    ``boost`` (a restoration branch's output, ``(B, PYRAMID_LEVELS - 1, H, W)``) scales the
    blend's detail bands before the correction (``boost_bands``): where every input is soft
    (a focus pair's middle ground) no weight map can bring the detail back.
    """
    if blend in ("bands", "activity"):
        maps = head[:, :PYRAMID_LEVELS].sigmoid()
        gain = head[:, ACTIVITY_GAINS] if blend == "activity" else None
        # Ringing at a sharp weight edge can leave [0, 1] by a few percent.
        blend_img = pyramid_blend(maps, img_a, img_b, gain=gain).clamp(0.0, 1.0)
    else:
        weights = head[:, :2].softmax(dim=1)
        if blend == "pyramid":
            blend_img = pyramid_blend(weights[:, :1], img_a, img_b).clamp(0.0, 1.0)
        else:
            blend_img = weights[:, :1] * img_a + weights[:, 1:2] * img_b
    if boost is not None:
        blend_img = boost_bands(blend_img, boost).clamp(0.0, 1.0)
    squeezed = COMPOSE_EPS + (1 - 2 * COMPOSE_EPS) * blend_img
    return torch.sigmoid(torch.logit(squeezed) + head[:, -1:])


def _convert_output_layers(
    state: dict[str, torch.Tensor],
    source: str,
    kind: str,
    convert: Callable[[torch.Tensor], torch.Tensor],
) -> dict[str, torch.Tensor]:
    """``state`` with every ``OUTPUT_LAYERS`` weight and bias, which must have blend ``source``'s
    ``HEAD_CHANNELS`` output rows (``kind`` names them in the error), replaced by ``convert`` of
    it; the other weights as they are."""
    out = dict(state)
    for layer in OUTPUT_LAYERS:
        for part in ("weight", "bias"):
            old = state[f"{layer}.{part}"]
            if old.shape[0] != HEAD_CHANNELS[source]:
                raise ValueError(f"{layer}.{part} has {old.shape[0]} channels, not {kind}")
            out[f"{layer}.{part}"] = convert(old)
    return out


def single_map_as_bands(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``pixel`` or ``pyramid`` network's weights as a ``bands`` network's: every band's logit
    is the difference of the two input logits (``softmax`` of two is ``sigmoid`` of their
    difference) and the correction channel is kept. From ``pyramid`` the output is unchanged;
    from ``pixel`` it changes only in that the one map is now applied band by band. Lets a
    trained single-map network seed a per-band one instead of starting its heads at zero."""

    def convert(old: torch.Tensor) -> torch.Tensor:
        band = (old[0] - old[1]).unsqueeze(0).expand(PYRAMID_LEVELS, *old.shape[1:])
        return torch.cat([band, old[2:]], dim=0).clone()

    return _convert_output_layers(state, "pixel", "a single map's", convert)


def bands_as_activity(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``bands`` network's weights as an ``activity`` network's with zero gain maps, so that
    its output is unchanged: training then learns how far to follow the inputs' activity."""

    def convert(old: torch.Tensor) -> torch.Tensor:
        zeros = old.new_zeros(PYRAMID_LEVELS - 1, *old.shape[1:])
        return torch.cat([old[:-1], zeros, old[-1:]], dim=0)

    return _convert_output_layers(state, "bands", "a bands map's", convert)


#: Blends ordered by what their heads can express: a network converts only upwards.
_BLEND_RANK = {"pixel": 0, "pyramid": 0, "bands": 1, "activity": 2}


def can_convert_heads(source: str, target: str) -> bool:
    """Whether ``convert_heads`` turns a ``source``-blend network into a ``target`` one."""
    return _BLEND_RANK[target] > _BLEND_RANK[source]


def convert_heads(
    state: dict[str, torch.Tensor], source: str, target: str
) -> dict[str, torch.Tensor]:
    """A network's weights with blend ``source`` as one with blend ``target``: single map ->
    ``bands`` -> ``activity`` (the ways ``single_map_as_bands`` and ``bands_as_activity`` go)."""
    if not can_convert_heads(source, target):
        raise ValueError(f"cannot turn a {source!r} network into a {target!r} one")
    if _BLEND_RANK[source] == 0:
        state = single_map_as_bands(state)
    return bands_as_activity(state) if target == "activity" else state


def _pad(x: torch.Tensor) -> torch.Tensor:
    """Reflect-pad bottom/right to a multiple of ``SIZE_MULTIPLE`` (cropped back at the end)."""
    h, w = x.shape[2:]
    ph, pw = -h % SIZE_MULTIPLE, -w % SIZE_MULTIPLE
    return F.pad(x, (0, pw, 0, ph), mode="reflect") if ph or pw else x


def create_model(name: str, **overrides: object) -> MTIFNet:
    """Build the named variant (``mtif-small`` or ``mtif-base``) with ``overrides`` applied."""
    return MTIFNet(get_config(name, **overrides))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
