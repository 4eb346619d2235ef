"""Fault dice: which request gets a fault, repeatably for a given ``SimConfig.fault_seed``."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import TypeVar

from fluxdesk.sim.config import SimCounters

T = TypeVar("T")

# Names under which SimCounters.faults_injected counts each fault.
POLL_ERROR = "poll_error"
DROP = "drop"
DROP_POST_AFTER_CREATE = "drop_post_after_create"
SLOW = "slow"
BURST_429 = "burst_429"
DELIVERY_FAILURE = "delivery_failure"
EARLY_404 = "early_404"


class FaultDice:
    """Rolls for faults and counts the ones injected. Every method takes ``lock``."""

    def __init__(self, lock: threading.RLock, counters: SimCounters, seed: int) -> None:
        self._lock = lock
        self._counters = counters
        self._seed = seed
        self._random = random.Random(seed)
        self._burst_posts = 0

    def _reseed_if_changed(self, seed: int) -> None:
        if seed != self._seed:
            self._seed = seed
            self._random = random.Random(seed)
            self._burst_posts = 0

    def count(self, name: str) -> None:
        with self._lock:
            self._counters.faults_injected[name] = self._counters.faults_injected.get(name, 0) + 1

    def roll(self, name: str, rate: float, seed: int) -> bool:
        """True (and counted) with probability ``rate``; a zero rate consumes no randomness."""
        if rate <= 0:
            return False
        with self._lock:
            self._reseed_if_changed(seed)
            hit = self._random.random() < rate
            if hit:
                self.count(name)
            return hit

    def choice(self, options: Sequence[T], seed: int) -> T:
        with self._lock:
            self._reseed_if_changed(seed)
            return self._random.choice(options)

    def burst_429(self, burst: int, every: int, seed: int) -> bool:
        """After every ``every`` POSTs, the next ``burst`` POSTs are refused (cycle of every + burst)."""
        if burst <= 0:
            return False
        with self._lock:
            self._reseed_if_changed(seed)
            position = self._burst_posts % (max(every, 0) + burst)
            self._burst_posts += 1
            hit = position >= max(every, 0)
            if hit:
                self.count(BURST_429)
            return hit
