"""Projects in the library: the migration of a database the previous version made, names unique whatever their
case, rename, archive, delete only when empty, moving images (and their spend) and moving them back."""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from storage_support import make_image

from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.projects import MAX_NAME_CHARS, ProjectError
from fluxdesk.core.request import GenerationRequest
from fluxdesk.core.serialize import utc_now
from fluxdesk.storage.db import MIGRATIONS, schema_version
from fluxdesk.storage.library import Library, UnknownImageError
from fluxdesk.storage.spend import current_month

FIXTURES = Path(__file__).parents[1] / "fixtures"
PREVIOUS = FIXTURES / "library-v4.sqlite"
"""Made by schema 4's FluxDesk (``tests/fixtures/make_library_v4.py`` says how)."""


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def test_a_library_made_by_the_previous_version_keeps_every_job_image_and_charge(tmp_path: Path) -> None:
    assert _rows(PREVIOUS, "PRAGMA user_version") == [(4,)]
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(PREVIOUS, home / "fluxdesk.db")
    jobs_before = _rows(PREVIOUS, "SELECT * FROM jobs ORDER BY id")
    images_before = _rows(PREVIOUS, "SELECT * FROM images ORDER BY id")
    references_before = _rows(PREVIOUS, "SELECT * FROM job_references ORDER BY job_id, position")
    ledger_before = _rows(PREVIOUS, "SELECT * FROM ledger ORDER BY job_id")
    months = sorted({row[0] for row in _rows(PREVIOUS, "SELECT substr(time, 1, 7) FROM ledger")})
    assert len(jobs_before) == 9 and len(images_before) == 5 and len(references_before) == 1 and len(months) == 2

    with Library.open(home) as library:
        assert schema_version(library._conn) == len(MIGRATIONS) == 8
        spend = {(month, demo): library.spend(month, include_demo=demo) for month in months for demo in (False, True)}
        jobs = [library.get_job(row[0]) for row in jobs_before]
        images = [library.get_image(row[0]) for row in images_before]
        ledger = library.ledger_rows(None, include_demo=True)
        assert library.projects(include_archived=True) == []
        made_from = library.made_from(images[-1].id)

    assert all(job is not None and job.project_id is None and job.project_name is None for job in jobs)
    assert all(image is not None and image.project_id is None for image in images)
    assert made_from[0].from_image_id == images[0].id  # lineage kept
    assert [row.project_id for row in ledger] == [None] * len(ledger_before)
    # Every column the previous version had holds what it held; the new column is NULL.
    assert _rows(home / "fluxdesk.db", f"SELECT {', '.join(_columns(PREVIOUS, 'jobs'))} FROM jobs ORDER BY id") \
        == jobs_before
    assert _rows(home / "fluxdesk.db", "SELECT * FROM images ORDER BY id") == images_before
    assert _rows(home / "fluxdesk.db", "SELECT * FROM job_references ORDER BY job_id, position") == references_before
    assert _rows(home / "fluxdesk.db", "SELECT COUNT(*) FROM jobs WHERE project_id IS NOT NULL") == [(0,)]
    # Spend totals as the previous version's ledger gives them, summed by hand.
    for (month, demo), summary in spend.items():
        expected = sum((Decimal(row[4]) for row in ledger_before
                        if row[1].startswith(month) and row[7] and (demo or not row[8])), Decimal(0))
        assert summary.credits == expected
    assert spend[(months[0], False)].credits == Decimal("6.5") and spend[(months[1], False)].credits == Decimal("8.5")


def _columns(path: Path, table: str) -> list[str]:
    return [row[1] for row in _rows(path, f"PRAGMA table_info({table})")]


# --- the library's API ------------------------------------------------------------------------------------------

def _image(library: Library, prompt: str = "a kite", project_id: int | None = None, cost: str = "2.5") -> int:
    request = GenerationRequest(model="flux-dev", prompt=prompt)
    job = library.create_job(request, {}, demo=False, project_id=project_id)
    library.mark_submitting(job)
    library.record_submission(job, f"task-{job}", "https://api.bfl.ai/x", Decimal(cost))
    return library.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt=prompt)).id


def test_names_are_unique_whatever_their_case_and_trimmed(library: Library) -> None:
    acme = library.ensure_project("  Acme Campaign ")
    assert acme.name == "Acme Campaign" and not acme.archived and acme.budget_usd is None
    assert acme.last_used_at is None and acme.created_at
    assert library.ensure_project("ACME campaign") == acme
    assert library.project_named("acme CAMPAIGN") == acme and library.project(acme.id) == acme
    assert library.project_named("Globex") is None and library.project(acme.id + 99) is None
    straße = library.ensure_project("Straße")
    assert library.ensure_project("STRASSE") == straße  # casefolded, not just lower-cased
    for bad, words in (("", "needs a name"), ("   ", "needs a name"), ("x" * (MAX_NAME_CHARS + 1), "at most 80"),
                       ("two\nlines", "one line")):
        with pytest.raises(ProjectError, match=words):
            library.ensure_project(bad)
    assert library.ensure_project("x" * MAX_NAME_CHARS).name == "x" * MAX_NAME_CHARS
    assert isinstance(ProjectError("x"), ValueError)


def test_projects_are_listed_most_recently_used_first_and_archived_ones_on_request(library: Library) -> None:
    first, second, third = (library.ensure_project(name) for name in ("First", "Second", "Third"))
    assert [p.name for p in library.projects()] == ["Third", "Second", "First"]
    _image(library, project_id=first.id)
    used = library.project(first.id)
    assert used is not None and used.last_used_at is not None
    assert [p.name for p in library.projects()] == ["First", "Third", "Second"]
    archived = library.archive_project(second.id)
    assert archived.archived and [p.name for p in library.projects()] == ["First", "Third"]
    assert [p.name for p in library.projects(include_archived=True)] == ["First", "Third", "Second"]
    with pytest.raises(ProjectError, match="Second is archived"):
        library.ensure_project("second", refuse_archived=True)
    assert library.ensure_project("second") == archived  # history still finds it
    assert not library.archive_project(second.id, archived=False).archived
    assert third.id in [p.id for p in library.projects()]


def test_renaming_keeps_the_jobs_and_refuses_another_projects_name(library: Library) -> None:
    acme, globex = library.ensure_project("Acme"), library.ensure_project("Globex")
    image = _image(library, project_id=acme.id)
    renamed = library.rename_project(acme.id, "  Acme Corp ")
    assert renamed.name == "Acme Corp" and renamed.id == acme.id
    row = library.get_image(image)
    assert row is not None and (row.project_id, row.project_name) == (acme.id, "Acme Corp")
    job = library.get_job(row.job_id)
    assert job is not None and (job.project_id, job.project_name) == (acme.id, "Acme Corp")
    assert library.rename_project(acme.id, "ACME CORP").name == "ACME CORP"  # its own name in another case
    with pytest.raises(ProjectError, match="already a project called Globex"):
        library.rename_project(acme.id, "globex")
    with pytest.raises(ProjectError, match="needs a name"):
        library.rename_project(globex.id, " ")
    with pytest.raises(ProjectError, match="no project"):
        library.rename_project(globex.id + 50, "Initech")


def test_only_an_empty_project_can_be_deleted(library: Library) -> None:
    empty, busy = library.ensure_project("Empty"), library.ensure_project("Busy")
    _image(library, project_id=busy.id)
    _image(library, "a boat", project_id=busy.id)
    with pytest.raises(ProjectError, match="Busy has 2 jobs: only an empty project can be deleted"):
        library.delete_project(busy.id)
    library.delete_project(empty.id)
    assert library.project(empty.id) is None and library.project(busy.id) is not None
    with pytest.raises(ProjectError, match="no project"):
        library.delete_project(empty.id)


def test_a_budget_is_decimal_dollars_or_none(library: Library) -> None:
    acme = library.ensure_project("Acme")
    assert library.set_project_budget(acme.id, Decimal("120.50")).budget_usd == Decimal("120.50")
    assert library.project(acme.id).budget_usd == Decimal("120.50")
    assert library.set_project_budget(acme.id, None).budget_usd is None
    for bad in (Decimal(-1), Decimal("NaN"), Decimal("1e12")):
        with pytest.raises(ProjectError, match="budget"):
            library.set_project_budget(acme.id, bad)


def test_moving_images_moves_their_spend_and_moving_back_undoes_it(library: Library) -> None:
    acme, globex = library.ensure_project("Acme"), library.ensure_project("Globex")
    a = _image(library, "a", acme.id, "2.5")
    b = _image(library, "b", None, "4")
    c = _image(library, "c", globex.id, "1")

    def spend() -> dict[int | None, Decimal]:
        totals: dict[int | None, Decimal] = {}
        for row in library.ledger_rows(current_month()):
            totals[row.project_id] = totals.get(row.project_id, Decimal(0)) + (row.credits or 0)
        return totals

    assert spend() == {acme.id: Decimal("2.5"), None: Decimal(4), globex.id: Decimal(1)}
    before = library.move_images_to_project([a, b, c], acme.id)
    assert before == {a: acme.id, b: None, c: globex.id}
    assert spend() == {acme.id: Decimal("7.5")}
    assert {library.project_of_image(i) for i in (a, b, c)} == {acme.id}
    assert [row.project_name for row in library.ledger_rows(current_month())] == ["Acme"] * 3
    for image_id, project_id in before.items():  # undo: each back where it was
        library.move_images_to_project([image_id], project_id)
    assert spend() == {acme.id: Decimal("2.5"), None: Decimal(4), globex.id: Decimal(1)}
    assert library.move_images_to_project([c], None) == {c: globex.id} and library.project_of_image(c) is None
    with pytest.raises(ProjectError, match="no image 999"):
        library.move_images_to_project([a, 999], globex.id)
    assert library.project_of_image(a) == acme.id  # all or none
    with pytest.raises(ProjectError, match="no project"):
        library.move_images_to_project([a], 999)
    with pytest.raises(UnknownImageError):
        library.project_of_image(999)


def test_a_job_for_a_project_that_is_not_there_is_refused(library: Library) -> None:
    with pytest.raises(ProjectError, match="no project 5"):
        library.create_job(GenerationRequest(model="flux-dev", prompt="x"), {}, demo=False, project_id=5)
    assert library.unfinished_jobs() == []
    assert utc_now()  # the clock the library stamps last_used_at with


def test_the_panels_project_is_kept_in_the_settings_by_name(home: Path) -> None:
    from fluxdesk.storage.settings import Settings, load_settings, save_settings, settings_from_dict

    save_settings(home, Settings(current_project="Acme Campaign"))
    assert load_settings(home).current_project == "Acme Campaign"
    assert settings_from_dict({"current_project": "  Acme "}).current_project == "Acme"
    for bad in ("", "x" * 81, 42, "two\nlines", None):
        assert settings_from_dict({"current_project": bad}).current_project is None
