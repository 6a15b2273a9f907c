"""The paper's published result tables (Tables 1-4 and A1), as shipped JSON data.

Values are transcribed as printed (two decimals) from "Multi-grained Text-guided Image
Fusion"; the paper's row "Ours" is named ``MTIF``. One file per data set in ``published/``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# Data set key -> the paper's table it comes from.
PUBLISHED_DATASETS: dict[str, str] = {
    "sice": "Table 1",
    "mefb": "Table 2",
    "realmff": "Table 3",
    "lytro": "Table 4",
    "msrs": "Table A1",
    "m3fd": "Table A1",
    "roadscene": "Table A1",
}


def _dataset_key(table_or_dataset: str) -> str:
    """``"lytro"``, ``"Lytro"``, ``"table4"``, ``"Table 4"`` or ``"4"`` -> ``"lytro"``."""
    key = table_or_dataset.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    if key in PUBLISHED_DATASETS:
        return key
    table = key.removeprefix("table")
    by_table: dict[str, list[str]] = {}
    for name, label in PUBLISHED_DATASETS.items():
        by_table.setdefault(label.lower().removeprefix("table "), []).append(name)
    choices = ", ".join(PUBLISHED_DATASETS)
    if table in by_table and len(by_table[table]) == 1:
        return by_table[table][0]
    if table in by_table:
        raise ValueError(
            f"Table {table.upper()} covers several data sets; name one of "
            f"{', '.join(by_table[table])}"
        )
    raise ValueError(f"no published table {table_or_dataset!r}; expected one of {choices}")


@cache
def _load(key: str) -> dict[str, Any]:
    text = resources.files("mtif.evaluation").joinpath("published", f"{key}.json").read_text()
    return json.loads(text)


def published_table(table_or_dataset: str) -> dict[str, Any]:
    """The whole record: ``table``, ``dataset``, ``task``, ``metrics`` (column order), ``rows``."""
    doc = _load(_dataset_key(table_or_dataset))
    # A fresh copy, so callers may edit it without changing the cached one.
    return json.loads(json.dumps(doc))


def published_rows(table_or_dataset: str) -> dict[str, dict[str, float]]:
    """Method -> metric -> value, in the paper's row and column order (EN SD SF AG VIF Qabf).

    ``table_or_dataset`` is a data set key (sice, mefb, realmff, lytro, msrs, m3fd,
    roadscene; case-insensitive) or a table number ("4", "Table 4"). Table A1 holds three data
    sets, so it must be named by data set.
    """
    return published_table(table_or_dataset)["rows"]
