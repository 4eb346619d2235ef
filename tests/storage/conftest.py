"""Fixtures for the storage tests: real files in tmp_path, real images (the keyring's is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from fluxdesk.core.metadata import ImageRecord
from fluxdesk.storage.library import Library


@pytest.fixture
def record() -> ImageRecord:
    return ImageRecord(
        model="flux-dev", prompt="a red fox in the snow, été, 雪", prompt_used="A red fox standing in snow",
        seed=123, width=64, height=48, steps=28, guidance=3.0,
        parameters={"seed": 123, "steps": 28, "guidance": 3.0, "safety_tolerance": 2},
        cost_credits=Decimal("2.5"), job_id="job-1", task_id="task-1",
        created_at="2026-05-09T07:35:25.123456Z", start_time=1.5, end_time=4.0, duration=2.5,
        output_format="jpeg")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    lib = Library.open(home)
    try:
        yield lib
    finally:
        lib.close()
