"""The library's side of studio mode: the outbox of ledger rows still to send (``studio_outbox``, filled by a trigger
when a job ends: see ``storage.db._migrate_v7``), switched on when this library joins a studio."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from fluxdesk.core.serialize import iso_utc, parse_iso
from fluxdesk.core.values import as_decimal
from fluxdesk.storage.db import transaction

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
    """How many rows wait to be sent."""
    return int(conn.execute("SELECT count(*) FROM studio_outbox WHERE sent_at IS NULL").fetchone()[0])


def next_rows(conn: sqlite3.Connection, limit: int) -> list[OutboxRow]:
    """The oldest ``limit`` rows not yet sent, in the order their jobs ended."""
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
        out.append(OutboxRow(row["seq"], row["id"], parse_iso(row["time"]), row["project"], row["model"], width,
                             height, as_decimal(row["credits"]), row["status"], row["prompt"]))
    return out


def requeue_all(conn: sqlite3.Connection) -> int:
    """Queue every row sent before again (after the server was restored from an older backup: it keeps the copies it
    has, takes the ones it lost); answers how many."""
    with transaction(conn):
        return conn.execute("UPDATE studio_outbox SET sent_at = NULL WHERE sent_at IS NOT NULL").rowcount


def mark_sent(conn: sqlite3.Connection, seqs: list[int], when: datetime) -> None:
    """The rows the server has committed; and the time of this link's last good sync."""
    stamp = iso_utc(when)
    with transaction(conn):
        conn.executemany("UPDATE studio_outbox SET sent_at = ? WHERE seq = ?", [(stamp, seq) for seq in seqs])
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
