"""The library's side of studio mode: the outbox of ledger rows still to send (``studio_outbox``, filled by a trigger
when a job ends: see ``storage.db._migrate_v7``) and the corrections to send after them (``studio_corrections``, a job
moved to another project or its project renamed: ``_migrate_v8``), switched on when this library joins a studio."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from fluxdesk.core.projects import ProjectError, name_key, project_name
from fluxdesk.core.serialize import iso_utc, parse_iso
from fluxdesk.core.values import as_decimal
from fluxdesk.storage.db import open_database, transaction
from fluxdesk.storage.paths import database_path
from fluxdesk.storage.projects import ensure_project, project_named

_SWITCH = "studio_outbox"
_LAST_SYNC = "studio_last_sync"
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
BILLED_STATUSES = ("done", "expired")


@dataclass(frozen=True)
class OutboxRow:
    """One queued ledger row, as it will be sent."""

    seq: int
    job_id: str
    created_at: datetime
    project: str | None
    model: str
    width: int | None
    height: int | None
    credits: Decimal | None
    status: str
    prompt: str

    @property
    def billed(self) -> bool:
        return self.status in BILLED_STATUSES


@contextlib.contextmanager
def library_db(home: Path) -> Iterator[sqlite3.Connection]:
    """A connection of its own to ``home``'s library (the studio link's thread), closed after."""
    conn = open_database(database_path(home))
    try:
        yield conn
    finally:
        conn.close()


def switch_on(conn: sqlite3.Connection) -> None:
    """From now on every job that ends is queued for the studio."""
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'on')", (_SWITCH,))


def switch_off(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM meta WHERE key = ?", (_SWITCH,))


def is_on(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key = ? AND value = 'on'", (_SWITCH,)).fetchone() is not None


def queued(conn: sqlite3.Connection) -> int:
    """How many rows wait to be sent (corrections included)."""
    return int(conn.execute("SELECT (SELECT count(*) FROM studio_outbox WHERE sent_at IS NULL) "
                            "+ (SELECT count(*) FROM studio_corrections WHERE sent_at IS NULL)").fetchone()[0])


def _as_is(name: str) -> str:
    return name


def next_rows(conn: sqlite3.Connection, limit: int, spelled: Callable[[str], str] = _as_is) -> list[OutboxRow]:
    """The oldest ``limit`` rows not yet sent, in the order their jobs ended (projects named as ``spelled`` says)."""
    rows = conn.execute(
        """SELECT o.seq, j.id, COALESCE(j.submitted_at, j.created_at) AS time, p.name AS project, j.model,
                  i.width, i.height, j.size, COALESCE(j.cost_credits, j.estimated_credits) AS credits, j.status,
                  j.prompt
           FROM studio_outbox o JOIN jobs j ON j.id = o.job_id
                LEFT JOIN images i ON i.job_id = j.id LEFT JOIN projects p ON p.id = j.project_id
           WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT ?""", (limit,)).fetchall()
    out = []
    for row in rows:
        width, height = row["width"], row["height"]
        if width is None and row["size"]:
            match = _SIZE.match(row["size"])
            if match:
                width, height = int(match[1]), int(match[2])
        project = None if row["project"] is None else spelled(row["project"])
        out.append(OutboxRow(row["seq"], row["id"], parse_iso(row["time"]), project, row["model"], width,
                             height, as_decimal(row["credits"]), row["status"], row["prompt"]))
    return out


@dataclass(frozen=True)
class CorrectionRow:
    """A job to re-file on the server under the project it belongs to now (read as it is sent)."""

    seq: int
    job_id: str
    created_at: datetime
    project: str | None
    model: str
    status: str

    @property
    def billed(self) -> bool:
        return self.status in BILLED_STATUSES

    @property
    def row_id(self) -> str:
        """The correction's own id in the team's ledger: the same each time it is sent, so it is kept once."""
        return f"{self.job_id}~project~{self.seq}"


def next_corrections(conn: sqlite3.Connection, limit: int,
                     spelled: Callable[[str], str] = _as_is) -> list[CorrectionRow]:
    """The oldest ``limit`` corrections not yet sent whose job's own row was: a correction never reaches the server
    before the row it corrects (one whose row still waits goes next time, when it is a no-op there)."""
    rows = conn.execute(
        """SELECT c.seq, j.id, COALESCE(j.submitted_at, j.created_at) AS time, p.name AS project, j.model, j.status
           FROM studio_corrections c JOIN jobs j ON j.id = c.job_id
                JOIN studio_outbox o ON o.job_id = c.job_id AND o.sent_at IS NOT NULL
                LEFT JOIN projects p ON p.id = j.project_id
           WHERE c.sent_at IS NULL ORDER BY c.seq LIMIT ?""", (limit,)).fetchall()
    return [CorrectionRow(row["seq"], row["id"], parse_iso(row["time"]),
                          None if row["project"] is None else spelled(row["project"]), row["model"], row["status"])
            for row in rows]


def requeue_all(conn: sqlite3.Connection) -> int:
    """Queue every row sent before again (after the server was restored from an older backup: it keeps the copies it
    has, takes the ones it lost); answers how many. Corrections go again too, after the rows they correct."""
    with transaction(conn):
        rows = conn.execute("UPDATE studio_outbox SET sent_at = NULL WHERE sent_at IS NOT NULL").rowcount
        return rows + conn.execute("UPDATE studio_corrections SET sent_at = NULL WHERE sent_at IS NOT NULL").rowcount


def mark_sent(conn: sqlite3.Connection, seqs: list[int], when: datetime, *, corrections: bool = False) -> None:
    """The rows (or ``corrections``) the server has committed; and the time of this link's last good sync."""
    stamp = iso_utc(when)
    table = "studio_corrections" if corrections else "studio_outbox"
    with transaction(conn):
        conn.executemany(f"UPDATE {table} SET sent_at = ? WHERE seq = ?", [(stamp, seq) for seq in seqs])
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_LAST_SYNC, stamp))


def note_synced(conn: sqlite3.Connection, when: datetime) -> None:
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_LAST_SYNC, iso_utc(when)))


def last_sync(conn: sqlite3.Connection) -> datetime | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_LAST_SYNC,)).fetchone()
    if row is None:
        return None
    try:
        return parse_iso(row[0]).astimezone(UTC)
    except ValueError:
        return None


def adopt_projects(conn: sqlite3.Connection, names: Iterable[tuple[str, datetime]]) -> list[str]:
    """Make each project of the studio's shared list (name, when the studio added it) that this library has not
    (whatever the case) and did not let go of (renamed or deleted here); answers the names made. A name this FluxDesk
    could not use is passed over."""
    def missing() -> list[tuple[str, datetime]]:
        out = []
        for name, created_at in names:
            try:
                name = project_name(name)
            except ProjectError:
                continue
            dropped = conn.execute("SELECT 1 FROM studio_dropped_projects WHERE name_key = ?",
                                   (name_key(name),)).fetchone()
            if dropped is None and project_named(conn, name) is None:
                out.append((name, created_at))
        return out

    names = list(names)
    if not missing():  # the usual sync: nothing new, and no write lock taken on the library
        return []
    with transaction(conn):
        made = missing()  # again under the lock: another process may have made some meanwhile
        for name, created_at in made:
            ensure_project(conn, name, created_at=iso_utc(created_at))
    return [name for name, _created in made]
