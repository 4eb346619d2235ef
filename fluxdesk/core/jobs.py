"""Job states: the life of one image, from the queue to the library, and what each means for the bill.

A job row is written *before* its POST (``SUBMITTING``) and moves on only when the server's
answer is recorded. After a crash, a job still ``SUBMITTING`` has an unknown outcome: FluxDesk
never resubmits it on its own.
"""

from __future__ import annotations

import enum


class JobStatus(enum.Enum):
    QUEUED = "queued"
    """Waiting in this session's queue; nothing sent. Can be cancelled."""
    SUBMITTING = "submitting"
    """Row written, POST under way: its outcome is not yet known."""
    SUBMITTED = "submitted"
    """BFL gave an id and a polling URL: the job will be billed if it finishes."""
    DOWNLOADING = "downloading"
    """Ready at BFL: fetching the signed sample before it expires."""
    DONE = "done"
    FAILED = "failed"
    MODERATED = "moderated"
    EXPIRED = "expired"
    """Billed, but its sample URL expired before FluxDesk could download it."""
    UNKNOWN = "unknown"
    """The POST may or may not have reached BFL; never resubmitted automatically."""
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def resumable(self) -> bool:
        """After a restart, these are polled and downloaded again."""
        return self in (JobStatus.SUBMITTED, JobStatus.DOWNLOADING)


FINAL_STATES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.MODERATED, JobStatus.EXPIRED,
                          JobStatus.UNKNOWN, JobStatus.CANCELLED})

BILLED_STATES = frozenset({JobStatus.DONE, JobStatus.EXPIRED})
"""Jobs BFL charged for: it bills ``Ready`` results only. Moderated and failed jobs are not billed."""

SENT_STATES = frozenset({JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.DOWNLOADING})
"""BFL has (or may have) the job: it can no longer be cancelled, and counts against the concurrency limit."""


def is_sent(status: JobStatus) -> bool:
    return status in SENT_STATES


class Billing(enum.Enum):
    """What BFL charges for a job, in the words the app shows after a status."""

    BILLED = "billed"
    NOT_BILLED = "not billed"
    LOST = "billed, image lost"
    MAYBE = "may be billed"
    PENDING = "billed if it finishes"


def billing(status: JobStatus, billed: bool | None) -> Billing:
    """The bill of a job in ``status``; ``billed`` is what was recorded when it ended (``None`` while unknown)."""
    if status is JobStatus.EXPIRED:
        return Billing.LOST
    if status in (JobStatus.UNKNOWN, JobStatus.SUBMITTING):
        return Billing.MAYBE
    if status in (JobStatus.SUBMITTED, JobStatus.DOWNLOADING):
        return Billing.PENDING
    return Billing.BILLED if billed else Billing.NOT_BILLED


STATUS_WORDS = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.SUBMITTING: "Sending",
    JobStatus.SUBMITTED: "Generating",
    JobStatus.DOWNLOADING: "Downloading",
    JobStatus.DONE: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.MODERATED: "Blocked by BFL's safety filter",
    JobStatus.EXPIRED: "Link expired",
    JobStatus.UNKNOWN: "Outcome unknown",
    JobStatus.CANCELLED: "Cancelled",
}
"""How each status reads, everywhere the app names one."""


def status_text(status: JobStatus, billed: bool | None) -> str:
    """The status and its bill: ``"Link expired — billed, image lost"``; a billed image is simply ``"Done"``."""
    bill = billing(status, billed)
    word = STATUS_WORDS[status]
    return word if status is JobStatus.DONE and bill is Billing.BILLED else f"{word} — {bill.value}"
