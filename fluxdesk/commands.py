"""The subcommands that live beside their layer: each registers its own parser and runs lazily."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Registrar = Callable[[Any], None]


def _register_sim(sub: Any) -> None:
    from fluxdesk.sim import command

    p: argparse.ArgumentParser = sub.add_parser(
        "sim", help="run the BFL-compatible simulator on loopback (the offline demo's server)")
    command.add_arguments(p)
    p.set_defaults(func=command.run)


REGISTRARS: list[Registrar] = []  # sim registered once fluxdesk.sim.command lands
