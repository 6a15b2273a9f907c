"""Describer reading descriptions shipped with a data set, matched to a pair by file stem.

Three layouts of the text folder are understood, tried in this order:

1. ``<stem>.json`` files holding ``{"detail": ..., "structure": ..., "semantic": ...}``;
2. ``detail/ structure/ semantic/`` sub-folders, each with ``<stem>.txt``;
3. one sub-folder per input with ``<stem>.txt`` describing that input alone, as in the FILM
   releases (``Lytro/text/NEAR``, ``Lytro/text/FAR``). These are single-grained: all three levels
   get the same text, the inputs' paragraphs joined and labelled by folder name.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path

from mtif.data.pairs import NAMED_LAYOUTS, natural_key
from mtif.text.descriptions import LEVELS, Descriptions

# Input-folder names in their layout order (A before B, NEAR before FAR, ...).
_ORDER = ["a", "b", "c", "d"] + [name for folders, _ in NAMED_LAYOUTS for name in folders]


def _folder_rank(folder: Path) -> tuple[int, list[int | str]]:
    name = folder.name.lower()
    return (_ORDER.index(name) if name in _ORDER else len(_ORDER), natural_key(name))


def _read_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8-sig").strip()
    if not text:
        raise ValueError(f"{path}: empty description file")
    return text


class FilesDescriber:
    """Descriptions from a folder of text files (see the module docstring for its layouts).

    ``describe(paths)`` looks the series up by the stem of its first input. Raises
    FileNotFoundError for a missing folder or file, ValueError for a folder in no known layout.
    """

    # Reading a small text file is cheaper than a cache look-up, and edits show up at once.
    cacheable = False

    def __init__(self, text_dir: str | Path) -> None:
        self.text_dir = Path(text_dir).expanduser()
        if not self.text_dir.is_dir():
            raise FileNotFoundError(
                f"{self.text_dir}: no such folder; pass --text-dir with the folder of description "
                "files (<stem>.json, detail/structure/semantic/<stem>.txt, or one folder per input)"
            )
        subs = {p.name.lower(): p for p in self.text_dir.iterdir() if p.is_dir()}
        if set(LEVELS) <= set(subs):
            self.layout, self.folders = "levels", [subs[k] for k in LEVELS]
        elif any(self.text_dir.glob("*.json")):
            self.layout, self.folders = "json", []
        elif subs:
            self.layout, self.folders = "inputs", sorted(subs.values(), key=_folder_rank)
        else:
            raise ValueError(
                f"{self.text_dir}: expected <stem>.json files, detail/ structure/ semantic/ "
                "folders, or one folder of <stem>.txt per input; found none of these"
            )
        digest = sha256(str(self.text_dir.resolve()).encode()).hexdigest()[:12]
        self.identity = f"files:{self.layout}:{digest}"
        self._warned = False

    def describe(self, paths: Sequence[Path]) -> Descriptions:
        """The descriptions of the series whose first input is ``paths[0]`` (matched by stem)."""
        if not paths:
            raise ValueError("expected the input files of one series, got none")
        stem = Path(paths[0]).stem
        if self.layout == "json":
            path = self.text_dir / f"{stem}.json"
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no descriptions for {stem!r}")
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
            return Descriptions.from_dict(data, source=str(path))
        files = [folder / f"{stem}.txt" for folder in self.folders]
        present = [f for f in files if f.is_file()]
        if self.layout == "levels" or not present:
            missing = [str(f) for f in files if not f.is_file()]
            if missing:
                raise FileNotFoundError(
                    f"no descriptions for {stem!r}: missing {', '.join(missing)}"
                )
            return Descriptions(*(_read_text(f) for f in files))
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"{self.text_dir}: per-input descriptions are single-grained; the detail, "
                "structure and semantic levels all get the same text",
                stacklevel=2,
            )
        texts = [_read_text(f) for f in present]
        joined = (
            texts[0]
            if len(texts) == 1
            else " ".join(
                f"{f.parent.name.capitalize()}: {t}" for f, t in zip(present, texts, strict=True)
            )
        )
        return Descriptions(joined, joined, joined)
