"""The team's figures, read from the studio server: a month's billed spend by seat, project, model or day, and the
team's budget. Read from ``ledger_days`` (kept by the server as rows arrive), so a month of 50 busy seats answers
in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from fluxdesk.core.budgets import budget_used
from fluxdesk.storage.spend import month_bounds
from fluxdesk.storage.studio.link import StudioError, on_server
from fluxdesk.storage.studio.schema import SCHEMA

if TYPE_CHECKING:
    import psycopg

GROUPINGS = ("seat", "project", "model", "day")
_COLUMN = {"seat": "seat", "project": "project", "model": "model", "day": "to_char(day, 'YYYY-MM-DD')"}


@dataclass(frozen=True)
class TeamGroup:
    key: str | None
    """The seat, project (``None``: no project), model or day ``YYYY-MM-DD``."""
    credits: Decimal
    usd: Decimal
    jobs: int
    """Billed jobs."""
    unbilled_jobs: int
    budget_usd: Decimal | None = None
    """A project's budget on the studio's shared list (by project only)."""


@dataclass(frozen=True)
class TeamSpend:
    month: str
    by: str
    groups: list[TeamGroup]
    """The most spent first (by day: in date order)."""
    credits: Decimal
    usd: Decimal
    jobs: int
    unbilled_jobs: int
    budget_usd: Decimal | None
    """The team's monthly budget; ``None``: the studio set none."""
    fetched_at: datetime

    @property
    def budget_used(self) -> Decimal | None:
        """Percent of the team budget spent (``core.budgets.budget_used``)."""
        return budget_used(self.usd, self.budget_usd)


@dataclass(frozen=True)
class TeamProject:
    """A project on the studio's shared list."""

    name: str
    budget_usd: Decimal | None
    """Its monthly budget, set by the studio's admin; ``None``: none."""
    archived: bool
    created_at: datetime


def team_projects(conn: psycopg.Connection[tuple[object, ...]]) -> list[TeamProject]:
    """The studio's shared project list, oldest first."""
    rows = conn.execute(f"SELECT name, budget_usd, archived, created_at FROM {SCHEMA}.projects "
                        "ORDER BY created_at, name").fetchall()
    return [TeamProject(str(name), None if budget is None else Decimal(str(budget)), bool(archived),
                        created)  # type: ignore[arg-type]
            for name, budget, archived, created in rows]


def _day(text: str) -> date:
    return datetime.fromisoformat(text).astimezone(UTC).date()


def team_spend(conn: psycopg.Connection[tuple[object, ...]], month: str, by: str = "seat") -> TeamSpend:
    """The month ``YYYY-MM`` (UTC) of the whole team, grouped ``by`` one of ``GROUPINGS``."""
    if by not in GROUPINGS:
        raise ValueError(f"team spend is grouped by one of {', '.join(GROUPINGS)}, not {by!r}")
    start, end = (_day(t) for t in month_bounds(month))
    column = _COLUMN[by]
    rows = conn.execute(
        f"""SELECT {column} AS key,
                   COALESCE(sum(credits) FILTER (WHERE billed), 0), COALESCE(sum(usd) FILTER (WHERE billed), 0),
                   COALESCE(sum(jobs) FILTER (WHERE billed), 0), COALESCE(sum(jobs) FILTER (WHERE NOT billed), 0)
            FROM {SCHEMA}.ledger_days WHERE day >= %s AND day < %s GROUP BY 1
            HAVING sum(jobs) > 0""", (start, end)).fetchall()  # a project every job moved out of is gone
    budgets: dict[str, Decimal | None] = {}
    if by == "project":
        budgets = {str(name): budget for name, budget in  # type: ignore[misc]
                   conn.execute(f"SELECT name, budget_usd FROM {SCHEMA}.projects").fetchall()}
    groups = []
    for key, credits, usd, jobs, unbilled in rows:
        name = None if by == "project" and key == "" else str(key)
        groups.append(TeamGroup(name, Decimal(str(credits)), Decimal(str(usd)), int(str(jobs)), int(str(unbilled)),
                                budgets.get(name) if name is not None else None))
    if by == "day":
        groups.sort(key=lambda g: g.key or "")
    else:
        groups.sort(key=lambda g: (-g.credits, g.key is None, (g.key or "").casefold()))
    team = conn.execute(f"SELECT monthly_budget_usd FROM {SCHEMA}.team").fetchone()
    budget = team[0] if team else None
    return TeamSpend(month, by, groups, sum((g.credits for g in groups), Decimal(0)),
                     sum((g.usd for g in groups), Decimal(0)), sum(g.jobs for g in groups),
                     sum(g.unbilled_jobs for g in groups), None if budget is None else Decimal(str(budget)),
                     datetime.now(UTC))


def fetch_team_spend(url: str, password: str | None, month: str, by: str = "seat") -> TeamSpend:
    """``team_spend`` over a connection of its own; a ``StudioError`` when the server cannot answer."""
    return on_server(url, password, lambda conn: team_spend(conn, month, by))


def set_studio(url: str, password: str | None, *, team_budget: Decimal | bool | None = False,
               share_prompts: bool | None = None, project: str | None = None,
               project_budget: Decimal | bool | None = False, archived: bool | None = None) -> None:
    """An admin's changes to the studio, all in one transaction (all made, or none): the team budget
    (``False``: unchanged; ``None``: no budget), whether prompts are shared, and ``project``'s budget on the shared
    list (adding it there) or its archiving (an archived project is no longer copied into seats' libraries; those that
    have it keep it). ``StudioError`` when archiving a project the list does not have."""
    def change(conn: psycopg.Connection[tuple[object, ...]]) -> None:
        with conn.transaction():
            if team_budget is not False:
                conn.execute(f"UPDATE {SCHEMA}.team SET monthly_budget_usd = %s", (team_budget,))
            if share_prompts is not None:
                conn.execute(f"UPDATE {SCHEMA}.team SET share_prompts = %s", (share_prompts,))
            if project is not None and project_budget is not False:
                conn.execute(f"INSERT INTO {SCHEMA}.projects (name, budget_usd) VALUES (%s, %s) "
                             "ON CONFLICT (name) DO UPDATE SET budget_usd = EXCLUDED.budget_usd",
                             (project, project_budget))
            if project is not None and archived is not None and conn.execute(
                    f"UPDATE {SCHEMA}.projects SET archived = %s WHERE name = %s", (archived, project)).rowcount == 0:
                raise StudioError(f"the studio's project list has no project called {project!r}")

    on_server(url, password, change)
