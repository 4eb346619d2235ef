"""A throwaway PostgreSQL cluster for the studio tests: ``initdb`` in a temp folder, a free port on 127.0.0.1 only,
its socket in that folder, run as an unprivileged user when this process is root (CI), stopped and removed after.

``PgCluster.start()`` raises ``PgUnavailable`` with the reason when the server cannot start; the ``pg_cluster``
fixture (tests/conftest.py) turns that into a failure in CI (``CI=true``) and a skip elsewhere.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

SUPERUSER = "fluxdesk_admin"
SUPERUSER_PASSWORD = "admin-pw-for-tests"
UNPRIVILEGED_USERS = ("fluxdesk-pg", "nobody")


class PgUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def give_up(reason: str, environ: Mapping[str, str]) -> NoReturn:
    """No server: in CI (``CI=true``) the studio tests fail, never skip; elsewhere they are skipped with the reason."""
    import pytest

    if environ.get("CI", "").lower() == "true":
        pytest.fail(f"the studio tests need PostgreSQL: {reason}")
    pytest.skip(f"no PostgreSQL server could be started: {reason}")


def pg_bin_dir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    """The user to run the server as: ``None`` when this process is not root, else an unprivileged one."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PgUnavailable("running as root and no unprivileged user (fluxdesk-pg or nobody) to run PostgreSQL as")


class PgCluster:
    def __init__(self) -> None:
        self.bin = pg_bin_dir()
        self.user = _run_as()
        self.port = 0
        self.dir: Path | None = None
        self.running = False

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False,
                              cwd="/")

    def url(self, user: str = SUPERUSER, password: str | None = SUPERUSER_PASSWORD, dbname: str = "postgres") -> str:
        auth = user if password is None else f"{user}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PgCluster:
        if self.bin is None:
            raise PgUnavailable("PostgreSQL's initdb/pg_ctl were not found (install the postgresql package)")
        self.dir = Path(tempfile.mkdtemp(prefix="fluxdesk-pg-"))  # /tmp itself: the server's user can reach it
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        pwfile = self.dir / "pw"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if self.user:
            os.chown(pwfile, pwd.getpwnam(self.user).pw_uid, -1)
        init = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
                         "-A", "scram-sha-256", "-E", "UTF8", "--no-sync")
        if init.returncode != 0:
            raise PgUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        self.port = free_port()
        return self._start_server()

    def _start_server(self) -> PgCluster:
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        started = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                            "-o", options, "-w", "-t", "30", "start")
        if started.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-2000:] if (self.dir / "log").exists() else ""
            raise PgUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {log}")
        self.running = True
        return self

    def stop_server(self) -> None:
        """Stop the server (fast: open sessions are cut off), keeping its data for ``restart_server``."""
        if self.running:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def restart_server(self) -> None:
        self._start_server()

    def destroy(self) -> None:
        self.stop_server()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


_databases = iter(range(1, 1_000_000))


def new_database(cluster: PgCluster) -> str:
    """A fresh database on ``cluster`` for one test (seats are named for their database: no clash between tests);
    answers its admin URL, studio schema not yet created."""
    import psycopg

    name = f"studio{next(_databases)}_{os.getpid()}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return cluster.url(dbname=name)


def seat_url(admin_url: str, user: str, password: str | None = None) -> str:
    """``admin_url`` logging in as ``user``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    auth = user if password is None else f"{user}:{password}"
    return urlunsplit(parts._replace(netloc=f"{auth}@{parts.hostname}:{parts.port}"))


def queue_jobs(home: Path, count: int, *, start: int = 0, credits: str = "2.5", model: str = "flux-dev",
               month: str = "2026-11", failed_every: int = 0, project: str | None = None) -> None:
    """``count`` jobs that reached BFL and ended (for ``project``, made if need be), written straight into ``home``'s
    library in one transaction (the outbox trigger queues each as it ends): a quick stand-in for ``count``
    generations."""
    from fluxdesk.storage.db import open_database, transaction
    from fluxdesk.storage.paths import database_path
    from fluxdesk.storage.projects import ensure_project

    home.mkdir(parents=True, exist_ok=True)
    conn = open_database(database_path(home))
    try:
        with transaction(conn):
            project_id = None if project is None else ensure_project(conn, project).id
            for i in range(start, start + count):
                when = f"{month}-{1 + i % 28:02d}T10:00:00.{i % 1_000_000:06d}Z"
                conn.execute(
                    """INSERT INTO jobs (id, created_at, updated_at, model, prompt, size, request, body, status,
                                         task_id, cost_credits, submitted_at, project_id)
                       VALUES (?, ?, ?, ?, ?, '1024x768', '{}', '{}', 'submitted', ?, ?, ?, ?)""",
                    (f"{home.name}-job-{i}", when, when, model, f"prompt {i}", f"task-{i}", credits, when, project_id))
                status = "failed" if failed_every and i % failed_every == 0 else "done"
                conn.execute("UPDATE jobs SET status = ? WHERE id = ?", (status, f"{home.name}-job-{i}"))
    finally:
        conn.close()
