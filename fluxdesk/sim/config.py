"""What the simulator does and which faults it injects; what it counts for the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fluxdesk.core.catalog import DEFAULT_CONCURRENCY


@dataclass
class SimConfig:
    key: str | None = None
    """Only this key is accepted; ``None`` accepts any non-empty key."""
    credits: Decimal = Decimal(1000)
    latency: float = 2.0
    """Seconds from submission to ``Ready``; ``progress`` rises linearly meanwhile."""
    moderation_word: str = "forbidden"
    """A prompt containing this word (case-insensitive) ends ``Request Moderated``; empty disables."""
    sample_ttl: float = 600.0
    """Signed sample URLs expire this many seconds after ``end_time``."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Active tasks per key; a model with a lower limit in the catalog keeps its own."""
    fault_seed: int = 0
    """Seeds the fault dice, so a fault-injected run is repeatable."""
    poll_error_rate: float = 0.0
    """Share of polls answering 500 or 503."""
    drop_rate: float = 0.0
    """Share of polls and downloads whose connection is closed without an answer."""
    drop_post_after_create_rate: float = 0.0
    """Share of POSTs that create (and later bill) a task, then drop the connection: outcome unknown."""
    slow_rate: float = 0.0
    """Share of requests answered only after ``slow_seconds``."""
    slow_seconds: float = 0.5
    burst_429: int = 0
    """Every ``burst_429_every`` POSTs, answer the next ``burst_429`` with 429 (Retry-After: 1)."""
    burst_429_every: int = 10
    delivery_failure_rate: float = 0.0
    """Share of sample downloads answering 500."""
    early_404_polls: int = 0
    """The first N polls of every task answer 404 ``Task not found``."""
    max_output_pixels: int | None = None
    """Caps the drawn image size (aspect-ratio models draw ~4 MP otherwise); ``None`` for faithful sizes."""


@dataclass
class SimCounters:
    post_requests: int = 0
    """Every POST to /v1/{model}, refused or not."""
    tasks_created: int = 0
    posts_per_task: dict[str, int] = field(default_factory=dict)
    """Task id → POSTs that created it (always 1; kept so tests can assert it)."""
    prompts_posted: dict[str, int] = field(default_factory=dict)
    """Prompt → number of tasks created with it: a resent POST shows up here as 2."""
    polls: int = 0
    polls_wrong_origin: int = 0
    """Polls that reached the API or delivery origin instead of the returned polling_url's."""
    downloads: int = 0
    delivery_requests_with_key: int = 0
    requests_with_key_outside_api: int = 0
    billed_tasks: list[str] = field(default_factory=list)
    billed_credits: Decimal = Decimal(0)
    faults_injected: dict[str, int] = field(default_factory=dict)
    ready_at: dict[str, float] = field(default_factory=dict)
    """Task id → ``time.monotonic()`` when it became Ready."""
    first_download_at: dict[str, float] = field(default_factory=dict)
    """Task id → ``time.monotonic()`` of the first download request for its sample."""
    polls_per_task: dict[str, int] = field(default_factory=dict)
    handler_errors: int = 0
    """Requests whose handling raised (answered 500): a simulator bug, so tests expect 0."""
