"""Puts this folder on sys.path (pytest's prepend import mode), so every test folder can import the
helpers kept here, such as ``keyring_support``; and gives every test a FluxDesk home of its own."""

from collections.abc import Iterator

import pytest
from keyring_support import MemoryKeyring


@pytest.fixture(autouse=True)
def _own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's FluxDesk folder: FLUXDESK_HOME is a fresh one (a test may
    point it elsewhere); child processes inherit it."""
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def pg_cluster():  # type: ignore[no-untyped-def]
    """One throwaway PostgreSQL server for the whole run (tests/studio_support.py); started on first use. In CI
    (``CI=true``) a server that cannot start fails the studio tests; elsewhere they are skipped, saying why."""
    import os

    from studio_support import PgCluster, PgUnavailable, give_up

    cluster = PgCluster()
    try:
        cluster.start()
    except PgUnavailable as exc:
        cluster.destroy()
        give_up(str(exc), os.environ)
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The in-memory backend installed as keyring's default for the test."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
