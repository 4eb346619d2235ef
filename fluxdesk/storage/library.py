"""The library: the job journal, the gallery's images and the spend ledger, in one SQLite database.

One ``Library`` per process, shared by threads: every call takes a lock (SQLite connections must not
be used concurrently). Other processes (the command line beside the app) share the database
file safely through SQLite's own locking.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from fluxdesk.core.catalog import AspectRatioSize, DimensionSize, UnknownModelError, get_model
from fluxdesk.core.jobs import FINAL_STATES, JobStatus
from fluxdesk.core.metadata import ImageRecord, MetadataError, to_json
from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.core.projects import Project
from fluxdesk.core.request import GenerationRequest, edit_output_size, effective_size
from fluxdesk.core.serialize import decimal_text, iso_utc, parse_iso, request_to_dict, utc_now
from fluxdesk.core.values import as_decimal, as_float, as_int
from fluxdesk.storage import project_spend as project_spend_queries
from fluxdesk.storage import projects as project_queries
from fluxdesk.storage import spend as spend_queries
from fluxdesk.storage.db import (
    DEFAULT_BUSY_TIMEOUT_MS,
    LibraryError,
    describe_error,
    open_database,
    transaction,
)
from fluxdesk.storage.files import (
    atomic_write,
    ensure_dir,
    image_path,
    move_to_trash,
    remove_stale_parts,
    restore_from_trash,
    write_new_file,
)
from fluxdesk.storage.imaging import decode_check
from fluxdesk.storage.metadata_io import embed_metadata
from fluxdesk.storage.paths import database_path, default_library_dir, references_dir, thumbnails_dir, trash_dir
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.storage.projects import ProjectTotals
from fluxdesk.storage.rows import IMAGES_SQL, JOBS_SQL, ImageRow, JobRow, ReferenceRow, image_from_row, job_from_row
from fluxdesk.storage.spend import LedgerRow, MonthSpend, RecentVolume, SpendSummary
from fluxdesk.storage.thumbnails import forget_thumbnails

TRASH_DAYS = 30
"""Trashed images are deleted for good this many days later."""

P = ParamSpec("P")
R = TypeVar("R")

_SQL_INT_MIN, _SQL_INT_MAX = -(2**63), 2**63 - 1
"""What an SQLite INTEGER holds: a larger seed or steps in a record (JSON has no limit) is stored as NULL."""
_MAX_ERROR_CHARS = 2000
_INLINE_IMAGE_CHARS = 512
_IMAGE_FIELDS = re.compile(r"^(input_image(_\d+)?|image_prompt|image|mask)$")


class UnknownJobError(LibraryError):
    pass


class UnknownImageError(LibraryError):
    pass


def _guarded(method: Callable[Concatenate[Library, P], R]) -> Callable[Concatenate[Library, P], R]:
    """Serialise calls on the shared connection and turn SQLite errors into ``LibraryError``s."""
    @functools.wraps(method)
    def wrapper(self: Library, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise describe_error(exc, self.database_path) from exc
    return wrapper


def _redacted_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body as stored: input image data (megabytes of base64) replaced by a note of its length."""
    out = {}
    for key, value in body.items():
        if _IMAGE_FIELDS.match(key) and isinstance(value, str) and len(value) > _INLINE_IMAGE_CHARS:
            value = f"<omitted: {len(value)} characters>"
        out[key] = value
    return out


def _size_text(request: GenerationRequest) -> str | None:
    try:
        model = get_model(request.model)
    except UnknownModelError:
        return None
    if isinstance(model.size, DimensionSize):
        try:
            width, height = effective_size(request, model)
        except ValueError:
            return None
        return f"{width}x{height}"
    if isinstance(model.size, AspectRatioSize):
        return request.aspect_ratio or model.size.default
    size = edit_output_size(request, model)  # an editing tool: the image's size, grown by Expand's sides
    return None if size is None else f"{size[0]}x{size[1]}"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


REFERENCE_EXTENSIONS = ("jpg", "png")
"""Prepared references are JPEG or PNG (``storage.references``)."""


def stored_reference(folder: Path, sha256: str) -> Path | None:
    """The file in a library's references ``folder`` holding the reference ``sha256``, as ``store_reference``
    lays it out; ``None`` when there is none. Looks, never opens or creates anything."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    for extension in REFERENCE_EXTENSIONS:
        path = folder / sha256[:2] / f"{sha256}.{extension}"
        if path.is_file():
            return path
    return None


class MissingReferenceError(LibraryError):
    """A reference a job needs whose bytes the library no longer holds."""

    def __init__(self, sha256: str, *, changed: bool = False) -> None:
        what = "was changed on disk" if changed else "is no longer in the library"
        super().__init__(f"the reference image {sha256[:12]}… {what}")
        self.sha256 = sha256


class Library:
    """Open with ``Library.open(home)``; close with ``close()`` or a ``with`` block."""

    def __init__(self, conn: sqlite3.Connection, home: Path, library_dir: Path) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.home = home
        self.library_dir = library_dir
        self.thumbnails_dir = thumbnails_dir(home)
        self.references_dir = references_dir(home)
        self.trash_dir = trash_dir(home)
        self.database_path = database_path(home)
        row = conn.execute("SELECT value FROM meta WHERE key = 'search'").fetchone()
        self.search_backend: str = row[0] if row else "like"

    @classmethod
    def open(cls, home: Path, *, library_dir: Path | None = None,
             busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, start_fresh_if_damaged: bool = False,
             remove_temp_files: bool = True) -> Library:
        """Create the folders, open and migrate ``home/fluxdesk.db``, clear stale temp files.

        A damaged database is a ``CorruptDatabaseError`` with a backup kept (see ``open_database``).
        ``remove_temp_files=False`` skips the sweep (it walks the whole library folder), so the app
        can run ``remove_stale_temp_files`` on a worker thread instead.
        """
        home = Path(home).expanduser().absolute()
        library_dir = Path(library_dir).expanduser().absolute() if library_dir else default_library_dir(home)
        try:
            for folder in (home, library_dir, thumbnails_dir(home), trash_dir(home)):
                ensure_dir(folder)
        except OSError as exc:
            raise LibraryError(f"cannot create the library folders in {home}: {exc.strerror or exc}") from None
        conn = open_database(database_path(home), busy_timeout_ms=busy_timeout_ms,
                             start_fresh_if_damaged=start_fresh_if_damaged)
        library = cls(conn, home, library_dir)
        if remove_temp_files:
            library.remove_stale_temp_files()
        return library

    # --- reference images ----------------------------------------------------------------------

    def reference_path(self, sha256: str) -> Path | None:
        """The stored file of the reference whose bytes hash to ``sha256``; ``None`` when it is not kept."""
        return stored_reference(self.references_dir, sha256)

    def store_reference(self, data: bytes, extension: str) -> tuple[str, Path]:
        """Keep a reference's bytes once (a second call with the same bytes writes nothing); answer its
        SHA-256 and file."""
        if extension not in REFERENCE_EXTENSIONS:
            raise ValueError(f"a reference is stored as one of {', '.join(REFERENCE_EXTENSIONS)}")
        sha256 = hashlib.sha256(data).hexdigest()
        existing = self.reference_path(sha256)
        if existing is not None:
            return sha256, existing
        path = self.references_dir / sha256[:2] / f"{sha256}.{extension}"
        atomic_write(path, data)
        return sha256, path

    def reference_data(self, sha256: str) -> bytes:
        """The bytes of a stored reference, checked against their SHA-256. ``MissingReferenceError`` when the
        file is gone or no longer holds those bytes."""
        path = self.reference_path(sha256)
        if path is None:
            raise MissingReferenceError(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise MissingReferenceError(sha256) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise MissingReferenceError(sha256, changed=True)
        return data

    def remove_stale_temp_files(self) -> int:
        """Delete ``*.part`` files a crash left behind (older than an hour); answer how many."""
        return sum(remove_stale_parts(folder) for folder in (self.library_dir, self.thumbnails_dir))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the job journal ---------------------------------------------------------------------

    @_guarded
    def create_job(self, request: GenerationRequest, body: Mapping[str, Any], *, demo: bool,
                   batch_id: str | None = None, seq: int = 0, status: JobStatus = JobStatus.QUEUED,
                   estimated_credits: Decimal | None = None, job_id: str | None = None,
                   created_at: datetime | None = None, project_id: int | None = None) -> str:
        """Journal a job (``QUEUED``, or ``SUBMITTING`` when its POST follows at once); answer its id.

        ``project_id``: the project it is sent for (its ``last_used_at`` becomes now); ``ProjectError`` when there
        is no such project."""
        if status not in (JobStatus.QUEUED, JobStatus.SUBMITTING):
            raise ValueError("a new job is QUEUED or SUBMITTING")
        images = (*request.input_images, *(i for i in (request.mask, request.crop) if i is not None))
        if any(image.sha256 is None for image in images):
            # The journal names references, masks and crops by SHA-256 only: one without it could never be sent again.
            raise ValueError("every image of a journalled job is stored first (it has no SHA-256)")
        job_id = job_id or str(uuid.uuid4())
        now = iso_utc(created_at or utc_now())
        with transaction(self._conn):
            if project_id is not None:
                project_queries.existing(self._conn, project_id)
                project_queries.note_used(self._conn, project_id, iso_utc(utc_now()))
            self._conn.execute(
                """INSERT INTO jobs (id, created_at, updated_at, model, prompt, size, request, body, status,
                                     estimated_credits, demo, batch_id, seq, project_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (job_id, now, now, request.model, request.prompt, _size_text(request),
                 _json_text(request_to_dict(request)), _json_text(_redacted_body(body)), status.value,
                 decimal_text(estimated_credits), int(demo), batch_id, seq, project_id))
            # Its references, in order, linked to the gallery images they came from (one deleted meanwhile: none).
            self._conn.executemany(
                """INSERT INTO job_references (job_id, position, sha256, width, height, source, from_image_id)
                   VALUES (?, ?, ?, ?, ?, ?, (SELECT id FROM images WHERE id = ?))""",
                [(job_id, position, image.sha256,
                  *(as_int(v, minimum=_SQL_INT_MIN, maximum=_SQL_INT_MAX)
                    for v in (image.width, image.height)), image.source,
                  as_int(image.from_image_id, minimum=_SQL_INT_MIN, maximum=_SQL_INT_MAX))
                 for position, image in enumerate(request.input_images)])
        return job_id

    def _update_job(self, job_id: str, sql: str, params: tuple[Any, ...]) -> int:
        """Run ``UPDATE jobs SET <sql>, updated_at = ? WHERE id = ?…``; raise if the job does not exist."""
        with transaction(self._conn):
            cursor = self._conn.execute(f"UPDATE jobs SET {sql}, updated_at = ? WHERE id = ?",
                                        (*params, iso_utc(utc_now()), job_id))
            if cursor.rowcount == 0 and not self._job_exists(job_id):
                raise UnknownJobError(f"there is no job {job_id} in the library")
            return cursor.rowcount

    def _job_exists(self, job_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None

    @_guarded
    def mark_submitting(self, job_id: str) -> bool:
        """``QUEUED`` → ``SUBMITTING``, written before the POST. False if the job was cancelled meanwhile
        (or is past that point): then do not POST."""
        with transaction(self._conn):
            cursor = self._conn.execute(
                "UPDATE jobs SET status = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)",
                (JobStatus.SUBMITTING.value, iso_utc(utc_now()), job_id, JobStatus.QUEUED.value,
                 JobStatus.SUBMITTING.value))
            if cursor.rowcount == 0 and not self._job_exists(job_id):
                raise UnknownJobError(f"there is no job {job_id} in the library")
        return cursor.rowcount == 1

    @_guarded
    def cancel_job(self, job_id: str, reason: str | None = None) -> bool:
        """Cancel a job that has not been sent, saying ``reason``. False when it is already on its way (it
        cannot be cancelled at BFL and will be billed)."""
        with transaction(self._conn):
            cursor = self._conn.execute(
                "UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status = ?",
                (JobStatus.CANCELLED.value, None if reason is None else reason[:_MAX_ERROR_CHARS],
                 iso_utc(utc_now()), job_id, JobStatus.QUEUED.value))
            if cursor.rowcount == 0 and not self._job_exists(job_id):
                raise UnknownJobError(f"there is no job {job_id} in the library")
        return cursor.rowcount == 1

    @_guarded
    def record_submission(self, job_id: str, task_id: str, polling_url: str | None,
                          cost: Decimal | float | int | str | None, input_mp: Decimal | float | None = None,
                          output_mp: Decimal | float | None = None, *, submitted_at: datetime | None = None) -> None:
        """BFL accepted the job: its id, polling URL and price, in one write. Status ``SUBMITTED``
        (even over a cancel that raced the POST: BFL will bill it, so it must be followed)."""
        later = (JobStatus.DOWNLOADING.value, *(s.value for s in FINAL_STATES if s is not JobStatus.CANCELLED
                                                 and s is not JobStatus.UNKNOWN))
        marks = ",".join("?" * len(later))
        self._update_job(
            job_id,
            f"""task_id = ?, polling_url = ?, cost_credits = ?, input_mp = ?, output_mp = ?,
                submitted_at = ?, status = CASE WHEN status IN ({marks}) THEN status ELSE ? END""",
            (task_id, polling_url, decimal_text(as_decimal(cost)), as_float(input_mp),
             as_float(output_mp), iso_utc(submitted_at or utc_now()), *later,
             JobStatus.SUBMITTED.value))

    @_guarded
    def record_ready(self, job_id: str, result: Mapping[str, Any] | None, sample_url: str,
                     expires_at: float | datetime | None) -> None:
        """BFL finished the job: keep its result and the signed sample URL (``expires_at`` in epoch
        seconds, or an aware datetime); status ``DOWNLOADING``."""
        if isinstance(expires_at, datetime):
            expires_at = expires_at.timestamp()
        self._update_job(
            job_id,
            "result = ?, sample_url = ?, sample_expires_at = ?, "
            "status = CASE WHEN status = ? THEN status ELSE ? END",
            (_json_text(dict(result or {})), sample_url, as_float(expires_at),
             JobStatus.DONE.value, JobStatus.DOWNLOADING.value))

    @_guarded
    def note_error(self, job_id: str, error: str) -> None:
        """Say what went wrong without changing the status (a billed job whose download failed stays
        ``DOWNLOADING``, to be fetched again by ``resume`` while its URL lasts)."""
        self._update_job(job_id, "error = ?", (error[:_MAX_ERROR_CHARS],))

    @_guarded
    def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> bool:
        """End a job without an image (failed, moderated, expired, unknown, cancelled).

        A job that already has its image (``DONE``) is never downgraded: answers False then.
        ``DONE`` itself is reached only through ``store_image``.
        """
        if status not in FINAL_STATES or status is JobStatus.DONE:
            raise ValueError(f"finish_job takes a final status other than DONE, not {status}")
        text = None if error is None else error[:_MAX_ERROR_CHARS]
        count = self._update_job(
            job_id, "status = CASE WHEN status = ? THEN status ELSE ? END, error = ?",
            (JobStatus.DONE.value, status.value, text))
        job = self._conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return count == 1 and job["status"] == status.value

    @_guarded
    def get_job(self, job_id: str) -> JobRow | None:
        row = self._conn.execute(f"{JOBS_SQL} WHERE j.id = ?", (job_id,)).fetchone()
        return None if row is None else job_from_row(row)

    @_guarded
    def jobs_with_status(self, *statuses: JobStatus) -> list[JobRow]:
        """Jobs in any of ``statuses``, oldest first."""
        if not statuses:
            return []
        marks = ",".join("?" * len(statuses))
        rows = self._conn.execute(
            f"{JOBS_SQL} WHERE j.status IN ({marks}) ORDER BY j.created_at, j.seq",
            [s.value for s in statuses]).fetchall()
        return [job_from_row(row) for row in rows]

    def resumable_jobs(self) -> list[JobRow]:
        """Jobs BFL accepted that have no image yet: poll (``SUBMITTED``) or download (``DOWNLOADING``)."""
        return self.jobs_with_status(*(s for s in JobStatus if s.resumable))

    def unfinished_jobs(self) -> list[JobRow]:
        """Every job not in a final state, oldest first: what a restart has to settle."""
        return self.jobs_with_status(*(s for s in JobStatus if not s.is_final))

    @_guarded
    def jobs_in_batch(self, batch_id: str) -> list[JobRow]:
        rows = self._conn.execute(f"{JOBS_SQL} WHERE j.batch_id = ? ORDER BY j.seq", (batch_id,)).fetchall()
        return [job_from_row(row) for row in rows]

    @_guarded
    def share_with_studio(self, on: bool) -> None:
        """Queue every job that ends from now on for the studio (``storage.studio.outbox``), or stop queueing."""
        from fluxdesk.storage.studio import outbox

        (outbox.switch_on if on else outbox.switch_off)(self._conn)

    # --- images ------------------------------------------------------------------------------

    @_guarded
    def store_image(self, job_id: str, data: bytes, extension: str, record: ImageRecord) -> ImageRow:
        """Save a job's image: the file (metadata embedded, written atomically), its row, and the job
        marked ``DONE``, the last two in one transaction. Calling it again for the same job answers
        the image already stored: never a second row or file.

        ``extension`` is a hint; the format is taken from the bytes. Not an image (or a damaged one):
        ``ImageDecodeError``; the file cannot be written: ``OSError``. Either way nothing is stored.
        """
        existing = self._image_for_job(job_id)
        if existing is not None:
            return existing
        job = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if job is None:
            raise UnknownJobError(f"there is no job {job_id} in the library")
        width, height, fmt = decode_check(data)
        created = parse_iso(record.created_at) if record.created_at else parse_iso(job["created_at"])
        record = replace(
            record, width=width, height=height, job_id=job_id, demo=bool(job["demo"]),
            task_id=record.task_id or job["task_id"], created_at=iso_utc(created),
            cost_credits=record.cost_credits if record.cost_credits is not None
            else as_decimal(job["cost_credits"]),
            output_format=record.output_format or fmt, sample_sha256=hashlib.sha256(data).hexdigest())
        try:
            payload = embed_metadata(data, record)
        except MetadataError:
            payload = data  # odd but decodable container: keep the pixels; the database has the record
        target = image_path(self.library_dir, parse_iso(job["created_at"]), record.model, record.seed,
                            job_id, fmt)
        path, created_file = write_new_file(target, payload)
        try:
            image_id = self._insert_image(job_id, path, record, len(payload), fmt)
        except sqlite3.IntegrityError:
            stored = self._image_for_job(job_id)  # another process stored it first
            if created_file and (stored is None or stored.path != path):
                path.unlink(missing_ok=True)
            if stored is None:
                raise
            return stored
        except BaseException:
            if created_file:
                path.unlink(missing_ok=True)
            raise
        image = self._image(image_id)
        assert image is not None
        return image

    def _insert_image(self, job_id: str, path: Path, record: ImageRecord, size: int, fmt: str) -> int:
        seed, steps = (as_int(v, minimum=_SQL_INT_MIN, maximum=_SQL_INT_MAX) for v in (record.seed, record.steps))
        with transaction(self._conn):
            cursor = self._conn.execute(
                """INSERT INTO images (job_id, path, model, prompt, prompt_used, seed, width, height,
                       aspect_ratio, steps, guidance, parameters, record, cost_credits, created_at,
                       start_time, end_time, duration, task_id, demo, file_size, format)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (job_id, str(path), record.model, record.prompt, record.prompt_used, seed,
                 record.width, record.height, record.aspect_ratio, steps,
                 record.guidance, _json_text(dict(record.parameters)), to_json(record),
                 decimal_text(record.cost_credits), record.created_at, record.start_time, record.end_time,
                 record.duration, record.task_id, int(record.demo), size, fmt))
            image_id = int(cursor.lastrowid or 0)
            self._conn.execute(
                "UPDATE jobs SET status = ?, image_id = ?, error = NULL, updated_at = ? WHERE id = ?",
                (JobStatus.DONE.value, image_id, iso_utc(utc_now()), job_id))
        return image_id

    def _image(self, image_id: int) -> ImageRow | None:
        row = self._conn.execute(f"{IMAGES_SQL} WHERE i.id = ?", (image_id,)).fetchone()
        return None if row is None else image_from_row(row)

    def _image_for_job(self, job_id: str) -> ImageRow | None:
        row = self._conn.execute(f"{IMAGES_SQL} WHERE i.job_id = ?", (job_id,)).fetchone()
        return None if row is None else image_from_row(row)

    def _image_or_raise(self, image_id: int) -> ImageRow:
        image = self._image(image_id)
        if image is None:
            raise UnknownImageError(f"there is no image {image_id} in the library")
        return image

    @_guarded
    def get_image(self, image_id: int) -> ImageRow | None:
        return self._image(image_id)

    @_guarded
    def image_for_job(self, job_id: str) -> ImageRow | None:
        return self._image_for_job(job_id)

    @_guarded
    def find_image_by_path(self, path: Path) -> ImageRow | None:
        """The image stored at ``path`` (where it is now: in the library, or in the trash)."""
        candidates = {str(path), str(Path(path).absolute())}
        with contextlib.suppress(OSError, RuntimeError):
            candidates.add(str(Path(path).resolve()))
        marks = ",".join("?" * len(candidates))
        row = self._conn.execute(f"{IMAGES_SQL} WHERE i.path IN ({marks})", tuple(candidates)).fetchone()
        return None if row is None else image_from_row(row)

    # --- lineage ------------------------------------------------------------------------------

    @_guarded
    def made_from(self, image_id: int) -> list[ReferenceRow]:
        """The references the image's job was sent with, in order ("image 1" first); none for an image made from
        text alone (or one not in the library)."""
        rows = self._conn.execute(
            """SELECT r.position, r.sha256, r.width, r.height, r.source, source_image.id,
                      source_image.trashed_at IS NOT NULL, source_image.path
               FROM images i JOIN job_references r ON r.job_id = i.job_id
                    LEFT JOIN images source_image ON source_image.id = r.from_image_id
               WHERE i.id = ? ORDER BY r.position""", (image_id,)).fetchall()
        return [ReferenceRow(position=row[0], sha256=row[1], width=row[2], height=row[3], source=row[4],
                             from_image_id=row[5], from_image_trashed=bool(row[6]),
                             from_image_path=Path(row[7]) if row[7] is not None else None,
                             path=self.reference_path(row[1]) if row[1] else None)
                for row in rows]

    @_guarded
    def used_in(self, image_id: int, *, include_trashed: bool = False) -> list[int]:
        """The images made with this one as a reference, newest first (each once, however many times it was
        sent): the gallery's, unless ``include_trashed``. ``len()`` is the "Used in N images" count."""
        trashed = "" if include_trashed else "AND i.trashed_at IS NULL"
        rows = self._conn.execute(
            f"""SELECT i.id FROM images i
                WHERE i.job_id IN (SELECT job_id FROM job_references WHERE from_image_id = ?) {trashed}
                ORDER BY i.created_at DESC, i.id DESC""", (image_id,)).fetchall()
        return [row[0] for row in rows]

    @_guarded
    def image_models(self) -> list[str]:
        """Model ids that have images, for the gallery's filter."""
        return [row[0] for row in self._conn.execute("SELECT DISTINCT model FROM images ORDER BY model")]

    @_guarded
    def set_favourite(self, image_id: int, favourite: bool) -> None:
        self._set_image(image_id, "favourite = ?", (int(favourite),))

    def _set_image(self, image_id: int, sql: str, params: tuple[Any, ...]) -> None:
        with transaction(self._conn):
            cursor = self._conn.execute(f"UPDATE images SET {sql} WHERE id = ?", (*params, image_id))
        if cursor.rowcount == 0:
            raise UnknownImageError(f"there is no image {image_id} in the library")

    @_guarded
    def trash_image(self, image_id: int, *, now: datetime | None = None) -> ImageRow:
        """Move an image to the in-app trash (file into ``home/trash``); undo with ``restore_image``."""
        image = self._image_or_raise(image_id)
        if image.trashed_at is not None:
            return image
        new_path = move_to_trash(image.path, self.trash_dir) if image.path.exists() else image.path
        try:
            self._set_image(image_id, "trashed_at = ?, trashed_from = ?, path = ?",
                            (iso_utc(now or utc_now()), str(image.path), str(new_path)))
        except BaseException:
            if new_path != image.path:
                restore_from_trash(new_path, image.path)
            raise
        return self._image_or_raise(image_id)

    @_guarded
    def restore_image(self, image_id: int) -> ImageRow:
        """Take an image out of the trash, back to its folder (numbered if its name was taken)."""
        image = self._image_or_raise(image_id)
        if image.trashed_at is None:
            return image
        original = image.trashed_from or self.library_dir / image.path.name
        moved = image.path.exists()
        new_path = restore_from_trash(image.path, original) if moved else original
        try:
            self._set_image(image_id, "trashed_at = NULL, trashed_from = NULL, path = ?", (str(new_path),))
        except BaseException:
            if moved:
                move_to_trash(new_path, self.trash_dir)
            raise
        return self._image_or_raise(image_id)

    def _delete(self, image: ImageRow) -> None:
        with transaction(self._conn):
            self._conn.execute("DELETE FROM images WHERE id = ?", (image.id,))
        image.path.unlink(missing_ok=True)  # after the commit: a failed delete leaves a file, not a hole
        for shown_as in filter(None, (image.path, image.trashed_from)):  # in the trash, and before it
            forget_thumbnails(self.thumbnails_dir, shown_as)

    @_guarded
    def delete_image_permanently(self, image_id: int) -> None:
        """Delete the file and the row. The job and its ledger entry stay: it was paid for."""
        self._delete(self._image_or_raise(image_id))

    @_guarded
    def purge_trash(self, older_than_days: int = TRASH_DAYS, *, now: datetime | None = None) -> int:
        """Delete images trashed more than ``older_than_days`` ago; answer how many."""
        cutoff = iso_utc((now or utc_now()) - timedelta(days=older_than_days))
        rows = self._conn.execute(f"{IMAGES_SQL} WHERE i.trashed_at IS NOT NULL AND i.trashed_at < ?",
                                  (cutoff,)).fetchall()
        for row in rows:
            self._delete(image_from_row(row))
        return len(rows)

    # --- projects ----------------------------------------------------------------------------
    # Names are trimmed, at most ``core.projects.MAX_NAME_CHARS``, unique whatever their case; a refusal is a
    # ``core.projects.ProjectError`` (a ``ValueError``) in words.

    @_guarded
    def projects(self, include_archived: bool = False) -> list[Project]:
        """Most recently used first (a project never used: by when it was made)."""
        return project_queries.projects(self._conn, include_archived=include_archived)

    @_guarded
    def project(self, project_id: int) -> Project | None:
        return project_queries.project(self._conn, project_id)

    @_guarded
    def project_named(self, name: str) -> Project | None:
        """The project called ``name``, whatever its case; ``None`` when there is none."""
        return project_queries.project_named(self._conn, name)

    @_guarded
    def ensure_project(self, name: str, *, refuse_archived: bool = False) -> Project:
        """The project called ``name`` (whatever its case), made if there is none. ``refuse_archived``: an archived
        one is a ``ProjectError`` (what a new job is sent for)."""
        with transaction(self._conn):
            return project_queries.ensure_project(self._conn, name, refuse_archived=refuse_archived)

    @_guarded
    def rename_project(self, project_id: int, name: str) -> Project:
        """Its jobs follow (they refer to it by id); a name another project has, whatever its case, is refused."""
        with transaction(self._conn):
            return project_queries.rename_project(self._conn, project_id, name)

    @_guarded
    def archive_project(self, project_id: int, archived: bool = True) -> Project:
        """Archived: hidden from the picker, refused for new jobs, kept in history; ``archived=False`` brings it
        back."""
        with transaction(self._conn):
            return project_queries.archive_project(self._conn, project_id, archived)

    @_guarded
    def delete_project(self, project_id: int) -> None:
        """Only a project no job refers to; else a ``ProjectError`` saying how many do."""
        with transaction(self._conn):
            project_queries.delete_project(self._conn, project_id)

    @_guarded
    def set_project_budget(self, project_id: int, usd: Decimal | None) -> Project:
        """A budget of its own in US dollars (``None``: none)."""
        with transaction(self._conn):
            return project_queries.set_project_budget(self._conn, project_id, usd)

    @_guarded
    def move_images_to_project(self, image_ids: Iterable[int], project_id: int | None) -> dict[int, int | None]:
        """Move the images' jobs (and so their spend) to ``project_id`` (``None``: no project), all or none.
        Answers each image's project before, so the move can be undone by moving each back."""
        with transaction(self._conn):
            return project_queries.move_images(self._conn, image_ids, project_id)

    @_guarded
    def project_of_image(self, image_id: int) -> int | None:
        """The image's project id (``None``: no project); ``UnknownImageError`` when it is not in the library."""
        found = project_queries.projects_of_images(self._conn, [image_id])
        if image_id not in found:
            raise UnknownImageError(f"there is no image {image_id} in the library")
        return found[image_id]

    @_guarded
    def project_totals(self, *, include_demo: bool = False) -> dict[int | None, ProjectTotals]:
        """All time, per project id (``None``: jobs with no project): jobs, billed jobs, billed credits."""
        return project_queries.project_totals(self._conn, include_demo=include_demo)

    @_guarded
    def move_images_back(self, before: Mapping[int, int | None]) -> None:
        """Undo ``move_images_to_project``: each image back to the project it answered for it, all or none
        (``ProjectError`` when one of those projects was deleted since)."""
        groups: dict[int | None, list[int]] = {}
        for image_id, project_id in before.items():
            groups.setdefault(project_id, []).append(image_id)
        with transaction(self._conn):
            for project_id, image_ids in groups.items():
                project_queries.move_images(self._conn, image_ids, project_id)

    # --- spend -------------------------------------------------------------------------------

    @_guarded
    def spend(self, month: str, *, include_demo: bool = False,
              usd_per_credit: Decimal = USD_PER_CREDIT) -> SpendSummary:
        return spend_queries.spend(self._conn, month, include_demo=include_demo, usd_per_credit=usd_per_credit)

    @_guarded
    def ledger_rows(self, month: str | None = None, *, include_demo: bool = False,
                    usd_per_credit: Decimal = USD_PER_CREDIT) -> list[LedgerRow]:
        return spend_queries.ledger_rows(self._conn, month, include_demo=include_demo,
                                         usd_per_credit=usd_per_credit)

    @_guarded
    def months_spend(self, last_n: int = 12, *, include_demo: bool = False,
                     usd_per_credit: Decimal = USD_PER_CREDIT, now: datetime | None = None) -> list[MonthSpend]:
        return spend_queries.months_spend(self._conn, last_n, include_demo=include_demo,
                                          usd_per_credit=usd_per_credit, now=now)

    @_guarded
    def spend_last_days(self, days: int = 30, *, include_demo: bool = False,
                        usd_per_credit: Decimal = USD_PER_CREDIT, now: datetime | None = None) -> RecentVolume:
        return spend_queries.spend_last_days(self._conn, days, include_demo=include_demo,
                                             usd_per_credit=usd_per_credit, now=now)

    @_guarded
    def spend_by_project(self, month: str, *, include_demo: bool = False,
                         usd_per_credit: Decimal = USD_PER_CREDIT) -> list[ProjectSpend]:
        """The month's billed spend per project against its budget (``storage.project_spend.spend_by_project``)."""
        return project_spend_queries.spend_by_project(self._conn, month, include_demo=include_demo,
                                                      usd_per_credit=usd_per_credit)

    @_guarded
    def project_ledger_rows(self, project_id: int | None, *, first: date | None = None, last: date | None = None,
                            include_demo: bool = False, usd_per_credit: Decimal = USD_PER_CREDIT) -> list[LedgerRow]:
        """One project's jobs (``None``: no project's) from UTC day ``first`` to ``last``, both included;
        ``ProjectError`` for a project not in the library, ``ValueError`` when ``first`` is after ``last``."""
        return project_spend_queries.project_ledger(self._conn, project_id, first=first, last=last,
                                                    include_demo=include_demo, usd_per_credit=usd_per_credit)
