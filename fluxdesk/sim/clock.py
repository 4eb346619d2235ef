"""The simulator's notion of time, which tests can move forward instead of waiting."""

from __future__ import annotations

import math
import threading
import time


class SimClock:
    """Monotonic time plus an offset that only grows; epoch times are derived from it.

    Task progress, completion and sample expiry all read this clock, so ``advance`` makes tasks
    finish and samples expire at once. Counters that tests compare with ``time.monotonic()``
    (``ready_at``, ``first_download_at``) are converted back to real monotonic time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._advanced_at = -math.inf
        self._epoch_base = time.time() - time.monotonic()

    def now(self) -> float:
        """Simulated monotonic seconds."""
        return time.monotonic() + self._offset

    def epoch(self, sim_time: float | None = None) -> float:
        """Epoch seconds of a simulated monotonic time (default: now)."""
        return (self.now() if sim_time is None else sim_time) + self._epoch_base

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the simulator's clock only moves forward")
        with self._lock:
            self._offset += seconds
            self._advanced_at = time.monotonic()

    def to_real_monotonic(self, sim_time: float) -> float:
        """The real ``time.monotonic()`` at which ``sim_time`` was reached.

        A moment skipped over by ``advance`` maps to the real moment of the jump.
        """
        return max(sim_time - self._offset, self._advanced_at)
