"""Fixtures for the BFL client tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from api_support import FAST_RETRY, KEY, FakeTime, Recorder

from fluxdesk.api import BflClient, RetryPolicy


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mock_client(fake_time: FakeTime) -> Callable[..., tuple[BflClient, Recorder]]:
    """``mock_client(handler, api_base=...)`` → a client on a recording mock transport and fake time."""

    def make(handler: Callable[[httpx.Request], httpx.Response], *, api_base: str = "https://api.bfl.ai",
             retry: RetryPolicy = FAST_RETRY, **kwargs: object) -> tuple[BflClient, Recorder]:
        recorder = Recorder(handler)
        client = BflClient(api_base, KEY, retry=retry, transport=httpx.MockTransport(recorder),
                           sleep=fake_time.sleep, clock=fake_time.clock, **kwargs)  # type: ignore[arg-type]
        return client, recorder

    return make
