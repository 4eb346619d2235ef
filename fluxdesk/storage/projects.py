"""Projects in the library database: reads and changes on its connection (``Library`` holds the lock and calls
these inside its transactions)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core.projects import Project, ProjectError, name_key, project_name
from fluxdesk.core.serialize import decimal_text, iso_utc, utc_now
from fluxdesk.core.values import as_decimal
from fluxdesk.core.wording import plural

MAX_BUDGET_USD = Decimal("1e9")
_COLUMNS = "id, name, archived, budget_usd, created_at, last_used_at"


def _project(row: sqlite3.Row) -> Project:
    return Project(id=row["id"], name=row["name"], archived=bool(row["archived"]),
                   budget_usd=as_decimal(row["budget_usd"]), created_at=row["created_at"],
                   last_used_at=row["last_used_at"])


def projects(conn: sqlite3.Connection, *, include_archived: bool = False) -> list[Project]:
    """Most recently used first (never used: newest first), then by id."""
    where = "" if include_archived else "WHERE archived = 0"
    rows = conn.execute(f"SELECT {_COLUMNS} FROM projects {where} "
                        "ORDER BY COALESCE(last_used_at, created_at) DESC, id DESC").fetchall()
    return [_project(row) for row in rows]


def project(conn: sqlite3.Connection, project_id: int) -> Project | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM projects WHERE id = ?", (project_id,)).fetchone()
    return None if row is None else _project(row)


def project_named(conn: sqlite3.Connection, name: str) -> Project | None:
    """The project called ``name``, whatever its case; ``None`` when there is none (or the name is not one)."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM projects WHERE name_key = ?", (name_key(name),)).fetchone()
    return None if row is None else _project(row)


def existing(conn: sqlite3.Connection, project_id: int) -> Project:
    found = project(conn, project_id)
    if found is None:
        raise ProjectError(f"there is no project {project_id} in the library")
    return found


def ensure_project(conn: sqlite3.Connection, name: str, *, refuse_archived: bool = False,
                   created_at: str | None = None) -> Project:
    """The project called ``name`` (whatever its case), made (``created_at``, default now) when there is none."""
    name = project_name(name)
    found = project_named(conn, name)
    if found is None:
        cursor = conn.execute("INSERT INTO projects (name, name_key, created_at) VALUES (?, ?, ?)",
                              (name, name_key(name), created_at or iso_utc(utc_now())))
        return existing(conn, int(cursor.lastrowid or 0))
    if refuse_archived and found.archived:
        raise ProjectError(archived_words(found))
    return found


def archived_words(found: Project) -> str:
    return (f"the project {found.name} is archived: bring it back first (`fluxdesk projects archive "
            f"{json.dumps(found.name, ensure_ascii=False)} --undo`, or in Settings)")


def rename_project(conn: sqlite3.Connection, project_id: int, name: str) -> Project:
    name = project_name(name)
    existing(conn, project_id)
    other = project_named(conn, name)
    if other is not None and other.id != project_id:
        raise ProjectError(f"there is already a project called {other.name}")
    conn.execute("UPDATE projects SET name = ?, name_key = ? WHERE id = ?", (name, name_key(name), project_id))
    return existing(conn, project_id)


def archive_project(conn: sqlite3.Connection, project_id: int, archived: bool) -> Project:
    existing(conn, project_id)
    conn.execute("UPDATE projects SET archived = ? WHERE id = ?", (int(archived), project_id))
    return existing(conn, project_id)


def delete_project(conn: sqlite3.Connection, project_id: int) -> None:
    found = existing(conn, project_id)
    jobs = conn.execute("SELECT COUNT(*) FROM jobs WHERE project_id = ?", (project_id,)).fetchone()[0]
    if jobs:
        raise ProjectError(f"the project {found.name} has {plural(jobs, 'job')}: only an empty project can be "
                           "deleted (archive it to hide it, or move its images to another project first)")
    conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))


def set_project_budget(conn: sqlite3.Connection, project_id: int, usd: Decimal | None) -> Project:
    existing(conn, project_id)
    if usd is not None and (not usd.is_finite() or usd < 0 or usd >= MAX_BUDGET_USD):
        raise ProjectError(f"a project's budget is a number of dollars from 0 to {MAX_BUDGET_USD:,.0f}")
    conn.execute("UPDATE projects SET budget_usd = ? WHERE id = ?", (decimal_text(usd), project_id))
    return existing(conn, project_id)


def projects_of_images(conn: sqlite3.Connection, image_ids: Iterable[int]) -> dict[int, int | None]:
    """Each image's project id (``None``: no project); images not in the library are left out."""
    rows = conn.execute("SELECT i.id, j.project_id FROM images i JOIN jobs j ON j.id = i.job_id "
                        "WHERE i.id IN (SELECT value FROM json_each(?))", (json.dumps(list(image_ids)),)).fetchall()
    return {row[0]: row[1] for row in rows}


def move_images(conn: sqlite3.Connection, image_ids: Iterable[int], project_id: int | None) -> dict[int, int | None]:
    ids = list(dict.fromkeys(image_ids))
    if project_id is not None:
        existing(conn, project_id)
    before = projects_of_images(conn, ids)
    missing = [i for i in ids if i not in before]
    if missing:
        raise ProjectError(f"there is no image {missing[0]} in the library")
    conn.execute("UPDATE jobs SET project_id = ? WHERE id IN (SELECT job_id FROM images "
                 "WHERE id IN (SELECT value FROM json_each(?)))", (project_id, json.dumps(ids)))
    return before


def note_used(conn: sqlite3.Connection, project_id: int, when: str) -> None:
    conn.execute("UPDATE projects SET last_used_at = ? WHERE id = ?", (when, project_id))


@dataclass(frozen=True)
class ProjectTotals:
    """What one project's jobs came to, all time."""

    jobs: int
    """Every job sent for it (or moved to it), whatever became of it."""
    billed_jobs: int
    credits: Decimal
    """Billed credits (BFL's cost; the estimate where BFL gave none)."""


def project_totals(conn: sqlite3.Connection, *, include_demo: bool = False) -> dict[int | None, ProjectTotals]:
    """Per project id (``None``: jobs with no project), only those with any job. Sums are exact (``Decimal``)."""
    demo = "" if include_demo else "WHERE j.demo = 0"
    rows = conn.execute(f"SELECT j.project_id, l.billed, l.credits FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id "
                        f"{demo}").fetchall()
    jobs: dict[int | None, int] = {}
    billed: dict[int | None, int] = {}
    credits: dict[int | None, Decimal] = {}
    for project_id, is_billed, amount in rows:
        jobs[project_id] = jobs.get(project_id, 0) + 1
        if is_billed:
            billed[project_id] = billed.get(project_id, 0) + 1
            credits[project_id] = credits.get(project_id, Decimal(0)) + (as_decimal(amount) or Decimal(0))
    return {key: ProjectTotals(count, billed.get(key, 0), credits.get(key, Decimal(0))) for key, count in jobs.items()}
