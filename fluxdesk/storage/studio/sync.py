"""Sending the outbox to the studio: in order, in batches, each batch one server transaction of
``INSERT … ON CONFLICT (job_id) DO NOTHING`` (seats have no right to update), marked sent here only after the server
committed it. A crash between the two sends that batch again, and the server keeps the first copy: nothing is lost,
nothing counted twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.core.projects import name_key
from fluxdesk.storage.studio import outbox
from fluxdesk.storage.studio.link import StudioAuthError, StudioError, connect, describe
from fluxdesk.storage.studio.schema import MIGRATIONS, SCHEMA, schema_version
from fluxdesk.storage.studio.team import TeamProject, TeamSpend, team_projects, team_spend

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
_INSERT_CORRECTION = (f"INSERT INTO {SCHEMA}.ledger (job_id, seat, created_at, project, model, status, billed, "
                      "corrects) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (job_id) DO NOTHING")
_ADD_PROJECTS = f"INSERT INTO {SCHEMA}.projects (name) VALUES (%s) ON CONFLICT DO NOTHING"


@dataclass(frozen=True)
class SyncResult:
    sent: int
    """Rows sent and committed by this call (a row the server already had counts: it is now confirmed)."""
    remaining: int
    """Rows still queued (new jobs that ended meanwhile)."""
    at: datetime
    adopted: tuple[str, ...] = ()
    """Projects of the studio's shared list this library did not have, made in it by this sync."""
    waiting: str | None = None
    """Why some rows stay queued although the server answered (corrections for a studio whose schema is older)."""
    team: TeamSpend | None = None
    """The team's month by project, read over the same connection after sending (when the ``Syncer`` was asked)."""
    projects: tuple[TeamProject, ...] = ()
    """The studio's shared project list, as read by this sync."""


class StudioLibraryError(StudioError):
    """This FluxDesk's own library could not be read or written (locked, damaged, a full disk): nothing was lost on
    either side; the rows stay queued."""


def _add_projects(cur: psycopg.Cursor[tuple[object, ...]],
                  rows: Sequence[outbox.OutboxRow | outbox.CorrectionRow]) -> None:
    """Put the projects ``rows`` name on the studio's shared list (by name; the admin sets budgets)."""
    projects = sorted({r.project for r in rows if r.project is not None})
    if projects:
        cur.executemany(_ADD_PROJECTS, [(name,) for name in projects])


def _spelling(projects: Sequence[TeamProject]) -> Callable[[str], str]:
    """A project's name as the studio's list (oldest first) spells it, whatever this library's case: "acme" here is
    counted under the team's "Acme", not beside it."""
    known: dict[str, str] = {}
    for project in projects:
        known.setdefault(name_key(project.name), project.name)
    return lambda name: known.setdefault(name_key(name), name)


@contextlib.contextmanager
def _library(home: Path) -> Iterator[sqlite3.Connection]:
    """``home``'s library for a sync; its failures as ``StudioLibraryError`` (never blamed on the server)."""
    import sqlite3

    from fluxdesk.storage.db import LibraryError

    try:
        with outbox.library_db(home) as local:
            yield local
    except (LibraryError, sqlite3.Error) as exc:
        raise StudioLibraryError(f"this FluxDesk's library could not be read or written ({exc}); the ledger rows "
                                 "stay queued here") from None


Queued = TypeVar("Queued", outbox.OutboxRow, outbox.CorrectionRow)


def _drain(local: sqlite3.Connection, server: psycopg.Connection[tuple[object, ...]],
           fetch: Callable[[], list[Queued]], insert: str, values: Callable[[Queued], tuple[object, ...]], *,
           corrections: bool = False) -> int:
    """Send batches of ``fetch()`` until it has none, each one server transaction, marked sent here only after the
    server committed it; answers how many rows went."""
    sent = 0
    while rows := fetch():
        with server.transaction(), server.cursor() as cur:
            _add_projects(cur, rows)
            cur.executemany(insert, [values(r) for r in rows])
        outbox.mark_sent(local, [r.seq for r in rows], datetime.now(UTC), corrections=corrections)
        sent += len(rows)
    return sent


def backoff(failures: int, *, first: float = FIRST_RETRY_S, cap: float = MAX_RETRY_S) -> float:
    """Seconds to wait after ``failures`` failed syncs in a row: 2, 4, 8 … up to five minutes."""
    return float(min(cap, first * 2.0 ** max(0, failures - 1)))


class Syncer:
    """Sends one FluxDesk home's outbox to the studio as ``seat``. ``sync_once()`` sends everything queued (a
    ``StudioError`` when it cannot: ``StudioUnreachableError`` is worth retrying); ``run(stop)`` does so until
    ``stop`` is set, every ``interval`` seconds, backing off while the server is unreachable."""

    def __init__(self, home: Path, url: str, seat: str, password: str | None, *, batch_rows: int = BATCH_ROWS,
                 usd_per_credit: Decimal = USD_PER_CREDIT, connect_timeout: float = 5.0,
                 team_month: Callable[[], str] | None = None) -> None:
        self.home = home
        self.url = url
        self.seat = seat
        self._password = password
        self.batch_rows = batch_rows
        self.usd_per_credit = usd_per_credit
        self.connect_timeout = connect_timeout
        self.team_month = team_month
        """With it, each sync also reads that month of the team's figures (``SyncResult.team``)."""

    def __repr__(self) -> str:  # no password, ever
        return f"Syncer(seat={self.seat!r})"

    def sync_once(self) -> SyncResult:
        import psycopg

        with _library(self.home) as local, connect(self.url, self._password, timeout=self.connect_timeout) as server:
            try:
                return self._send(local, server)
            except psycopg.Error as exc:
                raise describe(exc, self.url) from None

    def requeue_all(self) -> int:
        """Queue again every row sent before (``outbox.requeue_all``)."""
        with _library(self.home) as local:
            return outbox.requeue_all(local)

    def _send(self, local: sqlite3.Connection, server: psycopg.Connection[tuple[object, ...]]) -> SyncResult:
        row = server.execute(f"SELECT share_prompts FROM {SCHEMA}.team").fetchone()
        share_prompts = bool(row and row[0])
        projects = team_projects(server)
        spelled = _spelling(projects)
        sent = _drain(local, server, lambda: outbox.next_rows(local, self.batch_rows, spelled), _INSERT, lambda r: (
            r.job_id, self.seat, r.created_at, r.project, r.model, r.width, r.height, r.credits,
            None if r.credits is None else r.credits * self.usd_per_credit, r.status, r.billed,
            r.prompt if share_prompts else None))
        # Corrections after every row they correct, once the server's schema knows them.
        waiting = None
        if outbox.next_corrections(local, 1) and (version := schema_version(server)) < len(MIGRATIONS):
            waiting = (f"the studio's schema is version {version}, older than this FluxDesk's ({len(MIGRATIONS)}): "
                       "images moved to another project wait to be re-filed until the studio's admin runs "
                       "`fluxdesk studio init` (new jobs' rows still go)")
        else:
            sent += _drain(local, server, lambda: outbox.next_corrections(local, self.batch_rows, spelled),
                           _INSERT_CORRECTION, lambda f: (f.row_id, self.seat, f.created_at, f.project, f.model,
                                                          f.status, f.billed, f.job_id), corrections=True)
        now = datetime.now(UTC)
        if not sent:
            outbox.note_synced(local, now)
        adopted = outbox.adopt_projects(  # the studio's projects, for this seat's picker
            local, [(p.name, p.created_at) for p in projects if not p.archived])
        team = team_spend(server, self.team_month(), "project") if self.team_month is not None else None
        return SyncResult(sent, outbox.queued(local), now, tuple(adopted), waiting, team, tuple(projects))

    def run(self, stop: threading.Event, *, interval: float = INTERVAL_S,
            on_result: Callable[[SyncResult], None] | None = None,
            on_error: Callable[[StudioError, float], None] | None = None,
            wake: threading.Event | None = None) -> None:
        """Sync until ``stop`` is set: every ``interval`` seconds, sooner when ``wake`` is set (a job ended: whoever
        sets ``stop`` sets ``wake`` too), or after a failure ``backoff`` seconds (told to ``on_error`` with the
        wait; a wake does not cut a backoff short). A refused password waits the longest: retrying soon will not
        help."""
        failures = 0
        while not stop.is_set():
            if wake is not None:
                wake.clear()  # what ended before this sync goes with it
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
            (wake or stop).wait(interval)
