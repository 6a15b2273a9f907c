"""Multi-grained descriptions of an input series and the interface every describer follows.

The paper describes each pair at three granularities, in this fixed order (level 1, 2, 3 of the
network): ``detail`` (fine details: exposure, focus, texture), ``structure`` (layout, edges,
bright/dark and salient regions) and ``semantic`` (what the scene shows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

# Level order shared by describers, encoders and the network: detail (1), structure (2),
# semantic (3).
LEVELS: tuple[str, str, str] = ("detail", "structure", "semantic")
DESCRIBERS: tuple[str, ...] = ("offline", "vlm", "files")


@dataclass(frozen=True)
class Descriptions:
    """The three descriptions of one input series (plain English, non-empty)."""

    detail: str
    structure: str
    semantic: str

    def __post_init__(self) -> None:
        for level in LEVELS:
            text = getattr(self, level)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(
                    f"the {level} description must be a non-empty string, got {text!r}"
                )

    @property
    def texts(self) -> tuple[str, str, str]:
        """The three texts in level order (detail, structure, semantic)."""
        return (self.detail, self.structure, self.semantic)

    def as_dict(self) -> dict[str, str]:
        return {level: getattr(self, level) for level in LEVELS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "descriptions") -> Descriptions:
        """Build from a mapping with exactly the keys detail, structure and semantic (strings).

        ``source`` names where the mapping came from, for the error message.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        missing = [k for k in LEVELS if k not in data]
        extra = sorted(set(data) - set(LEVELS))
        if missing or extra:
            raise ValueError(
                f"{source}: expected the keys {', '.join(LEVELS)}; "
                + (f"missing {', '.join(missing)}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unexpected {', '.join(extra)}" if extra else "")
            )
        bad = [k for k in LEVELS if not isinstance(data[k], str) or not data[k].strip()]
        if bad:
            raise ValueError(f"{source}: {', '.join(bad)} must be non-empty strings")
        return cls(**{k: data[k].strip() for k in LEVELS})


@runtime_checkable
class Describer(Protocol):
    """Writes the three descriptions of an aligned input series (two or more image files).

    ``identity`` names the describer, its model and its prompt version; it is part of every
    cache key, so two describers that could write different texts never share an identity.
    ``cacheable`` is False for sources that are cheaper to read again than to cache (files).
    """

    identity: str
    cacheable: bool

    def describe(self, paths: Sequence[Path]) -> Descriptions: ...


def get_describer(name: str = "offline", **options: Any) -> Describer:
    """The describer called ``name``: "offline" (default), "vlm" or "files".

    Options go to the describer's constructor: ``OfflineDescriber()``,
    ``VLMDescriber(base_url, model, api_key_env=..., timeout=..., retries=..., concurrency=...)``,
    ``FilesDescriber(text_dir)``. Unknown names and options raise ValueError / TypeError.
    """
    # Imports are local so that choosing one describer never loads the others' dependencies.
    if name == "offline":
        from mtif.text.offline import OfflineDescriber

        return OfflineDescriber(**options)
    if name == "vlm":
        from mtif.text.vlm import VLMDescriber

        return VLMDescriber(**options)
    if name == "files":
        from mtif.text.files import FilesDescriber

        return FilesDescriber(**options)
    raise ValueError(f"unknown describer {name!r}; expected one of {', '.join(DESCRIBERS)}")
