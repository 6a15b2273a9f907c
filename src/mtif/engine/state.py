"""Checkpoints of a training run: weights + config (safetensors + JSON) and the optimiser state.

Each file is written atomically, and the ``latest`` pointer last, so a run killed at any moment
leaves the previous complete checkpoint in place.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import torch

from mtif.io import atomic_write_bytes
from mtif.model import load_model, read_checkpoint_meta, save_checkpoint
from mtif.model.config import ModelConfig
from mtif.model.network import MTIFNet, can_convert_heads, convert_heads

KEEP = 2  # checkpoints kept besides the newest; older ones are removed


def _stem(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"step_{step:07d}"


def save_training_state(
    run: Path,
    step: int,
    model: torch.nn.Module,
    config: ModelConfig,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    extra: dict,
) -> Path:
    stem = _stem(run, step)
    stem.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(stem, model, config, {**extra, "step": step})
    buf = io.BytesIO()
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
        },
        buf,
    )
    atomic_write_bytes(stem.with_suffix(".state.pt"), buf.getvalue())
    atomic_write_bytes(run / "checkpoints" / "latest", f"{stem.name}\n".encode())
    _prune(run, keep=KEEP + 1)
    return stem


def _prune(run: Path, keep: int) -> None:
    stems = sorted({p.name.split(".")[0] for p in (run / "checkpoints").glob("step_*")})
    for name in stems[:-keep]:
        for path in (run / "checkpoints").glob(f"{name}.*"):
            path.unlink(missing_ok=True)


def latest_checkpoint(run: Path) -> Path | None:
    """The stem of the newest complete checkpoint of ``run``, or None."""
    pointer = run / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    return run / "checkpoints" / pointer.read_text().strip()


def resume_training_state(
    run: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> int:
    """Restore the newest checkpoint of ``run`` in place; return its step (0 when none)."""
    stem = latest_checkpoint(run)
    if stem is None:
        return 0
    inner = getattr(model, "module", model)  # unwrap DDP
    inner.load_state_dict(load_model(stem).state_dict())
    state = torch.load(stem.with_suffix(".state.pt"), weights_only=True)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    return int(read_checkpoint_meta(stem)["extra"]["step"])


def init_weights(model: MTIFNet, source: MTIFNet, checkpoint: str | Path) -> None:
    """Copy ``source``'s weights (loaded from ``checkpoint``) into a new run's ``model``; their
    architectures must match, except that a network may seed one with a richer blend (single
    map -> ``bands`` -> ``activity``, ``mtif.model.network.convert_heads``) and one without a
    restoration branch may seed one with (the new branch starts at zero: same output)."""
    state = source.state_dict()
    src, dst = source.config.blend, model.config.blend
    adds_restore = not source.config.restore_blocks and model.config.restore_blocks
    restore = model.config.restore_blocks if adds_restore else source.config.restore_blocks
    seedable = dataclasses.replace(source.config, blend=dst, restore_blocks=restore)
    if seedable != model.config or (src != dst and not can_convert_heads(src, dst)):
        raise ValueError(
            f"init={checkpoint}: its network ({source.config}) differs from this run's "
            f"({model.config}); set model/model_overrides to match"
        )
    if src != dst:
        state = convert_heads(state, src, dst)
    if adds_restore:
        state.update({f"restore.{k}": v for k, v in model.restore.state_dict().items()})
    model.load_state_dict(state)
