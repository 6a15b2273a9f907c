"""Entry point of the ``mtif`` command.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module sets
``func`` on its parser. User errors become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings

from mtif import __version__

# Sub-command modules, in the order ``mtif --help`` lists them.
COMMANDS = (
    "mtif.cli.demo",
    "mtif.cli.fuse",
    "mtif.cli.metrics",
    "mtif.cli.evaluate",
    "mtif.cli.compare",
    "mtif.cli.figure",
    "mtif.cli.synth",
    "mtif.cli.train",
    "mtif.cli.enrich",
    "mtif.cli.describe",
    "mtif.cli.encode",
    "mtif.cli.analyze_text",
)

USER_ERRORS = (ValueError, TypeError, OSError, KeyError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtif",
        description="Multi-grained text-guided image fusion: fuse exposure brackets, focus "
        "stacks and infrared + visible pairs, and score fused images with the metrics of the "
        "published tables.",
    )
    parser.add_argument("--version", action="version", version=f"mtif {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def _warning_line(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    print(f"mtif: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    if args.command is None:
        parser.print_help()
        return 2
    warnings.showwarning = _warning_line
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("mtif: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        if args.verbose:
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"mtif: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
