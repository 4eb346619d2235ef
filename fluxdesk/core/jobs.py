"""Job states: the life of one image, from the queue to the library.

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
    def is_active(self) -> bool:
        """Running at BFL (counts against the concurrency limit)."""
        return self in (JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.DOWNLOADING)

    @property
    def resumable(self) -> bool:
        """After a restart, these are polled and downloaded again."""
        return self in (JobStatus.SUBMITTED, JobStatus.DOWNLOADING)


FINAL_STATES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.MODERATED, JobStatus.EXPIRED,
                          JobStatus.UNKNOWN, JobStatus.CANCELLED})

BILLED_STATES = frozenset({JobStatus.DONE, JobStatus.EXPIRED})
"""Jobs BFL charged for: it bills ``Ready`` results only. Moderated and failed jobs are not billed."""
