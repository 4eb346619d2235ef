"""Helpers for the BFL client tests: a virtual clock, a recording transport, fast retries."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from fluxdesk.api import RetryPolicy

KEY = "bfl_test_key_5f0c1d2e"


class FakeTime:
    """A clock that only moves when the client sleeps: retries and polls run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Recorder:
    """An ``httpx.MockTransport`` handler that remembers every request it was given."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


FAST_RETRY = RetryPolicy(base_delay=0.01, factor=2.0, max_delay=0.05, jitter=0.0, deadline=5.0)


SIM_RETRY = RetryPolicy(base_delay=0.05, factor=2.0, max_delay=0.4, jitter=0.2, deadline=10.0)
"""Retries for real-socket tests: quick, but still real backoff with jitter."""


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
