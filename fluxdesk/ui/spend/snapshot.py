"""What the Spend tab shows, read from the library's ledger in one go on a worker thread, and its arithmetic.

Months and days are UTC, as in ``fluxdesk spend``: a job counts in the month BFL accepted it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from fluxdesk.core.wording import moment_text
from fluxdesk.storage.ledger_csv import write_csv, write_invoice_csv
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.storage.spend import LedgerRow, MonthSpend, SpendSummary, current_month, month_bounds

if TYPE_CHECKING:
    from fluxdesk.services.library_views import SpendQueries

MONTHS_BACK = 24
"""How far back the month picker offers months that had spend."""
CHART_MONTHS = 12
MIN_PROJECTION_DAYS = 3
"""A month's end is projected from this many days on: one morning's spend times thirty says nothing."""


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger row with what the gallery knows about its image."""

    row: LedgerRow
    image_id: int | None = None
    """``None`` when the job left no image (not finished, moderated, expired) or it is in the trash."""


@dataclass(frozen=True)
class SpendSnapshot:
    month: str
    include_demo: bool
    summary: SpendSummary
    entries: tuple[LedgerEntry, ...]
    months: tuple[MonthSpend, ...]
    """The last ``MONTHS_BACK`` months up to now, oldest first, empty months included."""
    projects: tuple[ProjectSpend, ...] = ()
    """The month per project (``spend_by_project``): the most spent first, no project last."""


def load_snapshot(queries: SpendQueries, month: str, *, include_demo: bool, usd_per_credit: Decimal,
                  now: datetime | None = None) -> SpendSnapshot:
    """Everything the tab shows for ``month``. Blocking: call it off the GUI thread."""
    summary = queries.spend(month, include_demo=include_demo, usd_per_credit=usd_per_credit)
    rows = queries.ledger_rows(month, include_demo=include_demo, usd_per_credit=usd_per_credit)
    entries = [LedgerEntry(row, row.image_id) for row in rows]
    months = queries.months_spend(MONTHS_BACK, include_demo=include_demo, usd_per_credit=usd_per_credit, now=now)
    projects = queries.spend_by_project(month, include_demo=include_demo, usd_per_credit=usd_per_credit)
    return SpendSnapshot(month, include_demo, summary, tuple(entries), tuple(months), tuple(projects))


def export_ledger_csv(rows: Iterable[LedgerRow], path: Path) -> int:
    """Write ``rows`` as ``fluxdesk spend --csv`` does; answer how many rows were written."""
    rows = list(rows)
    with open(path, "w", encoding="utf-8", newline="") as out:
        write_csv(rows, out)
    return len(rows)


def export_invoice_csv(queries: SpendQueries, project_id: int | None, first: date, last: date, path: Path, *,
                       include_demo: bool, usd_per_credit: Decimal) -> int:
    """Write one project's billed jobs from UTC day ``first`` to ``last`` as ``fluxdesk spend --project NAME --csv``
    does; answer how many rows were written. Blocking: call it off the GUI thread."""
    rows = queries.project_ledger_rows(project_id, first=first, last=last, include_demo=include_demo,
                                       usd_per_credit=usd_per_credit)
    with open(path, "w", encoding="utf-8", newline="") as out:
        return write_invoice_csv(rows, out)


# --- months and days ---------------------------------------------------------------------------


def month_date(month: str) -> date:
    month_bounds(month)  # raises ValueError for anything that is not YYYY-MM
    return date(int(month[:4]), int(month[5:7]), 1)


def days_in_month(month: str) -> int:
    first = month_date(month)
    return calendar.monthrange(first.year, first.month)[1]


def month_title(month: str) -> str:
    """``"2026-11"`` → ``"November 2026"``."""
    return f"{month_date(month):%B %Y}"


def month_short(month: str, *, with_year: bool = False) -> str:
    """``"2026-11"`` → ``"Nov"`` (``"Nov ’26"`` with the year)."""
    first = month_date(month)
    return f"{first:%b} ’{first:%y}" if with_year else f"{first:%b}"


def shift_month(month: str, delta: int) -> str:
    first = month_date(month)
    index = first.year * 12 + first.month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(month: str) -> date:
    first = month_date(month)
    return first.replace(day=days_in_month(month))


@dataclass(frozen=True)
class Projection:
    days: int
    """The days of the month the pace rests on, today included."""
    total: Decimal | None
    """The month's end at this pace; ``None`` while fewer than ``MIN_PROJECTION_DAYS`` days have passed."""


def projection(total: Decimal, month: str, now: datetime | None = None) -> Projection | None:
    """The month's end at the current pace: total ÷ days elapsed × days in the month.

    Only for the month under way (``None`` for any other); today counts as an elapsed day, and before
    ``MIN_PROJECTION_DAYS`` days there is no figure at all.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if current_month(now) != month:
        return None
    if now.day < MIN_PROJECTION_DAYS:
        return Projection(now.day, None)
    return Projection(now.day, total / now.day * days_in_month(month))


def picker_months(months: Iterable[MonthSpend], current: str, selected: str | None) -> list[str]:
    """Months for the picker, newest first: those with billed jobs, this month, and the one shown."""
    chosen = {m.month for m in months if m.jobs}
    chosen.add(current)
    if selected:
        chosen.add(selected)
    return sorted(chosen, reverse=True)


# --- time -----------------------------------------------------------------------------------------


def ago(moment: datetime, now: datetime | None = None) -> str:
    """``"just now"``, ``"2 min ago"``, ``"3 h ago"``, or the local date and time when older than a day."""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"on {moment_text(moment, seconds=False)}"
