"""Task state, the concurrency limits, and billing: credits go when a task turns Ready.

Completion is a function of time, not of polling: ``settle`` finishes every task whose time has
come and bills it, whoever asks. The simulator calls it on every request and from a ticker, so a
client that vanished is billed exactly as BFL would bill it.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from fluxdesk.core.catalog import Model
from fluxdesk.sim.clock import SimClock
from fluxdesk.sim.config import SimConfig, SimCounters
from fluxdesk.sim.images import ImageSpec

PENDING = "Pending"
READY = "Ready"
REQUEST_MODERATED = "Request Moderated"
TASK_NOT_FOUND = "Task not found"



@dataclass
class Task:
    id: str
    model: str
    prompt: str
    """As sent."""
    used_prompt: str
    """After prompt upsampling; what the image is drawn from."""
    seed: int
    body: dict[str, Any]
    cost: Decimal
    image: ImageSpec
    created: float
    """Simulated monotonic time of submission."""
    end: float
    """Simulated monotonic time at which it finishes."""
    status: str = PENDING
    billed: bool = False
    sample_url: str | None = None
    expires_at: float | None = None
    """Epoch seconds after which the sample is refused."""
    early_polls: int = 0
    """Polls seen by the early-404 fault."""

    @property
    def active(self) -> bool:
        return self.status == PENDING


@dataclass(frozen=True)
class TaskSnapshot:
    id: str
    model: str
    status: str
    cost: Decimal
    billed: bool
    prompt: str
    used_prompt: str
    seed: int
    sample_url: str | None
    body: MappingProxyType[str, Any]
    width: int
    height: int
    output_format: str
    created_at: float
    """Epoch seconds."""
    start_time: float
    end_time: float
    expires_at: float | None
    progress: float


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str
    retry_after: int | None = None


class TaskStore:
    """All tasks of one simulator. Every public method takes ``lock``."""

    def __init__(self, lock: threading.RLock, counters: SimCounters, clock: SimClock,
                 config: Callable[[], SimConfig], sign: Callable[[Task, int], str]) -> None:
        self._lock = lock
        self._config = config
        self._counters = counters
        self._clock = clock
        self._credits = Decimal(config().credits)
        self._sign = sign
        self._tasks: dict[str, Task] = {}
        self._active: dict[str, Task] = {}

    # --- credits -------------------------------------------------------------------------------

    @property
    def credits(self) -> Decimal:
        with self._lock:
            self.settle()
            return self._credits

    def set_credits(self, credits: Decimal) -> None:
        with self._lock:
            self.settle()
            self._credits = Decimal(credits)

    # --- life of a task ------------------------------------------------------------------------

    def submit(self, model: Model, prompt: str, used_prompt: str, seed: int,
               body: dict[str, Any], cost: Decimal, image: ImageSpec) -> Task | Refusal:
        """Create a task, or refuse it for the concurrency limit (429) or missing credits (402)."""
        config = self._config()
        with self._lock:
            self.settle()
            now = self._clock.now()
            refusal = self._over_limit(config, model, now)
            if refusal is not None:
                return refusal
            reserved = sum((t.cost for t in self._active.values()), Decimal(0))
            if self._credits - reserved < cost:
                return Refusal(402, f"Insufficient credits: {self._credits - reserved:f} available, "
                                    f"{cost:f} needed. Top up your credits to continue.")
            task = Task(id=str(uuid.uuid4()), model=model.id, prompt=prompt, used_prompt=used_prompt,
                        seed=seed, body=body, cost=cost, image=image, created=now,
                        end=now + max(0.0, config.latency))
            word = config.moderation_word
            if word and word.lower() in prompt.lower():
                task.status = REQUEST_MODERATED  # checked on the way in: final at once
                task.end = now
            else:
                self._active[task.id] = task
            self._tasks[task.id] = task
            c = self._counters
            c.tasks_created += 1
            c.posts_per_task[task.id] = 1
            c.prompts_posted[prompt] = c.prompts_posted.get(prompt, 0) + 1
            return task

    def _over_limit(self, config: SimConfig, model: Model, now: float) -> Refusal | None:
        limits = [(config.concurrency, list(self._active.values()))]
        if model.concurrency < config.concurrency:  # the catalog's per-model limit (Kontext [max]: 6)
            limits.append((model.concurrency, [t for t in self._active.values() if t.model == model.id]))
        for limit, running in limits:
            if len(running) >= limit:
                soonest = min((t.end for t in running), default=now)
                return Refusal(429, f"You have reached the limit of {limit} active tasks for {model.id}; "
                                    "wait for a task to finish.",
                               retry_after=max(1, math.ceil(soonest - now)))
        return None

    def settle(self) -> None:
        """Finish and bill every task whose time has come."""
        with self._lock:
            now = self._clock.now()
            ttl = self._config().sample_ttl
            due = [t for t in self._active.values() if t.end <= now]
            for task in sorted(due, key=lambda t: t.end):
                del self._active[task.id]
                task.status = READY
                task.billed = True
                self._credits -= task.cost
                task.expires_at = self._clock.epoch(task.end) + ttl
                task.sample_url = self._sign(task, math.ceil(task.expires_at))
                c = self._counters
                c.billed_tasks.append(task.id)
                c.billed_credits += task.cost
                c.ready_at[task.id] = self._clock.to_real_monotonic(task.end)

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            self.settle()
            return self._tasks.get(task_id)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._tasks)

    def progress(self, task: Task) -> float:
        if not task.active:
            return 1.0
        span = task.end - task.created
        if span <= 0:
            return 1.0
        return min(1.0, max(0.0, (self._clock.now() - task.created) / span))

    def snapshot(self, task_id: str) -> TaskSnapshot:
        with self._lock:
            task = self.get(task_id)
            if task is None:
                raise KeyError(task_id)
            return TaskSnapshot(
                id=task.id, model=task.model, status=task.status, cost=task.cost, billed=task.billed,
                prompt=task.prompt, used_prompt=task.used_prompt, seed=task.seed,
                sample_url=task.sample_url, body=MappingProxyType(dict(task.body)),
                width=task.image.width, height=task.image.height, output_format=task.image.output_format,
                created_at=self._clock.epoch(task.created), start_time=self._clock.epoch(task.created),
                end_time=self._clock.epoch(task.end), expires_at=task.expires_at,
                progress=self.progress(task))

    def advance_clock(self, seconds: float) -> None:
        with self._lock:
            self.settle()  # tasks due before the jump keep their true ready_at
            self._clock.advance(seconds)
            self.settle()

    def expire_all_samples(self) -> None:
        with self._lock:
            self.settle()
            now = self._clock.epoch()
            for task in self._tasks.values():
                if task.expires_at is not None:
                    task.expires_at = min(task.expires_at, now)
