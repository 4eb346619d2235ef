"""`fluxdesk spend`: a month's spend from a real library, checked against figures worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import make_image

from fluxdesk.cli import main
from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import ImageRecord
from fluxdesk.core.request import GenerationRequest
from fluxdesk.resources import resource_path
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path

IMAGE_SIZE = (40, 24)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_job(lib: Library, model: str, when: str | None, cost: object, end: JobStatus | None, *,
            demo: bool = False, **request: object) -> str:
    req = GenerationRequest(model=model, prompt=f"{model} at {when}", **request)  # type: ignore[arg-type]
    job_id = lib.create_job(req, {"prompt": req.prompt}, demo=demo)
    assert lib.mark_submitting(job_id)
    lib.record_submission(job_id, f"task-{job_id[:8]}", "https://api.bfl.ai/v1/get_result?id=x", cost,
                          submitted_at=None if when is None else at(when))
    if end is JobStatus.DONE:
        lib.store_image(job_id, make_image("JPEG", IMAGE_SIZE), "jpg", ImageRecord(model=model, prompt=req.prompt))
    elif end is not None:
        assert lib.finish_job(job_id, end, "moderated by BFL" if end is JobStatus.MODERATED else None)
    return job_id


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    return home


@pytest.fixture
def jobs(home: Path) -> Iterator[dict[str, str]]:
    """February 2024 (a leap year) in one library, with its neighbours and a demo job."""
    with Library.open(home) as lib:
        yield {
            "dev": add_job(lib, "flux-dev", "2024-02-01T00:00:00", "2.5", JobStatus.DONE),
            "pro": add_job(lib, "flux-2-pro", "2024-02-29T10:00:00", "4.5", JobStatus.DONE, width=1024, height=1024),
            "expired": add_job(lib, "flux-2-pro", "2024-02-29T23:59:59", 3, JobStatus.EXPIRED,
                               width=1024, height=1024),
            "moderated": add_job(lib, "flux-dev", "2024-02-10T12:00:00", "2.5", JobStatus.MODERATED),
            "running": add_job(lib, "flux-kontext-max", "2024-02-20T12:00:00", 8, None),
            "demo": add_job(lib, "flux-pro-1.1", "2024-02-21T12:00:00", 4, JobStatus.DONE, demo=True),
            "march": add_job(lib, "flux-dev", "2024-03-01T00:00:00", 4, JobStatus.DONE),
            "january": add_job(lib, "flux-pro-1.1-ultra", "2024-01-31T23:59:59.999999", 6, JobStatus.DONE),
        }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["spend", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_json_by_hand(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--month", "2024-02", "--json")
    assert code == 0, err
    # Billed in February: 2.5 (dev) + 4.5 (2-pro) + 3 (2-pro, expired: billed without an image) = 10 credits.
    # Not billed: the moderated job. Running: 8 credits. The demo job is left out. $0.01 per credit.
    assert json.loads(out) == {
        "month": "2024-02", "total_credits": 10, "total_usd": 0.1,
        "by_model": {"flux-2-pro": {"credits": 7.5, "usd": 0.075}, "flux-dev": {"credits": 2.5, "usd": 0.025}},
        "by_day": {"2024-02-01": {"credits": 2.5, "usd": 0.025}, "2024-02-29": {"credits": 7.5, "usd": 0.075}},
        "jobs": 3, "unbilled_jobs": 1, "pending_jobs": 1, "pending_credits": 8, "pending_usd": 0.08,
        "usd_per_credit": 0.01, "include_demo": False,
    }
    assert list(json.loads(out)["by_model"]) == ["flux-2-pro", "flux-dev"]  # largest first


def test_demo_jobs_only_when_asked(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--month", "2024-02", "--json", "--include-demo")
    data = json.loads(out)
    assert code == 0 and data["total_credits"] == 14 and data["total_usd"] == 0.14 and data["jobs"] == 4
    assert data["by_model"]["flux-pro-1.1"] == {"credits": 4, "usd": 0.04}
    assert data["by_day"]["2024-02-21"] == {"credits": 4, "usd": 0.04} and data["include_demo"] is True


def test_neighbouring_months(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert json.loads(run(capsys, "--month", "2024-01", "--json")[1])["total_credits"] == 6
    assert json.loads(run(capsys, "--month", "2024-03", "--json")[1])["by_day"] == {
        "2024-03-01": {"credits": 4, "usd": 0.04}}
    empty = json.loads(run(capsys, "--month", "2023-12", "--json")[1])
    assert (empty["total_credits"], empty["by_model"], empty["by_day"], empty["jobs"]) == (0, {}, {}, 0)


def test_csv_parses_back_to_the_ledger(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--month", "2024-02", "--csv")
    assert code == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == ["time", "job_id", "model", "size", "credits", "usd", "status", "billed", "demo",
                                 "task_id", "estimated", "prompt", "project"]
    rows = {row["job_id"]: row for row in reader}
    assert set(rows) == {jobs[name] for name in ("dev", "pro", "expired", "moderated", "running")}
    assert rows[jobs["dev"]] == {
        "time": "2024-02-01T00:00:00.000000Z", "job_id": jobs["dev"], "model": "flux-dev", "size": "40x24",
        "credits": "2.5", "usd": "0.025", "status": "done", "billed": "true", "demo": "false",
        "task_id": f"task-{jobs['dev'][:8]}", "estimated": "false", "prompt": "flux-dev at 2024-02-01T00:00:00",
        "project": ""}
    assert rows[jobs["moderated"]]["prompt"] == "flux-dev at 2024-02-10T12:00:00"  # no image, still its prompt
    expected = {  # status, billed, size, credits
        "pro": ("done", "true", "40x24", "4.5"), "expired": ("expired", "true", "1024x1024", "3"),
        "moderated": ("moderated", "false", "1024x768", "2.5"), "running": ("submitted", "false", "1:1", "8"),
    }
    for name, (status, billed, size, credits) in expected.items():
        row = rows[jobs[name]]
        assert (row["status"], row["billed"], row["size"], row["credits"]) == (status, billed, size, credits)
        assert Decimal(row["usd"]) == Decimal(credits) / 100
    assert [row["time"] for row in rows.values()] == sorted(row["time"] for row in rows.values())
    billed = [row for row in rows.values() if row["billed"] == "true"]
    summary = json.loads(run(capsys, "--month", "2024-02", "--json")[1])
    assert sum(Decimal(row["credits"]) for row in billed) == Decimal(str(summary["total_credits"]))
    assert sum(Decimal(row["usd"]) for row in billed) == Decimal(str(summary["total_usd"]))
    with_demo = list(csv.DictReader(io.StringIO(run(capsys, "--month", "2024-02", "--csv", "--include-demo")[1])))
    assert [row["demo"] for row in with_demo].count("true") == 1 and len(with_demo) == 6


def test_readable_output(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--month", "2024-02")
    assert code == 0
    assert out.splitlines() == [
        "Spend in 2024-02 (UTC, demo jobs not counted): $0.10 (10 credits, 3 billed jobs)",
        "  not billed: 1 job (moderated or failed)",
        "  still running at BFL: 1 job, 8 credits ($0.08), billed if it finishes",
        "By model:",
        "  flux-2-pro         7.5 credits       $0.08",
        "  flux-dev           2.5 credits       $0.03",
        "By day:",
        "  2024-02-01         2.5 credits       $0.03",
        "  2024-02-29         7.5 credits       $0.08",
    ]


def test_default_month_is_the_current_utc_month(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = f"{datetime.now(UTC):%Y-%m}"
    with Library.open(home) as lib:
        add_job(lib, "flux-dev", None, "2.5", JobStatus.DONE)  # submitted now
    data = json.loads(run(capsys, "--json")[1])
    assert data["month"] in (before, f"{datetime.now(UTC):%Y-%m}")
    assert data["total_credits"] == 2.5 and data["jobs"] == 1


def test_dollars_follow_the_price_table(jobs: dict[str, str], home: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    table = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    table["usd_per_credit"] = "0.02"
    (home / "prices.json").write_text(json.dumps(table), encoding="utf-8")
    data = json.loads(run(capsys, "--month", "2024-02", "--json")[1])
    assert (data["total_credits"], data["total_usd"], data["usd_per_credit"]) == (10, 0.2, 0.02)


def test_no_library_yet_is_nothing_spent_and_creates_nothing(home: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--month", "2024-02", "--json")
    assert code == 0 and json.loads(out)["total_credits"] == 0 and "no library" in err
    code, out, _ = run(capsys, "--month", "2024-02")
    assert code == 0 and out.startswith("Spend in 2024-02 (UTC, demo jobs not counted): $0.00 (0 credits")
    code, out, _ = run(capsys, "--month", "2024-02", "--csv")
    assert code == 0 and out == ("time,job_id,model,size,credits,usd,status,billed,demo,task_id,estimated,prompt,"
                                 "project\n")
    assert not database_path(home).exists() and not home.exists()


def test_a_damaged_database_is_said_in_words(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home.mkdir()
    database_path(home).write_bytes(b"this is not a database" * 100)
    code, out, err = run(capsys, "--month", "2024-02")
    assert (code, out) == (1, "") and "damaged" in err


@pytest.mark.parametrize("month", ["2024-13", "2024-2", "May", "2024-02-01", ""])
def test_a_bad_month_is_a_usage_error(month: str, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--month", month, "--json")
    assert (code, out) == (2, "")
    assert err == f"fluxdesk spend: month: write it as YYYY-MM (for example 2026-05), not {month!r}\n"


def test_json_and_csv_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["spend", "--json", "--csv"])
    assert exited.value.code == 2


def test_large_counts_are_grouped_like_the_credits_beside_them() -> None:
    from fluxdesk.cli.spend import summary_lines
    from fluxdesk.storage.spend import SpendSummary

    summary = SpendSummary(month="2024-02", credits=Decimal(3702), usd=Decimal("37.02"), by_model={}, by_day={},
                           jobs=1234, unbilled_jobs=1, pending_jobs=2, pending_credits=Decimal(6),
                           usd_per_credit=Decimal("0.01"))
    assert summary_lines(summary, include_demo=False) == [
        "Spend in 2024-02 (UTC, demo jobs not counted): $37.02 (3,702 credits, 1,234 billed jobs)",
        "  not billed: 1 job (moderated or failed)",
        "  still running at BFL: 2 jobs, 6 credits ($0.06), billed if they finish",
    ]
