"""The command line: ``fluxdesk`` (the app) and its subcommands, the same engine without the window.

Each subcommand lives in its own module with a ``register(subparsers)``; heavy imports happen in the
command itself, so ``fluxdesk estimate`` starts fast. Opening the app (no subcommand) loads none of them, and
``fluxdesk`` with no arguments at all builds no parser (argparse, and the shutil its help text needs, are ~6 ms
of the window's start-up, which ``make bench`` measures).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

SUBCOMMAND_MODULES = ("estimate", "breakeven", "jobs", "info", "spend", "projects", "sim", "key", "studio")
SUBCOMMAND_NAMES = frozenset({"estimate", "breakeven", "generate", "reproduce", "resume", "info", "spend", "projects",
                              "sim", "key", "studio"})


def build_parser(*, with_subcommands: bool = True) -> argparse.ArgumentParser:
    import argparse

    class VersionAction(argparse.Action):
        """``--version``, reading the package metadata only when asked."""

        def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
            super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

        def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
            from fluxdesk import __version__

            print(f"fluxdesk {__version__}")
            parser.exit()

    parser = argparse.ArgumentParser(
        prog="fluxdesk",
        description="Generate images with the Black Forest Labs API: see the cost first, keep everything.")
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument("--demo", action="store_true", help="open the app on the built-in simulator")
    parser.add_argument("--smoke-test", action="store_true",
                        help="start the app on the simulator in a temporary home, generate one image, exit 0")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="generate a few demo images, save a PNG of every tab and dialog in DIR, exit")
    if with_subcommands:
        import importlib

        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in SUBCOMMAND_MODULES:
            importlib.import_module(f"fluxdesk.cli.{name}").register(sub)
    return parser


def run_app(args: argparse.Namespace | None) -> int:
    """The window; ``None``: started with no arguments."""
    from fluxdesk.app import main as app_main

    return app_main(args)


def _wants_subcommand(argv: Sequence[str]) -> bool:
    return any(arg in SUBCOMMAND_NAMES or arg in ("-h", "--help") for arg in argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return run_app(None)
    parser = build_parser(with_subcommands=_wants_subcommand(argv))
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        return run_app(args)
    from fluxdesk.cli.common import EXIT_USAGE, UsageError
    from fluxdesk.core.catalog import UnknownModelError
    from fluxdesk.core.pricing import PriceTableError

    try:
        run: Callable[[argparse.Namespace], int] = args.func  # set by the subcommand's register()
        return run(args)
    except (UsageError, UnknownModelError, PriceTableError) as exc:
        print(f"fluxdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
