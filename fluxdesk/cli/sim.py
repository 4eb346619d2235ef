"""`fluxdesk sim`: the BFL-compatible simulator on loopback, in the foreground."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    from fluxdesk.sim import command

    p = sub.add_parser("sim", help="run the BFL-compatible simulator on loopback (the offline demo's server)")
    command.add_arguments(p)
    p.set_defaults(func=command.run)
