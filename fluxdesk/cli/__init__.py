"""The command line: ``fluxdesk`` (the app) and its subcommands, the same engine without the window.

Each subcommand lives in its own module with a ``register(subparsers)``; heavy imports happen in the
command itself, so ``fluxdesk estimate`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fluxdesk import __version__
from fluxdesk.cli import breakeven, estimate, info, jobs, key, sim, spend
from fluxdesk.cli.common import EXIT_USAGE, UsageError
from fluxdesk.core.catalog import UnknownModelError
from fluxdesk.core.pricing import PriceTableError

SUBCOMMANDS = (estimate, breakeven, jobs, info, spend, sim, key)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fluxdesk",
        description="Generate images with the Black Forest Labs API: see the cost first, keep everything.")
    parser.add_argument("--version", action="version", version=f"fluxdesk {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the app on the built-in simulator")
    parser.add_argument("--smoke-test", action="store_true",
                        help="start the app on the simulator in a temporary home, generate one image, exit 0")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="generate a few demo images, save a PNG of every tab and dialog in DIR, exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def run_app(args: argparse.Namespace) -> int:
    from fluxdesk.app import main as app_main

    return app_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        return run_app(args)
    try:
        return args.func(args)
    except (UsageError, UnknownModelError, PriceTableError) as exc:
        print(f"fluxdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
