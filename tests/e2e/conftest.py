"""Simulators that are always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fluxdesk.sim import SimConfig, Simulator


@pytest.fixture
def make_sim() -> Iterator[Any]:
    started: list[Simulator] = []

    def make(**config: Any) -> Simulator:
        config.setdefault("latency", 0.3)
        config.setdefault("max_output_pixels", 1024 * 1024)  # Ultra's ~4 MP drawings are slow to encode
        sim = Simulator(SimConfig(**config)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
