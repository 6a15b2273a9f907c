"""``mtif describe DIR``: write the three descriptions of every pair in a data folder."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from mtif.data.pairs import Sample, find_samples
from mtif.text.cache import CACHE_DIRNAME, CACHE_ENV, TextCache, default_cache_dir
from mtif.text.descriptions import DESCRIBERS, Describer, get_describer


def add_text_args(p: argparse.ArgumentParser) -> None:
    """Arguments shared by ``describe`` and ``encode``: the data folder, describer and cache."""
    p.add_argument(
        "dir", type=Path, metavar="DIR", help="data folder with A/ B/ (or UNDER/ OVER/, NEAR/ FAR/)"
    )
    add_describer_args(p)
    p.add_argument(
        "--cache",
        type=Path,
        metavar="CACHE_DIR",
        help=f"cache folder (default: ${CACHE_ENV}, else DIR/{CACHE_DIRNAME})",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


_DESCRIBER_HELP = (
    "offline: from measurements of the images, no network (default); vlm: an "
    "OpenAI-compatible vision-language endpoint; files: descriptions shipped with the data"
)
_TEXT_DIR_HELP = (
    "files: folder of descriptions (default: DIR/text): <stem>.json, "
    "detail/ structure/ semantic/<stem>.txt, or one folder of <stem>.txt per input"
)


def add_describer_args(
    p: argparse.ArgumentParser,
    *,
    choices: tuple[str, ...] = DESCRIBERS,
    default: str | None = "offline",
    describer_help: str = _DESCRIBER_HELP,
    text_dir_help: str = _TEXT_DIR_HELP,
) -> None:
    """``--describer``, the vlm options and ``--text-dir`` (``describe``, ``encode``, ``fuse``)."""
    p.add_argument("--describer", choices=choices, default=default, help=describer_help)
    p.add_argument(
        "--base-url",
        help="vlm: endpoint root, e.g. http://localhost:11434/v1 "
        "(default: $MTIF_VLM_BASE_URL, else https://api.openai.com/v1)",
    )
    p.add_argument("--model", help="vlm: model name (default: $MTIF_VLM_MODEL, else gpt-4o)")
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="vlm: environment variable holding the API key (default: OPENAI_API_KEY; unset "
        "sends no key, for local servers). Keys are never accepted on the command line.",
    )
    p.add_argument(
        "--concurrency", type=int, default=4, help="vlm: requests in flight at once (default: 4)"
    )
    p.add_argument("--text-dir", type=Path, help=text_dir_help)


def describer_options(args: argparse.Namespace, default_text_dir: Path | None) -> dict:
    """Constructor options of the chosen describer (``get_describer``) from the vlm / files
    arguments; vlm-only arguments with another describer are an error, not silently dropped."""
    if args.describer == "vlm":
        return {
            "base_url": args.base_url,
            "model": args.model,
            "api_key_env": args.api_key_env,
            "concurrency": args.concurrency,
        }
    if args.base_url or args.model:
        raise ValueError("--base-url and --model apply to --describer vlm only")
    if args.describer == "files":
        text_dir = args.text_dir or default_text_dir
        if text_dir is None:
            raise ValueError("--describer files needs --text-dir FOLDER of descriptions")
        return {"text_dir": text_dir}
    return {}


def describer_from_args(args: argparse.Namespace) -> Describer:
    return get_describer(args.describer, **describer_options(args, args.dir / "text"))


def samples_and_cache(args: argparse.Namespace) -> tuple[list[Sample], TextCache]:
    """The complete pairs under DIR (problems become warnings) and the cache to use."""
    found = find_samples(args.dir)
    for problem in found.unpaired:
        warnings.warn(problem, stacklevel=2)
    if not found.samples:
        raise ValueError(f"{args.dir}: no complete pairs to work on")
    return found.samples, TextCache(args.cache or default_cache_dir(args.dir))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="write detail / structure / semantic descriptions of every pair",
        description="Write the three descriptions (fine details, structural cues, semantic "
        "content) of every pair in DIR and keep them in the cache, keyed by the files' "
        "contents and the describer. A second run reuses them; an interrupted run resumes.",
    )
    add_text_args(p)
    p.add_argument(
        "--json", action="store_true", help="print the descriptions as one JSON object by pair"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mtif.text.pipeline import describe_samples

    describer = describer_from_args(args)
    samples, cache = samples_and_cache(args)
    found, counts = describe_samples(samples, describer, cache, progress=not args.no_progress)
    if args.json:
        print(json.dumps({k: v.as_dict() for k, v in found.items()}, indent=2, ensure_ascii=False))
    else:
        where = cache.root if describer.cacheable else describer.identity
        print(
            f"described {len(found)} pairs ({counts.new} new, {counts.reused} from the cache) "
            f"with {describer.identity} -> {where}"
        )
    return 0
