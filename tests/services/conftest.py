"""A session on the module's simulator (its ``sim`` fixture, with the simulator's own key), always closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fluxdesk.services.session import Session, SessionOptions
from fluxdesk.sim import Simulator


@pytest.fixture
def session(tmp_path: Path, sim: Simulator) -> Iterator[Session]:
    session = Session(tmp_path / "home", SessionOptions(api_base=sim.api_base, key=sim.config.key))
    try:
        yield session
    finally:
        session.close()
