"""`fluxdesk key set | status | clear`: the key goes to the keyring and nowhere else, never echoed."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from cli_support import KEY, MemoryKeyring, child_env, files_containing, run_fluxdesk, secret_service_or_reason
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from fluxdesk.cli import key as key_cli
from fluxdesk.cli import main
from fluxdesk.storage.secrets import SERVICE, USERNAME

OTHER = "bfl_ffffffffffffffffffffffffffffffff"


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("collection is locked")


@contextlib.contextmanager
def installed(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """``backend`` as keyring's default for the block."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    monkeypatch.delenv("BFL_API_KEY", raising=False)
    return home


@pytest.fixture
def memory() -> Iterator[KeyringBackend]:
    with installed(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    with installed(keyring.backends.fail.Keyring()) as backend:
        yield backend


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> io.StringIO:
    piped = io.StringIO(text)
    monkeypatch.setattr("sys.stdin", piped)
    return piped


def status_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["key", "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_set_reads_piped_stdin_and_never_echoes(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, KEY + "\n")
    assert main(["key", "set"]) == 0
    assert memory.passwords == {(SERVICE, USERNAME): KEY}
    out, err = capsys.readouterr()
    assert out == "Key stored in keyring support MemoryKeyring.\n" and err == ""


def test_set_prompts_hidden_at_a_terminal(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", TtyInput(""))
    prompts: list[str] = []
    monkeypatch.setattr(key_cli.getpass, "getpass", lambda prompt: prompts.append(prompt) or f" {OTHER} ")
    assert main(["key", "set"]) == 0
    assert memory.passwords == {(SERVICE, USERNAME): OTHER}
    assert prompts and "hidden" in prompts[0]
    assert OTHER not in "".join(capsys.readouterr())


@pytest.mark.parametrize(("text", "words"), [
    ("", "no key given"), ("   \n\n", "no key given"),
    ("bfl_abc def1234567\n", "does not look like a BFL API key"),
    ("bfl_abcdef\nbfl_1234567\n", "does not look like a BFL API key"),
    ("x" * 10_000, "does not look like a BFL API key"),
])
def test_set_refuses_empty_or_odd_input_with_exit_2(text: str, words: str, memory: MemoryKeyring,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, text)
    assert main(["key", "set"]) == 2
    out, err = capsys.readouterr()
    assert words in err and "nothing was stored" in err and out == ""
    assert memory.passwords == {}
    assert all(part not in err for part in text.split() if len(part) > 4)  # nothing of the input echoed


def test_set_without_a_keyring_explains_the_alternatives_before_reading(
        no_keyring: KeyringBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    piped = stdin(monkeypatch, KEY + "\n")
    assert main(["key", "set"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "No working system keyring" in err
    assert "BFL_API_KEY" in err and "session only" in err
    assert piped.tell() == 0  # the key was not even read
    assert KEY not in err


def test_set_notes_that_the_environment_wins(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BFL_API_KEY", OTHER)
    stdin(monkeypatch, KEY)
    assert main(["key", "set"]) == 0
    out = capsys.readouterr().out
    assert "BFL_API_KEY is set" in out and KEY not in out and OTHER not in out


def test_status_clear_round_trip(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    name = "keyring support MemoryKeyring"
    assert status_json(capsys) == {"backend": name, "backend_works": True,
                                   "reason": f"The key is kept in the system keyring ({name}).",
                                   "stored": False, "env": False, "in_use": "none"}
    memory.set_password(SERVICE, USERNAME, KEY)
    assert status_json(capsys)["stored"] is True and status_json(capsys)["in_use"] == "keyring"
    monkeypatch.setenv("BFL_API_KEY", OTHER)
    data = status_json(capsys)
    assert (data["stored"], data["env"], data["in_use"]) == (True, True, "env")

    assert main(["key", "status"]) == 0
    out = capsys.readouterr().out
    assert f"System keyring: {name} (works)" in out and "Key stored in the keyring: yes" in out
    assert "BFL_API_KEY: set (it wins over the keyring)" in out and "FluxDesk uses: the key from BFL_API_KEY" in out

    assert main(["key", "clear"]) == 0
    out = capsys.readouterr().out
    assert f"Key removed from {name}." in out and "BFL_API_KEY is still set" in out
    assert memory.passwords == {}
    monkeypatch.delenv("BFL_API_KEY")
    assert main(["key", "clear"]) == 0
    assert capsys.readouterr().out == f"No key was stored in {name}: nothing to remove.\n"
    assert main(["key", "status"]) == 0
    assert "FluxDesk uses: no key: store one with `fluxdesk key set`" in capsys.readouterr().out


def test_status_and_clear_without_a_keyring(no_keyring: KeyringBackend, capsys: pytest.CaptureFixture[str]) -> None:
    data = status_json(capsys)
    assert data["backend_works"] is False and data["stored"] is False
    assert "No working system keyring" in str(data["reason"])
    assert main(["key", "clear"]) == 0
    assert "No key is stored: no system keyring works here" in capsys.readouterr().out


def test_a_locked_keyring_is_said_in_words(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with installed(LockedKeyring()):
        data = status_json(capsys)
        assert data["backend_works"] is False and "locked" in str(data["reason"])
        assert main(["key", "clear"]) == 1
        out, err = capsys.readouterr()
        assert out == "" and "could not be removed" in err and "Traceback" not in err
        stdin(monkeypatch, KEY)
        assert main(["key", "set"]) == 1
        assert "locked" in capsys.readouterr().err


def test_a_keyring_action_is_required() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["key"])
    assert exited.value.code == 2


def test_the_key_appears_in_no_output_and_no_file(memory: MemoryKeyring, home: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, KEY + "\n")
    codes = [main(["key", "set"]), main(["key", "status"]), main(["key", "status", "--json"])]
    monkeypatch.setenv("BFL_API_KEY", OTHER)
    codes += [main(["key", "status"]), main(["key", "status", "--json"]), main(["key", "clear"])]
    assert codes == [0] * 6
    out, err = capsys.readouterr()
    for secret in (KEY, OTHER, KEY[4:12], OTHER[4:12]):
        assert secret not in out + err
    assert files_containing(home, KEY) == [] and files_containing(home, OTHER) == []


def test_no_backend_message_from_a_child_process(home: Path) -> None:
    env = child_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    status = run_fluxdesk("key", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "System keyring: no system keyring found\n" in status.stdout  # in words, not keyring's class name
    assert "No working system keyring was found" in status.stdout and "BFL_API_KEY" in status.stdout
    assert "Traceback" not in status.stderr
    stored = run_fluxdesk("key", "set", env=env, stdin=KEY + "\n")
    assert stored.returncode == 1 and "No working system keyring" in stored.stderr
    assert KEY not in stored.stdout + stored.stderr and "Traceback" not in stored.stderr
    assert files_containing(home, KEY) == []


# --- the real Secret Service (gnome-keyring in CI) -----------------------------------------------

@pytest.mark.secret_service
def test_real_secret_service_round_trip_through_the_command(home: Path) -> None:
    backend, reason = secret_service_or_reason()
    if backend is None:
        if os.environ.get("FLUXDESK_REQUIRE_SECRET_SERVICE") == "1":
            pytest.fail(f"FLUXDESK_REQUIRE_SECRET_SERVICE=1 but {reason}")
        pytest.skip(reason)
    if backend.get_password(SERVICE, USERNAME) is not None:  # type: ignore[attr-defined]
        pytest.fail("a FluxDesk key is already stored in this Secret Service; this test would replace it "
                    "(run it in a throwaway keyring, like .ci/with-keyring)")
    env = child_env(home)
    try:
        stored = run_fluxdesk("key", "set", env=env, stdin=KEY + "\n")
        assert stored.returncode == 0, stored.stderr
        assert stored.stdout.startswith("Key stored in ") and "Secret Service" in stored.stdout
        assert backend.get_password(SERVICE, USERNAME) == KEY  # type: ignore[attr-defined]
        status = run_fluxdesk("key", "status", "--json", env=env)
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert (data["backend_works"], data["stored"], data["env"], data["in_use"]) == (True, True, False, "keyring")
        cleared = run_fluxdesk("key", "clear", env=env)
        assert cleared.returncode == 0 and cleared.stdout.startswith("Key removed from "), cleared.stderr
        assert backend.get_password(SERVICE, USERNAME) is None  # type: ignore[attr-defined]
        for run in (stored, status, cleared):
            assert KEY not in run.stdout + run.stderr and "Traceback" not in run.stderr
        assert files_containing(home, KEY) == []
    finally:
        if backend.get_password(SERVICE, USERNAME) == KEY:  # type: ignore[attr-defined]
            backend.delete_password(SERVICE, USERNAME)  # type: ignore[attr-defined]
