"""The BFL-compatible simulator: for the offline demo, the tests and the benchmarks."""

from fluxdesk.sim.config import SimConfig, SimCounters
from fluxdesk.sim.server import Simulator

__all__ = ["SimConfig", "SimCounters", "Simulator"]
