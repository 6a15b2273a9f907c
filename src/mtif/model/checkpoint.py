"""Checkpoints: ``<stem>.safetensors`` (weights, no pickle) + ``<stem>.json`` (config, extras).

Both files are written atomically, weights first, so a ``.json`` beside a ``.safetensors`` means
the pair is complete. Keys are stored without the ``module.`` / ``_orig_mod.`` prefixes that
DistributedDataParallel and ``torch.compile`` add, and stripped again on loading in case a
checkpoint came from elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from mtif.io import atomic_write_bytes
from mtif.model.config import ModelConfig, config_from_dict, config_to_dict
from mtif.model.network import MTIFNet

FORMAT = "mtif-checkpoint"
VERSION = 1
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def _stem(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".safetensors", ".json") else p


def strip_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove leading ``module.`` / ``_orig_mod.`` (in any order, repeated) from every key."""
    out = {}
    for key, value in state.items():
        while key.startswith(_WRAPPER_PREFIXES):
            key = key.split(".", 1)[1]
        out[key] = value
    return out


def save_checkpoint(
    path_stem: str | os.PathLike[str],
    model: nn.Module,
    config: ModelConfig,
    extra: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``model``'s weights and ``config`` (+ JSON-serialisable ``extra``); return both paths.

    ``model`` may be wrapped by DDP or ``torch.compile``. A ``.safetensors``/``.json`` suffix on
    ``path_stem`` is ignored.
    """
    inner = getattr(getattr(model, "_orig_mod", model), "module", model)
    inner = getattr(inner, "_orig_mod", inner)
    if isinstance(inner, MTIFNet) and inner.config != config:
        raise ValueError(f"config {config} does not match the model's own {inner.config}")
    try:
        meta = json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "config": config_to_dict(config),
                "extra": extra or {},
            },
            indent=2,
        )
    except TypeError as exc:
        raise TypeError(f"checkpoint extra must be JSON-serialisable: {exc}") from exc
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    stem = _stem(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    weights, meta_path = (
        stem.with_name(stem.name + ".safetensors"),
        stem.with_name(stem.name + ".json"),
    )
    atomic_write_bytes(weights, save_safetensors(strip_prefixes(state)))
    atomic_write_bytes(meta_path, (meta + "\n").encode())
    return weights, meta_path


def read_checkpoint_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checkpoint's JSON: ``{"format", "version", "config", "extra"}``."""
    stem = _stem(path)
    meta_path = stem.with_name(stem.name + ".json")
    if not meta_path.is_file():
        raise FileNotFoundError(f"checkpoint metadata {meta_path} not found (expected <stem>.json)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta_path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "config" not in meta:
        raise ValueError(f"{meta_path}: not an mtif checkpoint (format {FORMAT!r} with a config)")
    if meta.get("version") != VERSION:
        raise ValueError(
            f"{meta_path}: checkpoint version {meta.get('version')}, expected {VERSION}"
        )
    return meta


def load_model(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> MTIFNet:
    """Rebuild the network from ``<stem>.json`` and load ``<stem>.safetensors`` strictly.

    ``path`` is the stem or either file. The model is returned in eval mode on ``device``.
    """
    meta = read_checkpoint_meta(path)
    stem = _stem(path)
    weights = stem.with_name(stem.name + ".safetensors")
    if not weights.is_file():
        raise FileNotFoundError(f"checkpoint weights {weights} not found beside {stem}.json")
    model = MTIFNet(config_from_dict(meta["config"]))
    state = strip_prefixes(load_safetensors(weights.read_bytes()))
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [k for k in set(state) & set(expected) if state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise ValueError(
            f"{weights} does not fit the config in its .json: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, wrong shape {sorted(wrong)[:5]}"
        )
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()
