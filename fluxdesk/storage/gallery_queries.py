"""The gallery's reads: ordered id lists, pages of light rows, sums, on a read-only connection of their own.

These are the library's only search: a grid over 100,000 images needs the whole ordered list of ids (for
an exact count and a scrollbar that jumps anywhere) and then small pages of a few columns by id, never the
full rows. The queries are written so SQLite answers them from indexes alone (``images_by_date``,
``images_by_model``, ``images_favourites``, the partial ``images_trashed``): "not trashed" is
``id NOT IN (trashed ids)`` rather than ``trashed_at IS NULL``, which would read every row of the table.
The lineage filters (edits only, the edits of one image) take their ids from ``job_references`` and sort just
those: their cost follows the number of edits, never the size of the library.

A separate connection in WAL mode reads beside the library's writer without taking its lock. Every call
blocks: run them on a worker thread. Safe to share between threads (calls are serialised).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, Literal, NamedTuple

from fluxdesk.core.serialize import iso_utc
from fluxdesk.core.values import as_decimal
from fluxdesk.storage.db import DEFAULT_BUSY_TIMEOUT_MS, LibraryError, describe_error
from fluxdesk.storage.library import Library

PROMPT_CHARS = 300
"""Prompts in a page are cut to this: enough for a tooltip, and 100,000 rows stay small."""
_MAX_SEARCH_WORDS = 16
_NOT_TRASHED = "id NOT IN (SELECT id FROM images WHERE trashed_at IS NOT NULL)"
_TRASHED = "id IN (SELECT id FROM images WHERE trashed_at IS NOT NULL)"
# Lineage, by id like the rest: the set of edits comes from ``job_references`` (its rows, not the images'), each
# job's image found by the unique index on ``images.job_id``.
_EDITS = "id IN (SELECT e.id FROM job_references r JOIN images e ON e.job_id = r.job_id)"
_EDITS_OF = ("id IN (SELECT e.id FROM job_references r JOIN images e ON e.job_id = r.job_id "
             "WHERE r.from_image_id = ?)")
# Projects, by job: the jobs of one project come from the partial index ``jobs_by_project``; "no project" is "not in
# any project" for the same reason as "not trashed" (the jobs with a project are the few the index holds).
_OF_PROJECT = "id IN (SELECT i.id FROM jobs j JOIN images i ON i.job_id = j.id WHERE j.project_id = ?)"
_WITHOUT_PROJECT = ("id NOT IN (SELECT i.id FROM jobs j JOIN images i ON i.job_id = j.id "
                    "WHERE j.project_id IS NOT NULL)")
NO_PROJECT_FILTER: Literal["none"] = "none"
"""``GalleryQuery.project`` for the images of jobs sent for no project."""


class GalleryClosedError(LibraryError):
    """The gallery's connection was closed (the library was switched): the answer is no longer wanted."""


@dataclass(frozen=True)
class GalleryQuery:
    """What the grid shows. ``date_from`` inclusive, ``date_to`` exclusive (aware datetimes)."""

    text: str = ""
    model: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    favourites_only: bool = False
    demo: bool | None = None
    """``True`` demo images only, ``False`` real ones only, ``None`` both."""
    trash: bool = False
    edits_only: bool = False
    """Only images made with references (edits)."""
    edits_of: int | None = None
    """Only images made with this library image as a reference (what it was used in)."""
    project: int | Literal["none"] | None = None
    """``None``: every project's images; a project id: only its images; ``NO_PROJECT_FILTER``: only those of jobs
    sent for no project."""
    order: Literal["date", "cost"] = "date"
    descending: bool = True

    @property
    def newest_first(self) -> bool:
        return self.order == "date" and self.descending

    def has_filters(self) -> bool:
        """Whether anything narrows the list (the trash view itself does not count)."""
        return bool(search_words(self.text) or self.model or self.date_from or self.date_to
                    or self.favourites_only or self.demo is not None or self.edits_only
                    or self.edits_of is not None or self.project is not None)


class GalleryItem(NamedTuple):
    """One tile's worth of an image: what the grid paints and its tooltip says, nothing more.

    A tuple of plain values on purpose: Python's garbage collector stops tracking such tuples, so tens of
    thousands of cached rows add nothing to its full collections (which would stall the GUI thread).
    """

    id: int
    path: str
    prompt: str
    model: str
    seed: int | None
    cost_credits: Decimal | None
    created_at: str
    favourite: bool
    demo: bool
    trashed: bool
    width: int | None
    height: int | None
    missing: bool
    """The file was not on disk when the row was read."""
    broken: bool = False
    """The file is there but cannot be decoded (set by the view when its thumbnail fails)."""


def search_words(text: str) -> list[str]:
    return re.findall(r"\w+", text or "")[:_MAX_SEARCH_WORDS]


class GalleryQueries:
    """Read-only queries over one library's database. ``close()`` when the library goes away."""

    def __init__(self, database_path: Path, search_backend: str = "fts5", *,
                 busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.database_path = Path(database_path)
        self.search_backend = search_backend
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def for_library(cls, library: Library) -> GalleryQueries:
        """Queries over ``library``'s database. Opens nothing yet: the first query does, on its thread."""
        return cls(library.database_path, library.search_backend)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- queries ----------------------------------------------------------------------------------

    def ids(self, query: GalleryQuery) -> array[int]:
        """Every matching image id, in the query's order (``array('q')``: 8 bytes an image)."""
        where, params = self._where(query)
        rows = self._run(f"SELECT id FROM images {where} ORDER BY {_order_by(query)}", params)
        return array("q", chain.from_iterable(rows))

    def items(self, ids: Sequence[int]) -> list[GalleryItem]:
        """The light rows of ``ids`` (any that no longer exist are left out), in no particular order.

        Each file is looked up on disk here, so the grid can show a missing one at once.
        """
        if not ids:
            return []
        rows = self._run(
            f"""SELECT id, path, substr(prompt, 1, {PROMPT_CHARS}), model, seed, cost_credits, created_at,
                       favourite, demo, trashed_at IS NOT NULL, width, height
                FROM images WHERE id IN (SELECT value FROM json_each(?))""", (json.dumps(list(ids)),))
        return [GalleryItem(id=r[0], path=r[1], prompt=r[2], model=r[3], seed=r[4], cost_credits=as_decimal(r[5]),
                            created_at=r[6], favourite=bool(r[7]), demo=bool(r[8]), trashed=bool(r[9]),
                            width=r[10], height=r[11], missing=not os.path.exists(r[1]))
                for r in rows]

    def matching_item(self, query: GalleryQuery, image_id: int) -> GalleryItem | None:
        """The image's light row if it matches ``query``, else ``None``."""
        where, params = self._where(query)
        where = f"{where} AND id = ?" if where else "WHERE id = ?"
        if not self._run(f"SELECT id FROM images {where}", [*params, image_id]):
            return None
        found = self.items([image_id])
        return found[0] if found else None

    def total_cost(self, ids: Iterable[int]) -> Decimal:
        """The credits the images cost, summed exactly (images with no known cost count as 0)."""
        rows = self._run("SELECT cost_credits FROM images WHERE id IN (SELECT value FROM json_each(?))",
                         (json.dumps(list(ids)),))
        return sum((as_decimal(row[0]) or Decimal(0) for row in rows), Decimal(0))

    def paths(self, ids: Iterable[int]) -> dict[int, str]:
        rows = self._run("SELECT id, path FROM images WHERE id IN (SELECT value FROM json_each(?))",
                         (json.dumps(list(ids)),))
        return {row[0]: row[1] for row in rows}

    def trashed_ids(self) -> list[int]:
        return [row[0] for row in self._run(f"SELECT id FROM images WHERE {_TRASHED}", ())]

    # --- plumbing ---------------------------------------------------------------------------------

    def _where(self, query: GalleryQuery) -> tuple[str, list[Any]]:
        clauses = [_TRASHED if query.trash else _NOT_TRASHED]
        params: list[Any] = []
        if query.model:
            clauses.append("model = ?")
            params.append(query.model)
        if query.favourites_only:
            clauses.append("favourite = 1")
        if query.demo is not None:
            clauses.append("demo = ?")
            params.append(int(query.demo))
        if query.edits_only:
            clauses.append(_EDITS)
        if query.edits_of is not None:
            clauses.append(_EDITS_OF)
            params.append(query.edits_of)
        if query.project == NO_PROJECT_FILTER:
            clauses.append(_WITHOUT_PROJECT)
        elif query.project is not None:
            clauses.append(_OF_PROJECT)
            params.append(query.project)
        if query.date_from is not None:
            clauses.append("created_at >= ?")
            params.append(iso_utc(query.date_from))
        if query.date_to is not None:
            clauses.append("created_at < ?")
            params.append(iso_utc(query.date_to))
        words = search_words(query.text)
        if words and self.search_backend == "fts5":
            clauses.append("id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            params.append(" ".join(f'"{word}"*' for word in words))
        else:
            for word in words:
                pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                clauses.append("(prompt LIKE ? ESCAPE '\\' OR prompt_used LIKE ? ESCAPE '\\')")
                params += [pattern, pattern]
        return "WHERE " + " AND ".join(clauses), params

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            conn = self._connection()
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise describe_error(exc, self.database_path) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise GalleryClosedError("the gallery's library was closed")
        if self._conn is None:
            try:
                conn = sqlite3.connect(self.database_path, timeout=self._busy_timeout_ms / 1000,
                                       isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA query_only = 1")
            except sqlite3.Error as exc:
                raise describe_error(exc, self.database_path) from exc
            self._conn = conn
        return self._conn


def _order_by(query: GalleryQuery) -> str:
    direction = "DESC" if query.descending else "ASC"
    if query.order == "cost":
        return f"CAST(cost_credits AS REAL) {direction}, id {direction}"
    if query.order == "date":
        return f"created_at {direction}, id {direction}"
    raise ValueError(f"order is 'date' or 'cost', not {query.order!r}")
