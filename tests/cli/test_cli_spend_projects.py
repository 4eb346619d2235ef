"""`fluxdesk spend --by project` and `fluxdesk spend --project NAME`: a month per client project, one project's jobs
over a range of days and its invoice CSV, from a real library, checked against figures worked out by hand."""

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
from fluxdesk.storage.ledger_csv import INVOICE_FIELDS
from fluxdesk.storage.library import Library


def add_job(lib: Library, when: str, cost: str, project: str | None, *, done: bool = True) -> str:
    project_id = None if project is None else lib.ensure_project(project).id
    req = GenerationRequest(model="flux-dev", prompt=f"{project} at {when}")
    job_id = lib.create_job(req, {"prompt": req.prompt}, demo=False, project_id=project_id)
    assert lib.mark_submitting(job_id)
    lib.record_submission(job_id, f"task-{job_id[:8]}", "https://api.bfl.ai/v1/get_result?id=x", cost,
                          submitted_at=datetime.fromisoformat(when).replace(tzinfo=UTC))
    if done:
        lib.store_image(job_id, make_image("PNG", (40, 24)), "png", ImageRecord(model="flux-dev", prompt=req.prompt))
    else:
        assert lib.finish_job(job_id, JobStatus.MODERATED, "moderated by BFL")
    return job_id


@pytest.fixture
def jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    home = tmp_path / "home"
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    with Library.open(home) as lib:
        made = {
            "acme1": add_job(lib, "2024-02-01T00:00:00", "2.5", "Acme"),
            "acme2": add_job(lib, "2024-02-29T23:59:59", "4.5", "Acme"),
            "acme_moderated": add_job(lib, "2024-02-10T00:00:00", "4", "Acme", done=False),
            "acme_march": add_job(lib, "2024-03-01T00:00:00", "6", "Acme"),
            "globex": add_job(lib, "2024-02-05T00:00:00", "1", "Globex"),
            "none": add_job(lib, "2024-02-06T00:00:00", "3", None),
        }
        lib.set_project_budget(lib.project_named("Acme").id, Decimal("0.05"))
        yield made


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["spend", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_by_project_json(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--by", "project", "--month", "2024-02", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["projects"] == [
        {"name": "Acme", "credits": 7, "usd": 0.07, "jobs": 2, "budget_usd": 0.05, "over_budget": True,
         "archived": False},
        {"name": "Globex", "credits": 1, "usd": 0.01, "jobs": 1, "budget_usd": None, "over_budget": False,
         "archived": False},
        {"name": None, "credits": 3, "usd": 0.03, "jobs": 1, "budget_usd": None, "over_budget": False,
         "archived": False},
    ]
    month = json.loads(run(capsys, "--month", "2024-02", "--json")[1])
    assert data["total_credits"] == month["total_credits"] == 11 and data["total_usd"] == month["total_usd"]
    code, out, _ = run(capsys, "--by", "project", "--month", "2024-02")
    assert code == 0 and "OVER BUDGET" in out.splitlines()[1] and out.splitlines()[3].lstrip().startswith("No project")


def test_one_projects_month_and_range(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--project", "acme", "--month", "2024-02", "--json")  # any case
    assert code == 0, err
    data = json.loads(out)
    assert (data["project"], data["from"], data["to"], data["credits"], data["usd"], data["jobs"],
            data["unbilled_jobs"], data["budget_usd"]) == ("Acme", "2024-02-01", "2024-02-29", 7, 0.07, 2, 1, 0.05)
    assert [row["job_id"] for row in data["rows"]] == [jobs["acme1"], jobs["acme_moderated"], jobs["acme2"]]
    ranged = json.loads(run(capsys, "--project", "Acme", "--from", "2024-02-29", "--to", "2024-03-01", "--json")[1])
    assert [row["job_id"] for row in ranged["rows"]] == [jobs["acme2"], jobs["acme_march"]]
    assert ranged["credits"] == 10.5
    since = json.loads(run(capsys, "--project", "Acme", "--from", "2024-02-11", "--json")[1])
    assert since["to"] is None and [r["job_id"] for r in since["rows"]] == [jobs["acme2"], jobs["acme_march"]]
    nobody = json.loads(run(capsys, "--project", "No project", "--month", "2024-02", "--json")[1])
    assert nobody["project"] is None and [r["job_id"] for r in nobody["rows"]] == [jobs["none"]]
    code, out, _ = run(capsys, "--project", "Acme", "--month", "2024-02")
    assert code == 0 and out.startswith("Acme, 2024-02-01 to 2024-02-29 (UTC, demo jobs not counted): $0.07")


def test_the_invoice_csv(jobs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--project", "Acme", "--from", "2024-02-01", "--to", "2024-02-29", "--csv")
    assert code == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames or ()) == INVOICE_FIELDS
    rows = list(reader)
    assert [r["job_id"] for r in rows] == [jobs["acme1"], jobs["acme2"]]  # billed jobs only
    assert rows[0]["date"] == "2024-02-01" and rows[1]["date"] == "2024-02-29"
    assert (rows[0]["project"], rows[0]["model"], rows[0]["size"], rows[0]["credits"], rows[0]["usd"]) == (
        "Acme", "flux-dev", "40x24", "2.5", "0.025")
    assert rows[0]["prompt"] == "Acme at 2024-02-01T00:00:00" and rows[0]["file_name"].endswith(".png")
    total = sum(Decimal(r["usd"]) for r in rows)
    assert total == Decimal(str(json.loads(run(capsys, "--project", "Acme", "--month", "2024-02", "--json")[1])["usd"]))


@pytest.mark.parametrize(("args", "words"), [
    (("--project", "Initech"), "no project called 'Initech'"),
    (("--project", "Acme", "--from", "2024-02-30"), "--from: write a day as YYYY-MM-DD"),
    (("--project", "Acme", "--to", "29/02/2024"), "--to: write a day as YYYY-MM-DD"),
    (("--project", "Acme", "--from", "2024-03-01", "--to", "2024-02-01"), "is after --to"),
    (("--project", "Acme", "--month", "2024-02", "--from", "2024-02-01"), "one or the other"),
    (("--from", "2024-02-01"), "add --project NAME"),
    (("--by", "project", "--csv"), "--csv is one project's jobs"),
    (("--by", "project", "--project", "Acme"), "give one or the other"),
    (("--by", "project", "--to", "2024-02-01"), "--from/--to go with --project"),
])
def test_refusals_exit_2_in_words(jobs: dict[str, str], capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                  words: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and words in err and err.startswith("fluxdesk spend: ")


def test_an_unknown_project_without_a_library_is_refused_and_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "empty"
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    code, _out, err = run(capsys, "--project", "Acme", "--json")
    assert code == 2 and "no project called 'Acme'" in err and not (home / "fluxdesk.db").exists()
    code, out, _ = run(capsys, "--by", "project", "--json")
    assert code == 0 and json.loads(out)["projects"] == []
