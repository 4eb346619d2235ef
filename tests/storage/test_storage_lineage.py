"""Lineage in the library: a job's references kept in order (``job_references``), what an image was made from,
what it was used in, the gallery's "edits" filters, and the migration that links the jobs of older libraries.

Edits are made the way the pipeline makes them: a gallery image's file prepared as a reference, its bytes kept by
the library (``store_reference``), the request journalled (``create_job``) and its image stored (``store_image``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storage_support import make_image, shown_ids

from fluxdesk.core.metadata import ImageRecord, build_record
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.core.serialize import request_to_dict
from fluxdesk.storage.db import MIGRATIONS, LibraryError, connect, migrate, schema_version
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery, _order_by
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path
from fluxdesk.storage.references import prepare_reference

T0 = datetime(2026, 5, 9, 12, 0, tzinfo=UTC)


def generated(lib: Library, prompt: str, *, created: datetime = T0, references: tuple[InputImage, ...] = (),
              model: str = "flux-2-pro", seed: int = 7) -> int:
    """A job journalled, sent and stored as the pipeline does it; answers its image's id."""
    request = GenerationRequest(model=model, prompt=prompt, seed=seed, width=512, height=512,
                                input_images=references)
    result = validate(request)
    assert result.body is not None, result.message()
    job = lib.create_job(request, result.body, demo=True, created_at=created)
    assert lib.mark_submitting(job)
    lib.record_submission(job, f"task-{job[:8]}", None, 3)
    record = build_record(request, {"seed": seed}, job_id=job, task_id=None, cost_credits=None, demo=True,
                          created_at=created)
    return lib.store_image(job, make_image("JPEG", (64, 48)), "jpeg", record).id


def reference_to(lib: Library, image_id: int) -> InputImage:
    """A gallery image as a reference: its file prepared for sending, the bytes kept in the library."""
    image = lib.get_image(image_id)
    assert image is not None
    prepared = prepare_reference(image.path, max_pixels=1024 * 1024)
    sha256, _path = lib.store_reference(prepared.data, prepared.extension)
    assert sha256 == prepared.sha256
    return prepared.input_image(from_image_id=image_id)


def pasted(lib: Library) -> InputImage:
    """A reference that came from no gallery image (pasted): its bytes kept, no link."""
    prepared = prepare_reference(make_image("PNG", (40, 30)), max_pixels=1024 * 1024, name="pasted")
    lib.store_reference(prepared.data, prepared.extension)
    return prepared.input_image()


@pytest.fixture
def family(library: Library) -> dict[str, int]:
    """Two photos; an edit of the first; an edit made from both (second first) and a pasted image; a text image."""
    fox = generated(library, "a fox", created=T0)
    owl = generated(library, "an owl", created=T0 + timedelta(hours=1))
    fox_at_night = generated(library, "image 1 at night", created=T0 + timedelta(hours=2),
                             references=(reference_to(library, fox),))
    both = generated(library, "image 2 sitting beside image 1", created=T0 + timedelta(hours=3),
                     references=(reference_to(library, owl), reference_to(library, fox), pasted(library)))
    plain = generated(library, "a lighthouse", created=T0 + timedelta(hours=4))
    return {"fox": fox, "owl": owl, "fox_at_night": fox_at_night, "both": both, "plain": plain}


# --- made from, used in -----------------------------------------------------------------------------------------


def test_an_edit_is_made_from_its_references_in_order_each_linked_to_its_gallery_image(
        library: Library, family: dict[str, int]) -> None:
    made = library.made_from(family["both"])
    assert [r.position for r in made] == [0, 1, 2]
    assert [r.from_image_id for r in made] == [family["owl"], family["fox"], None]
    assert [r.source for r in made][2] == "pasted"
    owl, fox = library.get_image(family["owl"]), library.get_image(family["fox"])
    assert [r.from_image_path for r in made] == [owl.path, fox.path, None]
    job = library.get_job(library.get_image(family["both"]).job_id)
    sent = job.request.input_images
    for row, image in zip(made, sent, strict=True):
        assert (row.sha256, row.width, row.height) == (image.sha256, image.width, image.height)
        assert row.path is not None and row.path == library.reference_path(row.sha256)
        assert row.path.read_bytes() == library.reference_data(row.sha256)  # the very bytes that were sent
        assert not row.from_image_trashed
    assert library.made_from(family["plain"]) == [] and library.made_from(family["fox"]) == []
    assert library.made_from(999_999) == []


def test_used_in_counts_each_image_made_from_it_once_newest_first(library: Library, family: dict[str, int]) -> None:
    assert library.used_in(family["fox"]) == [family["both"], family["fox_at_night"]]
    assert library.used_in(family["owl"]) == [family["both"]]
    assert library.used_in(family["plain"]) == [] and library.used_in(family["both"]) == []
    twice = generated(library, "image 1 and image 2, the same fox twice", created=T0 + timedelta(hours=5),
                      references=(reference_to(library, family["fox"]), reference_to(library, family["fox"])))
    assert library.used_in(family["fox"]) == [twice, family["both"], family["fox_at_night"]]


def test_a_trashed_edit_is_not_counted_until_it_is_restored(library: Library, family: dict[str, int]) -> None:
    library.trash_image(family["fox_at_night"])
    assert library.used_in(family["fox"]) == [family["both"]]
    assert library.used_in(family["fox"], include_trashed=True) == [family["both"], family["fox_at_night"]]
    library.restore_image(family["fox_at_night"])
    assert library.used_in(family["fox"]) == [family["both"], family["fox_at_night"]]


def test_a_source_in_the_trash_stays_linked_and_says_so(library: Library, family: dict[str, int]) -> None:
    trashed = library.trash_image(family["fox"])
    [reference] = library.made_from(family["fox_at_night"])
    assert reference.from_image_id == family["fox"] and reference.from_image_trashed
    assert reference.from_image_path == trashed.path and reference.path is not None


def test_deleting_a_source_for_good_unlinks_it_and_keeps_the_reference(library: Library,
                                                                        family: dict[str, int]) -> None:
    library.trash_image(family["fox"])
    library.delete_image_permanently(family["fox"])
    owl_ref, fox_ref, _pasted = library.made_from(family["both"])
    assert owl_ref.from_image_id == family["owl"]
    assert fox_ref.from_image_id is None and fox_ref.from_image_path is None
    assert fox_ref.path is not None and fox_ref.path.is_file()  # what was sent can still be looked at
    assert library._conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_reference_whose_file_is_gone_has_no_path(library: Library, family: dict[str, int]) -> None:
    [reference] = library.made_from(family["fox_at_night"])
    assert reference.path is not None
    reference.path.unlink()
    [again] = library.made_from(family["fox_at_night"])
    assert again.path is None and again.sha256 == reference.sha256 and again.from_image_id == family["fox"]


def test_a_reference_to_an_image_deleted_before_the_job_is_journalled_links_to_nothing(
        library: Library, family: dict[str, int]) -> None:
    reference = reference_to(library, family["plain"])
    library.delete_image_permanently(family["plain"])
    edit = generated(library, "image 1 in the fog", created=T0 + timedelta(hours=6), references=(reference,))
    [row] = library.made_from(edit)
    assert row.from_image_id is None and row.sha256 == reference.sha256 and row.path is not None


def test_the_references_are_journalled_with_the_job_or_not_at_all(library: Library, family: dict[str, int]) -> None:
    """One transaction: when linking a reference fails, the job is not journalled either (nothing is sent)."""
    before = library._conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
    library._conn.execute("CREATE TEMP TRIGGER no_room BEFORE INSERT ON job_references "
                          "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    request = GenerationRequest(model="flux-2-pro", prompt="image 1 again", seed=1, width=512, height=512,
                                input_images=(reference_to(library, family["fox"]),))
    with pytest.raises(LibraryError):
        library.create_job(request, validate(request).body, demo=True)
    assert library._conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == before
    library._conn.execute("DROP TRIGGER no_room")
    job = library.create_job(request, validate(request).body, demo=True)
    assert [r["from_image_id"] for r in library._conn.execute(
        "SELECT from_image_id FROM job_references WHERE job_id = ?", (job,))] == [family["fox"]]


# --- the gallery's filters --------------------------------------------------------------------------------------


def test_the_gallery_shows_edits_only_and_the_edits_of_one_image(library: Library, family: dict[str, int]) -> None:
    def q(**query: object) -> set[int]:
        return set(shown_ids(library, **query))

    assert q(edits_only=True) == {family["fox_at_night"], family["both"]}
    assert shown_ids(library, edits_only=True) == [family["both"], family["fox_at_night"]]  # newest first
    assert shown_ids(library, edits_only=True, descending=False) == [family["fox_at_night"], family["both"]]
    assert q(edits_of=family["fox"]) == {family["fox_at_night"], family["both"]}
    assert q(edits_of=family["owl"]) == {family["both"]}
    assert q(edits_of=family["plain"]) == set()
    assert q(edits_only=True, text="night") == {family["fox_at_night"]}
    assert q(edits_only=True, order="cost") == {family["fox_at_night"], family["both"]}
    assert GalleryQuery(edits_only=True).has_filters() and GalleryQuery(edits_of=3).has_filters()
    library.trash_image(family["both"])
    assert q(edits_only=True) == {family["fox_at_night"]}
    assert q(edits_only=True, trash=True) == {family["both"]}
    assert q(edits_of=family["owl"]) == set()


def _plan(library: Library, query: GalleryQuery) -> list[str]:
    queries = GalleryQueries.for_library(library)
    try:
        where, params = queries._where(query)
    finally:
        queries.close()
    sql = f"SELECT id FROM images {where} ORDER BY {_order_by(query)}"
    return [row[3] for row in library._conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_the_edit_filters_read_indexes_only(library: Library) -> None:
    for query in (GalleryQuery(edits_only=True), GalleryQuery(edits_of=5), GalleryQuery(edits_only=True, model="x"),
                  GalleryQuery(edits_only=True, order="cost"), GalleryQuery(edits_of=5, favourites_only=True)):
        steps = _plan(library, query)
        reads = [step for step in steps if step.startswith(("SCAN images", "SEARCH images", "SEARCH e", "SCAN e"))]
        assert reads and all("INDEX" in step or "PRIMARY KEY" in step for step in reads), (query, steps)
    assert any("job_references_by_image" in step for step in _plan(library, GalleryQuery(edits_of=5)))


def test_the_edit_filters_stay_fast_with_many_images(library: Library) -> None:
    count, every = 30_000, 10
    conn = library._conn
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status) "
                     "VALUES (?, 't', 't', 'flux-2-pro', 'p', '{}', '{}', 'done')", [(f"j{i}",) for i in range(count)])
    conn.executemany("INSERT INTO images (job_id, path, model, prompt, parameters, record, created_at, cost_credits) "
                     "VALUES (?, ?, 'flux-2-pro', 'p', '{}', '{}', ?, '3')",
                     [(f"j{i}", f"/x/{i}.jpg", f"2026-05-{1 + i % 28:02d}T00:00:{i % 60:02d}Z") for i in range(count)])
    conn.executemany("INSERT INTO job_references (job_id, position, sha256, from_image_id) VALUES (?, ?, 'x', ?)",
                     [(f"j{i}", p, 1 + (i // every + p) % 100) for i in range(0, count, every) for p in range(2)])
    conn.execute("COMMIT")
    queries = GalleryQueries.for_library(library)
    try:
        started = time.perf_counter()
        assert len(queries.ids(GalleryQuery(edits_only=True))) == count // every
        assert len(queries.ids(GalleryQuery(edits_only=True, order="cost", descending=False))) == count // every
        assert len(queries.ids(GalleryQuery(edits_of=50))) == 60
        assert len(library.used_in(50)) == 60 and len(library.made_from(count - every + 1)) == 2
        assert time.perf_counter() - started < 1.0
    finally:
        queries.close()


# --- the migration ----------------------------------------------------------------------------------------------


def _library_of_version_three(home: Path) -> dict[str, str]:
    """A library as FluxDesk wrote it at schema 3: jobs whose journalled requests list their references (one from
    an image deleted since, one pasted), a text-only job, and requests that are odd in every way a file can be."""
    home.mkdir()
    conn = connect(database_path(home))
    migrate(conn, MIGRATIONS[:3])
    assert schema_version(conn) == 3

    def job(job_id: str, request: object, created: str) -> None:
        text = request if isinstance(request, str) else json.dumps(request)
        conn.execute("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status) "
                     "VALUES (?, ?, ?, 'flux-2-pro', 'p', ?, '{}', 'done')", (job_id, created, created, text))

    def image(job_id: str, created: str) -> int:
        cursor = conn.execute("INSERT INTO images (job_id, path, model, prompt, parameters, record, created_at) "
                              "VALUES (?, ?, 'flux-2-pro', 'p', '{}', '{}', ?)", (job_id, f"/x/{job_id}.jpg", created))
        conn.execute("UPDATE jobs SET image_id = ? WHERE id = ?", (cursor.lastrowid, job_id))
        return int(cursor.lastrowid or 0)

    job("source", {"model": "flux-2-pro", "prompt": "a fox"}, "2026-01-01T00:00:00.000000Z")
    source = image("source", "2026-01-01T00:00:00.000000Z")
    sha = [f"{n}" * 64 for n in range(1, 4)]
    edit = GenerationRequest(model="flux-2-pro", prompt="image 1 beside image 2 and image 3", input_images=(
        InputImage(width=512, height=384, sha256=sha[0], source="/photos/fox.jpg", from_image_id=source),
        InputImage(width=300, height=200, sha256=sha[1], source="/gone.jpg", from_image_id=source + 1000),
        InputImage(width=64, height=64, sha256=sha[2], source="pasted")))
    job("edit", request_to_dict(edit), "2026-01-02T00:00:00.000000Z")
    image("edit", "2026-01-02T00:00:00.000000Z")
    job("text", request_to_dict(GenerationRequest(model="flux-2-pro", prompt="a lighthouse")),
        "2026-01-03T00:00:00.000000Z")
    image("text", "2026-01-03T00:00:00.000000Z")
    job("damaged", '{"input_images": [', "2026-01-04T00:00:00.000000Z")
    job("odd", {"model": "flux-2-pro", "prompt": "p", "input_images": ["not an object", 5,
                                                                       {"sha256": 12, "width": "wide"}]},
        "2026-01-05T00:00:00.000000Z")
    job("object", {"model": "flux-2-pro", "prompt": "p", "input_images": {"a": {"sha256": "x"}}},
        "2026-01-06T00:00:00.000000Z")
    conn.close()
    return {"sha1": sha[0], "sha2": sha[1], "sha3": sha[2], "source": str(source)}


def test_migrating_a_version_three_library_links_the_references_its_jobs_were_sent_with(tmp_path: Path) -> None:
    home = tmp_path / "home"
    known = _library_of_version_three(home)
    with Library.open(home) as lib:
        conn = lib._conn
        assert schema_version(conn) == len(MIGRATIONS) == 8
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        source = int(known["source"])
        edit = lib.image_for_job("edit")
        made = lib.made_from(edit.id)
        assert [(r.position, r.sha256, r.width, r.height, r.source, r.from_image_id) for r in made] == [
            (0, known["sha1"], 512, 384, "/photos/fox.jpg", source),
            (1, known["sha2"], 300, 200, "/gone.jpg", None),  # that image was deleted before the upgrade
            (2, known["sha3"], 64, 64, "pasted", None)]
        assert all(r.path is None for r in made)  # the library never had those bytes
        assert lib.used_in(source) == [edit.id]
        assert shown_ids(lib, edits_only=True) == [edit.id]
        odd = conn.execute("SELECT position, sha256, width FROM job_references WHERE job_id = 'odd'").fetchall()
        assert [tuple(row) for row in odd] == [(2, None, None)]  # the one object; its wrong types left out
        for job_id in ("text", "damaged", "object", "source"):
            assert conn.execute("SELECT 1 FROM job_references WHERE job_id = ?", (job_id,)).fetchone() is None
        # And the upgraded library journals new edits as the current one does.
        fresh = lib.create_job(GenerationRequest(model="flux-2-pro", prompt="again", input_images=(
            InputImage(width=8, height=8, sha256=known["sha1"], from_image_id=edit.id),)), {}, demo=True)
        lib.store_image(fresh, make_image("PNG"), "png", ImageRecord(model="flux-2-pro", prompt="again"))
        assert lib.used_in(edit.id) == [lib.image_for_job(fresh).id]


def test_the_migration_runs_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _library_of_version_three(home)
    Library.open(home).close()
    with Library.open(home) as lib:
        assert lib._conn.execute("SELECT count(*) FROM job_references").fetchone()[0] == 4
    conn = sqlite3.connect(database_path(home))
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        conn.close()
