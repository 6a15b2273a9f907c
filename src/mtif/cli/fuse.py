"""``mtif fuse``: fuse an exposure bracket, a focus stack or an infrared + visible pair.

One series: ``mtif fuse A B [C ...] -o OUT.png``. A folder of series (``A/ B/ ...`` or
``UNDER/ OVER/``-style sub-folders, see ``mtif.data.pairs``): ``mtif fuse --input-dir DIR
--out OUTDIR``, which skips and reports bad series and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from mtif.io import IMAGE_EXTENSIONS

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
    p.set_defaults(func=run)


def _check_target(path: Path, overwrite: bool) -> None:
    """Fail before the work, not after it, on an output that cannot be written."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ValueError(f"{path}: output must end in one of {', '.join(IMAGE_EXTENSIONS)}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass --overwrite to replace it")


def _options(args: argparse.Namespace) -> dict:
    """``fuse_images`` keyword options from the command line."""
    if args.checkpoint is not None and args.method not in (None, "network"):
        raise ValueError(f"--checkpoint is for the network; it cannot go with {args.method!r}")
    return {
        "method": args.method,
        "checkpoint": args.checkpoint,
        "align": args.align,
        "resize": args.resize,
        "tile_size": args.tile_size,
        "overlap": args.overlap,
        "max_megapixels": args.max_megapixels,
    }


def _fuse_one(inputs: list[Path], output: Path, task: str, args, opts: dict) -> str:
    from mtif.fusion import fuse_images
    from mtif.io import write_image

    result = fuse_images(inputs, task, **opts)
    write_image(output, result.image, bit_depth=args.bit_depth, overwrite=args.overwrite)
    found = " (detected)" if result.detected else ""
    return f"{output}: {len(inputs)} images, task {result.task}{found}, method {result.method}"


def _run_folder(args: argparse.Namespace, opts: dict) -> int:
    from mtif.data.pairs import find_samples

    found = find_samples(args.input_dir)
    for problem in found.unpaired:
        print(f"mtif: warning: {problem}", file=sys.stderr)
    task = found.task if args.task == "auto" and found.task else args.task
    failed, skipped, done = [], 0, 0
    bar = tqdm(found.samples, desc="fuse", unit="series", disable=args.no_progress)
    for sample in bar:
        target = args.out / f"{sample.name}.png"
        if target.exists() and not args.overwrite:
            skipped += 1
            continue
        try:
            _fuse_one(list(sample.inputs), target, task, args, opts)
            done += 1
        except _BAD_SAMPLE as exc:
            failed.append(sample.name)
            tqdm.write(f"mtif: error: {sample.name}: {exc}", file=sys.stderr)
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
        return _run_folder(args, _options(args))
    if len(args.inputs) < 2 or args.output is None:
        raise ValueError(
            f"expected two or more input images and -o OUT.png (got {len(args.inputs)} inputs"
            f"{'' if args.output else ', no -o'}), or --input-dir DIR --out OUTDIR"
        )
    _check_target(args.output, args.overwrite)
    print(_fuse_one(list(args.inputs), args.output, args.task, args, _options(args)))
    return 0
