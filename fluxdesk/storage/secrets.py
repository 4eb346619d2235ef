"""The BFL API key: in the OS keyring, in ``BFL_API_KEY``, or in memory for this session only.

The key is never written to a file, logged, or put into an error message by this module.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend


def _keyring() -> ModuleType:
    """keyring and the backends FluxDesk checks for, imported on first use (~20 ms kept off start-up)."""
    import keyring
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyring.backends.null
    import keyring.errors

    return keyring

SERVICE = "FluxDesk"
USERNAME = "bfl-api-key"
ENV_VAR = "BFL_API_KEY"
MAX_KEY_CHARS = 256

ALTERNATIVES = ("You can use the key for this session only (it is forgotten when FluxDesk closes), "
                f"or set the {ENV_VAR} environment variable before starting FluxDesk. "
                "FluxDesk never writes the key to a plain file.")


class KeySource(enum.Enum):
    ENV = "env"
    SESSION = "session"
    KEYRING = "keyring"
    NONE = "none"


class KeyStoreError(RuntimeError):
    """The key could not be stored or removed; the message says why and what else to do."""


def key_looks_valid(key: object) -> bool:
    """Plausible as a BFL key: ``bfl_…`` or an older UUID-style key; printable ASCII, no spaces.

    Not a check with BFL (that is a ``/v1/credits`` call): only a guard against pasting a line break,
    a sentence, or nothing.
    """
    return (isinstance(key, str) and 8 <= len(key) <= MAX_KEY_CHARS
            and all("!" <= c <= "~" for c in key))


def _no_keyring_message(detail: str) -> str:
    return f"No working system keyring was found ({detail}). {ALTERNATIVES}"


class KeyStore:
    """Where the key is read from, in order: ``BFL_API_KEY``, this session's key, the keyring."""

    def __init__(self, *, backend: KeyringBackend | None = None, environ: Mapping[str, str] | None = None,
                 service: str = SERVICE, username: str = USERNAME,
                 check: Callable[[str], str] | None = None) -> None:
        self._backend_override = backend
        self._check = check or _checked
        self._environ = os.environ if environ is None else environ
        self._service = service
        self._username = username
        self._session: str | None = None

    def __repr__(self) -> str:
        return f"KeyStore(backend={self.backend_name()!r})"

    def _backend(self) -> KeyringBackend:
        if self._backend_override is not None:
            return self._backend_override
        try:
            return cast("KeyringBackend", _keyring().get_keyring())  # _keyring() is a plain ModuleType to mypy
        except Exception:  # a broken keyring configuration (e.g. PYTHON_KEYRING_BACKEND naming nothing)
            return cast("KeyringBackend", _keyring().backends.fail.Keyring())

    def get(self) -> tuple[str | None, KeySource]:
        """The key and where it came from; ``(None, KeySource.NONE)`` when there is none (or the
        keyring cannot be read: ``backend_works`` says why)."""
        env_key = self._environ.get(ENV_VAR, "").strip()
        if env_key:
            return env_key, KeySource.ENV
        if self._session is not None:
            return self._session, KeySource.SESSION
        try:
            stored = self._backend().get_password(self._service, self._username)
        except Exception:  # any backend failure (locked, no D-Bus, …) means "no key from the keyring"
            return None, KeySource.NONE
        return (stored, KeySource.KEYRING) if stored else (None, KeySource.NONE)

    def env_key_present(self) -> bool:
        return bool(self._environ.get(ENV_VAR, "").strip())

    def set(self, key: str) -> None:
        """Store the key in the keyring (replacing any earlier one). Surrounding whitespace is dropped."""
        key = self._check(key)
        works, reason = self.backend_works()
        if not works:
            raise KeyStoreError(reason)
        try:
            self._backend().set_password(self._service, self._username, key)
        except Exception as exc:
            raise KeyStoreError(f"The system keyring refused to store the key ({_describe(exc, key)}). "
                                f"{ALTERNATIVES}") from None
        self._session = None

    def set_session(self, key: str) -> None:
        """Keep the key in memory only, until FluxDesk closes."""
        self._session = self._check(key)

    def clear(self) -> None:
        """Forget the key: this session's, and the keyring's. ``BFL_API_KEY`` is the user's to unset."""
        self._session = None
        backend = self._backend()
        if not self._usable(backend)[0]:
            return
        try:
            backend.delete_password(self._service, self._username)
        except _keyring().errors.PasswordDeleteError:
            pass  # nothing was stored
        except Exception as exc:
            raise KeyStoreError(f"The key could not be removed from the system keyring "
                                f"({type(exc).__name__}).") from None

    def backend_name(self) -> str:
        """The keyring in words a user knows ("GNOME Keyring (Secret Service)"), not keyring's class name."""
        return _backend_words(self._backend())

    def backend_works(self) -> tuple[bool, str]:
        """Whether the keyring can hold the key, and in plain words why not (with the alternatives)."""
        backend = self._backend()
        works, reason = self._usable(backend)
        if not works:
            return False, reason
        try:
            backend.get_password(self._service, self._username)
        except _keyring().errors.KeyringLocked:
            return False, f"The system keyring is locked. Unlock it and try again. {ALTERNATIVES}"
        except Exception as exc:
            return False, _no_keyring_message(f"{self.backend_name()} does not answer: {type(exc).__name__}")
        return True, f"The key is kept in the system keyring ({self.backend_name()})."

    @staticmethod
    def _usable(backend: KeyringBackend) -> tuple[bool, str]:
        if isinstance(backend, _keyring().backends.fail.Keyring):
            return False, _no_keyring_message(
                "on Linux this needs a Secret Service such as GNOME Keyring or KWallet")
        if isinstance(backend, _keyring().backends.null.Keyring):
            return False, _no_keyring_message("the keyring is switched off in keyring's configuration")
        if isinstance(backend, _keyring().backends.chainer.ChainerBackend) and not backend.backends:
            return False, _no_keyring_message(
                "no keyring backend is available; on Linux this needs a Secret Service such as "
                "GNOME Keyring or KWallet")
        return True, ""


BACKEND_WORDS = {
    "keyring.backends.SecretService": "GNOME Keyring (Secret Service)",
    "keyring.backends.libsecret": "GNOME Keyring (Secret Service)",
    "keyring.backends.kwallet": "KDE Wallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
    "keyring.backends.fail": "no system keyring found",
    "keyring.backends.null": "keyring switched off",
}
ABSENT_BACKENDS = (BACKEND_WORDS["keyring.backends.fail"], BACKEND_WORDS["keyring.backends.null"])
"""Words that already say no keyring is at hand."""


def _backend_words(backend: KeyringBackend) -> str:
    if isinstance(backend, _keyring().backends.chainer.ChainerBackend):
        names = dict.fromkeys(_backend_words(b) for b in backend.backends)  # each once, in priority order
        return " + ".join(names) or BACKEND_WORDS["keyring.backends.fail"]
    words = BACKEND_WORDS.get(type(backend).__module__)
    if words is not None:
        return words
    name = getattr(backend, "name", None)  # a third-party backend: its own name is all there is
    return name if isinstance(name, str) and name else type(backend).__name__


def _checked(key: str) -> str:
    key = key.strip() if isinstance(key, str) else key
    if not key_looks_valid(key):
        raise ValueError("That does not look like a BFL API key (it should be one word of letters, digits "
                         "and dashes, like bfl_…).")
    return key


def _describe(exc: Exception, key: str) -> str:
    """An exception's words with the key blanked out, should a backend have echoed it."""
    return f"{type(exc).__name__}: {exc}".replace(key, "***")
