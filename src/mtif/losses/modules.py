"""``nn.Module`` twins of the loss functions in ``mtif.losses.functional`` (see their docs)."""

from __future__ import annotations

import torch
from torch import nn

from mtif.losses.functional import (
    TASK_WEIGHTS,
    LossWeights,
    check_loss_options,
    gradient_loss,
    ssim,
    total_loss,
)


class GradientLoss(nn.Module):
    """Module form of ``gradient_loss`` (Eq. 8)."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return gradient_loss(a, b)


class SSIMLoss(nn.Module):
    """``1 - ssim(a, b)``: the structural dissimilarity, 0 for identical images."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return 1.0 - ssim(a, b)


class MultiGrainedLoss(nn.Module):
    """Module form of ``total_loss`` (Eq. 6) with the weights fixed at construction.

    Args:
        task: ``"mef"`` or ``"mff"`` for the paper's weights; ignored when ``weights`` is given.
        weights: explicit ``LossWeights``.
        base_only: keep only ``L_base`` (the paper's "w/o ML" ablation).
        grad_reference: the gradient terms' target, one of ``GRADIENT_REFERENCES``.
        intensity_reference: the pixel term's target, one of ``INTENSITY_REFERENCES``.
    """

    def __init__(
        self,
        task: str | None = "mef",
        weights: LossWeights | None = None,
        *,
        base_only: bool = False,
        grad_reference: str = "max-image",
        intensity_reference: str = "max",
    ) -> None:
        super().__init__()
        if weights is None:
            if task not in TASK_WEIGHTS:
                raise ValueError(
                    f"no default loss weights for task {task!r}; use one of "
                    f"{sorted(TASK_WEIGHTS)} or pass weights=LossWeights(...)"
                )
            weights = TASK_WEIGHTS[task]
        self.weights = weights
        self.base_only = base_only
        check_loss_options(grad_reference, intensity_reference)
        self.grad_reference = grad_reference
        self.intensity_reference = intensity_reference

    def forward(
        self,
        out: torch.Tensor,
        f1: torch.Tensor | None,
        f2: torch.Tensor | None,
        i1: torch.Tensor,
        i2: torch.Tensor,
        gt: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return total_loss(
            out,
            f1,
            f2,
            i1,
            i2,
            self.weights,
            base_only=self.base_only,
            grad_reference=self.grad_reference,
            intensity_reference=self.intensity_reference,
            gt=gt,
        )

    def extra_repr(self) -> str:
        return (
            f"weights={self.weights}, base_only={self.base_only}, "
            f"grad_reference={self.grad_reference!r}, "
            f"intensity_reference={self.intensity_reference!r}"
        )
