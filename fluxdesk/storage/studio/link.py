"""The link to the studio's PostgreSQL server: its URL checked (TLS off loopback), a connection, errors in words.

The password never goes into the URL FluxDesk keeps (``url_without_password``): it is passed to the driver on its
own and lives in the keyring (``storage.studio.password``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")
CONNECT_TIMEOUT_S = 5
WEAK_SSLMODES = ("disable", "allow", "prefer")
"""Modes in which libpq may talk in clear text: refused for any host off loopback."""


class StudioError(RuntimeError):
    """The studio link cannot do what was asked; the message says why in plain words."""


class StudioUnreachableError(StudioError):
    """The server did not answer (down, wrong host or port, network): worth retrying later."""


class StudioAuthError(StudioError):
    """The server answered and refused the seat's name or password: retrying will not help."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "") or host.startswith("/"):  # "/…": a Unix socket folder, never off the machine
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_url(url: str) -> str:
    """``url`` if it is a ``postgresql://`` URL FluxDesk may use; else a ``StudioError`` saying why.

    Off loopback the connection must be encrypted: ``sslmode`` defaults to ``require`` there (added when missing),
    and ``disable``, ``allow`` or ``prefer`` are refused."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        raise StudioError(f"the studio URL must start with postgresql:// (for example "
                          f"postgresql://studio.example.com/fluxdesk), not {url.split(':', 1)[0]!r}")
    if not parts.path.strip("/"):
        raise StudioError("the studio URL names no database: add it after the host, as in postgresql://HOST/fluxdesk")
    host = parts.hostname or ""
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    host = query.get("host", host)
    sslmode = query.get("sslmode")
    if not _is_loopback(host):
        if sslmode in WEAK_SSLMODES:
            raise StudioError(f"sslmode={sslmode} would let the database password and the ledger cross the network "
                              f"unencrypted: a server off this machine ({host}) needs sslmode=require, verify-ca or "
                              "verify-full")
        if sslmode is None:
            query["sslmode"] = "require"
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))


def password_in(url: str) -> str | None:
    """The password written into ``url`` (``user:password@`` or libpq's ``?password=``), if any."""
    parts = urlsplit(url)
    if parts.password is not None:
        return unquote(parts.password)
    return dict(parse_qsl(parts.query, keep_blank_values=True)).get("password") or None


def url_without_password(url: str) -> str:
    """``url`` with any password removed (``user:password@`` and ``?password=``): what may be stored, shown or
    logged."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and not any(key == "password" for key, _value in query):
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username:
        netloc = f"{quote(unquote(parts.username), safe='')}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc,
                                     query=urlencode([(k, v) for k, v in query if k != "password"])))


def url_user(url: str) -> str | None:
    user = urlsplit(url).username
    return None if user is None else unquote(user)


def with_user(url: str, user: str) -> str:
    """``url`` logging in as ``user`` (no password)."""
    parts = urlsplit(url_without_password(url))
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}@{host}"))


def _words(exc: Exception, url: str) -> StudioError:
    """The driver's error as a ``StudioError`` in plain words, with no password in it."""
    import psycopg

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = url_without_password(url)
    password = password_in(url)
    if password:
        text = text.replace(password, "***")
    if isinstance(exc, psycopg.OperationalError) and ("password authentication failed" in text
                                                      or "no password supplied" in text
                                                      or ("does not exist" in text and "role" in text)):
        return StudioAuthError(f"the studio server at {where} refused this seat's name or password ({text})")
    if isinstance(exc, psycopg.OperationalError):
        return StudioUnreachableError(f"the studio server at {where} cannot be reached ({text})")
    return StudioError(f"the studio server at {where} answered with an error ({text})")


def connect(url: str, password: str | None = None, *,
            timeout: float = CONNECT_TIMEOUT_S) -> psycopg.Connection[tuple[object, ...]]:
    """A connection to ``url`` (checked first), logging in with ``password`` (else the URL's or ``PGPASSWORD``).

    In autocommit mode: each ``with conn.transaction()`` is then a real transaction committed at its end (not a
    savepoint inside an implicit one that only a later commit would keep, which the sync's "mark sent after the
    commit" relies on).

    Any failure is a ``StudioError``: ``StudioUnreachableError`` (retry later) or ``StudioAuthError``."""
    import psycopg

    url = checked_url(url)
    kwargs: dict[str, object] = {"connect_timeout": max(1, round(timeout)), "autocommit": True,
                                 "application_name": "FluxDesk"}
    if password is not None:
        kwargs["password"] = password
    try:
        return psycopg.connect(url, **kwargs)  # type: ignore[arg-type]  # kwargs are libpq's connection options
    except psycopg.Error as exc:
        raise _words(exc, url) from None


def describe(exc: Exception, url: str) -> StudioError:
    """A driver error raised on an open connection, in words (``StudioUnreachableError`` when the link broke)."""
    return exc if isinstance(exc, StudioError) else _words(exc, url)


def on_server(url: str, password: str | None, work: Callable[[psycopg.Connection[tuple[object, ...]]], T]) -> T:
    """``work`` done over a connection of its own to ``url``; any failure a ``StudioError`` in words."""
    with connect(url, password) as conn:
        try:
            return work(conn)
        except Exception as exc:
            raise describe(exc, url) from None
