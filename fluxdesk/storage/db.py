"""The SQLite database: connection settings, errors in words, schema migrations by ``user_version``.

WAL with ``synchronous=FULL``: a job row or an image row that was committed survives a power cut,
which is what lets FluxDesk resume a paid job after a crash instead of losing (or repeating) it.

Times: FluxDesk's own moments (``created_at``, ``updated_at``, ``submitted_at``, ``trashed_at``) are
fixed-width UTC ISO text (``iso_utc``), so text order is time order and ``substr`` gives months and
days. Times that come from BFL's clock (``start_time``, ``end_time``, ``duration``) and the sample
expiry derived from them (``sample_expires_at``) are epoch seconds (REAL), as BFL sends them.
Money is decimal text (``cost_credits``), never a float.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_BUSY_TIMEOUT_MS = 5000


class LibraryError(RuntimeError):
    """The library cannot do what was asked; the message says why in plain words."""


class DatabaseLockedError(LibraryError):
    pass


class CorruptDatabaseError(LibraryError):
    def __init__(self, message: str, backup: Path | None) -> None:
        super().__init__(message)
        self.backup = backup


class NewerDatabaseError(LibraryError):
    pass


_BUSY, _LOCKED, _CORRUPT, _NOTADB = 5, 6, 11, 26


def describe_error(exc: sqlite3.Error, path: Path) -> LibraryError:
    """A ``LibraryError`` saying what went wrong with the database at ``path``."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    if code in (_BUSY, _LOCKED) or "locked" in text:
        return DatabaseLockedError(
            f"The library database {path} is in use by another program (another FluxDesk window or "
            "command may be writing to it). Wait for it to finish or close it, then try again.")
    if code in (_CORRUPT, _NOTADB) or "not a database" in text or "malformed" in text:
        return CorruptDatabaseError(f"The library database {path} is damaged ({text}).", None)
    return LibraryError(f"The library database {path} cannot be used: {text}.")


def connect(path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with FluxDesk's settings."""
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: a non-database fails here
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception.

    Immediate: the write lock is taken up front, so a busy database fails here (after the busy
    timeout) rather than half-way through.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- Migrations --------------------------------------------------------------------------------

_V1 = (
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        size TEXT,
        request TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        task_id TEXT,
        polling_url TEXT,
        cost_credits TEXT,
        estimated_credits TEXT,
        input_mp REAL,
        output_mp REAL,
        submitted_at TEXT,
        sample_url TEXT,
        sample_expires_at REAL,
        result TEXT,
        error TEXT,
        demo INTEGER NOT NULL DEFAULT 0,
        batch_id TEXT,
        seq INTEGER NOT NULL DEFAULT 0,
        image_id INTEGER REFERENCES images(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX jobs_by_status ON jobs(status)",
    "CREATE INDEX jobs_by_time ON jobs(submitted_at)",
    "CREATE INDEX jobs_by_batch ON jobs(batch_id, seq)",
    """CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL UNIQUE REFERENCES jobs(id),
        path TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        prompt_used TEXT,
        seed INTEGER,
        width INTEGER,
        height INTEGER,
        aspect_ratio TEXT,
        steps INTEGER,
        guidance REAL,
        parameters TEXT NOT NULL,
        record TEXT NOT NULL,
        cost_credits TEXT,
        created_at TEXT NOT NULL,
        start_time REAL,
        end_time REAL,
        duration REAL,
        task_id TEXT,
        demo INTEGER NOT NULL DEFAULT 0,
        favourite INTEGER NOT NULL DEFAULT 0,
        trashed_at TEXT,
        trashed_from TEXT,
        file_size INTEGER,
        format TEXT,
        thumb_state TEXT NOT NULL DEFAULT 'pending'
    )""",
    "CREATE INDEX images_by_date ON images(created_at, id)",
    "CREATE INDEX images_by_model ON images(model, created_at, id)",
    "CREATE INDEX images_by_cost ON images(CAST(cost_credits AS REAL), id)",
    "CREATE INDEX images_favourites ON images(created_at, id) WHERE favourite = 1",
    "CREATE INDEX images_trashed ON images(trashed_at) WHERE trashed_at IS NOT NULL",
    # One row per job that reached BFL. Billed = BFL charged it (``BILLED_STATES``: done, expired);
    # a test keeps this list and the enum in step.
    """CREATE VIEW ledger AS
        SELECT j.id AS job_id,
               COALESCE(j.submitted_at, j.created_at) AS time,
               j.model AS model,
               COALESCE(i.width || 'x' || i.height, j.size) AS size,
               COALESCE(j.cost_credits, j.estimated_credits) AS credits,
               j.cost_credits IS NULL AS estimated,
               j.status AS status,
               j.status IN ('done', 'expired') AS billed,
               j.demo AS demo,
               j.task_id AS task_id,
               j.batch_id AS batch_id
        FROM jobs j LEFT JOIN images i ON i.job_id = j.id
        WHERE j.task_id IS NOT NULL""",
)


def _migrate_v1(conn: sqlite3.Connection) -> None:
    for statement in _V1:
        conn.execute(statement)


def fts5_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.fts5_probe")
    return True


_FTS = (
    """CREATE VIRTUAL TABLE images_fts USING fts5(prompt, prompt_used, content='images',
        content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
        INSERT INTO images_fts(rowid, prompt, prompt_used) VALUES (new.id, new.prompt, new.prompt_used);
    END""",
    """CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, prompt_used)
        VALUES ('delete', old.id, old.prompt, old.prompt_used);
    END""",
    """CREATE TRIGGER images_fts_update AFTER UPDATE OF prompt, prompt_used ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, prompt_used)
        VALUES ('delete', old.id, old.prompt, old.prompt_used);
        INSERT INTO images_fts(rowid, prompt, prompt_used) VALUES (new.id, new.prompt, new.prompt_used);
    END""",
    "INSERT INTO images_fts(images_fts) VALUES ('rebuild')",
)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    """Prompt search: FTS5 where this SQLite has it, else an index and ``LIKE`` (slower, same answers
    for whole words). The choice is recorded in ``meta.search``."""
    if fts5_available(conn):
        for statement in _FTS:
            conn.execute(statement)
        backend = "fts5"
    else:
        conn.execute("CREATE INDEX images_by_prompt ON images(prompt COLLATE NOCASE)")
        backend = "like"
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('search', ?)", (backend,))


CAN_DROP_COLUMNS = sqlite3.sqlite_version_info >= (3, 35, 0)
"""``ALTER TABLE … DROP COLUMN`` came with SQLite 3.35 (2021); the systems FluxDesk supports have 3.37 or later."""


def _migrate_v3(conn: sqlite3.Connection) -> None:
    """Drop ``images.thumb_state``: nothing ever wrote it (thumbnails are a file cache of the window's).

    A SQLite too old to drop a column keeps it, unread and unwritten (its default fills new rows), rather than
    leave the library unopenable for an unused column.
    """
    if CAN_DROP_COLUMNS:
        conn.execute("ALTER TABLE images DROP COLUMN thumb_state")


_V4 = (
    # A job's references in the order its prompt names them ("image 1" is position 0): the bytes sent by their
    # SHA-256 (the file is under ``references/``), their size as sent, what the user gave, and the library image
    # each was taken from (lineage; NULL once that image is deleted for good).
    """CREATE TABLE job_references (
        job_id TEXT NOT NULL REFERENCES jobs(id),
        position INTEGER NOT NULL,
        sha256 TEXT,
        width INTEGER,
        height INTEGER,
        source TEXT,
        from_image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
        PRIMARY KEY (job_id, position)
    ) WITHOUT ROWID""",
    # "Used in": the jobs that took an image as a reference. The primary key serves "made from" (by job).
    "CREATE INDEX job_references_by_image ON job_references(from_image_id) WHERE from_image_id IS NOT NULL",
    # Jobs journalled before this version keep their references in the request's JSON: linked here too. A
    # reference to an image deleted since links to nothing; an entry that is not an object is not a reference.
    """INSERT INTO job_references (job_id, position, sha256, width, height, source, from_image_id)
        SELECT j.id, CAST(r.key AS INTEGER),
               CASE WHEN json_type(r.value, '$.sha256') = 'text' THEN json_extract(r.value, '$.sha256') END,
               CASE WHEN json_type(r.value, '$.width') = 'integer' THEN json_extract(r.value, '$.width') END,
               CASE WHEN json_type(r.value, '$.height') = 'integer' THEN json_extract(r.value, '$.height') END,
               CASE WHEN json_type(r.value, '$.source') = 'text' THEN json_extract(r.value, '$.source') END,
               (SELECT i.id FROM images i WHERE json_type(r.value, '$.from_image_id') = 'integer'
                                            AND i.id = json_extract(r.value, '$.from_image_id'))
        FROM jobs j, json_each(CASE WHEN json_valid(j.request) THEN j.request ELSE '{}' END,
                               '$.input_images') r
        WHERE j.request LIKE '%input_images%' AND r.type = 'object'
          AND CASE WHEN json_valid(j.request) THEN json_type(j.request, '$.input_images') END = 'array'""",
)


def _migrate_v4(conn: sqlite3.Connection) -> None:
    """Lineage: ``job_references`` links each job to the references it was sent with, and so an image to the
    gallery images it was made from (and they to what they were used in)."""
    for statement in _V4:
        conn.execute(statement)


_V5 = (
    # Client projects. ``name_key`` is the name casefolded (``core.projects.name_key``): names are unique whatever
    # their case. ``budget_usd`` is decimal text (or NULL: no budget of its own).
    """CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        archived INTEGER NOT NULL DEFAULT 0,
        budget_usd TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    )""",
    # Every job journalled before stays with no project (NULL). A job refers to its project by id: renaming a
    # project keeps its history, and a project some job refers to cannot be deleted.
    "ALTER TABLE jobs ADD COLUMN project_id INTEGER REFERENCES projects(id)",
    "CREATE INDEX jobs_by_project ON jobs(project_id, submitted_at) WHERE project_id IS NOT NULL",
    # The ledger names each job's project: spend by project reads it from there. Restated in full on purpose: a
    # migration's SQL is frozen as it shipped, never built from another migration's.
    "DROP VIEW ledger",
    """CREATE VIEW ledger AS
        SELECT j.id AS job_id,
               COALESCE(j.submitted_at, j.created_at) AS time,
               j.model AS model,
               COALESCE(i.width || 'x' || i.height, j.size) AS size,
               COALESCE(j.cost_credits, j.estimated_credits) AS credits,
               j.cost_credits IS NULL AS estimated,
               j.status AS status,
               j.status IN ('done', 'expired') AS billed,
               j.demo AS demo,
               j.task_id AS task_id,
               j.batch_id AS batch_id,
               j.project_id AS project_id
        FROM jobs j LEFT JOIN images i ON i.job_id = j.id
        WHERE j.task_id IS NOT NULL""",
)


def _migrate_v5(conn: sqlite3.Connection) -> None:
    """Projects: ``projects``, and ``jobs.project_id`` (NULL, "No project", for every job there was)."""
    for statement in _V5:
        conn.execute(statement)


def _migrate_v6(conn: sqlite3.Connection) -> None:
    """The gallery's project filter: the job ids of each project from an index alone (``jobs_by_project`` holds
    rowids, not the text ids an image refers to its job by), so "No project" and a project with a search stay fast
    at 100,000 images."""
    conn.execute("CREATE INDEX jobs_project_ids ON jobs(project_id, id) WHERE project_id IS NOT NULL")


_V7 = (
    # Studio mode (issue #21): the ledger rows still to be sent to the team's server, in the order their jobs ended.
    # A row is queued once per job (``job_id`` unique) and marked ``sent_at`` only after the server committed it.
    """CREATE TABLE studio_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL UNIQUE REFERENCES jobs(id),
        queued_at TEXT NOT NULL,
        sent_at TEXT
    )""",
    "CREATE INDEX studio_outbox_unsent ON studio_outbox(seq) WHERE sent_at IS NULL",
    # Queued in the very transaction that ends the job (``store_image`` marks it done, ``finish_job`` failed,
    # moderated or expired), whichever process or code path ends it: a job cannot end without its row queued. Only
    # once this library joined a studio (``meta.studio_outbox = 'on'``), only jobs that reached BFL, never demo ones.
    """CREATE TRIGGER studio_outbox_on_end AFTER UPDATE OF status ON jobs
        WHEN new.status IN ('done', 'expired', 'failed', 'moderated') AND new.task_id IS NOT NULL AND new.demo = 0
             AND EXISTS (SELECT 1 FROM meta WHERE key = 'studio_outbox' AND value = 'on')
        BEGIN
            INSERT OR IGNORE INTO studio_outbox (job_id, queued_at)
            VALUES (new.id, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
        END""",
)


def _migrate_v7(conn: sqlite3.Connection) -> None:
    """Studio mode's outbox (``studio_outbox``) and the trigger that fills it when a job ends."""
    for statement in _V7:
        conn.execute(statement)


_V8 = (
    # Studio corrections (issue #21): a job whose ledger row is queued or sent and that then moves to another project
    # (or whose project is renamed) is queued here, to be re-filed on the server by a new row. The server's ledger is
    # append-only; the row says which project the job belongs to now, read when it is sent.
    """CREATE TABLE studio_corrections (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id),
        queued_at TEXT NOT NULL,
        sent_at TEXT
    )""",
    "CREATE INDEX studio_corrections_unsent ON studio_corrections(seq) WHERE sent_at IS NULL",
    """CREATE TRIGGER studio_correction_on_move AFTER UPDATE OF project_id ON jobs
        WHEN new.project_id IS NOT old.project_id
             AND EXISTS (SELECT 1 FROM meta WHERE key = 'studio_outbox' AND value = 'on')
             AND EXISTS (SELECT 1 FROM studio_outbox WHERE job_id = new.id)
        BEGIN
            INSERT INTO studio_corrections (job_id, queued_at)
            VALUES (new.id, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
        END""",
    # The studio's shared project list is copied into the library; a name this library let go of (renamed or
    # deleted here) is not brought back by the next copy.
    "CREATE TABLE studio_dropped_projects (name_key TEXT PRIMARY KEY)",
    """CREATE TRIGGER studio_correction_on_rename AFTER UPDATE OF name ON projects
        WHEN new.name IS NOT old.name AND EXISTS (SELECT 1 FROM meta WHERE key = 'studio_outbox' AND value = 'on')
        BEGIN
            INSERT INTO studio_corrections (job_id, queued_at)
            SELECT o.job_id, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
            FROM studio_outbox o JOIN jobs j ON j.id = o.job_id WHERE j.project_id = new.id ORDER BY o.seq;
            INSERT OR IGNORE INTO studio_dropped_projects (name_key) SELECT old.name_key WHERE old.name_key
                IS NOT new.name_key;
        END""",
    """CREATE TRIGGER studio_project_dropped AFTER DELETE ON projects
        WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'studio_outbox' AND value = 'on')
        BEGIN
            INSERT OR IGNORE INTO studio_dropped_projects (name_key) VALUES (old.name_key);
        END""",
)


def _migrate_v8(conn: sqlite3.Connection) -> None:
    """Studio mode's corrections (``studio_corrections``) and the triggers that queue them."""
    for statement in _V8:
        conn.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_v1, _migrate_v2, _migrate_v3,
                                                                _migrate_v4, _migrate_v5, _migrate_v6, _migrate_v7,
                                                                _migrate_v8)
"""Migration ``i`` takes the schema from version ``i`` to ``i + 1``. Append only; never edit one."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: tuple[Callable[[sqlite3.Connection], None], ...]
            = MIGRATIONS) -> int:
    """Bring the schema up to date; each step in its own transaction. Answers the final version."""
    target = len(migrations)
    while True:
        current = schema_version(conn)
        if current > target:
            raise NewerDatabaseError(
                f"This library was last used by a newer FluxDesk (schema {current}; this one knows "
                f"{target}). Update FluxDesk to open it.")
        if current == target:
            return current
        with transaction(conn):
            # Another process may have migrated between the read above and taking the lock.
            if schema_version(conn) == current:
                migrations[current](conn)
                conn.execute(f"PRAGMA user_version = {current + 1}")


# --- Opening, with damage handling -------------------------------------------------------------

def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def backup_damaged(path: Path, *, move: bool) -> Path:
    """Copy (or move) a damaged database and its WAL aside under a new name; never overwrites one.

    A copy identical to an earlier backup is not made twice: opening a damaged library again and
    again must not fill the disk.
    """
    if not move:
        digest = _digest(path)
        for earlier in path.parent.glob(f"{path.name}.damaged-*"):
            if not earlier.name.endswith(("-wal", "-shm")) and _digest(earlier) == digest:
                return earlier
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        backup = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n > 1 else ""))
        if not backup.exists():
            break
        n += 1
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            target = Path(f"{backup}{suffix}")
            if move:
                source.replace(target)
            else:
                shutil.copy2(source, target)
    return backup


def open_database(path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
                  start_fresh_if_damaged: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    A damaged or non-SQLite file is copied aside and reported as ``CorruptDatabaseError`` (whose
    ``backup`` says where the copy is); with ``start_fresh_if_damaged`` it is moved aside instead
    and a new, empty database takes its place. It is never overwritten.
    """
    try:
        conn = connect(path, busy_timeout_ms=busy_timeout_ms)
        try:
            migrate(conn)
            # The first read of a table (the library reads ``meta`` next): a damaged page shows here,
            # with a backup kept, rather than as a bare sqlite3 error from the caller.
            conn.execute("SELECT key, value FROM meta").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn
    except sqlite3.Error as exc:
        error = describe_error(exc, path)
    if not isinstance(error, CorruptDatabaseError):
        raise error
    try:
        backup = backup_damaged(path, move=start_fresh_if_damaged)
    except OSError as exc:
        raise CorruptDatabaseError(f"{error} It could not be backed up ({exc}); it was left as it is.",
                                   None) from None
    if start_fresh_if_damaged:
        return open_database(path, busy_timeout_ms=busy_timeout_ms)
    raise CorruptDatabaseError(
        f"{error} A copy was kept at {backup}. FluxDesk can start a new, empty library and keep "
        "the damaged one aside.", backup)
