"""On-disk cache of descriptions (JSON) and text features (safetensors).

Descriptions are keyed by the SHA-256 of the input files' bytes and the describer's identity
(name, model, prompt version); features by the descriptions' text and the encoder's identity,
so editing a description or changing a file invalidates exactly what depends on it. Every entry
is written atomically (temporary file + rename): a killed run leaves whole entries or none, and
the next run resumes from them. Layout: ``<root>/descriptions/<key>.json``,
``<root>/features/<key>.safetensors``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path

from mtif.io import atomic_write_bytes
from mtif.text.descriptions import Descriptions
from mtif.text.features import TextFeatures, load_features, save_features

_log = logging.getLogger(__name__)
CACHE_ENV = "MTIF_CACHE"
CACHE_DIRNAME = ".mtif-cache"
_digests: dict[tuple[str, int, int], str] = {}


def default_cache_dir(data_dir: Path) -> Path:
    """``$MTIF_CACHE`` when set, else ``<data_dir>/.mtif-cache``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path(data_dir) / CACHE_DIRNAME


def file_digest(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes (remembered per path, size and mtime)."""
    st = Path(path).stat()
    memo = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if memo not in _digests:
        h = sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _digests[memo] = h.hexdigest()
    return _digests[memo]


def descriptions_key(paths: Sequence[Path], describer_identity: str) -> str:
    """Cache key of a series' descriptions: its files' contents, in order, and the describer."""
    payload = json.dumps([[file_digest(p) for p in paths], describer_identity])
    return sha256(payload.encode()).hexdigest()


def features_key(descriptions: Descriptions, encoder_identity: str) -> str:
    """Cache key of features: the three texts and the encoder."""
    payload = json.dumps([descriptions.as_dict(), encoder_identity], sort_keys=True)
    return sha256(payload.encode()).hexdigest()


class TextCache:
    """Descriptions and features under one folder (created on first write)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{self.root}: cache location exists and is not a folder")

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / f"{key}{suffix}"

    def get_descriptions(self, key: str) -> Descriptions | None:
        """The cached descriptions under ``key``, or None (a damaged entry counts as missing)."""
        path = self._path("descriptions", key, ".json")
        if not path.is_file():
            return None
        try:
            return Descriptions.from_dict(json.loads(path.read_text())["descriptions"], str(path))
        except (ValueError, KeyError, TypeError, OSError) as exc:
            _log.warning("%s: damaged cache entry, describing again (%s)", path, exc)
            return None

    def put_descriptions(
        self, key: str, descriptions: Descriptions, inputs: Sequence[Path], describer: str
    ) -> Path:
        """Store descriptions with what produced them (file names, not their folders)."""
        path = self._path("descriptions", key, ".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "describer": describer,
            "inputs": [Path(p).name for p in inputs],
            "descriptions": descriptions.as_dict(),
        }
        atomic_write_bytes(path, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode())
        return path

    def get_features(self, key: str) -> TextFeatures | None:
        """The cached features under ``key``, or None (a damaged entry counts as missing)."""
        path = self._path("features", key, ".safetensors")
        if not path.is_file():
            return None
        try:
            return load_features(path)
        except (ValueError, OSError) as exc:
            _log.warning("%s: damaged cache entry, encoding again (%s)", path, exc)
            return None

    def put_features(self, key: str, features: TextFeatures) -> Path:
        path = self._path("features", key, ".safetensors")
        path.parent.mkdir(parents=True, exist_ok=True)
        save_features(path, features)
        return path
