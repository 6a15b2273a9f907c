"""Find the aligned input series (and optional ground truth) in a data set folder.

A data set folder holds one sub-folder per input, with the same file name (stem) for the
images of one scene. Folder names are matched case-insensitively; extensions are compared
case-insensitively and may differ between folders (MEFB mixes ``.JPG``/``.jpg``):

- ``A/ B/`` (+ ``C/ D/ ...`` for longer series): the layout of ``../shared/data``;
  A = under-exposed / near-focus / infrared, B = over-exposed / far-focus / visible.
- ``UNDER/ OVER/`` (MEF), ``NEAR/ FAR/`` (MFF), ``IR/ VI/`` or ``IR/ VIS/`` (IVF): FILM-style.

Any layout may add ``GT/`` with ground-truth images. Other sub-folders (``text/``, ``triple/``)
and non-image files (``.txt``, ``.DS_Store``, ``._x.jpg`` resource forks) are ignored.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtif.io import IMAGE_EXTENSIONS

# Named two-input layouts, in input order, with the task they imply.
NAMED_LAYOUTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("under", "over"), "mef"),
    (("near", "far"), "mff"),
    (("ir", "vi"), "ivf"),
    (("ir", "vis"), "ivf"),
)
GT_FOLDER = "gt"
LAYOUT_HELP = (
    "expected sub-folders A/ and B/ (optionally C/, D/, ... for longer series), or UNDER/ OVER/, "
    "NEAR/ FAR/, IR/ VI/ (or IR/ VIS/), each holding images with matching file names, plus an "
    "optional GT/ with ground truth"
)


@dataclass(frozen=True)
class Sample:
    """One scene: its input files in layout order (A, B, C, ...) and its ground truth, if any."""

    name: str
    inputs: tuple[Path, ...]
    gt: Path | None = None


@dataclass
class SampleSet:
    """The complete samples of a folder, and a message for every file that could not be used.

    ``unpaired`` holds one line per problem, e.g. ``"B/foo.jpg: no matching file in A"`` or
    ``"A/foo: 2 files share this name (foo.jpg, foo.png); skipped"``.
    ``folders`` are the input folder names as found on disk, in input order; ``task`` is the
    hint from the folder names (see ``infer_task``).
    """

    samples: list[Sample]
    unpaired: list[str] = field(default_factory=list)
    folders: tuple[str, ...] = ()
    task: str | None = None


def natural_key(text: str) -> list[int | str]:
    """Sort key putting ``img2`` before ``img10`` (digit runs compare as numbers)."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _subfolders(root: Path) -> dict[str, Path]:
    """Lower-cased name -> folder. Two folders differing only in case are ambiguous."""
    found: dict[str, Path] = {}
    for child in sorted(root.iterdir()):
        if not child.is_dir():
            continue
        key = child.name.lower()
        if key in found:
            raise ValueError(
                f"{root}: folders {found[key].name}/ and {child.name}/ differ only in case"
            )
        found[key] = child
    return found


def _layout(names: Sequence[str]) -> tuple[tuple[str, ...], str | None] | None:
    """Input folder keys (lower case, in order) and task of the layout among ``names``."""
    keys = {n.lower() for n in names}
    matches: list[tuple[tuple[str, ...], str | None]] = []
    if {"a", "b"} <= keys:
        series = []
        for letter in string.ascii_lowercase:
            if letter not in keys:
                break
            series.append(letter)
        matches.append((tuple(series), None))
    for folders, task in NAMED_LAYOUTS:
        # IR/VI and IR/VIS both present would be ambiguous; it is caught below as two matches.
        if set(folders) <= keys:
            matches.append((folders, task))
    if len(matches) > 1:
        found = " and ".join("/".join(f.upper() for f in m[0]) for m in matches)
        raise ValueError(f"ambiguous layout: found both {found}; keep one set of input folders")
    return matches[0] if matches else None


def infer_task(root_layout: str | Path | Sequence[str]) -> str | None:
    """Task hinted by the folder names: "mef" (UNDER/OVER), "mff" (NEAR/FAR), "ivf" (IR/VI[S]).

    ``root_layout`` is a data set folder or the names of its sub-folders. A/B layouts (and
    folders with no layout) say nothing about the task: None.
    """
    if isinstance(root_layout, (str, Path)):
        root = Path(root_layout)
        names: Sequence[str] = list(_subfolders(root)) if root.is_dir() else []
    else:
        names = root_layout
    found = _layout(names)
    return found[1] if found else None


def _images_by_stem(folder: Path, problems: list[str]) -> dict[str, Path]:
    """Stem -> image file in ``folder``; stems held by several files are reported and dropped."""
    by_stem: dict[str, list[Path]] = {}
    for f in folder.iterdir():
        # Dot files include macOS "._name.jpg" resource forks, which carry an image extension.
        if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in IMAGE_EXTENSIONS:
            by_stem.setdefault(f.stem, []).append(f)
    single: dict[str, Path] = {}
    for stem, files in by_stem.items():
        if len(files) == 1:
            single[stem] = files[0]
        else:
            names = ", ".join(sorted(f.name for f in files))
            problems.append(
                f"{folder.name}/{stem}: {len(files)} files share this name ({names}); skipped"
            )
    return single


def _layout_hint(root: Path, subfolders: dict[str, Path]) -> str:
    """Point at sub-folders that do have a layout (e.g. ``RealMFF_subset/test``)."""
    inner = [
        sub.name
        for sub in subfolders.values()
        if _layout([s.name for s in sub.iterdir() if s.is_dir()])
    ]
    return f"; try {', '.join(str(root / n) for n in sorted(inner))}" if inner else ""


def find_samples(root: str | Path) -> SampleSet:
    """All complete input series under ``root``, in natural order of their names.

    A scene is complete when every input folder holds an image with its stem; incomplete
    scenes are reported in ``SampleSet.unpaired`` and left out. A ground-truth folder is
    optional per scene (a missing one is reported but the scene is kept with ``gt=None``).
    Raises FileNotFoundError if ``root`` is not a folder, and ValueError if it has no
    recognised layout or no images.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such data folder ({LAYOUT_HELP})")
    subfolders = _subfolders(root)
    found = _layout(list(subfolders))
    if found is None:
        seen = ", ".join(f"{s.name}/" for s in subfolders.values()) or "no sub-folders"
        hint = _layout_hint(root, subfolders)
        raise ValueError(f"{root}: {LAYOUT_HELP}; found {seen}{hint}")
    keys, task = found
    folders = [subfolders[k] for k in keys]
    problems: list[str] = []
    files = [_images_by_stem(f, problems) for f in folders]
    gt_dir = subfolders.get(GT_FOLDER)
    gt_files = _images_by_stem(gt_dir, problems) if gt_dir else {}

    samples: list[Sample] = []
    all_stems = set().union(*files)
    for stem in sorted(all_stems, key=natural_key):
        missing = [f.name for f, by in zip(folders, files, strict=True) if stem not in by]
        if missing:
            for by in files:
                if stem in by:
                    where = f"{by[stem].parent.name}/{by[stem].name}"
                    problems.append(f"{where}: no matching file in {', '.join(missing)}")
            continue
        gt = gt_files.get(stem)
        if gt_dir is not None and gt is None:
            problems.append(f"{stem}: no ground truth in {gt_dir.name}/; scored without it")
        samples.append(Sample(stem, tuple(by[stem] for by in files), gt))
    for stem in sorted(set(gt_files) - all_stems, key=natural_key):
        problems.append(f"{gt_dir.name}/{gt_files[stem].name}: no matching inputs")  # type: ignore[union-attr]

    if not samples:
        detail = f" ({len(problems)} unpaired files, e.g. {problems[0]})" if problems else ""
        raise ValueError(f"{root}: no complete image series found{detail}; {LAYOUT_HELP}")
    return SampleSet(samples, problems, tuple(f.name for f in folders), task)


def select_samples(sample_set: SampleSet, names: Sequence[str]) -> SampleSet:
    """The samples of ``sample_set`` called ``names`` (e.g. one part of a split), in the set's
    own order; ``unpaired``, ``folders`` and ``task`` are kept.

    Raises ValueError when some of ``names`` are not complete samples of the set (a split made
    for another folder, or files missing), naming a few of them.
    """
    wanted = set(names)
    have = {s.name for s in sample_set.samples}
    missing = sorted(wanted - have, key=natural_key)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ValueError(
            f"{len(missing)} of the {len(wanted)} selected samples are not in the data folder: "
            f"{', '.join(missing[:5])}{more}; is it the folder the split was made for?"
        )
    kept = [s for s in sample_set.samples if s.name in wanted]
    return SampleSet(kept, list(sample_set.unpaired), sample_set.folders, sample_set.task)
