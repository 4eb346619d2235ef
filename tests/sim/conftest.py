"""Simulators that are always stopped, and a plain httpx client speaking BFL's protocol to them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from simclient import Bfl

from fluxdesk.sim import SimConfig, Simulator

FAST_LATENCY = 0.05


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy from the environment must never see loopback traffic
    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client


@pytest.fixture
def make_sim() -> Iterator[Any]:
    """``make_sim(**config)`` starts a simulator (fast latency unless given); all are stopped after."""
    started: list[Simulator] = []

    def make(**config: Any) -> Simulator:
        config.setdefault("latency", FAST_LATENCY)
        sim = Simulator(SimConfig(**config)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
    for sim in started:
        assert sim.counters.handler_errors == 0, "a request handler raised"


@pytest.fixture
def sim(make_sim: Any) -> Simulator:
    return make_sim()


@pytest.fixture
def bfl(sim: Simulator, http: httpx.Client) -> Bfl:
    return Bfl(sim, http)


@pytest.fixture
def make_bfl(make_sim: Any, http: httpx.Client) -> Any:
    """``make_bfl(**config)``: a client for a new simulator with that config."""
    return lambda **config: Bfl(make_sim(**config), http)
