"""Spend per client project: a month's billed spend of each project against its budget, and one project's jobs over
a range of days (what goes on that client's invoice).

Read from the same ledger as ``storage.spend`` (so a project's figures add up to the month's), with the same rules:
UTC months and days, a job counts when BFL accepted it, demo jobs left out unless asked for. A job belongs to the
project it was sent for or last moved to: moving images moves their spend.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fluxdesk.core.budgets import budget_used
from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.core.serialize import iso_utc
from fluxdesk.storage import projects as project_queries
from fluxdesk.storage.spend import LedgerRow, ledger_between, month_bounds


@dataclass(frozen=True)
class ProjectSpend:
    """One project's billed spend in a month (``project_id`` ``None``: the jobs sent for no project)."""

    project_id: int | None
    name: str | None
    """``None`` for the jobs of no project."""
    archived: bool
    budget_usd: Decimal | None
    """The project's own monthly budget; ``None``: none (always for no project)."""
    credits: Decimal
    usd: Decimal
    jobs: int
    """Billed jobs."""

    @property
    def budget_used(self) -> Decimal | None:
        """Percent of the budget spent (``core.budgets.budget_used``)."""
        return budget_used(self.usd, self.budget_usd)

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.usd > self.budget_usd


def spend_by_project(conn: sqlite3.Connection, month: str, *, include_demo: bool = False,
                     usd_per_credit: Decimal = USD_PER_CREDIT) -> list[ProjectSpend]:
    """Every project not archived (spent or not: its budget can be set) and every project with jobs in ``month``, and
    the jobs of no project as one row when there are any; the most spent first, then by name, no project last.
    The rows' credits add up to ``spend(month).credits``."""
    start, end = month_bounds(month)
    credits: dict[int | None, Decimal] = {}
    jobs: dict[int | None, int] = {}
    for row in ledger_between(conn, start, end, include_demo, usd_per_credit):
        credits.setdefault(row.project_id, Decimal(0))
        jobs.setdefault(row.project_id, 0)
        if row.billed:
            credits[row.project_id] += row.credits or Decimal(0)
            jobs[row.project_id] += 1
    out = []
    for project in project_queries.projects(conn, include_archived=True):
        if project.archived and project.id not in credits:
            continue
        spent = credits.get(project.id, Decimal(0))
        out.append(ProjectSpend(project.id, project.name, project.archived, project.budget_usd, spent,
                                spent * usd_per_credit, jobs.get(project.id, 0)))
    out.sort(key=lambda p: (-p.credits, (p.name or "").casefold()))
    if None in credits:
        out.append(ProjectSpend(None, None, False, None, credits[None], credits[None] * usd_per_credit, jobs[None]))
    return out


def day_bounds(first: date | None, last: date | None) -> tuple[str | None, str | None]:
    """The ISO texts from the start of UTC day ``first`` to the end of ``last`` (both included; ``None``: open)."""
    if first is not None and last is not None and first > last:
        raise ValueError(f"the range starts on {first.isoformat()}, after it ends ({last.isoformat()})")
    start = None if first is None else iso_utc(datetime(first.year, first.month, first.day, tzinfo=UTC))
    end = None if last is None else iso_utc(datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))
    return start, end


def project_ledger(conn: sqlite3.Connection, project_id: int | None, *, first: date | None = None,
                   last: date | None = None, include_demo: bool = False,
                   usd_per_credit: Decimal = USD_PER_CREDIT) -> list[LedgerRow]:
    """The ledger rows of one project's jobs (``None``: of no project) from UTC day ``first`` to ``last``, both
    included (``None``: from the first job, up to now), in time order."""
    start, end = day_bounds(first, last)
    if project_id is not None:
        project_queries.existing(conn, project_id)
    return ledger_between(conn, start, end, include_demo, usd_per_credit, project_id)
