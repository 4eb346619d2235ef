"""`fluxdesk studio init | add-seat | set | join | status | sync | leave` and `fluxdesk spend --team`, through
``fluxdesk.cli.main`` against a real PostgreSQL server; refusals in plain words, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from cli_support import MemoryKeyring
from studio_support import PgCluster, new_database, queue_jobs

from fluxdesk.cli import main as cli_main
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.paths import settings_path

KEY = "bfl_studio-cli-key-0123456789"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli_main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def as_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    return home


def test_admin_seats_join_sync_and_team_spend(pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str],
                                              memory_keyring: MemoryKeyring) -> None:
    admin_url = new_database(pg_cluster)
    as_home(monkeypatch, tmp_path / "admin")
    code, out, _ = run(capsys, "studio", "init", admin_url, "--json")
    assert code == 0 and json.loads(out)["schema_version"] == 2 and "admin-pw" not in out
    assert "admin-pw" not in settings_path(tmp_path / "admin").read_text()  # the admin URL is kept without it
    monkeypatch.setenv("PGPASSWORD", "admin-pw-for-tests")  # add-seat and set use the remembered URL + PGPASSWORD
    seats = {}
    for name in ("anna", "bob"):
        code, out, _ = run(capsys, "studio", "add-seat", name, "--json")
        seats[name] = json.loads(out)
        assert code == 0 and set(seats[name]) == {"seat", "user", "password"}
    assert run(capsys, "studio", "set", "--team-budget", "250", "--project", "Acme", "--budget", "80")[0] == 0
    monkeypatch.delenv("PGPASSWORD")
    base = admin_url.split("@", 1)[1]
    projects_after_anna = ("set", "--project", "Initech", "--budget", "none"), ("set", "--project", "Old", "--budget",
                                                                                "5")
    for name, seat in seats.items():
        if name == "bob":  # the admin changed the list after anna's sync: Initech added, Old archived
            as_home(monkeypatch, tmp_path / "admin")
            monkeypatch.setenv("PGPASSWORD", "admin-pw-for-tests")
            for change in projects_after_anna:
                assert run(capsys, "studio", *change)[0] == 0
            assert run(capsys, "studio", "set", "--project", "Old", "--archive")[0] == 0
            code, _out, err = run(capsys, "studio", "set", "--team-budget", "999", "--project", "Nobody", "--archive")
            assert code != 0 and "no project called 'Nobody'" in err  # and the team budget stays 250: all or none
            monkeypatch.delenv("PGPASSWORD")
        home = as_home(monkeypatch, tmp_path / name)
        monkeypatch.setenv("PGPASSWORD", seat["password"])
        code, out, err = run(capsys, "studio", "join", f"postgresql://{base}", "--seat", name)
        monkeypatch.delenv("PGPASSWORD")
        assert code == 0, err
        assert seat["password"] not in settings_path(home).read_text()
        assert list(memory_keyring.passwords.values()).count(seat["password"]) == 1
        queue_jobs(home, {"anna": 4, "bob": 6}[name], month="2026-10")
        code, out, _ = run(capsys, "studio", "status", "--json")
        status = json.loads(out)
        count = {"anna": 4, "bob": 6}[name]
        assert (status["joined"], status["seat"], status["reachable"], status["queued"]) == (True, name, True, count)
        code, out, _ = run(capsys, "studio", "sync", "--json")
        assert code == 0 and json.loads(out)["sent"] == {"anna": 4, "bob": 6}[name]
        assert json.loads(out)["projects_added"] == {"anna": ["Acme"], "bob": ["Acme", "Initech"]}[name]
        assert "Acme" in run(capsys, "projects", "list")[1]
        assert json.loads(run(capsys, "studio", "status", "--json")[1])["queued"] == 0
    with psycopg.connect(admin_url, autocommit=True) as conn:  # the server restored from a backup without bob's rows
        conn.execute("ALTER TABLE fluxdesk.ledger DISABLE TRIGGER ledger_counted")
        conn.execute("DELETE FROM fluxdesk.job_projects WHERE job_id = 'bob-job-1'")
        conn.execute("DELETE FROM fluxdesk.ledger WHERE seat = 'bob' AND job_id LIKE '%-1'")
        conn.execute("ALTER TABLE fluxdesk.ledger ENABLE TRIGGER ledger_counted")
        conn.execute("UPDATE fluxdesk.ledger_days SET credits = credits - 2.5, usd = usd - 0.025, jobs = jobs - 1 "
                     "WHERE seat = 'bob' AND day = '2026-10-02'")
    assert run(capsys, "studio", "sync", "--resend", "--json")[0] == 0  # bob's home is FLUXDESK_HOME now
    answers = []
    for name in seats:
        as_home(monkeypatch, tmp_path / name)
        code, out, _ = run(capsys, "spend", "--team", "--month", "2026-10", "--json")
        answers.append(json.loads(out))
        assert code == 0
    for answer in answers:
        answer.pop("fetched_at")
    assert answers[0] == answers[1]
    team = answers[0]
    assert (team["credits"], team["jobs"], team["budget_usd"]) == (25, 10, 250)
    assert [(g["seat"], g["credits"]) for g in team["groups"]] == [("bob", 15), ("anna", 10)]
    code, out, _ = run(capsys, "spend", "--team", "--month", "2026-10", "--by", "model", "--json")
    assert [(g["model"], g["jobs"]) for g in json.loads(out)["groups"]] == [("flux-dev", 10)]
    code, out, _ = run(capsys, "spend", "--team", "--month", "2026-10")
    assert code == 0 and "Team, 2026-10" in out and "bob" in out
    assert run(capsys, "studio", "leave")[0] == 0
    assert json.loads(run(capsys, "studio", "status", "--json")[1])["joined"] is False


@pytest.mark.parametrize(("args", "words"), [
    (("studio", "join", "postgresql://db.example.com/studio?sslmode=disable", "--seat", "anna"), "unencrypted"),
    (("studio", "join", "postgresql://db.example.com/studio?sslmode=prefer", "--seat", "anna"), "sslmode=require"),
    (("studio", "join", "mysql://db.example.com/studio", "--seat", "anna"), "postgresql://"),
    (("studio", "join", "postgresql://127.0.0.1:5432/studio", "--seat", "Anna Smith"), "cannot be a seat name"),
    (("studio", "add-seat", "anna"), "no admin URL"),
    (("studio", "sync"), "joined no studio"),
    (("spend", "--team"), "joined no studio"),
    (("spend", "--by", "seat"), "add --team"),
    (("spend", "--team", "--csv"), "--team is the studio's month"),
    (("studio", "set", "--url", "postgresql://127.0.0.1/x"), "nothing to set"),
    (("studio", "set", "--url", "postgresql://127.0.0.1/x", "--project", "Acme"), "give --budget USD|none, --archive"),
    (("studio", "set", "--url", "postgresql://127.0.0.1/x", "--archive"), "go with --project NAME"),
])
def test_refusals_are_plain_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], args: tuple[str, ...], words: str) -> None:
    as_home(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("PGPASSWORD", "pw-from-env")
    code, _out, err = run(capsys, *args)
    assert code == 2 and words in err


def test_a_wrong_password_or_a_dead_server_is_a_plain_message_and_generation_goes_on(
        pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        memory_keyring: MemoryKeyring) -> None:
    from fluxdesk.storage.studio.schema import add_seat, init_schema

    admin_url = new_database(pg_cluster)
    init_schema(admin_url)
    seat = add_seat(admin_url, "anna")
    home = as_home(monkeypatch, tmp_path / "anna")
    base = admin_url.split("@", 1)[1]
    monkeypatch.setenv("PGPASSWORD", "wrong-password")
    code, _out, err = run(capsys, "studio", "join", f"postgresql://{seat.user}@{base}", "--seat", "anna")
    assert code == 1 and "refused this seat's name or password" in err and "wrong-password" not in err
    monkeypatch.setenv("PGPASSWORD", seat.password)
    assert run(capsys, "studio", "join", f"postgresql://{seat.user}@{base}", "--seat", "anna")[0] == 0
    monkeypatch.delenv("PGPASSWORD")
    [entry] = memory_keyring.passwords
    memory_keyring.passwords[entry] = "changed-by-someone"  # the stored password no longer works
    queue_jobs(home, 2)
    code, _out, err = run(capsys, "studio", "sync")
    assert code == 1 and "refused" in err and "stay queued" in err
    # The loopback simulator stands in for BFL itself: its jobs are real ones here, shared like BFL's (the app keeps
    # a simulator's in the demo library, which is never shared, and then does not ask the studio at all).
    monkeypatch.setattr("fluxdesk.services.session.uses_simulator", lambda _api_base: False)
    with Simulator(SimConfig(key=KEY, latency=0.05, max_output_pixels=256 * 256)) as sim:
        monkeypatch.setenv("FLUXDESK_API_BASE", sim.api_base)
        monkeypatch.setenv("BFL_API_KEY", KEY)
        code, out, err = run(capsys, "generate", "--prompt", "a poster", "--model", "flux-dev", "--width", "256",
                             "--height", "256", "--json")
    assert code == 0 and json.loads(out.splitlines()[-1])["status"] == "done"
    assert "the studio was not updated" in err and "refused" in err
    memory_keyring.passwords[entry] = seat.password
    pg_cluster_port = base.split(":")[1].split("/")[0]
    monkeypatch.setattr("fluxdesk.storage.studio.link.CONNECT_TIMEOUT_S", 1)
    settings = settings_path(home).read_text().replace(f":{pg_cluster_port}/", ":1/")
    settings_path(home).write_text(settings)  # the server moved away: unreachable
    code, out, _ = run(capsys, "studio", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["reachable"] is False and "cannot be reached" in status["error"]
    assert status["queued"] == 3  # the two queued before, and the poster generated while refused
    code, _out, err = run(capsys, "studio", "sync")
    assert code == 1 and "cannot be reached" in err and "Nothing was lost" in err


def test_join_without_a_keyring_says_so_and_keeps_the_password_nowhere(
        pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import keyring
    import keyring.backends.fail

    from fluxdesk.storage.studio.schema import add_seat, init_schema

    admin_url = new_database(pg_cluster)
    init_schema(admin_url)
    seat = add_seat(admin_url, "anna")
    home = as_home(monkeypatch, tmp_path / "anna")
    monkeypatch.setenv("PGPASSWORD", seat.password)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        code, _out, err = run(capsys, "studio", "join", f"postgresql://{admin_url.split('@', 1)[1]}", "--seat", "anna")
    finally:
        keyring.set_keyring(previous)
    assert code == 1 and "No working system keyring" in err and "BFL_API_KEY" not in err
    assert not settings_path(home).exists() or seat.password not in settings_path(home).read_text()
    assert json.loads(run(capsys, "studio", "status", "--json")[1])["joined"] is False


def test_a_password_in_the_urls_query_is_used_and_never_kept_or_shown(
        pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        memory_keyring: MemoryKeyring) -> None:
    from fluxdesk.storage.studio.schema import add_seat, init_schema

    admin_url = new_database(pg_cluster)
    init_schema(admin_url)
    seat = add_seat(admin_url, "anna")
    home = as_home(monkeypatch, tmp_path / "anna")
    base = admin_url.split("@", 1)[1]
    code, out, err = run(capsys, "studio", "join", f"postgresql://{seat.user}@{base}?password={seat.password}",
                         "--seat", "anna")
    assert code == 0, err
    assert seat.password not in out + err and seat.password not in settings_path(home).read_text()
    assert list(memory_keyring.passwords.values()) == [seat.password]  # kept where passwords go
    code, out, _err = run(capsys, "studio", "status", "--json")
    assert code == 0 and json.loads(out)["reachable"] is True and seat.password not in out


def test_a_demo_run_in_a_joined_home_never_asks_the_studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    home = as_home(monkeypatch, tmp_path / "anna")
    settings_path(home).parent.mkdir(parents=True, exist_ok=True)
    settings_path(home).write_text(json.dumps({"studio_url": "postgresql://anna@127.0.0.1:1/studio",
                                               "studio_seat": "anna"}))
    asked: list[Path] = []
    monkeypatch.setattr("fluxdesk.cli.studio.syncer_for", lambda home, link=None: asked.append(home))
    code, _out, err = run(capsys, "generate", "--demo", "--prompt", "a poster", "--model", "flux-dev", "--json")
    assert code == 0 and asked == [] and "studio" not in err
