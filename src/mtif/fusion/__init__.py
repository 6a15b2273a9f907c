"""Fusion for users: ``fuse(images, task=...)`` with colour, any size, N inputs and alignment.

``fuse_images`` returns a ``FuseResult`` that also says which method and task were used.
"""

from mtif.fusion.align import RigidTransform, align_images
from mtif.fusion.api import CLASSICAL_DEFAULTS, FUSION_TASKS, FuseResult, fuse, fuse_images
from mtif.fusion.detect import detect_task, measure_task
from mtif.fusion.network import NetworkFuser

__all__ = [
    "CLASSICAL_DEFAULTS",
    "FUSION_TASKS",
    "FuseResult",
    "NetworkFuser",
    "RigidTransform",
    "align_images",
    "detect_task",
    "fuse",
    "fuse_images",
    "measure_task",
]
