"""The multi-grained loss (paper Sec. 4.4): functions and their module twins."""

from mtif.losses.functional import (
    GRADIENT_REFERENCES,
    INTENSITY_REFERENCES,
    TASK_WEIGHTS,
    LossWeights,
    base_loss,
    feature_loss,
    gradient_loss,
    gradient_term,
    intensity_loss,
    intensity_target,
    sobel_magnitude,
    ssim,
    total_loss,
)
from mtif.losses.modules import GradientLoss, MultiGrainedLoss, SSIMLoss

__all__ = [
    "GRADIENT_REFERENCES",
    "INTENSITY_REFERENCES",
    "TASK_WEIGHTS",
    "GradientLoss",
    "LossWeights",
    "MultiGrainedLoss",
    "SSIMLoss",
    "base_loss",
    "feature_loss",
    "gradient_loss",
    "gradient_term",
    "intensity_loss",
    "intensity_target",
    "sobel_magnitude",
    "ssim",
    "total_loss",
]
