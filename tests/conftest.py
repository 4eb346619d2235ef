"""Puts this folder on sys.path (pytest's prepend import mode), so every test folder can import the
helpers kept here, such as ``keyring_support``; and gives every test a FluxDesk home of its own."""

import pytest


@pytest.fixture(autouse=True)
def _own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's FluxDesk folder: FLUXDESK_HOME is a fresh one (a test may
    point it elsewhere); child processes inherit it."""
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path_factory.mktemp("home")))
