"""The database file: settings, migrations, damaged and locked databases."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from storage_support import make_image, shown_ids

from fluxdesk.core.jobs import BILLED_STATES, JobStatus
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.request import GenerationRequest
from fluxdesk.core.serialize import request_to_dict
from fluxdesk.storage import db
from fluxdesk.storage.db import (
    MIGRATIONS,
    CorruptDatabaseError,
    DatabaseLockedError,
    LibraryError,
    NewerDatabaseError,
    connect,
    migrate,
    open_database,
    schema_version,
)
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path


def test_connection_settings(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "x.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.DEFAULT_BUSY_TIMEOUT_MS
    conn.close()


def _objects(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in conn.execute("SELECT type, name FROM sqlite_master")}


def test_migrating_from_zero_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    assert schema_version(conn) == 0
    assert migrate(conn) == len(MIGRATIONS) == 8
    objects = _objects(conn)
    for expected in [("table", "jobs"), ("table", "images"), ("table", "meta"), ("view", "ledger"),
                     ("table", "images_fts"), ("trigger", "images_fts_insert"), ("index", "images_by_date"),
                     ("table", "projects"), ("index", "jobs_by_project"), ("index", "jobs_project_ids")]:
        assert expected in objects
    assert migrate(conn) == 8 and _objects(conn) == objects
    conn.close()
    conn = open_database(tmp_path / "x.db")  # reopening migrates nothing
    assert schema_version(conn) == 8 and _objects(conn) == objects


def test_migration_from_version_one_indexes_existing_images(tmp_path: Path) -> None:
    path = tmp_path / "home" / "fluxdesk.db"
    path.parent.mkdir()
    conn = connect(path)
    migrate(conn, MIGRATIONS[:1])
    conn.execute("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status) "
                 "VALUES ('j', 't', 't', 'flux-dev', 'a lighthouse', '{}', '{}', 'done')")
    conn.execute("INSERT INTO images (job_id, path, model, prompt, parameters, record, created_at) "
                 "VALUES ('j', '/x.jpg', 'flux-dev', 'a lighthouse at dusk', '{}', '{}', 't')")
    conn.close()
    with Library.open(path.parent) as lib:
        assert lib.search_backend == "fts5"
        assert [lib.get_image(i).prompt for i in shown_ids(lib, text="lighthouse")] == ["a lighthouse at dusk"]


def _image_columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(images)")]


def _library_of_version_two(path: Path) -> None:
    """A library file as FluxDesk wrote it before version 3: a job, its image (with a thumb_state), in the ledger."""
    conn = connect(path)
    migrate(conn, MIGRATIONS[:2])
    assert "thumb_state" in _image_columns(conn)
    request = json.dumps(request_to_dict(GenerationRequest(model="flux-dev", prompt="a lighthouse")))
    conn.execute("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status, task_id, "
                 "cost_credits, submitted_at) VALUES ('j', '2026-01-02T03:04:05.000000Z', 't', 'flux-dev', "
                 "'a lighthouse', ?, '{}', 'done', 'task-1', '2.5', '2026-01-02T03:04:05.000000Z')", (request,))
    conn.execute("INSERT INTO images (job_id, path, model, prompt, seed, width, height, parameters, record, "
                 "cost_credits, created_at, favourite, thumb_state) VALUES ('j', '/x.jpg', 'flux-dev', "
                 "'a lighthouse at dusk', 42, 1024, 768, '{}', '{}', '2.5', '2026-01-02T03:04:05.000000Z', 1, 'ok')")
    conn.execute("UPDATE jobs SET image_id = (SELECT id FROM images WHERE job_id = 'j') WHERE id = 'j'")
    conn.close()


def test_version_three_drops_the_unused_thumb_state_and_keeps_everything_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _library_of_version_two(database_path(home))
    with Library.open(home) as lib:
        conn = lib._conn
        assert schema_version(conn) == len(MIGRATIONS)
        assert "thumb_state" not in _image_columns(conn)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        [image_id] = shown_ids(lib, text="lighthouse")
        image = lib.get_image(image_id)
        assert image is not None and (image.job_id, image.seed, image.width, image.favourite) == ("j", 42, 1024, True)
        assert lib.get_job("j").image_id == image_id
        assert [(row["job_id"], row["size"], row["credits"]) for row in conn.execute("SELECT * FROM ledger")] == \
            [("j", "1024x768", "2.5")]
        req = GenerationRequest(model="flux-dev", prompt="a second lighthouse")
        job = lib.create_job(req, {"prompt": req.prompt}, demo=False)
        lib.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt=req.prompt))
        assert len(shown_ids(lib, text="lighthouse")) == 2


def test_a_sqlite_that_cannot_drop_columns_keeps_the_unused_one_and_still_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _library_of_version_two(database_path(home))
    monkeypatch.setattr(db, "CAN_DROP_COLUMNS", False)
    with Library.open(home) as lib:
        assert schema_version(lib._conn) == len(MIGRATIONS) and "thumb_state" in _image_columns(lib._conn)
        req = GenerationRequest(model="flux-dev", prompt="a second lighthouse")
        job = lib.create_job(req, {"prompt": req.prompt}, demo=False)
        image = lib.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt=req.prompt))
        assert lib.get_image(image.id) is not None and len(shown_ids(lib, text="lighthouse")) == 2


def test_search_falls_back_to_like_without_fts5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "fts5_available", lambda conn: False)
    with Library.open(tmp_path / "home") as lib:
        assert lib.search_backend == "like"
        assert ("table", "images_fts") not in _objects(lib._conn)
        req = GenerationRequest(model="flux-dev", prompt="Red fox_50% off")
        job = lib.create_job(req, {"prompt": req.prompt}, demo=False)
        lib.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt=req.prompt))
        assert len(shown_ids(lib, text="fox")) == 1 and len(shown_ids(lib, text="RED FOX")) == 1
        assert len(shown_ids(lib, text="50")) == 1 and shown_ids(lib, text="cat") == []
        assert len(shown_ids(lib, text="%")) == 1  # no words: no text filter, and never a LIKE wildcard


def test_a_failed_migration_rolls_back_entirely(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("boom")

    conn = connect(tmp_path / "x.db")
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (*MIGRATIONS, broken))
    assert schema_version(conn) == len(MIGRATIONS) and ("table", "half_done") not in _objects(conn)


def test_a_database_from_a_newer_fluxdesk_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Library.open(home).close()
    conn = sqlite3.connect(database_path(home))
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(NewerDatabaseError, match="newer FluxDesk"):
        Library.open(home)


def test_ledger_view_bills_exactly_the_billed_states(library: Library) -> None:
    for status in JobStatus:
        library._conn.execute(
            "INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status, task_id) "
            "VALUES (?, 't', 't', 'm', 'p', '{}', '{}', ?, 'task')", (status.value, status.value))
    billed = {row["status"] for row in library._conn.execute("SELECT status FROM ledger WHERE billed")}
    assert billed == {s.value for s in BILLED_STATES}


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_damaged_database_is_backed_up_and_reported(tmp_path: Path, content: bytes) -> None:
    home = tmp_path / "home"
    home.mkdir()
    path = database_path(home)
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as caught:
        Library.open(home)
    backup = caught.value.backup
    assert backup is not None and backup.read_bytes() == content
    assert path.read_bytes() == content  # never overwritten
    assert str(backup) in str(caught.value) and "damaged" in str(caught.value)
    with pytest.raises(CorruptDatabaseError) as again:  # a second attempt makes no second copy
        Library.open(home)
    assert again.value.backup == backup
    assert len(list(home.glob("fluxdesk.db.damaged-*"))) == 1



def test_a_damaged_table_page_is_reported_with_a_backup_not_a_bare_sqlite_error(tmp_path: Path) -> None:
    # Found by the damaged-database drill: a good header and schema but a damaged ``meta`` page used to
    # escape Library.open as a raw sqlite3.DatabaseError (a traceback in `fluxdesk spend`), with no copy.
    home = tmp_path / "home"
    Library.open(home).close()
    path = database_path(home)
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'meta'").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabaseError) as caught:
        Library.open(home)
    assert caught.value.backup is not None and caught.value.backup.read_bytes() == bytes(data)
    assert path.read_bytes() == bytes(data) and "damaged" in str(caught.value)

def test_starting_fresh_keeps_the_damaged_file_aside(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    database_path(home).write_bytes(b"garbage" * 100)
    with Library.open(home, start_fresh_if_damaged=True) as lib:
        assert shown_ids(lib) == []
    backups = list(home.glob("fluxdesk.db.damaged-*"))
    assert [b.read_bytes() for b in backups] == [b"garbage" * 100]


def test_a_locked_database_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Library.open(home).close()
    other = sqlite3.connect(database_path(home), isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLockedError, match="in use by another program"):
            Library.open(home, busy_timeout_ms=100)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_write_blocked_by_another_writer_is_a_locked_error(library: Library) -> None:
    other = sqlite3.connect(library.database_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    library._conn.execute("PRAGMA busy_timeout = 100")
    try:
        with pytest.raises(DatabaseLockedError):
            library.create_job(GenerationRequest(model="flux-dev", prompt="p"), {}, demo=False)
        assert library.image_models() == []  # reading still works (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    library.create_job(GenerationRequest(model="flux-dev", prompt="p"), {}, demo=False)


def test_errors_after_close_are_library_errors(home: Path) -> None:
    lib = Library.open(home)
    lib.close()
    with pytest.raises(LibraryError):
        lib.image_models()
