"""The library: the job journal, storing images exactly once, the gallery's queries, the trash."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from storage_support import make_image, shown_ids

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import ImageRecord, build_record
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery, _order_by
from fluxdesk.storage.imaging import ImageDecodeError
from fluxdesk.storage.library import Library, UnknownImageError, UnknownJobError
from fluxdesk.storage.metadata_io import read_metadata
from fluxdesk.storage.thumbnails import cache_file

T0 = datetime(2026, 5, 9, 7, 35, 25, tzinfo=UTC)
DEV = GenerationRequest(model="flux-dev", prompt="a red fox in the snow", seed=42, width=1024, height=768,
                        steps=28, guidance=3.0)


def new_job(lib: Library, req: GenerationRequest = DEV, **kwargs: object) -> str:
    body = validate(req).body
    assert body is not None
    return lib.create_job(req, body, demo=bool(kwargs.pop("demo", False)), **kwargs)  # type: ignore[arg-type]


def submitted(lib: Library, req: GenerationRequest = DEV, cost: object = 2.5, **kwargs: object) -> str:
    job = new_job(lib, req, **kwargs)
    assert lib.mark_submitting(job)
    lib.record_submission(job, f"task-{job[:8]}", "https://api.eu2.bfl.ai/v1/get_result?id=x", cost, 0.0, 0.75)
    return job


def stored(lib: Library, req: GenerationRequest = DEV, *, fmt: str = "JPEG", created: datetime = T0,
           **kwargs: object) -> tuple[str, int]:
    job = submitted(lib, req, **kwargs)
    record = build_record(req, {"prompt": req.prompt.upper(), "seed": req.seed or 7}, job_id=job,
                          task_id=None, cost_credits=None, demo=False, created_at=created)
    image = lib.store_image(job, make_image(fmt, size=(64, 48)), fmt.lower(), record)
    return job, image.id


# --- the job journal -----------------------------------------------------------------------------

def test_a_reference_not_yet_stored_is_refused_by_the_journal(library: Library) -> None:
    """The journal names references by SHA-256 alone: one without it could never be sent again."""
    request = GenerationRequest(model="flux-2-pro", prompt="p", input_images=(InputImage("QUJD" * 500, 64, 64),))
    with pytest.raises(ValueError, match="SHA-256"):
        library.create_job(request, {}, demo=False)
    assert library.unfinished_jobs() == []


def test_create_job_journals_request_and_body(library: Library) -> None:
    sha256, _path = library.store_reference(b"ABC" * 500, "jpg")
    kontext = GenerationRequest(model="flux-kontext-pro", prompt="make it blue", aspect_ratio="4:3",
                                input_images=(InputImage("QUJD" * 500, 640, 480, sha256, "/photos/cat.jpg"),))
    body = validate(kontext).body
    assert body is not None
    job_id = library.create_job(kontext, body, demo=True, batch_id="b1", seq=3, status=JobStatus.SUBMITTING,
                                estimated_credits=Decimal(4), created_at=T0)
    job = library.get_job(job_id)
    assert job is not None
    # The request names its reference by SHA-256 (the library keeps the bytes, to reproduce); never the data.
    assert job.request == kontext.with_input_images((kontext.input_images[0].without_data(),))
    assert library.reference_data(job.request.input_images[0].sha256) == b"ABC" * 500  # type: ignore[arg-type]
    raw = library._conn.execute("SELECT request FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
    assert "QUJD" not in raw and sha256 in raw
    assert job.body["input_image"] == "<omitted: 2000 characters>" and job.body["prompt"] == "make it blue"
    assert (job.status, job.demo, job.batch_id, job.seq, job.size) == (JobStatus.SUBMITTING, True, "b1", 3, "4:3")
    assert job.created_at == "2026-05-09T07:35:25.000000Z" and job.estimated_credits == Decimal(4)
    assert job.task_id is None and job.cost_credits is None and job.image_id is None
    assert library.get_job(new_job(library)).size == "1024x768"  # type: ignore[union-attr]
    assert library.get_job("nope") is None


def test_a_new_job_is_queued_or_submitting_only(library: Library) -> None:
    with pytest.raises(ValueError):
        library.create_job(DEV, {}, demo=False, status=JobStatus.DONE)


def test_mark_submitting_refuses_a_cancelled_job(library: Library) -> None:
    job = new_job(library)
    assert library.cancel_job(job)
    assert not library.mark_submitting(job)  # do not POST
    assert library.get_job(job).status is JobStatus.CANCELLED  # type: ignore[union-attr]
    other = new_job(library)
    assert library.mark_submitting(other) and library.mark_submitting(other)
    assert not library.cancel_job(other)  # on its way: cannot be cancelled
    with pytest.raises(UnknownJobError):
        library.mark_submitting("nope")


def test_a_cancel_is_journalled_with_its_reason_and_leaves_nothing_to_resume(library: Library) -> None:
    job = new_job(library)
    assert library.cancel_job(job, "Cancelled before it was sent.")
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.CANCELLED and row.error == "Cancelled before it was sent."
    assert not library.cancel_job(job)  # once is enough
    assert job not in [j.id for j in library.unfinished_jobs()]


def test_record_submission_and_ready(library: Library) -> None:
    job = new_job(library)
    library.mark_submitting(job)
    library.record_submission(job, "task-1", "https://api.eu4.bfl.ai/v1/get_result?id=task-1", 4.5, 0.0, 1.05,
                              submitted_at=T0)
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.SUBMITTED
    assert (row.task_id, row.polling_url) == ("task-1", "https://api.eu4.bfl.ai/v1/get_result?id=task-1")
    assert row.cost_credits == Decimal("4.5") and isinstance(row.cost_credits, Decimal)
    assert (row.input_mp, row.output_mp, row.submitted_at) == (0.0, 1.05, "2026-05-09T07:35:25.000000Z")
    assert [j.id for j in library.resumable_jobs()] == [job]
    library.record_ready(job, {"sample": "https://delivery-eu1.bfl.ai/s/sample.jpeg", "seed": 5},
                         "https://delivery-eu1.bfl.ai/s/sample.jpeg", T0 + timedelta(minutes=10))
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.DOWNLOADING and row.result == {
        "sample": "https://delivery-eu1.bfl.ai/s/sample.jpeg", "seed": 5}
    assert row.sample_expires_at == (T0 + timedelta(minutes=10)).timestamp()
    library.record_ready(job, {}, "https://x.bfl.ai/s", 1_800_000_000.5)
    assert library.get_job(job).sample_expires_at == 1_800_000_000.5  # type: ignore[union-attr]
    assert [j.id for j in library.resumable_jobs()] == [job]


def test_record_submission_with_no_cost_and_over_a_racing_cancel(library: Library) -> None:
    job = new_job(library)
    library.cancel_job(job)
    library.record_submission(job, "t", None, None)
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.SUBMITTED and row.cost_credits is None


def test_finish_job(library: Library) -> None:
    job = submitted(library)
    assert library.finish_job(job, JobStatus.MODERATED, "Content Moderated" + "!" * 5000)
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.MODERATED and len(row.error or "") == 2000
    for bad in (JobStatus.DONE, JobStatus.SUBMITTED):
        with pytest.raises(ValueError):
            library.finish_job(job, bad)
    with pytest.raises(UnknownJobError):
        library.finish_job("nope", JobStatus.FAILED)


def test_a_done_job_is_never_downgraded(library: Library) -> None:
    job, _ = stored(library)
    assert not library.finish_job(job, JobStatus.FAILED, "late error")
    library.record_ready(job, {}, "u", None)
    library.record_submission(job, "t2", None, 1)
    assert library.get_job(job).status is JobStatus.DONE  # type: ignore[union-attr]


def test_note_error_keeps_the_status(library: Library) -> None:
    job = submitted(library)
    library.record_ready(job, {}, "https://delivery.bfl.ai/x", T0)
    library.note_error(job, "download failed")
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.DOWNLOADING and row.error == "download failed"


def test_status_queries(library: Library) -> None:
    queued = new_job(library, created_at=T0)
    sending = new_job(library, status=JobStatus.SUBMITTING, created_at=T0 + timedelta(seconds=1))
    polling = submitted(library, created_at=T0 + timedelta(seconds=2))
    failed = submitted(library, created_at=T0 + timedelta(seconds=3))
    library.finish_job(failed, JobStatus.FAILED)
    assert [j.id for j in library.unfinished_jobs()] == [queued, sending, polling]
    assert [j.id for j in library.resumable_jobs()] == [polling]
    assert [j.id for j in library.jobs_with_status(JobStatus.FAILED, JobStatus.QUEUED)] == [queued, failed]
    assert library.jobs_with_status() == []
    batch = [new_job(library, batch_id="B", seq=i) for i in (1, 0)]
    assert [j.id for j in library.jobs_in_batch("B")] == batch[::-1]


# --- storing images ------------------------------------------------------------------------------

def test_store_image_writes_file_row_and_done_together(library: Library) -> None:
    job = submitted(library, created_at=T0)
    record = build_record(DEV, {"prompt": "A red fox", "seed": 42, "duration": 3.5}, job_id=job, task_id=None,
                          cost_credits=None, demo=False, created_at=T0)
    data = make_image("JPEG", size=(64, 48))
    image = library.store_image(job, data, "jpeg", record)
    assert image.path.parent == library.library_dir / "2026" / "05"
    assert image.path.name == f"20260509-073525-flux-dev-42-{job[:8]}.jpg"
    assert (image.width, image.height, image.format, image.seed) == (64, 48, "jpeg", 42)  # decoded size wins
    assert image.cost_credits == Decimal("2.5") and image.task_id == f"task-{job[:8]}"  # from the job
    assert image.prompt_used == "A red fox" and image.duration == 3.5 and image.file_size == image.path.stat().st_size
    assert image.parameters == {"seed": 42, "width": 1024, "height": 768, "steps": 28, "guidance": 3.0}
    embedded, a1111 = read_metadata(image.path.read_bytes())
    assert embedded == image.record and embedded.job_id == job and embedded.width == 64  # type: ignore[union-attr]
    assert a1111 is not None and a1111["seed"] == 42
    row = library.get_job(job)
    assert row is not None and row.status is JobStatus.DONE and row.image_id == image.id
    assert library.image_for_job(job) == image == library.get_image(image.id)


def test_store_image_is_idempotent(library: Library) -> None:
    job, image_id = stored(library)
    record = ImageRecord(model="flux-dev", prompt="different")
    again = library.store_image(job, make_image("PNG"), "png", record)
    assert again.id == image_id and again.format == "jpeg"
    files = [p for p in library.library_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and len(shown_ids(library)) == 1


def test_store_image_after_a_crash_between_file_and_row_reuses_the_file(library: Library) -> None:
    job = submitted(library)
    record = build_record(DEV, {"seed": 42}, job_id=job, task_id=None, cost_credits=None, demo=False,
                          created_at=T0)
    data = make_image("JPEG")
    first = library.store_image(job, data, "jpeg", record)
    # The transaction "never committed": the file is on disk, the row and DONE are not.
    library._conn.execute("DELETE FROM images")
    library._conn.execute("UPDATE jobs SET status = 'downloading', image_id = NULL")
    second = library.store_image(job, data, "jpeg", record)
    assert second.path == first.path
    assert [p.name for p in library.library_dir.rglob("*.jpg")] == [first.path.name]


def test_store_image_from_two_threads_stores_one(library: Library) -> None:
    job = submitted(library)
    record = ImageRecord(model="flux-dev", prompt="p", seed=1)
    data = make_image("PNG")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(library.store_image(job, data, "png", record).id))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(shown_ids(library)) == 1
    assert len(list(library.library_dir.rglob("*.png"))) == 1


def test_store_image_from_two_processes_stores_one(home: Path) -> None:
    first, second = Library.open(home), Library.open(home)
    try:
        job = submitted(first)
        record = ImageRecord(model="flux-dev", prompt="p", seed=1, created_at="2026-05-09T00:00:00Z")
        a = first.store_image(job, make_image("PNG"), "png", record)
        b = second.store_image(job, make_image("PNG", size=(10, 10)), "png", record)
        assert a.id == b.id and len(list(first.library_dir.rglob("*.png"))) == 1
    finally:
        first.close()
        second.close()


def test_losing_a_race_with_another_process_removes_the_extra_file(home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = Library.open(home), Library.open(home)
    try:
        job = submitted(first)
        record = ImageRecord(model="flux-dev", prompt="p", seed=1)
        a = first.store_image(job, make_image("PNG"), "png", record)
        # ``second`` looked before ``first`` stored, so it learns only when its INSERT fails.
        real, calls = second._image_for_job, []

        def first_look_misses(job_id: str) -> object:
            calls.append(job_id)
            return None if len(calls) == 1 else real(job_id)

        monkeypatch.setattr(second, "_image_for_job", first_look_misses)
        b = second.store_image(job, make_image("PNG", size=(10, 10)), "png", record)
        assert b.id == a.id and len(calls) == 2
        assert [p.name for p in first.library_dir.rglob("*.png")] == [a.path.name]
    finally:
        first.close()
        second.close()


def test_store_image_refuses_what_is_not_an_image(library: Library) -> None:
    job = submitted(library)
    with pytest.raises(ImageDecodeError):
        library.store_image(job, b"<html>expired</html>", "jpeg", ImageRecord(model="flux-dev", prompt="p"))
    with pytest.raises(ImageDecodeError):
        library.store_image(job, make_image("JPEG")[:300], "jpeg", ImageRecord(model="flux-dev", prompt="p"))
    assert shown_ids(library) == [] and not list(library.library_dir.rglob("*.*"))
    assert library.get_job(job).status is JobStatus.SUBMITTED  # type: ignore[union-attr]
    with pytest.raises(UnknownJobError):
        library.store_image("nope", make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt="p"))


def test_a_failed_row_insert_leaves_no_file(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    job = submitted(library)

    def fail(*args: object) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(library, "_insert_image", fail)
    with pytest.raises(Exception, match="disk I/O error"):
        library.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt="p"))
    assert not list(library.library_dir.rglob("*.png"))


def test_seed_beyond_sqlite_integers_is_kept_in_the_record_only(library: Library) -> None:
    job = submitted(library)
    image = library.store_image(job, make_image("PNG"), "png",
                                ImageRecord(model="flux-dev", prompt="p", seed=2**70))
    assert image.seed is None and image.record.seed == 2**70


def test_find_image_by_path(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    _, image_id = stored(library)
    image = library.get_image(image_id)
    assert image is not None
    assert library.find_image_by_path(image.path).id == image_id  # type: ignore[union-attr]
    monkeypatch.chdir(image.path.parent)
    assert library.find_image_by_path(Path(image.path.name)).id == image_id  # type: ignore[union-attr]
    assert library.find_image_by_path(Path("/nowhere.jpg")) is None


# --- the gallery's queries -----------------------------------------------------------------------

@pytest.fixture
def gallery(library: Library) -> dict[str, int]:
    """Five images over three days, two models, one demo, one favourite."""
    ids = {}
    specs = [
        ("fox", GenerationRequest(model="flux-dev", prompt="a red fox in the snow", seed=1), 0, {}),
        ("cafe", GenerationRequest(model="flux-2-pro", prompt="un café crème on a table", seed=2), 1,
         {"cost": "4.5"}),
        ("owl", GenerationRequest(model="flux-2-pro", prompt="an owl at night", seed=3), 1, {"cost": 9}),
        ("demo", GenerationRequest(model="flux-dev", prompt="a demo fox", seed=4), 2, {"demo": True}),
        ("ship", GenerationRequest(model="flux-pro-1.1", prompt="a ship", seed=5), 2, {"cost": "0.5"}),
    ]
    for name, req, day, extra in specs:
        _, ids[name] = stored(library, req, created=T0 + timedelta(days=day, minutes=len(ids)), **extra)
    library.set_favourite(ids["owl"], True)
    return ids


def names(image_ids: list[int], ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[i] for i in image_ids]


def test_gallery_is_newest_first_and_paged_by_id(library: Library, gallery: dict[str, int]) -> None:
    queries = GalleryQueries.for_library(library)
    try:
        newest = list(queries.ids(GalleryQuery()))
        assert names(newest, gallery) == ["ship", "demo", "owl", "cafe", "fox"]
        assert names(list(queries.ids(GalleryQuery(descending=False)))[:2], gallery) == ["fox", "cafe"]
        page = {item.id: item.prompt for item in queries.items(newest[1:3])}
        assert page == {gallery["demo"]: "a demo fox", gallery["owl"]: "an owl at night"}
    finally:
        queries.close()


def test_gallery_filters(library: Library, gallery: dict[str, int]) -> None:
    def q(**query: object) -> list[str]:
        return names(shown_ids(library, **query), gallery)

    day = datetime(2026, 5, 10, tzinfo=UTC)
    assert q(text="fox") == ["demo", "fox"]
    assert q(text="FO") == ["demo", "fox"]  # prefix, any case
    assert q(text="cafe") == ["cafe"]  # diacritics folded
    assert q(text="red snow") == ["fox"]  # every word
    assert q(text="RED FOX") == ["fox"]  # the prompt BFL used is searched too
    assert q(text='owl" OR "x') == []  # FTS syntax in the box is just words
    assert q(model="flux-2-pro") == ["owl", "cafe"]
    assert q(favourites_only=True) == ["owl"]
    assert q(demo=True) == ["demo"] and "demo" not in q(demo=False)
    assert q(date_from=day, date_to=day + timedelta(days=1)) == ["owl", "cafe"]
    assert q(date_from=T0 + timedelta(days=1, minutes=2)) == ["ship", "demo", "owl"]
    assert q(date_to=T0 + timedelta(days=1, minutes=2)) == ["cafe", "fox"]  # exclusive
    assert q(order="cost") == ["owl", "cafe", "demo", "fox", "ship"]
    with pytest.raises(ValueError):
        q(order="size")
    assert library.image_models() == ["flux-2-pro", "flux-dev", "flux-pro-1.1"]


def test_gallery_queries_use_indexes(library: Library) -> None:
    queries = GalleryQueries.for_library(library)
    try:
        for query in (GalleryQuery(), GalleryQuery(model="x"), GalleryQuery(order="cost"),
                      GalleryQuery(favourites_only=True)):
            where, params = queries._where(query)
            sql = f"SELECT id FROM images {where} ORDER BY {_order_by(query)}"
            steps = [row[3] for row in library._conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            reads = [step for step in steps if step.startswith(("SCAN images", "SEARCH images"))]
            assert reads and all("INDEX" in step for step in reads), (query, steps)
            assert not any("TEMP B-TREE" in step for step in steps), (query, steps)
    finally:
        queries.close()


def test_gallery_stays_fast_with_many_images(library: Library) -> None:
    import time

    job_rows = [(f"j{i}", "t", "t", "flux-dev", "p", "{}", "{}", "done") for i in range(30_000)]
    image_rows = [(f"j{i}", f"/x/{i}.jpg", "flux-2-pro" if i % 3 else "flux-dev", f"prompt number {i} fox" if
                   i % 10 == 0 else f"prompt number {i}", "{}", "{}", f"2026-05-{1 + i % 28:02d}T00:00:{i % 60:02d}Z",
                   str(i % 7)) for i in range(30_000)]
    with library._conn:
        library._conn.execute("BEGIN")
        library._conn.executemany("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, "
                                  "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", job_rows)
        library._conn.executemany("INSERT INTO images (job_id, path, model, prompt, parameters, record, "
                                  "created_at, cost_credits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", image_rows)
    queries = GalleryQueries.for_library(library)
    try:
        started = time.perf_counter()
        ids = queries.ids(GalleryQuery())
        assert len(ids) == 30_000
        for page in range(20):
            assert len(queries.items(ids[page * 200:(page + 1) * 200])) == 200
        assert len(queries.ids(GalleryQuery(text="fox"))) == 3000
        assert len(queries.ids(GalleryQuery(model="flux-dev"))) == 10_000
        assert len(queries.items(queries.ids(GalleryQuery(order="cost", model="flux-2-pro"))[:200])) == 200
        assert time.perf_counter() - started < 2.0
    finally:
        queries.close()


# --- favourites, trash, deletion -----------------------------------------------------------------

def test_favourite(library: Library) -> None:
    _, image_id = stored(library)
    library.set_favourite(image_id, True)
    image = library.get_image(image_id)
    assert image is not None and image.favourite
    library.set_favourite(image_id, False)
    assert not library.get_image(image_id).favourite  # type: ignore[union-attr]
    with pytest.raises(UnknownImageError):
        library.set_favourite(999, True)


def test_trash_and_restore(library: Library) -> None:
    _, image_id = stored(library)
    original = library.get_image(image_id).path  # type: ignore[union-attr]
    trashed = library.trash_image(image_id)
    assert trashed.path.parent == library.trash_dir and trashed.path.exists() and not original.exists()
    assert trashed.trashed_at is not None and trashed.trashed_from == original
    assert shown_ids(library) == [] and shown_ids(library, trash=True) == [image_id]
    assert library.trash_image(image_id) == trashed  # twice is once
    assert library.find_image_by_path(trashed.path).id == image_id  # type: ignore[union-attr]
    restored = library.restore_image(image_id)
    assert restored.path == original and original.exists() and restored.trashed_at is None
    assert shown_ids(library) == [image_id] and not list(library.trash_dir.iterdir())


def test_purge_trash_deletes_only_old_trash(library: Library) -> None:
    job_old, old = stored(library)
    _, recent = stored(library, replace(DEV, seed=2))
    _, kept = stored(library, replace(DEV, seed=3))
    library.trash_image(old, now=datetime.now(UTC) - timedelta(days=31))
    library.trash_image(recent, now=datetime.now(UTC) - timedelta(days=29))
    trashed = library.get_image(old)
    assert trashed is not None and trashed.trashed_from is not None
    old_path = trashed.path
    library.thumbnails_dir.mkdir(parents=True, exist_ok=True)
    for shown_as in (old_path, trashed.trashed_from):  # cached in the trash view, and before it
        cache_file(library.thumbnails_dir, str(shown_as), 256, 1).write_bytes(b"thumb")
    kept_thumb = cache_file(library.thumbnails_dir, str(library.get_image(kept).path), 256, 1)  # type: ignore[union-attr]
    kept_thumb.write_bytes(b"thumb")
    assert library.purge_trash(older_than_days=30) == 1
    assert library.get_image(old) is None and not old_path.exists()
    assert sorted(library.thumbnails_dir.iterdir()) == [kept_thumb]  # no copy of the deleted image stays
    assert library.get_image(recent) is not None and library.get_image(kept) is not None
    job = library.get_job(job_old)
    assert job is not None and job.status is JobStatus.DONE and job.image_id is None  # the ledger keeps it
    assert len(library.ledger_rows()) == 3


def test_delete_image_permanently(library: Library) -> None:
    job, image_id = stored(library)
    path = library.get_image(image_id).path  # type: ignore[union-attr]
    library.delete_image_permanently(image_id)
    assert library.get_image(image_id) is None and not path.exists()
    assert shown_ids(library, text="fox") == []  # gone from the search index too
    assert library.get_job(job).image_id is None  # type: ignore[union-attr]
    with pytest.raises(UnknownImageError):
        library.delete_image_permanently(image_id)


def test_trashing_an_image_whose_file_vanished(library: Library) -> None:
    _, image_id = stored(library)
    image = library.get_image(image_id)
    assert image is not None
    image.path.unlink()
    trashed = library.trash_image(image_id)
    assert trashed.trashed_at is not None
    restored = library.restore_image(image_id)
    assert restored.trashed_at is None and restored.path == image.path


def test_open_removes_stale_temp_files(home: Path) -> None:
    import os
    import time

    Library.open(home).close()
    stale = home / "images" / "2026" / ".x.jpg.1a2b.part"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    with Library.open(home, remove_temp_files=False) as lib:
        assert stale.exists()
        assert lib.remove_stale_temp_files() == 1 and not stale.exists()
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    Library.open(home).close()
    assert not stale.exists()
