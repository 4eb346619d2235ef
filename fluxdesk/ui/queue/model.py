"""The job queue as a Qt list model: one row per job, newest first, fed by the pipeline's events.

The model only mirrors what the pipeline reports; it never acts on a job. ``apply`` takes every
event from ``fluxdesk.services.events`` (the bridge's ``jobEvent``/``event`` signals) on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QObject, Qt, QTimer

from fluxdesk.core import jobs
from fluxdesk.core.catalog import display_name
from fluxdesk.core.jobs import STATUS_WORDS, JobStatus, is_sent
from fluxdesk.core.pricing import credits_phrase
from fluxdesk.services.events import (
    JobDone,
    JobDownloading,
    JobEvent,
    JobFailed,
    JobProgress,
    JobQueued,
    JobSending,
    JobSubmitted,
)
from fluxdesk.ui.kit.item_models import ROOT, ModelIndex, ThumbnailRows, runs
from fluxdesk.ui.kit.text import escaped, prompt_html, rich_tooltip

TICK_MS = 1000



class Roles(IntEnum):
    JobId = Qt.ItemDataRole.UserRole + 1
    Status = Qt.ItemDataRole.UserRole + 2
    """The ``JobStatus`` value, e.g. ``"submitted"``."""
    StatusText = Qt.ItemDataRole.UserRole + 3
    Progress = Qt.ItemDataRole.UserRole + 4
    """0..1 as BFL reports it, or ``None``."""
    Elapsed = Qt.ItemDataRole.UserRole + 5
    """Seconds since the job was queued; stops when it reaches its end."""
    Error = Qt.ItemDataRole.UserRole + 6
    ImagePath = Qt.ItemDataRole.UserRole + 7
    Model = Qt.ItemDataRole.UserRole + 8
    Prompt = Qt.ItemDataRole.UserRole + 9
    Seed = Qt.ItemDataRole.UserRole + 10
    Cost = Qt.ItemDataRole.UserRole + 11
    """Credits (``Decimal``) once BFL said, else ``None``."""
    Billed = Qt.ItemDataRole.UserRole + 12
    """``True``/``False`` once known; ``None`` while it is not (running, or an unknown outcome)."""
    Cancellable = Qt.ItemDataRole.UserRole + 13
    IsActive = Qt.ItemDataRole.UserRole + 14
    """Still under way in this session: waiting, sending, generating or downloading."""
    ImageId = Qt.ItemDataRole.UserRole + 15
    Tone = Qt.ItemDataRole.UserRole + 16
    """How the status reads: ``waiting``, ``running``, ``done``, ``failed``, ``warning`` or ``cancelled``."""


_ROLE_NAMES = {role: role.name[0].lower() + role.name[1:] for role in Roles}
_DIFF_ROLES = (*Roles, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


@dataclass
class JobRow:
    """What the queue knows about one job."""

    job_id: str
    model: str
    prompt: str
    seed: int | None
    queued_at: float
    status: JobStatus = JobStatus.QUEUED
    progress: float | None = None
    error: str = ""
    image_path: str = ""
    image_id: int | None = None
    cost: Decimal | None = None
    billed: bool | None = None
    ended_at: float | None = None
    download_failed: bool = False
    """Billed and ready at BFL, but not saved yet: ``resume`` will fetch it while the link lasts."""

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def cancellable(self) -> bool:
        return self.status is JobStatus.QUEUED

    @property
    def sent(self) -> bool:
        """BFL has (or may have) the job: it can no longer be cancelled and is billed if it finishes."""
        return is_sent(self.status) and not self.download_failed


def status_text(row: JobRow) -> str:
    """The row's state in plain words."""
    status = row.status
    if row.download_failed:
        return "Billed, download failed — retried on resume"
    word = STATUS_WORDS[status]
    if status is JobStatus.SUBMITTED:
        return f"{word}…" if row.progress is None else f"{word} {round(row.progress * 100)}%"
    if status is JobStatus.FAILED:
        return f"{word}: {row.error}" if row.error else word
    if is_sent(status):
        return f"{word}…"
    if status in (JobStatus.MODERATED, JobStatus.EXPIRED, JobStatus.UNKNOWN):
        return jobs.status_text(status, row.billed)  # what it costs is news here
    return word


def status_tone(row: JobRow) -> str:
    status = row.status
    if row.download_failed or status in (JobStatus.EXPIRED, JobStatus.UNKNOWN):
        return "warning"
    if status is JobStatus.QUEUED:
        return "waiting"
    if is_sent(status):
        return "running"
    if status is JobStatus.DONE:
        return "done"
    if status is JobStatus.CANCELLED:
        return "cancelled"
    return "failed"


def format_elapsed(seconds: float | None) -> str:
    """``7`` → ``"0:07"``; ``3723`` → ``"1:02:03"``."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class JobQueueModel(ThumbnailRows, QAbstractListModel):
    """Jobs of this session, newest first. ``apply(event)`` for every pipeline event."""

    Roles = Roles

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._clock = clock
        self._rows: list[JobRow] = []
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.refresh_elapsed)

    # --- Qt model ---------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names.update({int(role): QByteArray(name.encode()) for role, name in _ROLE_NAMES.items()})
        return names

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or index.parent().isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._value(self._rows[index.row()], role)

    def _value(self, row: JobRow, role: int) -> Any:
        getter = _GETTERS.get(role)
        return None if getter is None else getter(self, row)

    # --- events -----------------------------------------------------------------------------------

    def apply(self, event: object) -> None:
        """Mirror one pipeline event. Anything that is not about a job is ignored."""
        if not isinstance(event, JobEvent):
            return
        if isinstance(event, JobQueued):
            self._insert(event)
            return
        row_index = self.row_for(event.job_id)
        if row_index < 0:
            if isinstance(event, JobFailed) and event.status is JobStatus.CANCELLED:
                return  # a leftover from an earlier run that was never sent: nothing to tell
            # An earlier run's job that `resume` follows: show it, since it may be billed.
            self._insert(JobQueued(event.job_id, "", "", None, None))
            row_index = 0
        row = self._rows[row_index]
        before = self._snapshot(row)
        self._update(row, event)
        after = self._snapshot(row)
        changed = [role for role, old, new in zip(_DIFF_ROLES, before, after, strict=True) if old != new]
        if changed:
            index = self.index(row_index)
            self.dataChanged.emit(index, index, [int(role) for role in changed])
        self._sync_timer()

    def _insert(self, event: JobQueued) -> None:
        existing = self.row_for(event.job_id)
        if existing >= 0:
            return  # the same job reported twice: keep what the row already knows
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, JobRow(event.job_id, event.model, event.prompt, event.seed, self._clock()))
        self.endInsertRows()
        self._sync_timer()

    def _update(self, row: JobRow, event: JobEvent) -> None:
        if isinstance(event, JobSending | JobSubmitted | JobProgress | JobDownloading):
            if row.status.is_final:
                return  # a late report about a job that already ended changes nothing
            row.ended_at, row.download_failed = None, False  # `resume` took up a failed download again
        if isinstance(event, JobSending):
            if row.status is JobStatus.QUEUED:  # BFL's answer may already have been told
                row.status = JobStatus.SUBMITTING
        elif isinstance(event, JobSubmitted):
            row.status = JobStatus.SUBMITTED
            row.cost = event.cost_credits if event.cost_credits is not None else row.cost
        elif isinstance(event, JobProgress):
            row.status = JobStatus.SUBMITTED
            row.progress = event.progress
        elif isinstance(event, JobDownloading):
            row.status = JobStatus.DOWNLOADING
            row.progress = 1.0
        elif isinstance(event, JobDone):
            self._finish_done(row, event)
        elif isinstance(event, JobFailed):
            self._finish_failed(row, event)

    def _finish_done(self, row: JobRow, event: JobDone) -> None:
        row.status = JobStatus.DONE
        row.progress = 1.0
        row.image_path, row.image_id = event.path, event.image_id
        row.seed = event.seed if event.seed is not None else row.seed
        row.cost = event.cost_credits if event.cost_credits is not None else row.cost
        row.billed, row.error, row.download_failed = True, "", False
        row.ended_at = self._clock()

    def _finish_failed(self, row: JobRow, event: JobFailed) -> None:
        row.error = event.reason
        row.download_failed = event.status is JobStatus.DOWNLOADING
        row.status = event.status
        # UNKNOWN: the POST may have reached BFL; nobody can say yet whether it is billed.
        row.billed = None if event.status is JobStatus.UNKNOWN else event.billed
        row.ended_at = self._clock()

    def _snapshot(self, row: JobRow) -> tuple[Any, ...]:
        return tuple(self._value(row, role) for role in _DIFF_ROLES)

    # --- elapsed time -----------------------------------------------------------------------------

    def refresh_elapsed(self) -> None:
        """Tell the views that the Elapsed of every active row moved on (the timer calls this each second)."""
        for first, last in runs(i for i, row in enumerate(self._rows) if row.active):
            self.dataChanged.emit(self.index(first), self.index(last), [int(Roles.Elapsed)])
        self._sync_timer()

    @property
    def ticking(self) -> bool:
        """Whether the elapsed-time timer runs (only while some job is active)."""
        return self._timer.isActive()

    def _sync_timer(self) -> None:
        wanted = any(row.active for row in self._rows)
        if wanted and not self._timer.isActive():
            self._timer.start()
        elif not wanted and self._timer.isActive():
            self._timer.stop()

    def _elapsed(self, row: JobRow) -> float:
        end = row.ended_at if row.ended_at is not None else self._clock()
        return max(0.0, end - row.queued_at)

    # --- questions and housekeeping ---------------------------------------------------------------

    def job_ids(self) -> list[str]:
        """Every job's id, top row first (newest first)."""
        return [row.job_id for row in self._rows]

    def row_for(self, job_id: str) -> int:
        """The row of ``job_id``, or -1."""
        for i, row in enumerate(self._rows):
            if row.job_id == job_id:
                return i
        return -1

    def rows_with_path(self, path: str) -> list[int]:
        return [i for i, row in enumerate(self._rows) if row.image_path == path]

    def job(self, job_id: str) -> JobRow | None:
        """A copy of what the model knows about ``job_id``."""
        i = self.row_for(job_id)
        return None if i < 0 else JobRow(**vars(self._rows[i]))

    def active_count(self) -> int:
        """Jobs still under way: waiting, sending, generating or downloading."""
        return sum(1 for row in self._rows if row.active)

    def running_count(self) -> int:
        """Jobs BFL is working on (sent, not finished)."""
        return sum(1 for row in self._rows if row.active and row.sent)

    def waiting_count(self) -> int:
        """Jobs not sent yet."""
        return sum(1 for row in self._rows if row.active and row.status is JobStatus.QUEUED)

    def finished_count(self) -> int:
        return sum(1 for row in self._rows if not row.active)

    def clear_finished(self) -> int:
        """Remove the rows that reached their end; answer how many went."""
        removed = 0
        for first, last in reversed(runs(i for i, row in enumerate(self._rows) if not row.active)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
            removed += last - first + 1
        return removed


def _tooltip(row: JobRow) -> str:
    error = row.error if row.status is not JobStatus.FAILED else ""
    return rich_tooltip(prompt_html(row.prompt, empty="A job from an earlier session"),
                        escaped(meta_text(row.model, row.seed, row.cost)), f"<b>{escaped(status_text(row))}</b>",
                        escaped(error))


def meta_text(model_id: str, seed: int | None, cost: Decimal | None) -> str:
    """``"FLUX.2 [pro] · seed 42 · 4.5 credits"``; the parts that are unknown are left out."""
    parts = [display_name(model_id)] if model_id else []
    if seed is not None:
        parts.append(f"seed {seed}")
    if cost is not None:
        parts.append(credits_phrase(cost))
    return " · ".join(parts)


_GETTERS: dict[int, Callable[[JobQueueModel, JobRow], Any]] = {
    Roles.JobId: lambda m, r: r.job_id,
    Roles.Status: lambda m, r: r.status.value,
    Roles.StatusText: lambda m, r: status_text(r),
    Roles.Progress: lambda m, r: r.progress,
    Roles.Elapsed: lambda m, r: m._elapsed(r),
    Roles.Error: lambda m, r: r.error,
    Roles.ImagePath: lambda m, r: r.image_path,
    Roles.Model: lambda m, r: r.model,
    Roles.Prompt: lambda m, r: r.prompt,
    Roles.Seed: lambda m, r: r.seed,
    Roles.Cost: lambda m, r: r.cost,
    Roles.Billed: lambda m, r: r.billed,
    Roles.Cancellable: lambda m, r: r.cancellable,
    Roles.IsActive: lambda m, r: r.active,
    Roles.ImageId: lambda m, r: r.image_id,
    Roles.Tone: lambda m, r: status_tone(r),
    Qt.ItemDataRole.DisplayRole: lambda m, r: r.prompt,
    Qt.ItemDataRole.ToolTipRole: lambda m, r: _tooltip(r),
    Qt.ItemDataRole.AccessibleTextRole: lambda m, r: f"{r.prompt or 'Job'}: {status_text(r)}",
}
