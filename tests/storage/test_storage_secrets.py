"""The API key: keyring, environment, session; failing keyrings explained; the key never leaks."""

from __future__ import annotations

import logging
import os
import uuid

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.errors import KeyringLocked, PasswordSetError
from storage_support import MemoryKeyring

from fluxdesk.storage.secrets import (
    ENV_VAR,
    SERVICE,
    USERNAME,
    KeySource,
    KeyStore,
    KeyStoreError,
    key_looks_valid,
)

KEY = "bfl_5a3b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
OTHER = "bfl_ffffffffffffffffffffffffffffffff"


class BrokenKeyring(MemoryKeyring):
    """A keyring whose every call fails the way a given backend does."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.mark.parametrize("key", [KEY, "3f2a9b1c-0d4e-4f5a-8b6c-7d8e9f0a1b2c", "bfl_x-y_z.0123"])
def test_keys_that_look_valid(key: str) -> None:
    assert key_looks_valid(key)


@pytest.mark.parametrize("key", ["", "   ", "bfl_ab cd1234", "bfl_abcd1234\n", "bfl_abcd\t1234", "short",
                                 "bfl_é0123456789", None, 12345678, "x" * 300])
def test_keys_that_do_not(key: object) -> None:
    assert not key_looks_valid(key)


def test_set_get_replace_clear_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(environ={})
    assert store.get() == (None, KeySource.NONE)
    store.set(f"  {KEY}\n")  # a pasted line break is trimmed
    assert memory_keyring.passwords == {(SERVICE, USERNAME): KEY}
    assert store.get() == (KEY, KeySource.KEYRING)
    store.set(OTHER)
    assert store.get() == (OTHER, KeySource.KEYRING)
    store.clear()
    assert store.get() == (None, KeySource.NONE) and memory_keyring.passwords == {}
    store.clear()  # nothing stored: still fine


def test_environment_variable_wins(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, USERNAME, KEY)
    store = KeyStore(environ={ENV_VAR: f" {OTHER} "})
    assert store.get() == (OTHER, KeySource.ENV) and store.env_key_present()
    store.set_session("bfl_sessionkey0000")
    assert store.get() == (OTHER, KeySource.ENV)


def test_session_key_is_memory_only(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, USERNAME, KEY)
    store = KeyStore(environ={})
    store.set_session(OTHER)
    assert store.get() == (OTHER, KeySource.SESSION)
    assert memory_keyring.passwords[(SERVICE, USERNAME)] == KEY  # the keyring was not touched
    assert KeyStore(environ={}).get() == (KEY, KeySource.KEYRING)  # another session does not see it
    store.clear()
    assert store.get() == (None, KeySource.NONE)


def test_invalid_keys_are_refused_without_echoing_them(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(environ={})
    for bad in ("bfl_abc def1234", "", "bfl_abcdef\n1234"):
        with pytest.raises(ValueError) as caught:
            store.set(bad)
        assert bad.strip() == "" or bad.split()[0] not in str(caught.value)
        with pytest.raises(ValueError):
            store.set_session(bad)
    assert memory_keyring.passwords == {}


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(),
                                     keyring.backends.chainer.ChainerBackend()])
def test_no_working_keyring_is_explained_with_the_alternatives(backend: object,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [])
    store = KeyStore(backend=backend, environ={})  # type: ignore[arg-type]
    works, reason = store.backend_works()
    assert not works
    assert "No working system keyring" in reason and "session" in reason and ENV_VAR in reason
    with pytest.raises(KeyStoreError, match="No working system keyring"):
        store.set(KEY)
    assert store.get() == (None, KeySource.NONE)
    store.clear()  # nothing to remove, no error
    store.set_session(KEY)
    assert store.get() == (KEY, KeySource.SESSION)


def test_a_locked_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(backend=BrokenKeyring(KeyringLocked("collection is locked")), environ={})
    works, reason = store.backend_works()
    assert not works and "locked" in reason and ENV_VAR in reason
    assert store.get() == (None, KeySource.NONE)
    with pytest.raises(KeyStoreError, match="locked"):
        store.set(KEY)


def test_a_keyring_that_fails_on_use(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(backend=BrokenKeyring(RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")),
                     environ={})
    works, reason = store.backend_works()
    assert not works and "does not answer" in reason and "RuntimeError" in reason
    with pytest.raises(KeyStoreError):
        store.clear()


class EchoingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"refused to store {password}")


def test_the_key_never_appears_in_errors_logs_or_repr(memory_keyring: MemoryKeyring,
                                                      caplog: pytest.LogCaptureFixture,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    store = KeyStore(backend=EchoingKeyring(), environ={})
    with pytest.raises(KeyStoreError) as caught:
        store.set(KEY)
    assert KEY not in str(caught.value) and "***" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is not None  # suppressed, not chained
    store.set_session(KEY)
    assert KEY not in repr(store) and KEY not in str(vars(store).keys())
    out, err = capsys.readouterr()
    assert KEY not in out + err + caplog.text


def test_backend_name_and_default_backend(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(environ={})
    assert store.backend_name() == "keyring support MemoryKeyring"
    assert store.backend_works() == (True, f"The key is kept in the system keyring ({store.backend_name()}).")


# --- the real Secret Service (gnome-keyring in CI) -----------------------------------------------

def _secret_service_or_reason() -> tuple[object | None, str]:
    try:
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - raises when no Secret Service is reachable
        backend = SecretService.Keyring()
        backend.get_password(SERVICE, "fluxdesk-probe")
    except Exception as exc:
        return None, f"no Secret Service reachable: {type(exc).__name__}: {exc}"
    return backend, ""


@pytest.mark.secret_service
def test_real_secret_service_set_get_replace_clear() -> None:
    backend, reason = _secret_service_or_reason()
    if backend is None:
        if os.environ.get("FLUXDESK_REQUIRE_SECRET_SERVICE") == "1":
            pytest.fail(f"FLUXDESK_REQUIRE_SECRET_SERVICE=1 but {reason}")
        pytest.skip(reason)
    store = KeyStore(backend=backend, environ={}, username=f"bfl-api-key-test-{uuid.uuid4().hex}")  # type: ignore[arg-type]
    try:
        assert store.backend_works()[0]
        assert store.get() == (None, KeySource.NONE)
        store.set(KEY)
        assert store.get() == (KEY, KeySource.KEYRING)
        store.set(OTHER)
        assert store.get() == (OTHER, KeySource.KEYRING)
        store.clear()
        assert store.get() == (None, KeySource.NONE)
    finally:
        store.clear()


def test_the_keyring_is_named_in_words_not_by_its_class(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.backends.SecretService

    assert KeyStore(backend=keyring.backends.fail.Keyring()).backend_name() == "no system keyring found"
    assert KeyStore(backend=keyring.backends.null.Keyring()).backend_name() == "keyring switched off"
    assert KeyStore(backend=keyring.backends.SecretService.Keyring()).backend_name() == (
        "GNOME Keyring (Secret Service)")
    monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [])  # no viable backend at all
    empty_chain = keyring.backends.chainer.ChainerBackend()
    assert KeyStore(backend=empty_chain).backend_name() == "no system keyring found"
