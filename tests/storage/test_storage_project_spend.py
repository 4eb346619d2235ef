"""Spend per project from a real library: per-project totals equal the sum of their jobs and add up to the month's,
spend moves with a moved image, one project's jobs over a range of days, and the invoice CSV they make."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from storage_support import make_image

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.projects import ProjectError
from fluxdesk.core.request import GenerationRequest
from fluxdesk.storage.ledger_csv import INVOICE_FIELDS, write_invoice_csv
from fluxdesk.storage.library import Library

MONTH = "2026-03"


def _job(library: Library, when: str, cost: str, project_id: int | None, *, end: JobStatus = JobStatus.DONE,
         prompt: str = "a kite", demo: bool = False) -> tuple[str, int | None]:
    request = GenerationRequest(model="flux-dev", prompt=prompt)
    job = library.create_job(request, {}, demo=demo, project_id=project_id)
    library.mark_submitting(job)
    library.record_submission(job, f"task-{job}", "https://api.bfl.ai/x", Decimal(cost),
                              submitted_at=datetime.fromisoformat(when).replace(tzinfo=UTC))
    if end is JobStatus.DONE:
        return job, library.store_image(job, make_image("PNG"), "png", ImageRecord(model="flux-dev", prompt=prompt)).id
    library.finish_job(job, end, None)
    return job, None


@pytest.fixture
def filled(library: Library) -> dict[str, object]:
    acme, globex = library.ensure_project("Acme"), library.ensure_project("Globex")
    library.ensure_project("Initech")  # no jobs: listed, with nothing spent
    old = library.ensure_project("Old client")
    library.archive_project(old.id)  # archived and no jobs this month: not listed
    jobs = {
        "acme1": _job(library, "2026-03-01T00:00:00", "2.5", acme.id, prompt="=acme poster"),
        "acme2": _job(library, "2026-03-15T10:00:00", "4", acme.id),
        "acme_moderated": _job(library, "2026-03-16T10:00:00", "4", acme.id, end=JobStatus.MODERATED),
        "acme_expired": _job(library, "2026-03-31T23:59:59", "3", acme.id, end=JobStatus.EXPIRED),
        "acme_april": _job(library, "2026-04-01T00:00:00", "7", acme.id),
        "globex": _job(library, "2026-03-10T12:00:00", "1.5", globex.id),
        "globex_demo": _job(library, "2026-03-11T12:00:00", "9", globex.id, demo=True),
        "none": _job(library, "2026-03-20T12:00:00", "6", None),
    }
    return {"acme": acme, "globex": globex, "jobs": jobs}


def _by_name(library: Library, **kwargs: object) -> dict[str | None, tuple[Decimal, int]]:
    return {p.name: (p.credits, p.jobs) for p in library.spend_by_project(MONTH, **kwargs)}  # type: ignore[arg-type]


def test_per_project_totals_equal_their_jobs_and_add_up_to_the_month(library: Library, filled: dict) -> None:
    rows = library.spend_by_project(MONTH)
    assert [p.name for p in rows] == ["Acme", "Globex", "Initech", None]  # most spent first, no project last
    # Acme: 2.5 + 4 + 3 (expired: billed without an image); the moderated job is not billed, April's not March's.
    assert _by_name(library) == {"Acme": (Decimal("9.5"), 3), "Globex": (Decimal("1.5"), 1),
                                 "Initech": (Decimal(0), 0), None: (Decimal(6), 1)}
    assert rows[0].usd == Decimal("0.095") and rows[-1].project_id is None
    assert sum((p.credits for p in rows), Decimal(0)) == library.spend(MONTH).credits
    for project in rows:
        ledger = library.project_ledger_rows(project.project_id, first=date(2026, 3, 1), last=date(2026, 3, 31))
        assert sum((r.credits or Decimal(0) for r in ledger if r.billed), Decimal(0)) == project.credits
        assert sum(r.billed for r in ledger) == project.jobs
    with_demo = _by_name(library, include_demo=True)
    assert with_demo["Globex"] == (Decimal("10.5"), 2)
    assert sum(c for c, _ in with_demo.values()) == library.spend(MONTH, include_demo=True).credits


def test_spend_moves_with_the_image_and_back(library: Library, filled: dict) -> None:
    acme, globex = filled["acme"], filled["globex"]
    _job_id, image = filled["jobs"]["acme2"]
    before = library.move_images_to_project([image], globex.id)
    assert _by_name(library)["Acme"] == (Decimal("5.5"), 2) and _by_name(library)["Globex"] == (Decimal("5.5"), 2)
    library.move_images_to_project([image], None)
    assert _by_name(library)[None] == (Decimal(10), 2) and _by_name(library)["Globex"] == (Decimal("1.5"), 1)
    library.move_images_to_project([image], before[image])
    assert _by_name(library)["Acme"] == (Decimal("9.5"), 3)
    assert sum((p.credits for p in library.spend_by_project(MONTH)), Decimal(0)) == library.spend(MONTH).credits
    assert library.project_ledger_rows(acme.id, first=date(2026, 3, 15), last=date(2026, 3, 15))[0].image_id == image


def test_budgets_are_shown_against_the_month(library: Library, filled: dict) -> None:
    library.set_project_budget(filled["acme"].id, Decimal("0.09"))
    library.set_project_budget(filled["globex"].id, Decimal("1"))
    rows = {p.name: p for p in library.spend_by_project(MONTH)}
    assert rows["Acme"].over_budget and rows["Acme"].budget_used == Decimal("0.095") / Decimal("0.09") * 100
    assert not rows["Globex"].over_budget and rows["Globex"].budget_used == Decimal("1.5")
    assert rows["Initech"].budget_used is None and rows[None].budget_usd is None


def test_a_projects_jobs_over_a_range_of_days(library: Library, filled: dict) -> None:
    acme = filled["acme"]
    jobs = filled["jobs"]
    every = library.project_ledger_rows(acme.id)
    assert [r.job_id for r in every] == [jobs[k][0] for k in ("acme1", "acme2", "acme_moderated", "acme_expired",
                                                               "acme_april")]
    # Both ends are included, whole UTC days: the last second of March 31st and the first of April 1st.
    march_end = library.project_ledger_rows(acme.id, first=date(2026, 3, 31), last=date(2026, 4, 1))
    assert [r.job_id for r in march_end] == [jobs["acme_expired"][0], jobs["acme_april"][0]]
    assert library.project_ledger_rows(acme.id, last=date(2026, 2, 28)) == []
    assert [r.job_id for r in library.project_ledger_rows(None)] == [jobs["none"][0]]
    assert all(r.project_name == "Acme" for r in every) and every[0].file_name and every[2].file_name is None
    with pytest.raises(ValueError, match="after it ends"):
        library.project_ledger_rows(acme.id, first=date(2026, 3, 2), last=date(2026, 3, 1))
    with pytest.raises(ProjectError, match="no project"):
        library.project_ledger_rows(acme.id + 99)


def test_the_invoice_csv_holds_the_billed_jobs(library: Library, filled: dict) -> None:
    acme = filled["acme"]
    rows = library.project_ledger_rows(acme.id, first=date(2026, 3, 1), last=date(2026, 3, 31))
    out = io.StringIO()
    assert write_invoice_csv(rows, out) == 3
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(parsed[0]) == list(INVOICE_FIELDS)
    image = library.get_image(filled["jobs"]["acme1"][1])
    assert parsed[0] == {"date": "2026-03-01", "project": "Acme", "model": "flux-dev", "size": "64x48",
                         "credits": "2.5", "usd": "0.025", "prompt": "'=acme poster",  # no formula in a spreadsheet
                         "file_name": image.path.name, "job_id": filled["jobs"]["acme1"][0]}
    assert [r["date"] for r in parsed] == ["2026-03-01", "2026-03-15", "2026-03-31"]
    assert parsed[2]["file_name"] == ""  # billed, but its image expired before it was downloaded
    assert sum(Decimal(r["credits"]) for r in parsed) == next(
        p.credits for p in library.spend_by_project(MONTH) if p.name == "Acme")
    # A trashed image keeps its file name on the invoice: it was delivered under that name.
    library.trash_image(image.id)
    trashed = library.project_ledger_rows(acme.id, first=date(2026, 3, 1), last=date(2026, 3, 1))
    assert trashed[0].file_name == image.path.name
