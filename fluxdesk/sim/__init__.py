"""The BFL-compatible simulator: for the offline demo, the tests and the benchmarks."""

from __future__ import annotations

from typing import Any

from fluxdesk.sim.config import SimConfig, SimCounters

__all__ = ["SimConfig", "SimCounters", "Simulator"]


def __getattr__(name: str) -> Any:
    # The server (http.server, Pillow) loads only when a simulator is wanted, not with `fluxdesk --help`.
    if name == "Simulator":
        from fluxdesk.sim.server import Simulator

        return Simulator
    raise AttributeError(f"module 'fluxdesk.sim' has no attribute {name!r}")
