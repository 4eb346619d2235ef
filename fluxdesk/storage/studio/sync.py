"""Sending the outbox to the studio: in order, in batches, each batch one server transaction of
``INSERT … ON CONFLICT (job_id) DO NOTHING`` (seats have no right to update), marked sent here only after the server
committed it. A crash between the two sends that batch again, and the server keeps the first copy: nothing is lost,
nothing counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.storage.db import open_database
from fluxdesk.storage.paths import database_path
from fluxdesk.storage.studio import outbox
from fluxdesk.storage.studio.link import StudioAuthError, StudioError, connect, describe
from fluxdesk.storage.studio.schema import SCHEMA

if TYPE_CHECKING:
    import sqlite3

    import psycopg

BATCH_ROWS = 500
FIRST_RETRY_S = 2.0
MAX_RETRY_S = 300.0
INTERVAL_S = 30.0

_INSERT = (f"INSERT INTO {SCHEMA}.ledger (job_id, seat, created_at, project, model, width, height, credits, usd, "
           "status, billed, prompt) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
           "ON CONFLICT (job_id) DO NOTHING")


@dataclass(frozen=True)
class SyncResult:
    sent: int
    """Rows sent and committed by this call (a row the server already had counts: it is now confirmed)."""
    remaining: int
    """Rows still queued (new jobs that ended meanwhile)."""
    at: datetime


def backoff(failures: int, *, first: float = FIRST_RETRY_S, cap: float = MAX_RETRY_S) -> float:
    """Seconds to wait after ``failures`` failed syncs in a row: 2, 4, 8 … up to five minutes."""
    return float(min(cap, first * 2.0 ** max(0, failures - 1)))


class Syncer:
    """Sends one FluxDesk home's outbox to the studio as ``seat``. ``sync_once()`` sends everything queued (a
    ``StudioError`` when it cannot: ``StudioUnreachableError`` is worth retrying); ``run(stop)`` does so until
    ``stop`` is set, every ``interval`` seconds, backing off while the server is unreachable."""

    def __init__(self, home: Path, url: str, seat: str, password: str | None, *, batch_rows: int = BATCH_ROWS,
                 usd_per_credit: Decimal = USD_PER_CREDIT, connect_timeout: float = 5.0) -> None:
        self.home = home
        self.url = url
        self.seat = seat
        self._password = password
        self.batch_rows = batch_rows
        self.usd_per_credit = usd_per_credit
        self.connect_timeout = connect_timeout

    def __repr__(self) -> str:  # no password, ever
        return f"Syncer(seat={self.seat!r})"

    def sync_once(self) -> SyncResult:
        local = open_database(database_path(self.home))
        try:
            with connect(self.url, self._password, timeout=self.connect_timeout) as server:
                try:
                    return self._send(local, server)
                except StudioError:
                    raise
                except Exception as exc:
                    raise describe(exc, self.url) from None
        finally:
            local.close()

    def requeue_all(self) -> int:
        """Queue again every row sent before (``outbox.requeue_all``)."""
        local = open_database(database_path(self.home))
        try:
            return outbox.requeue_all(local)
        finally:
            local.close()

    def _send(self, local: sqlite3.Connection, server: psycopg.Connection[tuple[object, ...]]) -> SyncResult:
        row = server.execute(f"SELECT share_prompts FROM {SCHEMA}.team").fetchone()
        share_prompts = bool(row and row[0])
        sent = 0
        while True:
            rows = outbox.next_rows(local, self.batch_rows)
            if not rows:
                break
            with server.transaction(), server.cursor() as cur:
                projects = sorted({r.project for r in rows if r.project is not None})
                if projects:
                    cur.executemany(f"INSERT INTO {SCHEMA}.projects (name) VALUES (%s) ON CONFLICT DO NOTHING",
                                    [(name,) for name in projects])
                cur.executemany(_INSERT, [
                    (r.job_id, self.seat, r.created_at, r.project, r.model, r.width, r.height, r.credits,
                     None if r.credits is None else r.credits * self.usd_per_credit, r.status, r.billed,
                     r.prompt if share_prompts else None) for r in rows])
            outbox.mark_sent(local, [r.seq for r in rows], datetime.now(UTC))  # only once the server committed
            sent += len(rows)
        now = datetime.now(UTC)
        if not sent:
            outbox.note_synced(local, now)
        return SyncResult(sent, outbox.queued(local), now)

    def run(self, stop: threading.Event, *, interval: float = INTERVAL_S,
            on_result: Callable[[SyncResult], None] | None = None,
            on_error: Callable[[StudioError, float], None] | None = None) -> None:
        """Sync until ``stop`` is set: every ``interval`` seconds, or after a failure ``backoff`` seconds (told to
        ``on_error`` with the wait). A refused password waits the longest: retrying soon will not help."""
        failures = 0
        while not stop.is_set():
            try:
                result = self.sync_once()
            except StudioError as exc:
                failures += 1
                wait = MAX_RETRY_S if isinstance(exc, StudioAuthError) else backoff(failures)
                if on_error is not None:
                    on_error(exc, wait)
                stop.wait(wait)
                continue
            failures = 0
            if on_result is not None:
                on_result(result)
            stop.wait(interval)
