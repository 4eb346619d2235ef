"""Studio mode against a real PostgreSQL server (tests/studio_support.py): the schema and its security, the outbox
filled as jobs end, sync that loses nothing and counts nothing twice (server stopped mid-sync, a seat killed
mid-sync), and the team figures two seats both see."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from studio_support import PgCluster, new_database, queue_jobs, seat_url

from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.session import Session, SessionOptions
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.db import open_database, transaction
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import database_path
from fluxdesk.storage.projects import ensure_project
from fluxdesk.storage.studio import outbox
from fluxdesk.storage.studio.link import StudioAuthError, StudioError, StudioUnreachableError
from fluxdesk.storage.studio.schema import Seat, add_seat, check_seat, init_schema
from fluxdesk.storage.studio.sync import StudioLibraryError, Syncer, backoff
from fluxdesk.storage.studio.team import set_studio, team_projects, team_spend

KEY = "bfl_studio-test-key-0123456789"
RATE = Decimal("0.01")


@pytest.fixture
def admin(pg_cluster: PgCluster) -> str:
    url = new_database(pg_cluster)
    assert init_schema(url) == 2
    return url


def joined(home: Path) -> Path:
    with Library.open(home, remove_temp_files=False) as library:
        library.share_with_studio(True)
    return home


def syncer(home: Path, admin: str, seat: Seat, **kw: object) -> Syncer:
    return Syncer(home, seat_url(admin, seat.user), seat.seat, seat.password, usd_per_credit=RATE, **kw)  # type: ignore[arg-type]


def server_rows(admin: str) -> list[tuple[str, str, Decimal]]:
    with psycopg.connect(admin) as conn:
        return conn.execute("SELECT job_id, seat, credits FROM fluxdesk.ledger ORDER BY job_id").fetchall()


def queued(home: Path) -> int:
    conn = open_database(database_path(home))
    try:
        return outbox.queued(conn)
    finally:
        conn.close()


def test_init_twice_changes_nothing_and_a_seat_can_neither_update_nor_delete(admin: str) -> None:
    assert init_schema(admin) == 2
    anna, bob = add_seat(admin, "anna"), add_seat(admin, "Bob")
    assert bob.seat == "bob" and anna.user != bob.user and anna.password != bob.password
    with pytest.raises(StudioError, match="already a seat"):
        add_seat(admin, "anna")
    with pytest.raises(StudioError, match="cannot be a seat name"):
        add_seat(admin, "no spaces please")
    insert = ("INSERT INTO fluxdesk.ledger (job_id, seat, created_at, model, status, billed, credits, usd) "
              "VALUES (%s, %s, now(), 'flux-dev', 'done', true, 1, 0.01)")
    for seat in (anna, bob):
        with psycopg.connect(seat_url(admin, seat.user, seat.password), autocommit=True) as conn:
            conn.execute(insert, (f"{seat.seat}-1", seat.seat))
    with psycopg.connect(seat_url(admin, anna.user, anna.password), autocommit=True) as conn:
        for statement in ("UPDATE fluxdesk.ledger SET credits = 0 WHERE seat = 'anna'",
                          "UPDATE fluxdesk.ledger SET credits = 0 WHERE seat = 'bob'",
                          "DELETE FROM fluxdesk.ledger WHERE seat = 'anna'",
                          "DELETE FROM fluxdesk.ledger WHERE seat = 'bob'",
                          "TRUNCATE fluxdesk.ledger",
                          "UPDATE fluxdesk.team SET monthly_budget_usd = 1",
                          "UPDATE fluxdesk.ledger_days SET credits = 0",
                          "INSERT INTO fluxdesk.projects (name, budget_usd) VALUES ('Mine', 1000000)",
                          "UPDATE fluxdesk.projects SET budget_usd = 0"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert, ("forged", "bob"))  # in another seat's name
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO fluxdesk.ledger (job_id, seat, created_at, model, status, billed, prompt) "
                         "VALUES ('p', 'anna', now(), 'flux-dev', 'done', true, 'a secret brief')")  # prompts off
        assert conn.execute("SELECT count(*) FROM fluxdesk.ledger").fetchone() == (2,)  # reads every seat's
        conn.execute("INSERT INTO fluxdesk.projects (name) VALUES ('Mine')")  # a project by name, with no budget
    assert [r[:2] for r in server_rows(admin)] == [("anna-1", "anna"), ("bob-1", "bob")]
    assert [r[2] for r in server_rows(admin)] == [1, 1]


def test_a_wrong_password_and_an_unreachable_server_are_plain_errors(admin: str, pg_cluster: PgCluster,
                                                                     tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    with pytest.raises(StudioAuthError, match="refused") as refused:
        check_seat(seat_url(admin, anna.user), "not-the-password", "anna")
    assert "not-the-password" not in str(refused.value)
    with pytest.raises(StudioError, match="not seat 'bob'"):
        check_seat(seat_url(admin, anna.user), anna.password, "bob")
    dead = f"postgresql://{anna.user}@127.0.0.1:1/x"
    with pytest.raises(StudioUnreachableError, match="cannot be reached"):
        Syncer(joined(tmp_path / "anna"), dead, "anna", anna.password, connect_timeout=1).sync_once()


def test_the_outbox_queues_ended_jobs_once_the_library_joined(tmp_path: Path) -> None:
    home = tmp_path / "seat"
    queue_jobs(home, 3)
    assert queued(home) == 0  # not in a studio: nothing queued, nothing changes for a plain FluxDesk
    joined(home)
    queue_jobs(home, 4, start=3, failed_every=2)
    conn = open_database(database_path(home))
    try:
        rows = outbox.next_rows(conn, 100)
        conn.execute("UPDATE jobs SET status = 'expired' WHERE id = ?", (rows[0].job_id,))  # ends again: queued once
        assert outbox.queued(conn) == 4
    finally:
        conn.close()
    assert [r.job_id for r in rows] == [f"seat-job-{i}" for i in range(3, 7)]
    assert [r.status for r in rows] == ["done", "failed", "done", "failed"]
    assert (rows[0].width, rows[0].height, rows[0].credits) == (1024, 768, Decimal("2.5"))


@pytest.fixture(scope="module")
def sim() -> Simulator:
    with Simulator(SimConfig(key=KEY, latency=0.05, max_output_pixels=256 * 256)) as simulator:
        yield simulator


def generate(home: Path, sim: Simulator, count: int, project: str | None = None) -> None:
    with Session(home, SessionOptions(api_base=sim.api_base, key=KEY)) as session:
        project_id = None if project is None else session.library.ensure_project(project).id
        request = GenerationRequest(model="flux-dev", prompt="a studio poster", width=256, height=256, seed=3)
        session.generate(request, count, project_id=project_id).result(30)
        session.wait_idle(60)


def test_two_seats_generate_and_both_see_the_same_team_totals(admin: str, sim: Simulator, tmp_path: Path) -> None:
    anna, bob = add_seat(admin, "anna"), add_seat(admin, "bob")
    set_studio(admin, None, team_budget=Decimal(100))
    homes = {anna.seat: joined(tmp_path / "anna"), bob.seat: joined(tmp_path / "bob")}
    generate(homes["anna"], sim, 3, project="Acme")
    generate(homes["bob"], sim, 2)
    local: dict[str, Decimal] = {}
    for seat in (anna, bob):
        with Library.open(homes[seat.seat], remove_temp_files=False) as library:
            month = library.ledger_rows(None)[0].time[:7]
            local[seat.seat] = library.spend(month).credits
        result = syncer(homes[seat.seat], admin, seat).sync_once()
        assert (result.sent, result.remaining) == ({"anna": 3, "bob": 2}[seat.seat], 0)
    assert all(local.values())
    figures = []
    for seat in (anna, bob):
        with psycopg.connect(seat_url(admin, seat.user, seat.password)) as conn:
            figures.append([team_spend(conn, month, by) for by in ("seat", "project", "model", "day")])
    assert [[(g.key, g.credits, g.jobs) for g in s.groups] for s in figures[0]] == \
        [[(g.key, g.credits, g.jobs) for g in s.groups] for s in figures[1]]
    by_seat = {g.key: g for g in figures[0][0].groups}
    assert {k: g.credits for k, g in by_seat.items()} == local and by_seat["anna"].jobs == 3
    assert figures[0][0].credits == sum(local.values()) and figures[0][0].usd == sum(local.values()) * RATE
    assert {g.key: g.jobs for g in figures[0][1].groups} == {"Acme": 3, None: 2}
    assert figures[0][0].budget_usd == 100 and figures[0][0].budget_used == figures[0][0].usd
    assert syncer(homes["anna"], admin, anna).sync_once().sent == 0  # again: nothing new, nothing twice
    assert len(server_rows(admin)) == 5


def test_server_stopped_mid_sync_then_restarted_gives_exact_totals(admin: str, pg_cluster: PgCluster,
                                                                   tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 3000)
    sync = syncer(home, admin, anna, batch_rows=25, connect_timeout=1)
    errors: list[StudioError] = []
    thread = threading.Thread(target=lambda: _catch(sync.sync_once, errors))
    thread.start()
    deadline = time.monotonic() + 20
    while queued(home) == 3000 and time.monotonic() < deadline:
        time.sleep(0.005)
    pg_cluster.stop_server()  # cuts the seat off in the middle of its batches
    thread.join(30)
    try:
        assert errors and isinstance(errors[0], StudioUnreachableError) and 0 < queued(home) < 3000
        with pytest.raises(StudioUnreachableError):
            sync.sync_once()  # still down: a plain error, rows kept
    finally:
        pg_cluster.restart_server()
    assert sync.sync_once().remaining == 0
    rows = server_rows(admin)
    assert len(rows) == len({r[0] for r in rows}) == 3000 and sum(r[2] for r in rows) == Decimal("7500")
    with psycopg.connect(admin) as conn:
        assert team_spend(conn, "2026-11").credits == Decimal("7500")


def _catch(call: object, errors: list[StudioError]) -> None:
    try:
        call()  # type: ignore[operator]
    except StudioError as exc:
        errors.append(exc)


CHILD = """
import sys
from decimal import Decimal
from pathlib import Path
from fluxdesk.storage.studio.sync import Syncer
Syncer(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.stdin.readline().strip(), batch_rows=20,
       usd_per_credit=Decimal("0.01")).sync_once()
"""


def test_a_seat_killed_mid_sync_loses_nothing_and_duplicates_nothing(admin: str, tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 4000, failed_every=10)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), seat_url(admin, anna.user), "anna"],
                             stdin=subprocess.PIPE, text=True)
    assert child.stdin is not None
    child.stdin.write(anna.password + "\n")
    child.stdin.close()
    deadline = time.monotonic() + 30
    while not server_rows(admin) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    sent_before = len(server_rows(admin))
    assert 0 < sent_before < 4000
    assert syncer(home, admin, anna).sync_once().remaining == 0
    rows = server_rows(admin)
    assert len(rows) == len({r[0] for r in rows}) == 4000
    with psycopg.connect(admin) as conn:
        month = team_spend(conn, "2026-11")
    assert (month.jobs, month.unbilled_jobs, month.credits) == (3600, 400, Decimal("9000"))


def test_run_backs_off_while_the_server_is_away_and_stops_when_asked(tmp_path: Path) -> None:
    assert [backoff(n) for n in (1, 2, 3, 20)] == [2, 4, 8, 300]
    stop = threading.Event()
    waits: list[float] = []

    def on_error(exc: StudioError, wait: float) -> None:
        waits.append(wait)
        stop.set()

    home = joined(tmp_path / "anna")
    Syncer(home, "postgresql://x@127.0.0.1:1/db", "anna", "pw", connect_timeout=1).run(stop, on_error=on_error)
    assert waits == [2.0]


def test_prompts_are_shared_only_when_the_studio_says_so(admin: str, tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 1)
    syncer(home, admin, anna).sync_once()
    set_studio(admin, None, share_prompts=True)
    queue_jobs(home, 1, start=1)
    syncer(home, admin, anna).sync_once()
    with psycopg.connect(admin) as conn:
        prompts = conn.execute("SELECT job_id, prompt FROM fluxdesk.ledger ORDER BY job_id").fetchall()
    assert prompts == [("anna-job-0", None), ("anna-job-1", "prompt 1")]


def by_project(admin: str, month: str = "2026-11") -> dict[str | None, tuple[int, Decimal]]:
    with psycopg.connect(admin) as conn:
        return {g.key: (g.jobs, g.credits) for g in team_spend(conn, month, "project").groups}


def move_jobs(home: Path, job_ids: list[str], project: str | None) -> None:
    """Move jobs to ``project`` (made if need be) as the gallery's Move to project does: the images' jobs change."""
    with Library.open(home, remove_temp_files=False) as library:
        conn = library._conn
        with transaction(conn):
            project_id = None if project is None else ensure_project(conn, project).id
            conn.executemany("UPDATE jobs SET project_id = ? WHERE id = ?", [(project_id, j) for j in job_ids])


def test_a_move_after_sync_is_re_filed_by_new_rows_and_the_rows_sent_never_change(admin: str,
                                                                                   tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 4, project="Acme")
    assert syncer(home, admin, anna).sync_once().sent == 4
    before = server_rows(admin)
    assert by_project(admin) == {"Acme": (4, Decimal("10.0"))}

    move_jobs(home, ["anna-job-0"], "Globex")
    move_jobs(home, ["anna-job-1"], None)
    move_jobs(home, ["anna-job-2"], "Globex")
    move_jobs(home, ["anna-job-2"], "Acme")  # and back: re-filed where it was, counted once
    assert queued(home) == 4
    result = syncer(home, admin, anna).sync_once()
    assert (result.sent, result.remaining) == (4, 0)
    assert by_project(admin) == {"Acme": (2, Decimal("5.0")), "Globex": (1, Decimal("2.5")),
                                 None: (1, Decimal("2.5"))}
    with psycopg.connect(admin) as conn:
        originals = conn.execute("SELECT job_id, seat, credits FROM fluxdesk.ledger WHERE corrects IS NULL "
                                 "ORDER BY job_id").fetchall()
        corrections = conn.execute("SELECT corrects, project, credits FROM fluxdesk.ledger "
                                   "WHERE corrects IS NOT NULL ORDER BY job_id").fetchall()
        total = team_spend(conn, "2026-11")
        shared = [r[0] for r in conn.execute("SELECT name FROM fluxdesk.projects ORDER BY name").fetchall()]
    assert originals == before  # nothing sent before was changed
    # A correction names where its job is when it is sent: both of job 2's say Acme, and change nothing there.
    assert sorted(corrections, key=str) == sorted([("anna-job-0", "Globex", None), ("anna-job-1", None, None),
                                                   ("anna-job-2", "Acme", None), ("anna-job-2", "Acme", None)],
                                                  key=str)
    assert (total.jobs, total.credits) == (4, Decimal("10.0"))  # the month's total is the same
    assert shared == ["Acme", "Globex"]
    assert syncer(home, admin, anna).sync_once().sent == 0  # again: nothing twice
    assert by_project(admin)["Acme"] == (2, Decimal("5.0"))


def test_a_move_before_the_row_is_sent_goes_with_it_and_a_rename_re_files_the_sent_jobs(admin: str,
                                                                                         tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 2, project="Acme")
    move_jobs(home, ["anna-job-0"], "Globex")  # not sent yet: the row goes with its project of now
    syncer(home, admin, anna).sync_once()
    assert by_project(admin) == {"Acme": (1, Decimal("2.5")), "Globex": (1, Decimal("2.5"))}
    with Library.open(home, remove_temp_files=False) as library:
        acme = library.ensure_project("Acme")
        library.rename_project(acme.id, "Acme Corp")
    assert queued(home) == 1
    syncer(home, admin, anna).sync_once()
    assert by_project(admin) == {"Acme Corp": (1, Decimal("2.5")), "Globex": (1, Decimal("2.5"))}


def test_a_seat_corrects_only_its_own_jobs_and_a_correction_carries_no_money(admin: str, tmp_path: Path) -> None:
    anna, bob = add_seat(admin, "anna"), add_seat(admin, "bob")
    home = joined(tmp_path / "bob")
    queue_jobs(home, 1, project="Acme")
    syncer(home, admin, bob).sync_once()
    correction = ("INSERT INTO fluxdesk.ledger (job_id, seat, created_at, project, model, status, billed, corrects, "
                  "credits) VALUES (%s, %s, now(), 'Mine', 'flux-dev', 'done', true, 'bob-job-0', %s)")
    with psycopg.connect(seat_url(admin, anna.user, anna.password), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(correction, ("steal", "anna", None))  # another seat's job
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(correction, ("steal", "bob", None))  # in another seat's name
    with psycopg.connect(seat_url(admin, bob.user, bob.password), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(correction, ("money", "bob", 100))  # a correction with credits of its own
        for statement in ("UPDATE fluxdesk.job_projects SET project = 'x'", "SELECT * FROM fluxdesk.job_projects"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        conn.execute(correction, ("bob-fix", "bob", None))
    assert by_project(admin) == {"Mine": (1, Decimal("2.5"))}


def test_a_studio_of_schema_1_is_migrated_with_every_job_re_fileable(pg_cluster: PgCluster, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from fluxdesk.storage.studio import schema

    url = new_database(pg_cluster)
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    assert init_schema(url) == 1
    anna = add_seat(url, "anna")
    home = joined(tmp_path / "anna")
    queue_jobs(home, 3, project="Acme")
    syncer(home, url, anna).sync_once()  # a seat of the version before sends plain rows
    monkeypatch.undo()
    move_jobs(home, ["anna-job-0"], "Globex")
    queue_jobs(home, 1, start=3, project="Acme")
    result = syncer(home, url, anna).sync_once()  # an old studio: the new row goes, the correction waits
    assert (result.sent, result.remaining) == (1, 1) and "admin runs `fluxdesk studio init`" in str(result.waiting)
    assert queued(home) == 1 and by_project(url) == {"Acme": (4, Decimal("10.0"))}
    assert init_schema(url) == 2
    syncer(home, url, anna).sync_once()
    assert by_project(url) == {"Acme": (3, Decimal("7.5")), "Globex": (1, Decimal("2.5"))}


def test_the_shared_project_list_is_copied_into_a_seat_and_a_name_let_go_stays_gone(admin: str,
                                                                                     tmp_path: Path) -> None:
    anna, bob = add_seat(admin, "anna"), add_seat(admin, "bob")
    bob_home = joined(tmp_path / "bob")
    queue_jobs(bob_home, 1, project="Acme")
    syncer(bob_home, admin, bob).sync_once()
    set_studio(admin, None, project="Initech", project_budget=Decimal("40"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("INSERT INTO fluxdesk.projects (name, archived) VALUES ('Old client', true)")
    home = joined(tmp_path / "anna")
    with Library.open(home, remove_temp_files=False) as library:
        library.ensure_project("acme")  # hers already, in another case
        library.ensure_project("Dropped")
    with psycopg.connect(seat_url(admin, anna.user, anna.password)) as conn:
        projects = team_projects(conn)
    assert [(p.name, p.budget_usd, p.archived) for p in projects] == [
        ("Acme", None, False), ("Initech", Decimal("40"), False), ("Old client", None, True)]
    with outbox.library_db(home) as conn:
        assert outbox.adopt_projects(conn, [(p.name, p.created_at) for p in projects if not p.archived]) == ["Initech"]
        assert outbox.adopt_projects(conn, [(p.name, p.created_at) for p in projects]) == ["Old client"]
    with Library.open(home, remove_temp_files=False) as library:
        names = {p.name for p in library.projects()}
        dropped = library.ensure_project("Dropped")
        library.delete_project(dropped.id)
        initech = library.ensure_project("Initech")
        library.rename_project(initech.id, "Initech Ltd")
    assert names == {"acme", "Dropped", "Initech", "Old client"}
    with outbox.library_db(home) as conn:  # the next copy brings back neither the deleted nor the old name
        assert outbox.adopt_projects(conn, [("Dropped", projects[0].created_at), ("Initech", projects[1].created_at)]) \
            == []


def test_a_wake_syncs_at_once_instead_of_at_the_next_tick(admin: str, tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = joined(tmp_path / "anna")
    stop, wake = threading.Event(), threading.Event()
    results: list[int] = []
    worker = threading.Thread(target=syncer(home, admin, anna).run, args=(stop,),
                              kwargs={"interval": 600, "wake": wake, "on_result": lambda r: results.append(r.sent)})
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while not results and time.monotonic() < deadline:
            time.sleep(0.01)
        queue_jobs(home, 2)
        wake.set()  # a job ended: without it the rows would wait ten minutes
        while len(results) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert results == [0, 2] and queued(home) == 0
    finally:
        stop.set()
        wake.set()
        worker.join(10)
    assert not worker.is_alive()


def test_a_project_spelled_in_another_case_is_counted_under_the_teams_spelling(admin: str, tmp_path: Path) -> None:
    anna, bob = add_seat(admin, "anna"), add_seat(admin, "bob")
    queue_jobs(joined(tmp_path / "bob"), 1, project="Acme")
    syncer(tmp_path / "bob", admin, bob).sync_once()
    home = joined(tmp_path / "anna")
    queue_jobs(home, 2, project="ACME")
    syncer(home, admin, anna).sync_once()
    move_jobs(home, ["anna-job-0"], "acme ")  # the same project to this library: nothing to re-file
    move_jobs(home, ["anna-job-1"], "Globex")
    syncer(home, admin, anna).sync_once()
    assert by_project(admin) == {"Acme": (2, Decimal("5.0")), "Globex": (1, Decimal("2.5"))}
    with psycopg.connect(admin) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM fluxdesk.projects ORDER BY name")] == ["Acme", "Globex"]


def test_a_seats_password_never_reaches_the_servers_statement_log(admin: str, pg_cluster: PgCluster) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:  # every statement on this database goes to the log
        conn.execute("ALTER DATABASE " + conn.info.dbname + " SET log_statement = 'all'")
    carol = add_seat(admin, "carol")
    check_seat(seat_url(admin, carol.user), carol.password, "carol")  # the verifier lets the seat in
    log = (pg_cluster.dir / "log").read_text(errors="replace")
    assert "CREATE ROLE" in log and carol.password not in log


def test_a_library_that_cannot_be_read_is_said_as_such_not_blamed_on_the_server(admin: str, tmp_path: Path) -> None:
    anna = add_seat(admin, "anna")
    home = tmp_path / "anna"
    database_path(home).mkdir(parents=True)  # where the library's file should be, a folder: it cannot be opened
    with pytest.raises(StudioLibraryError, match="this FluxDesk's library could not be read or written") as raised:
        syncer(home, admin, anna).sync_once()
    assert "studio server" not in str(raised.value)
