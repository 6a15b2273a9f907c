"""Names for parts of the frame, so measurements can be told in words ("the left half").

Two vocabularies: large named regions (halves, centre, edges, quarters) for "where does this
hold", and the cells of a 3x3 grid (top-left ... bottom-right) for "where is the extreme".
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

GRID_NAMES: tuple[tuple[str, str, str], ...] = (
    ("top-left", "top", "top-right"),
    ("left", "centre", "right"),
    ("bottom-left", "bottom", "bottom-right"),
)


@lru_cache(maxsize=8)
def region_masks(h: int, w: int) -> tuple[tuple[str, np.ndarray], ...]:
    """Named boolean ``(h, w)`` masks, largest first: whole frame, edges, halves, centre, quarters.

    "the centre" is the middle half of the width and height (a quarter of the area); "the
    edges" is everything outside it.
    """
    rows = np.arange(h)[:, None]
    cols = np.arange(w)[None, :]
    top, left = rows < h / 2, cols < w / 2
    centre = (rows >= h / 4) & (rows < 3 * h / 4) & (cols >= w / 4) & (cols < 3 * w / 4)
    full = np.ones((h, w), bool)
    named = {
        "the whole frame": full,
        "the edges": ~centre,
        "the left half": full & left,
        "the right half": full & ~left,
        "the top half": top & full,
        "the bottom half": ~top & full,
        "the centre": centre,
        "the top-left quarter": top & left,
        "the top-right quarter": top & ~left,
        "the bottom-left quarter": ~top & left,
        "the bottom-right quarter": ~top & ~left,
    }
    for mask in named.values():
        mask.setflags(write=False)
    return tuple(named.items())


def where(
    prop: np.ndarray,
    valid: np.ndarray | None = None,
    min_fraction: float = 0.8,
    min_coverage: float = 0.3,
) -> list[str]:
    """Names of the largest regions where the boolean map ``prop`` mostly holds.

    A region is named when ``prop`` holds on at least ``min_fraction`` of its valid pixels, on
    at least half of those of every named region inside it (so a whole frame that is true
    except at its centre is not "the whole frame"), and valid pixels cover at least
    ``min_coverage`` of it (``valid`` defaults to everywhere). Of a region overlapping those
    already named, the new part must qualify too, so "the left half" is not followed by "the
    top-left quarter". Returns
    ``[]`` when no region qualifies.
    """
    prop = np.asarray(prop, bool)
    valid = np.ones_like(prop) if valid is None else np.asarray(valid, bool)
    if prop.shape != valid.shape or prop.ndim != 2:
        raise ValueError(
            f"expected two (H, W) maps of one shape, got {prop.shape} and {valid.shape}"
        )
    regions = region_masks(*prop.shape)
    frac: dict[str, float | None] = {}
    for name, mask in regions:
        n_valid = np.count_nonzero(valid & mask)
        enough = n_valid > 0 and n_valid >= min_coverage * np.count_nonzero(mask)
        frac[name] = np.count_nonzero(prop & valid & mask) / n_valid if enough else None
    chosen: list[str] = []
    covered = np.zeros_like(prop)
    for name, mask in regions:
        f = frac[name]
        if f is None or f < min_fraction:
            continue
        inner = [frac[n] for n, m in regions if n != name and not np.any(m & ~mask)]
        if any(g is not None and g < 0.5 for g in inner):
            continue
        # Only what the region adds to those already named must qualify: after "the edges",
        # "the left half" adds the left of the centre, and is named only if that holds too.
        new = mask & ~covered & valid
        if not np.any(new) or np.count_nonzero(prop & new) < min_fraction * np.count_nonzero(new):
            continue
        chosen.append(name)
        covered |= mask
    return chosen


def grid_means(values: np.ndarray, n: int = 3) -> np.ndarray:
    """Mean of an ``(H, W)`` map over each cell of an ``n x n`` grid: an ``(n, n)`` array."""
    h, w = values.shape
    r = np.linspace(0, h, n + 1).round().astype(int)
    c = np.linspace(0, w, n + 1).round().astype(int)
    return np.array(
        [[values[r[i] : r[i + 1], c[j] : c[j + 1]].mean() for j in range(n)] for i in range(n)]
    )


def cell_name(row: int, col: int) -> str:
    """Name of cell ``(row, col)`` of the 3x3 grid, e.g. ``(0, 2)`` -> "top-right"."""
    return GRID_NAMES[row][col]


def join_words(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
