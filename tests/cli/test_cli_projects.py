"""`fluxdesk generate --project`, `reproduce` keeping the project, `info` showing it, and `fluxdesk projects`:
through ``fluxdesk.cli.main`` on the offline demo (its simulator over loopback, its own library)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import keyless_demo_home

from fluxdesk.cli import main as cli_main
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path, demo_home


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with keyless_demo_home(tmp_path, monkeypatch, 0.1) as home:
        yield home


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli_main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def generate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run(capsys, "generate", "--demo", "--prompt", "a poster", "--model", "flux-dev", "--seed", "7",
               "--width", "512", "--height", "512", "--json", *args)


def jobs_in_demo_library(home: Path) -> int:
    with Library.open(demo_home(home)) as library:
        return int(library._conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])


def test_generate_for_a_project_reproduce_keeps_it_and_info_shows_it(home: Path, capsys) -> None:
    code, out, err = generate(capsys, "--project", "  Acme Campaign ")
    assert code == 0, err
    first = json.loads(out.splitlines()[-1])
    assert first["status"] == "done" and first["project"] == "Acme Campaign"
    code, out, err = generate(capsys, "--project", "ACME campaign")  # the same project, whatever the case
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["project"] == "Acme Campaign"

    code, out, _ = run(capsys, "info", first["path"], "--json")
    assert code == 0 and json.loads(out)["project"] == "Acme Campaign"
    code, out, _ = run(capsys, "info", first["path"])
    assert code == 0 and "  project      Acme Campaign" in out.splitlines()

    code, out, err = run(capsys, "reproduce", "--demo", first["job_id"], "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["status"] == "done" and again["project"] == "Acme Campaign"
    code, out, err = run(capsys, "reproduce", "--demo", again["path"], "--json")  # by its file, in the library
    assert code == 0 and json.loads(out)["project"] == "Acme Campaign"

    code, out, _ = run(capsys, "projects", "list", "--demo", "--json")
    assert code == 0
    listed = json.loads(out)
    assert listed["period"] == "all time"
    [acme] = listed["projects"]
    assert (acme["name"], acme["jobs"], acme["billed_jobs"], acme["archived"]) == ("Acme Campaign", 4, 4, False)
    assert acme["credits"] == 4 * 2.5 and acme["usd"] == pytest.approx(acme["credits"] * listed["usd_per_credit"])
    code, out, _ = run(capsys, "projects", "list", "--demo")
    assert code == 0 and "Acme Campaign" in out and "4 jobs" in out


def test_an_archived_project_is_refused_and_nothing_is_sent(home: Path, capsys) -> None:
    assert generate(capsys, "--project", "Globex")[0] == 0
    code, out, _ = run(capsys, "projects", "archive", "globex", "--demo")
    assert code == 0 and "Archived Globex" in out
    before = jobs_in_demo_library(home)
    code, _out, err = generate(capsys, "--project", "GLOBEX")
    assert code == 2 and "the project Globex is archived" in err and "nothing was sent" in err
    assert jobs_in_demo_library(home) == before
    code, out, _ = run(capsys, "projects", "list", "--demo", "--json")
    assert json.loads(out)["projects"] == []  # hidden …
    code, out, _ = run(capsys, "projects", "list", "--demo", "--all", "--json")
    assert [p["name"] for p in json.loads(out)["projects"]] == ["Globex"]  # … but kept
    assert run(capsys, "projects", "archive", "Globex", "--undo", "--demo")[0] == 0
    assert generate(capsys, "--project", "Globex")[0] == 0


def test_rename_and_delete_only_an_empty_project(home: Path, capsys) -> None:
    assert generate(capsys, "--project", "Initech")[0] == 0
    with Library.open(demo_home(home)) as library:
        library.ensure_project("Umbrella")
    code, out, _ = run(capsys, "projects", "rename", "initech", "Initech Corp", "--demo")
    assert code == 0 and "Renamed Initech to Initech Corp" in out
    code, _out, err = run(capsys, "projects", "rename", "Initech Corp", "UMBRELLA", "--demo")
    assert code == 2 and "already a project called Umbrella" in err
    code, _out, err = run(capsys, "projects", "delete", "Initech Corp", "--demo")
    assert code == 2 and "Initech Corp has 1 job" in err
    code, _out, err = run(capsys, "projects", "delete", "Nobody", "--demo")
    assert code == 2 and "no project called 'Nobody'" in err
    code, out, _ = run(capsys, "projects", "delete", "umbrella", "--demo")
    assert code == 0 and "Deleted the project Umbrella" in out
    code, out, _ = run(capsys, "projects", "list", "--demo", "--json")
    assert [(p["name"], p["jobs"]) for p in json.loads(out)["projects"]] == [("Initech Corp", 1)]


@pytest.mark.parametrize(("name", "words"), [("", "needs a name"), ("x" * 81, "at most 80 characters")])
def test_a_name_that_cannot_be_a_projects_is_refused_before_anything_opens(home: Path, capsys, name: str,
                                                                         words: str) -> None:
    code, _out, err = generate(capsys, "--project", name)
    assert code == 2 and words in err
    assert not database_path(demo_home(home)).exists()


def test_listing_without_a_library_makes_none(home: Path, capsys) -> None:
    code, out, _ = run(capsys, "projects", "list")
    assert code == 0 and "No projects yet" in out
    assert not database_path(home).exists()
    code, out, _ = run(capsys, "projects", "list", "--json")
    assert code == 0 and json.loads(out)["projects"] == []
