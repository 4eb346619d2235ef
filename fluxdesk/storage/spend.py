"""Spend from the ledger: what each month cost, by model and by day, and the recent volume.

Sums are done in Python with ``Decimal`` (SQLite would add the decimal text as floats). Months and
days are UTC. A job counts in the month BFL accepted it (``submitted_at``).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import TypeVar

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.core.serialize import iso_utc
from fluxdesk.core.values import as_decimal

T = TypeVar("T")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_PENDING = (JobStatus.SUBMITTED.value, JobStatus.DOWNLOADING.value)


@dataclass(frozen=True)
class LedgerRow:
    job_id: str
    time: str
    model: str
    size: str | None
    credits: Decimal | None
    """BFL's ``cost``; the estimate when BFL did not say (then ``estimated`` is true)."""
    estimated: bool
    usd: Decimal | None
    status: JobStatus
    billed: bool
    demo: bool
    task_id: str | None
    prompt: str = ""
    """The prompt the job was sent with."""
    image_id: int | None = None
    """The done job's image in the gallery; ``None`` when it left none (not finished, moderated, expired)
    or the image is in the trash."""
    project_id: int | None = None
    """The project the job was sent for (or moved to); ``None``: no project."""
    project_name: str | None = None
    file_name: str | None = None
    """The name of the job's image file (where it was saved, for one in the trash); ``None``: no image."""


class AllProjects(Enum):
    """The ledger of every project (``ALL_PROJECTS``), as opposed to one project's or that of no project (``None``)."""

    ALL = "all"


ALL_PROJECTS = AllProjects.ALL
ProjectScope = int | None | AllProjects
"""Whose jobs: a project's id, ``None`` for the jobs of no project, or ``ALL_PROJECTS``."""


@dataclass(frozen=True)
class SpendSummary:
    month: str
    credits: Decimal
    """Billed credits: jobs BFL charged (done or expired)."""
    usd: Decimal
    by_model: dict[str, Decimal]
    """Billed credits per model id, largest first."""
    by_day: dict[str, Decimal]
    """Billed credits per UTC day ``YYYY-MM-DD`` that had any, in date order."""
    jobs: int
    """Billed jobs."""
    unbilled_jobs: int
    """Jobs that reached BFL and ended without a charge (moderated, failed, …)."""
    pending_jobs: int
    """Jobs still running at BFL: billed if they finish."""
    pending_credits: Decimal
    usd_per_credit: Decimal

    def usd_for(self, credits: Decimal) -> Decimal:
        return credits * self.usd_per_credit


@dataclass(frozen=True)
class MonthSpend:
    month: str
    credits: Decimal
    usd: Decimal
    jobs: int


@dataclass(frozen=True)
class ModelUsage:
    """One model's billed images over a recent period, and the size and steps it was used at most."""

    model: str
    images: int
    width: int | None
    """The most common output size (``None``: none known, say an aspect-ratio job that left no image)."""
    height: int | None
    steps: int | None
    """The most common ``steps`` sent (``None``: the model's default, or a model without steps)."""


@dataclass(frozen=True)
class RecentVolume:
    days: int
    images: int
    """Billed images in the period: the volume the break-even calculator starts from."""
    credits: Decimal
    usd: Decimal
    by_model: tuple[ModelUsage, ...] = ()
    """The same images per model, most used first, with the size and steps each was used at most."""


def current_month(now: datetime | None = None) -> str:
    """``YYYY-MM`` of now (or ``now``) in UTC: BFL's months, and the ledger's."""
    return f"{(now or datetime.now(UTC)).astimezone(UTC):%Y-%m}"


def month_bounds(month: str) -> tuple[str, str]:
    """``"2026-05"`` → the ISO texts of its first instant and of the next month's."""
    match = _MONTH.match(month) if isinstance(month, str) else None
    if match is None:
        raise ValueError(f"a month is written YYYY-MM, not {month!r}")
    year, mon = int(match[1]), int(match[2])
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return iso_utc(start), iso_utc(end)


def ledger_between(conn: sqlite3.Connection, start: str | None, end: str | None, include_demo: bool,
            usd_per_credit: Decimal, project: ProjectScope = ALL_PROJECTS) -> list[LedgerRow]:
    clauses: list[str] = []
    params: list[object] = []
    if project is None:
        clauses.append("l.project_id IS NULL")
    elif not isinstance(project, AllProjects):
        clauses.append("l.project_id = ?")
        params.append(project)
    if start is not None:
        clauses.append("l.time >= ?")
        params.append(start)
    if end is not None:
        clauses.append("l.time < ?")
        params.append(end)
    if not include_demo:
        clauses.append("l.demo = 0")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute("SELECT l.*, j.prompt AS prompt, CASE WHEN l.status = 'done' AND i.trashed_at IS NULL "
                        "THEN i.id END AS image_id, p.name AS project_name, "
                        "COALESCE(i.trashed_from, i.path) AS image_path "
                        "FROM ledger l JOIN jobs j ON j.id = l.job_id "
                        "LEFT JOIN images i ON i.job_id = l.job_id LEFT JOIN projects p ON p.id = l.project_id "
                        f"{where} ORDER BY l.time, l.job_id", params).fetchall()
    out = []
    for row in rows:
        credits = as_decimal(row["credits"])
        out.append(LedgerRow(
            job_id=row["job_id"], time=row["time"], model=row["model"], size=row["size"], credits=credits,
            estimated=bool(row["estimated"]), usd=None if credits is None else credits * usd_per_credit,
            status=JobStatus(row["status"]), billed=bool(row["billed"]), demo=bool(row["demo"]),
            task_id=row["task_id"], prompt=row["prompt"] or "", image_id=row["image_id"],
            project_id=row["project_id"], project_name=row["project_name"],
            file_name=PurePath(row["image_path"]).name if row["image_path"] else None))
    return out


def ledger_rows(conn: sqlite3.Connection, month: str | None = None, *, include_demo: bool = False,
                usd_per_credit: Decimal = USD_PER_CREDIT) -> list[LedgerRow]:
    start, end = month_bounds(month) if month is not None else (None, None)
    return ledger_between(conn, start, end, include_demo, usd_per_credit)


def spend(conn: sqlite3.Connection, month: str, *, include_demo: bool = False,
          usd_per_credit: Decimal = USD_PER_CREDIT) -> SpendSummary:
    start, end = month_bounds(month)
    total = pending_credits = Decimal(0)
    by_model: dict[str, Decimal] = defaultdict(Decimal)
    by_day: dict[str, Decimal] = defaultdict(Decimal)
    jobs = unbilled = pending = 0
    for row in ledger_between(conn, start, end, include_demo, usd_per_credit):
        credits = row.credits or Decimal(0)
        if row.billed:
            jobs += 1
            total += credits
            by_model[row.model] += credits
            by_day[row.time[:10]] += credits
        elif row.status.value in _PENDING:
            pending += 1
            pending_credits += credits
        else:
            unbilled += 1
    return SpendSummary(
        month=month, credits=total, usd=total * usd_per_credit,
        by_model=dict(sorted(by_model.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_day=dict(sorted(by_day.items())), jobs=jobs, unbilled_jobs=unbilled, pending_jobs=pending,
        pending_credits=pending_credits, usd_per_credit=usd_per_credit)


def _month_start(moment: datetime, back: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def months_spend(conn: sqlite3.Connection, last_n: int = 12, *, include_demo: bool = False,
                 usd_per_credit: Decimal = USD_PER_CREDIT, now: datetime | None = None) -> list[MonthSpend]:
    """The last ``last_n`` months up to this one, oldest first, months without spend included."""
    if last_n < 1:
        raise ValueError("last_n must be at least 1")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    months = [f"{_month_start(now, back):%Y-%m}" for back in range(last_n - 1, -1, -1)]
    credits: dict[str, Decimal] = dict.fromkeys(months, Decimal(0))
    counts: dict[str, int] = dict.fromkeys(months, 0)
    start = iso_utc(_month_start(now, last_n - 1))
    end = iso_utc(_month_start(now, -1))
    for row in ledger_between(conn, start, end, include_demo, usd_per_credit):
        if row.billed:
            credits[row.time[:7]] += row.credits or Decimal(0)
            counts[row.time[:7]] += 1
    return [MonthSpend(m, credits[m], credits[m] * usd_per_credit, counts[m]) for m in months]


def spend_last_days(conn: sqlite3.Connection, days: int = 30, *, include_demo: bool = False,
                    usd_per_credit: Decimal = USD_PER_CREDIT, now: datetime | None = None) -> RecentVolume:
    if days < 1:
        raise ValueError("days must be at least 1")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rows = ledger_between(conn, iso_utc(now - timedelta(days=days)), None, include_demo, usd_per_credit)
    billed = [row for row in rows if row.billed]
    credits = sum((row.credits or Decimal(0) for row in billed), Decimal(0))
    return RecentVolume(days, len(billed), credits, credits * usd_per_credit,
                        tuple(usage_by_model(conn, days, include_demo=include_demo, now=now)))


_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def _most_common(values: list[T]) -> T | None:
    """The most frequent value; a tie goes to the one seen first. ``None`` for no values."""
    return Counter(values).most_common(1)[0][0] if values else None


def usage_by_model(conn: sqlite3.Connection, days: int = 30, *, include_demo: bool = False,
                   now: datetime | None = None) -> list[ModelUsage]:
    """Billed images per model over the last ``days`` days, most used first (ties by model id), each with the size
    and steps it was used at most: the break-even calculator's default mix."""
    if days < 1:
        raise ValueError("days must be at least 1")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    clauses = ["l.time >= ?", "l.billed"]
    if not include_demo:
        clauses.append("l.demo = 0")
    rows = conn.execute(
        "SELECT l.model AS model, l.size AS size, CASE WHEN json_valid(j.request) "
        "AND json_type(j.request, '$.steps') = 'integer' THEN json_extract(j.request, '$.steps') END AS steps "
        f"FROM ledger l JOIN jobs j ON j.id = l.job_id WHERE {' AND '.join(clauses)} ORDER BY l.time, l.job_id",
        [iso_utc(now - timedelta(days=days))]).fetchall()
    sizes: dict[str, list[tuple[int, int]]] = defaultdict(list)
    steps: dict[str, list[int]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for row in rows:
        model = row["model"]
        counts[model] += 1
        match = _SIZE.match(row["size"] or "")
        if match:
            sizes[model].append((int(match[1]), int(match[2])))
        if row["steps"] is not None:
            steps[model].append(int(row["steps"]))
    out = []
    for model, images in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        size = _most_common(sizes[model])
        out.append(ModelUsage(model, images, size[0] if size else None, size[1] if size else None,
                              _most_common(steps[model])))
    return out
