"""Exponential backoff with jitter, within a deadline.

Whether an error may be retried at all is decided where the error is built: a POST only yields a
retryable error when it provably never reached BFL (see ``client.py``), so running the same loop for
GETs and POSTs can never bill twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fluxdesk.api.errors import BflError

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 1.0
    """Seconds before the first retry (BFL's guidance: 1, 2, 4 s…)."""
    factor: float = 2.0
    max_delay: float = 16.0
    jitter: float = 0.2
    """Each delay is shortened by up to this share, at random, so that many jobs do not retry in step."""
    deadline: float = 60.0
    """No retry starts later than this many seconds after the first attempt."""
    max_attempts: int = 10
    max_post_attempts: int = 5
    """Tries of one submission, counting the first (only ever retried when it never reached BFL)."""
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    """Uniform in [0, 1): replaceable for repeatable tests."""

    def __post_init__(self) -> None:
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline < 0:
            raise ValueError("retry delays and deadline must be at least 0")
        if self.factor < 1:
            raise ValueError("the backoff factor must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.max_attempts < 1 or self.max_post_attempts < 1:
            raise ValueError("at least one attempt is needed")

    def backoff(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failed attempt (1-based); never below Retry-After."""
        delay = min(self.max_delay, self.base_delay * self.factor ** max(0, failures - 1))
        delay *= 1.0 - self.jitter * self.rand()
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


async def run_with_retries(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *, max_attempts: int,
                           sleep: Sleep, clock: Clock, deadline_at: float | None = None,
                           what: str = "request") -> T:
    """Run ``attempt`` until it succeeds or raises a non-retryable error, the attempts or the time run out.

    The last error is raised as is.
    """
    end = clock() + policy.deadline
    if deadline_at is not None:
        end = min(end, deadline_at)
    failures = 0
    while True:
        try:
            return await attempt()
        except BflError as err:
            failures += 1
            if not err.retryable or failures >= max_attempts:
                raise
            delay = policy.backoff(failures, getattr(err, "retry_after", None))
            if clock() + delay > end:
                raise
            log.debug("%s failed (%s, HTTP %s); retry %d in %.2f s", what, type(err).__name__,
                      err.status, failures, delay)
            await sleep(delay)
