"""Studio mode for a running FluxDesk: joining and leaving a studio (the CLI and the Settings page do it the same
way), and the link that keeps the seat's outbox flowing to the server and the team's figures fresh, reporting its
state as events (``LinkState``, ``TeamFigures``) on the thread it runs on.

Nothing here is needed to generate: a server that is down or refuses the seat only shows in the events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fluxdesk.core.pricing import USD_PER_CREDIT
from fluxdesk.core.projects import name_key
from fluxdesk.storage.studio.link import StudioAuthError, StudioError, StudioUnreachableError
from fluxdesk.storage.studio.sync import INTERVAL_S, StudioLibraryError, Syncer, SyncResult
from fluxdesk.storage.studio.team import TeamProject, TeamSpend

if TYPE_CHECKING:
    from fluxdesk.storage.settings import Settings

LinkPhase = Literal["linking", "synced", "unreachable", "refused", "library", "error"]


@dataclass(frozen=True)
class JoinedLink:
    """What a home that joined a studio keeps: the URL (no password), the seat, and the keyring's password."""

    url: str
    seat: str
    password: str | None


@dataclass(frozen=True)
class LinkState:
    """The studio link's state, as last seen."""

    seat: str
    url: str
    phase: LinkPhase
    """``linking`` (first sync under way), ``synced``, ``unreachable`` (retried), ``refused`` (the password or seat
    was refused), ``error`` (the server answered with another error)."""
    queued: int
    """Ledger rows waiting in the outbox."""
    last_sync: datetime | None
    """When the server last confirmed everything queued then."""
    error: str | None = None
    retry_in: float | None = None
    """Seconds until the next try after a failure."""
    at: datetime | None = None
    adopted: tuple[str, ...] = ()
    """Projects of the studio's shared list this library did not have, made in it by the sync just done."""


@dataclass(frozen=True)
class TeamFigures:
    """The team's month by project and the studio's shared project list, read from the server
    (``spend.fetched_at``: how fresh they are)."""

    spend: TeamSpend
    projects: tuple[TeamProject, ...] = ()

    def project(self, name: str) -> tuple[Decimal, Decimal | None]:
        """What the team spent on project ``name`` (whatever its case) this month, and the budget the studio set for
        it (``None``: none)."""
        key = name_key(name)
        spent = sum((g.usd for g in self.spend.groups if g.key is not None and name_key(g.key) == key), Decimal(0))
        budgets = [p.budget_usd for p in self.projects if name_key(p.name) == key and p.budget_usd is not None]
        return spent, (budgets[0] if budgets else None)


LinkEvent = LinkState | TeamFigures
SaveLink = Callable[[str | None, str | None], None]
"""Keeps the studio URL and seat (``None, None``: none) in the settings."""


def joined_link(home: Path) -> JoinedLink | None:
    """The studio URL, seat and keyring password of ``home``, or ``None`` when it joined no studio."""
    from fluxdesk.storage.settings import load_settings

    return joined_link_of(load_settings(home))


def joined_link_of(settings: Settings) -> JoinedLink | None:
    """``joined_link`` of these settings (the password read from the keyring: blocking)."""
    from fluxdesk.storage.studio.password import password_store

    if not settings.studio_url or not settings.studio_seat:
        return None
    password, _source = password_store(settings.studio_url, settings.studio_seat).get()
    return JoinedLink(settings.studio_url, settings.studio_seat, password)


def seat_link_url(url: str, seat: str) -> str:
    """The URL a seat logs in with (checked, without password): ``url``'s user, else the seat's role."""
    from fluxdesk.storage.studio.link import checked_url, url_user, url_without_password, with_user
    from fluxdesk.storage.studio.schema import role_for

    url = checked_url(url)
    if url_user(url) is None:
        url = with_user(url, role_for(url.rsplit("/", 1)[1].split("?", 1)[0], seat))
    return url_without_password(url)


def _save_link(home: Path) -> SaveLink:
    from fluxdesk.storage.settings import load_settings, save_settings

    return lambda url, seat: save_settings(home, replace(load_settings(home), studio_url=url, studio_seat=seat))


def join_studio(home: Path, url: str, seat: str, password: str, *,
                save_link: SaveLink | None = None) -> tuple[str, str]:
    """``home`` joins the studio at ``url`` as ``seat``: the password checked with the server and kept in the keyring,
    the URL (without it) in the settings, the library's ended jobs queued from now on. Answers the stored URL and the
    seat's name; ``StudioError`` (refused, unreachable, a bad URL or seat name) or ``StudioKeyringError`` (no
    keyring) else.
    ``save_link(url, seat)`` keeps the link in the settings (default: straight into the settings file)."""
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.secrets import ALTERNATIVES, KeyStoreError
    from fluxdesk.storage.studio.password import password_store
    from fluxdesk.storage.studio.schema import check_seat, seat_name

    seat = seat_name(seat)
    stored_url = seat_link_url(url, seat)
    check_seat(stored_url, password, seat)
    try:
        password_store(stored_url, seat).set(password)
    except (KeyStoreError, ValueError) as exc:
        reason = str(exc).replace(ALTERNATIVES, "").strip()  # the alternatives offered for the BFL key do not apply
        raise StudioKeyringError(f"{reason} The studio password is kept only in the system keyring, never in a "
                                 "file: set up a keyring (GNOME Keyring, KWallet) and join again.") from None
    (save_link or _save_link(home))(stored_url, seat)
    with Library.open(home, remove_temp_files=False) as library:
        library.share_with_studio(True)
    return stored_url, seat


class StudioKeyringError(StudioError):
    """The password could not be kept: there is no usable keyring."""


def leave_studio(home: Path, settings: Settings | None = None, *, save_link: SaveLink | None = None) -> bool:
    """``home`` leaves its studio: the password out of the keyring, the link out of ``settings`` (default: the
    settings file's; ``save_link(None, None)`` saves that), nothing queued any more (rows already sent stay in the
    team's ledger). ``False`` when it had joined none."""
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.settings import load_settings
    from fluxdesk.storage.studio.password import password_store

    settings = settings or load_settings(home)
    if not settings.studio_url or not settings.studio_seat:
        return False
    password_store(settings.studio_url, settings.studio_seat).clear()
    (save_link or _save_link(home))(None, None)
    with Library.open(home, remove_temp_files=False) as library:
        library.share_with_studio(False)
    return True


def check_link(url: str, seat: str, password: str | None) -> str:
    """Whether the seat can log in at ``url``, in words (a ``StudioError`` saying why not)."""
    from fluxdesk.storage.studio.schema import check_seat, seat_name

    seat = seat_name(seat)
    stored_url = seat_link_url(url, seat)
    check_seat(stored_url, password, seat)
    return f"The studio server at {stored_url} accepts seat {seat}."


def _current_month() -> str:
    from fluxdesk.storage.spend import current_month

    return current_month()


def _queued(home: Path) -> tuple[int, datetime | None]:
    """Rows waiting and the last good sync; nothing when the library cannot be read (the state says why)."""
    import sqlite3

    from fluxdesk.storage.db import LibraryError
    from fluxdesk.storage.studio import outbox

    try:
        with outbox.library_db(home) as conn:
            return outbox.queued(conn), outbox.last_sync(conn)
    except (LibraryError, sqlite3.Error):
        return 0, None


class StudioLink:
    """Keeps ``home``'s outbox flowing to the studio and the team's month fresh, until ``stop()``: ``run()`` on a
    thread of its own (it blocks), telling ``on_event`` a ``LinkState`` after each try and a ``TeamFigures`` after
    each sync that could read them."""

    def __init__(self, home: Path, link: JoinedLink, on_event: Callable[[LinkEvent], None], *,
                 usd_per_credit: Decimal = USD_PER_CREDIT, interval: float = INTERVAL_S,
                 month: Callable[[], str] | None = None) -> None:
        self.home = home
        self.link = link
        self.interval = interval
        self._on_event = on_event
        self._syncer = Syncer(home, link.url, link.seat, link.password, usd_per_credit=usd_per_credit,
                              team_month=month or _current_month)
        self._stop = threading.Event()
        self._wake = threading.Event()

    def __repr__(self) -> str:  # no password, ever
        return f"StudioLink(seat={self.link.seat!r})"

    def _state(self, phase: LinkPhase, **fields: object) -> LinkState:
        queued, last = _queued(self.home)
        return LinkState(self.link.seat, self.link.url, phase, queued, last, at=datetime.now(UTC),
                         **fields)  # type: ignore[arg-type]

    def run(self) -> None:
        """Sync until ``stop`` (blocking: on a thread of its own)."""
        self._on_event(self._state("linking"))
        self._syncer.run(self._stop, interval=self.interval, on_result=self._synced, on_error=self._failed,
                         wake=self._wake)

    def wake(self) -> None:
        """Sync now rather than at the next tick (a job ended, images moved); a backoff after a failure runs out
        first."""
        self._wake.set()

    def stop(self) -> None:
        """End ``run``, or keep it from starting (within a connection timeout when a sync is under way)."""
        self._stop.set()
        self._wake.set()

    def _synced(self, result: SyncResult) -> None:
        self._on_event(LinkState(self.link.seat, self.link.url, "synced", result.remaining, result.at,
                                 error=result.waiting, at=datetime.now(UTC), adopted=result.adopted))
        if result.team is not None:
            self._on_event(TeamFigures(result.team, result.projects))

    def _failed(self, error: StudioError, wait: float) -> None:
        phase: LinkPhase = ("refused" if isinstance(error, StudioAuthError) else
                            "unreachable" if isinstance(error, StudioUnreachableError) else
                            "library" if isinstance(error, StudioLibraryError) else "error")
        self._on_event(self._state(phase, error=str(error), retry_in=wait))
