"""Spend and the ledger, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from storage_support import make_image

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.request import GenerationRequest
from fluxdesk.storage.library import Library
from fluxdesk.storage.spend import month_bounds


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def job(lib: Library, model: str, when: str | None, cost: object, end: JobStatus | None, *,
        demo: bool = False, estimate: str | None = None) -> str:
    req = GenerationRequest(model=model, prompt=f"{model} {when}")
    job_id = lib.create_job(req, {"prompt": req.prompt}, demo=demo,
                            estimated_credits=None if estimate is None else Decimal(estimate))
    if when is None:
        return job_id
    lib.mark_submitting(job_id)
    lib.record_submission(job_id, f"task-{job_id}", "https://api.bfl.ai/x", cost, submitted_at=at(when))
    if end is JobStatus.DONE:
        lib.store_image(job_id, make_image("PNG", size=(32, 16)), "png", ImageRecord(model=model, prompt="p"))
    elif end is not None:
        lib.finish_job(job_id, end)
    return job_id


@pytest.fixture
def ledger(library: Library) -> Library:
    job(library, "flux-dev", "2026-05-01T00:00:00", 2.5, JobStatus.DONE)  # first instant of May
    job(library, "flux-2-pro", "2026-05-15T10:00:00", "4.5", JobStatus.DONE)
    job(library, "flux-2-pro", "2026-05-15T23:59:59", None, JobStatus.EXPIRED, estimate="3")  # billed, no cost
    job(library, "flux-dev", "2026-05-20T12:00:00", 2.5, JobStatus.MODERATED)  # not billed
    job(library, "flux-dev", "2026-05-21T12:00:00", 2.5, JobStatus.FAILED)  # not billed
    job(library, "flux-kontext-max", "2026-05-22T12:00:00", 8, None)  # still running: pending
    job(library, "flux-pro-1.1", "2026-05-23T12:00:00", 4, JobStatus.DONE, demo=True)  # demo
    job(library, "flux-dev", "2026-06-01T00:00:00", 4, JobStatus.DONE)  # June
    job(library, "flux-pro-1.1-ultra", "2026-04-30T23:59:59.999999", 6, JobStatus.DONE)  # April
    job(library, "flux-dev", None, None, None)  # queued, never sent: not in the ledger
    cancelled = job(library, "flux-dev", None, None, None)
    library.cancel_job(cancelled)
    return library


def test_month_spend_by_hand(ledger: Library) -> None:
    may = ledger.spend("2026-05")
    # Billed: 2.5 (dev) + 4.5 (2-pro) + 3 (2-pro, expired, estimated) = 10 credits = $0.10.
    assert may.credits == Decimal("10.0") and may.usd == Decimal("0.100")
    assert may.by_model == {"flux-2-pro": Decimal("7.5"), "flux-dev": Decimal("2.5")}
    assert list(may.by_model) == ["flux-2-pro", "flux-dev"]  # largest first
    assert may.by_day == {"2026-05-01": Decimal("2.5"), "2026-05-15": Decimal("7.5")}
    assert (may.jobs, may.unbilled_jobs, may.pending_jobs, may.pending_credits) == (3, 2, 1, Decimal(8))
    assert all(isinstance(v, Decimal) for v in (may.credits, may.usd, *may.by_model.values()))


def test_demo_jobs_count_only_when_asked(ledger: Library) -> None:
    may = ledger.spend("2026-05", include_demo=True)
    assert may.credits == Decimal("14.0") and may.jobs == 4
    assert may.by_model["flux-pro-1.1"] == Decimal(4)


def test_usd_follows_the_price_table_rate(ledger: Library) -> None:
    may = ledger.spend("2026-05", usd_per_credit=Decimal("0.02"))
    assert may.usd == Decimal("0.200") and may.usd_for(Decimal(5)) == Decimal("0.10")


def test_month_edges(ledger: Library) -> None:
    assert ledger.spend("2026-04").credits == Decimal(6)
    assert ledger.spend("2026-06").credits == Decimal(4)
    assert ledger.spend("2025-12").credits == Decimal(0) and ledger.spend("2025-12").by_day == {}
    assert month_bounds("2026-12") == ("2026-12-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z")
    for bad in ("2026-13", "2026-5", "May", "", None):
        with pytest.raises(ValueError):
            ledger.spend(bad)  # type: ignore[arg-type]


def test_ledger_rows(ledger: Library) -> None:
    rows = ledger.ledger_rows("2026-05")
    assert [(r.model, r.status, r.billed) for r in rows] == [
        ("flux-dev", JobStatus.DONE, True),
        ("flux-2-pro", JobStatus.DONE, True),
        ("flux-2-pro", JobStatus.EXPIRED, True),
        ("flux-dev", JobStatus.MODERATED, False),
        ("flux-dev", JobStatus.FAILED, False),
        ("flux-kontext-max", JobStatus.SUBMITTED, False),
    ]
    assert rows[0].size == "32x16" and rows[3].size == "1024x768"  # the image's size, else the asked size
    assert rows[2].credits == Decimal(3) and rows[2].estimated and not rows[1].estimated
    assert rows[1].usd == Decimal("0.045")
    assert len(ledger.ledger_rows()) == 8 and len(ledger.ledger_rows(include_demo=True)) == 9


def test_ledger_rows_name_the_gallery_image_of_a_done_job_unless_it_is_trashed(ledger: Library) -> None:
    rows = ledger.ledger_rows("2026-05")
    images = [ledger.image_for_job(row.job_id) for row in rows]
    assert [row.image_id for row in rows] == [None if image is None else image.id for image in images]
    assert [row.image_id is not None for row in rows] == [True, True, False, False, False, False]
    ledger.trash_image(rows[1].image_id)  # type: ignore[arg-type]
    assert [row.image_id for row in ledger.ledger_rows("2026-05")][:2] == [rows[0].image_id, None]


def test_months_spend_includes_empty_months(ledger: Library) -> None:
    months = ledger.months_spend(4, now=at("2026-06-10T00:00:00"))
    assert [(m.month, m.credits, m.jobs) for m in months] == [
        ("2026-03", Decimal(0), 0), ("2026-04", Decimal(6), 1), ("2026-05", Decimal("10.0"), 3),
        ("2026-06", Decimal(4), 1)]
    assert months[2].usd == Decimal("0.100")
    january = ledger.months_spend(2, now=at("2027-01-05T00:00:00"))
    assert [m.month for m in january] == ["2026-12", "2027-01"]


def test_volume_of_the_last_days(ledger: Library) -> None:
    recent = ledger.spend_last_days(30, now=at("2026-06-10T00:00:00"))
    # From 2026-05-11: 4.5 + 3 (May 15) + 4 (June 1); the demo image does not count.
    assert (recent.images, recent.credits, recent.usd) == (3, Decimal("11.5"), Decimal("0.115"))
    assert ledger.spend_last_days(30, now=at("2026-06-10T00:00:00"), include_demo=True).images == 4
    with pytest.raises(ValueError):
        ledger.spend_last_days(0)
