"""The text side: multi-grained descriptions of an input series and their token features.

``describe`` (``get_describer``: offline, vlm, files) -> ``Descriptions`` (detail, structure,
semantic) -> ``encode`` (``get_encoder``: minilm, blip2, clip) -> ``TextFeatures`` (per level,
tokens ``(T, D)`` + mask) -> ``collate`` for the network. ``TextCache`` keeps both on disk.
Heavy dependencies (torch models, HTTP) load only when a describer or encoder is created.
"""

from mtif.text.cache import TextCache, default_cache_dir
from mtif.text.descriptions import LEVELS, Describer, Descriptions, get_describer
from mtif.text.encoders import TextEncoder, get_encoder
from mtif.text.features import (
    LevelTokens,
    TextFeatures,
    collate,
    load_features,
    null_features,
    null_level,
    save_features,
    to_text_batch,
    with_level,
)
from mtif.text.pipeline import text_features

__all__ = [
    "LEVELS",
    "Describer",
    "Descriptions",
    "LevelTokens",
    "TextCache",
    "TextEncoder",
    "TextFeatures",
    "collate",
    "default_cache_dir",
    "get_describer",
    "get_encoder",
    "load_features",
    "null_features",
    "null_level",
    "save_features",
    "text_features",
    "to_text_batch",
    "with_level",
]
