"""The offline demo: the bundled simulator on loopback with the demo library, for the app and the CLI.

The simulator forgets its balance when it stops, while the demo library keeps every demo job's charge:
the balance it starts with is the demo's starting credits minus what the demo ledger already spent, so
leaving and re-entering the demo (or a ``--demo`` command line) shows the same figures.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from fluxdesk.storage.paths import demo_home

if TYPE_CHECKING:
    from fluxdesk.services.session import Session
    from fluxdesk.sim.server import Simulator
    from fluxdesk.storage.library import Library

DEMO_KEY = "bfl_demo-key-for-the-simulator"
DEMO_CREDITS = Decimal(5000)
"""What a fresh demo starts with."""
DEMO_LATENCY = 2.5
"""Seconds a demo image takes: long enough to see progress, short enough to stay fun."""


def demo_spent(library: Library) -> Decimal:
    """Credits the demo has charged so far, all time (the demo library holds only demo jobs)."""
    return sum((row.credits or Decimal(0) for row in library.ledger_rows(include_demo=True) if row.billed),
               Decimal(0))


def demo_credits_left(library: Library) -> Decimal:
    return max(Decimal(0), DEMO_CREDITS - demo_spent(library))


def open_demo_session(home: Path, *, latency: float, sweep_temp_files: bool = True) -> tuple[Session, Simulator]:
    """Start the simulator and open the demo library under ``home`` on it; the caller closes both."""
    # Imported here: the window reads DEMO_LATENCY at start-up, without the engine's imports.
    from fluxdesk.services.session import Session, SessionOptions
    from fluxdesk.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(latency=latency, credits=DEMO_CREDITS)).start()
    try:
        options = SessionOptions(api_base=sim.api_base, key=DEMO_KEY, demo=True, sweep_temp_files=sweep_temp_files)
        session = Session(demo_home(home), options)
    except BaseException:
        sim.stop()
        raise
    try:
        sim.set_credits(demo_credits_left(session.library))
    except BaseException:
        session.close()
        sim.stop()
        raise
    return session, sim
