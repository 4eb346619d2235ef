"""Composition root: builds the services and starts the window."""

from __future__ import annotations

import argparse
import sys


def main(args: argparse.Namespace) -> int:
    print("The FluxDesk window is not built yet. The command line works today:\n"
          "  fluxdesk estimate --model flux-2-pro --width 1024 --height 1024\n"
          "  fluxdesk breakeven --api-price 0.04 --gpu-hourly 0.69 --images-per-hour 250\n"
          "Run `fluxdesk --help` for every command.", file=sys.stderr)
    return 1
