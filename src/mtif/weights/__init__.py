"""Checkpoints shipped with the package: ``mtif-<task>.safetensors`` + ``.json`` per task.

Kept free of heavy imports: listing methods or showing ``--help`` asks what ships here.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent


def shipped_checkpoint(task: str) -> Path | None:
    """The checkpoint shipped for ``task`` ("mef", "mff", "ivf"), if any."""
    path = WEIGHTS_DIR / f"mtif-{task}.safetensors"
    return path if path.is_file() and path.with_suffix(".json").is_file() else None
