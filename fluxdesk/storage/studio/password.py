"""The seat's database password: in the OS keyring, an entry of its own next to the BFL key's (never in the settings
file, a log or an image's metadata)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fluxdesk.storage.secrets import KeyStore

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

USERNAME = "studio-database-password"
"""The entry's name starts with this; the seat and the server follow, so two homes joined as different seats (or
to different studios) keep their passwords apart."""
MAX_PASSWORD_CHARS = 1024


def _checked(password: str) -> str:
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_CHARS or "\x00" in password:
        raise ValueError("the studio database password is empty or not a password")
    return password


def entry_name(url: str, seat: str) -> str:
    parts = urlsplit(url)
    return f"{USERNAME} {seat}@{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def password_store(url: str, seat: str, *, backend: KeyringBackend | None = None) -> KeyStore:
    """The keyring entry of ``seat``'s password on the studio at ``url``: ``get()``, ``set()``, ``clear()`` as for
    the BFL key (with no environment variable read: ``PGPASSWORD`` is only taken once, by ``fluxdesk studio
    join``)."""
    return KeyStore(backend=backend, environ={}, username=entry_name(url, seat), check=_checked)
