"""Typed events the pipeline reports; the UI's bridge re-emits them as Qt signals on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.request import FieldError

NO_KEY_MESSAGE = "Add a BFL API key in Settings (Ctrl+,) to generate."
"""What a session opened without a key answers when asked to generate."""


@dataclass(frozen=True)
class JobEvent:
    job_id: str


@dataclass(frozen=True)
class JobQueued(JobEvent):
    model: str
    prompt: str
    seed: int | None
    batch_id: str | None


@dataclass(frozen=True)
class JobSending(JobEvent):
    """The job's turn came: the journal says ``SUBMITTING`` and its POST is under way. It can no longer be
    cancelled, and may be billed."""


@dataclass(frozen=True)
class JobSubmitted(JobEvent):
    task_id: str
    cost_credits: Decimal | None


@dataclass(frozen=True)
class JobProgress(JobEvent):
    progress: float | None
    """0..1 as BFL reports it; ``None`` while it has not said."""


@dataclass(frozen=True)
class JobDownloading(JobEvent):
    pass


@dataclass(frozen=True)
class JobDone(JobEvent):
    image_id: int
    path: str
    seed: int | None
    cost_credits: Decimal | None


@dataclass(frozen=True)
class JobFailed(JobEvent):
    status: JobStatus
    """FAILED, MODERATED, EXPIRED, UNKNOWN or CANCELLED."""
    reason: str
    """What happened, in plain words."""
    billed: bool
    field_errors: tuple[FieldError, ...] = ()
    """BFL's 422 messages by field, to show next to the controls."""


@dataclass(frozen=True)
class QueueStopped:
    """The queue stopped sending: out of credits, or the key was refused. Queued jobs were cancelled."""

    reason: str
    needs_key: bool = False
    needs_credits: bool = False


@dataclass(frozen=True)
class CreditsChanged:
    credits: Decimal


Event = JobEvent | QueueStopped | CreditsChanged
Listener = Callable[[Event], None]
