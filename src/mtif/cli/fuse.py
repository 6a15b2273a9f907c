"""``mtif fuse``: fuse an exposure bracket, a focus stack or an infrared + visible pair.

One series: ``mtif fuse A B [C ...] -o OUT.png``. A folder of series (``A/ B/ ...`` or
``UNDER/ OVER/``-style sub-folders, see ``mtif.data.pairs``): ``mtif fuse --input-dir DIR
--out OUTDIR``, which skips and reports bad series and exits 1 if any failed.

Text (text-guided networks): ``--describer`` writes the three descriptions, ``--detail``,
``--structure``, ``--semantic`` and ``--descriptions FILE.json`` replace any of them with the
user's words, the same words for every series of a folder (``mtif.fusion.text``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from mtif.cli.describe import add_describer_args, describer_options
from mtif.io import IMAGE_EXTENSIONS, atomic_write_bytes
from mtif.text.descriptions import DESCRIBERS, LEVELS

if TYPE_CHECKING:  # the fusion stack loads only when a command runs
    from mtif.fusion import FuseResult
    from mtif.text.descriptions import Describer

_BAD_SAMPLE = (ValueError, TypeError, OSError)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fuse",
        help="fuse an exposure bracket, focus stack or infrared + visible pair",
        description="Fuse two or more aligned images of one scene into one. Colour is kept "
        "(luma fused, chroma blended); any size works (the network runs by tiles); series of "
        "more than two are fused as a balanced tree of pairs by the network, or all at once by "
        "classical methods. Without --checkpoint or --method, the network is used if a "
        "checkpoint ships for the task, else the best classical method (mef: mertens, mff and "
        "ivf: laplacian); the method used is printed.",
    )
    p.add_argument("inputs", type=Path, nargs="*", help="input images, in series order")
    p.add_argument("-o", "--output", type=Path, help="output image (.png, .tif, .jpg)")
    p.add_argument("--input-dir", type=Path, help="folder of series (A/, B/, ... sub-folders)")
    p.add_argument("--out", type=Path, help="output folder for --input-dir (<name>.png each)")
    p.add_argument(
        "--task",
        choices=("auto", "mef", "mff", "ivf"),
        default="auto",
        help="exposure (mef), focus (mff) or infrared + visible (ivf); auto tells them apart "
        "from the images (or from UNDER/OVER, NEAR/FAR, IR/VI folder names)",
    )
    p.add_argument("--method", help="classical method name (see mtif.methods) or 'network'")
    p.add_argument("--checkpoint", type=Path, help="network checkpoint (.safetensors + .json)")
    p.add_argument("--align", action="store_true", help="align hand-held series first")
    p.add_argument("--resize", action="store_true", help="scale inputs to the first's size")
    p.add_argument(
        "--tile-size", type=int, default=1024, help="network tile side; 0 disables tiling"
    )
    p.add_argument("--overlap", type=int, default=96, help="network tile overlap in pixels")
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=40.0,
        help="refuse untiled fusion above this size (0: no limit)",
    )
    p.add_argument("--bit-depth", type=int, choices=(8, 16), default=8)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _register_text(p)
    p.set_defaults(func=run)


_LEVEL_HELP = {
    "detail": "fine details: exposure, focus, texture",
    "structure": "structural cues: layout, edges, bright and dark regions",
    "semantic": "semantic content: what the scene shows",
}


def _register_text(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "text",
        "Text-guided networks (the shipped ones) are guided by three descriptions of each pair "
        "they fuse, written by --describer; your words replace any of them (for every pair of "
        "a series and every series of --input-dir). Classical methods ignore text.",
    )
    add_describer_args(
        g,
        choices=(*DESCRIBERS, "none"),  # mtif.fusion.text.FUSE_DESCRIBERS, without its imports
        default=None,
        describer_help="who writes the levels you do not give: offline (default; measures the "
        "images, no network), vlm (an OpenAI-compatible vision-language endpoint), files "
        "(descriptions shipped with the data, found by the first input's name), none (no text "
        "for them)",
        text_dir_help="files: folder of descriptions: <stem>.json, detail/ structure/ "
        "semantic/<stem>.txt, or one folder of <stem>.txt per input (default: DIR/text with "
        "--input-dir, else text/ beside the first input's folder)",
    )
    for level, what in _LEVEL_HELP.items():
        g.add_argument(
            f"--{level}",
            metavar="TEXT",
            help=f"your {level} description ({what}), used instead of the describer's; "
            '"" for no text at this level',
        )
    g.add_argument(
        "--descriptions",
        type=Path,
        metavar="FILE.json",
        help="a JSON object with any of the keys detail, structure, semantic (a file written "
        "by --save-descriptions works too); --detail/--structure/--semantic win over it",
    )
    g.add_argument(
        "--show-descriptions",
        action="store_true",
        help="print the three descriptions used (the top pair's, for series of 3+)",
    )
    g.add_argument(
        "--save-descriptions",
        type=Path,
        metavar="FILE.json",
        help="write the descriptions used and the describer as JSON ({name: ...} for --input-dir)",
    )


def _check_target(path: Path, overwrite: bool) -> None:
    """Fail before the work, not after it, on an output that cannot be written."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(f"{path}: output must end in one of {', '.join(IMAGE_EXTENSIONS)}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass --overwrite to replace it")


def _check_save_target(path: Path | None, overwrite: bool) -> None:
    if path is None:
        return
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass --overwrite to replace it")


def _words(args: argparse.Namespace) -> dict[str, str]:
    """The user's levels: the --descriptions file, then --detail/--structure/--semantic."""
    from mtif.fusion.text import read_descriptions_file, user_levels

    words = read_descriptions_file(args.descriptions) if args.descriptions else {}
    words.update({lv: getattr(args, lv) for lv in LEVELS if getattr(args, lv) is not None})
    return user_levels(words, "--detail/--structure/--semantic")


def _describer(args: argparse.Namespace, default_text_dir: Path | None) -> str | Describer | None:
    """What ``fuse_images`` gets as ``describer``: None (the default), "none", or one describer
    built once for every series (a VLM's request slots, a text folder's layout)."""
    from mtif.fusion.text import make_describer

    options = describer_options(args, default_text_dir)
    if args.describer in (None, "none"):
        return args.describer
    return make_describer(args.describer, options)


def _options(args: argparse.Namespace, default_text_dir: Path | None) -> dict:
    """``fuse_images`` keyword options from the command line."""
    if args.checkpoint is not None and args.method not in (None, "network"):
        raise ValueError(f"--checkpoint is for the network; it cannot go with {args.method!r}")
    words = _words(args)
    return {
        "method": args.method,
        "checkpoint": args.checkpoint,
        "descriptions": words or None,
        "describer": _describer(args, default_text_dir),
        "align": args.align,
        "resize": args.resize,
        "tile_size": args.tile_size,
        "overlap": args.overlap,
        "max_megapixels": args.max_megapixels,
    }


def _text_origin(result: FuseResult) -> str:
    """Where the text came from, e.g. "offline, semantic from you"."""
    from mtif.text.regions import join_words

    assert result.descriptions is not None
    given = [lv for lv in LEVELS if lv in result.from_user and result.descriptions[lv]]
    blank = [lv for lv in LEVELS if lv in result.from_user and not result.descriptions[lv]]
    # When the user gave every level, the describer wrote nothing.
    parts = [] if len(result.from_user) == len(LEVELS) else [result.describer]
    if given:
        parts.append(f"{join_words(given)} from you")
    if blank:
        parts.append(f"{join_words(blank)} empty (yours)")
    return ", ".join(parts)


def _shown(descriptions: dict[str, str]) -> str:
    return "\n".join(f"  {lv}: {descriptions[lv] or '(no text)'}" for lv in LEVELS)


def _record(result: FuseResult) -> dict | None:
    """What --save-descriptions writes for one series; None without text."""
    if result.descriptions is None:
        return None
    return {**result.descriptions, "describer": result.describer}


def _fuse_one(
    inputs: list[Path], output: Path, task: str, args: argparse.Namespace, opts: dict
) -> tuple[str, FuseResult]:
    """Fuse and write one series; returns the output line and the ``FuseResult``."""
    from mtif.fusion import fuse_images
    from mtif.io import write_image

    result = fuse_images(inputs, task, **opts)
    write_image(output, result.image, bit_depth=args.bit_depth, overwrite=args.overwrite)
    found = " (detected)" if result.detected else ""
    line = f"{output}: {len(inputs)} images, task {result.task}{found}, method {result.method}"
    if result.descriptions is not None:
        line += f", text: {_text_origin(result)}"
        if args.show_descriptions:
            line += "\n" + _shown(result.descriptions)
    return line, result


def _save_descriptions(path: Path | None, data: dict | None) -> None:
    if path is None:
        return
    if not data:
        print(f"mtif: warning: no text guided this fusion; {path} not written", file=sys.stderr)
        return
    payload = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, payload.encode("utf-8"))


def _run_folder(args: argparse.Namespace, opts: dict) -> int:
    from mtif.data.pairs import find_samples

    found = find_samples(args.input_dir)
    for problem in found.unpaired:
        print(f"mtif: warning: {problem}", file=sys.stderr)
    task = found.task if args.task == "auto" and found.task else args.task
    failed, skipped, done = [], 0, 0
    saved: dict[str, dict] = {}
    bar = tqdm(found.samples, desc="fuse", unit="series", disable=args.no_progress)
    for sample in bar:
        target = args.out / f"{sample.name}.png"
        if target.exists() and not args.overwrite:
            skipped += 1
            continue
        try:
            line, result = _fuse_one(list(sample.inputs), target, task, args, opts)
            done += 1
        except _BAD_SAMPLE as exc:
            failed.append(sample.name)
            tqdm.write(f"mtif: error: {sample.name}: {exc}", file=sys.stderr)
            continue
        if args.show_descriptions:
            tqdm.write(line)
        if (record := _record(result)) is not None:
            saved[sample.name] = record
    _save_descriptions(args.save_descriptions, saved if done else None)
    print(
        f"{done} fused, {skipped} already there (--overwrite to redo), {len(failed)} failed"
        + (f": {', '.join(failed)}" if failed else "")
        + f"; in {args.out}"
    )
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    if args.input_dir is not None:
        if args.inputs or args.output:
            raise ValueError("give either input files with -o, or --input-dir with --out")
        if args.out is None:
            raise ValueError("--input-dir needs --out OUTDIR for the fused images")
        _check_save_target(args.save_descriptions, args.overwrite)
        return _run_folder(args, _options(args, args.input_dir / "text"))
    if len(args.inputs) < 2 or args.output is None:
        raise ValueError(
            f"expected two or more input images and -o OUT.png (got {len(args.inputs)} inputs"
            f"{'' if args.output else ', no -o'}), or --input-dir DIR --out OUTDIR"
        )
    _check_target(args.output, args.overwrite)
    _check_save_target(args.save_descriptions, args.overwrite)
    opts = _options(args, args.inputs[0].parent.parent / "text")
    line, result = _fuse_one(list(args.inputs), args.output, args.task, args, opts)
    print(line)
    _save_descriptions(args.save_descriptions, _record(result))
    return 0
