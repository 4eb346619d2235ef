"""The studio link in the running app: the service's ``StudioLink`` loop on the task manager's ``studio`` lane while
the real engine runs and the settings say this home joined a studio; its events as signals on the GUI thread; the
team's figures kept with the time they were read."""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from fluxdesk.ui.engine.tasks import TaskManager

if TYPE_CHECKING:
    from fluxdesk.services.studio_link import JoinedLink, LinkEvent, LinkState, StudioLink, TeamFigures
    from fluxdesk.storage.settings import Settings
    from fluxdesk.storage.studio.team import TeamSpend


class StudioLinkHost(QObject):
    """Runs at most one studio link at a time; ``start`` again replaces it, ``stop`` ends it (without waiting),
    ``shutdown`` ends it and waits."""

    stateChanged = Signal(object)
    """The link's ``LinkState``; ``None``: no studio link (not joined, stopped)."""
    teamSpendChanged = Signal(object)
    """The team's month (``TeamSpend``), just read from the server."""
    projectsAdopted = Signal(list)
    """Projects of the studio's shared list were just made in this library: their names."""
    _forward = Signal(int, object)  # generation, event: from the link's thread to the GUI thread

    def __init__(self, home: Path, *, interval: float | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._home = home
        self.interval = interval
        """Seconds between syncs (``None``: the service's default)."""
        self._generation = 0
        self._running: concurrent.futures.Future | None = None
        self._studio: StudioLink | None = None
        self.state: LinkState | None = None
        self.team: TeamFigures | None = None
        """The team's month by project and the shared project list as last read (``spend.fetched_at``: when);
        ``None`` before, or when not joined."""
        self.link: JoinedLink | None = None
        self._forward.connect(self._dispatch)

    @property
    def joined(self) -> bool:
        return self.link is not None

    @property
    def team_spend(self) -> TeamSpend | None:
        """The team's month as last read; ``None`` before, or when not joined."""
        return None if self.team is None else self.team.spend

    def wake(self) -> None:
        """Sync now (a job ended, images moved to another project) rather than at the link's next tick."""
        if self._studio is not None:
            self._studio.wake()

    def team_reader(self) -> Callable[[str, str], TeamSpend] | None:
        """``(month, grouping) -> TeamSpend`` read from the studio's server (blocking: for a worker thread), or
        ``None`` when no link runs."""
        link = self.link
        if link is None:
            return None

        def read(month: str, by: str) -> TeamSpend:
            from fluxdesk.storage.studio.team import fetch_team_spend

            return fetch_team_spend(link.url, link.password, month, by)

        return read

    def team_age_s(self, now: datetime | None = None) -> float | None:
        """How old the team's figures are, in seconds; ``None`` when none were read."""
        if self.team_spend is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - self.team_spend.fetched_at).total_seconds())

    def start(self, settings: Settings, usd_per_credit: Decimal) -> None:
        """Link this home as ``settings`` say (the keyring read off the GUI thread), or stay unlinked when they name
        no studio."""
        self.stop()
        generation = self._generation

        def read() -> JoinedLink | None:
            from fluxdesk.services.studio_link import joined_link_of

            return joined_link_of(settings)

        TaskManager.instance().run_in_background(
            read, lambda link: self._run(generation, link, usd_per_credit), parent=self)

    def _run(self, generation: int, link: JoinedLink | None, usd_per_credit: Decimal) -> None:
        if generation != self._generation or link is None:
            return
        from fluxdesk.services.studio_link import StudioLink

        forward = self._forward

        def tell(event: LinkEvent) -> None:  # on the link's thread: only the event crosses over
            with contextlib.suppress(RuntimeError):  # the host is being destroyed at exit
                forward.emit(generation, event)

        options = {} if self.interval is None else {"interval": self.interval}
        studio = self._studio = StudioLink(self._home, link, tell, usd_per_credit=usd_per_credit,
                                           **options)  # type: ignore[arg-type]
        self.link = link
        self._running = TaskManager.instance().submit(studio.run, lane="studio")
        TaskManager.instance().watch_future(self._running, None, None, parent=self)

    def _dispatch(self, generation: int, event: LinkEvent) -> None:
        from fluxdesk.services.studio_link import TeamFigures

        if generation != self._generation:
            return  # a link stopped since
        if isinstance(event, TeamFigures):
            self.team = event
            self.teamSpendChanged.emit(event.spend)
        else:
            self.state = event
            self.stateChanged.emit(event)
            if event.adopted:
                self.projectsAdopted.emit(list(event.adopted))

    def stop(self) -> None:
        """End the link (its loop ends on its lane within a connection timeout); forget its figures."""
        self._generation += 1
        studio, self._studio = self._studio, None
        if studio is not None:
            studio.stop()
        had = self.link is not None or self.state is not None
        self.link = self.state = self.team = None
        if had:
            self.stateChanged.emit(None)

    def shutdown(self, timeout: float = 15.0) -> None:
        """``stop``, then wait for the loop to end: for the app's exit."""
        self.stop()
        running, self._running = self._running, None
        if running is not None:
            with contextlib.suppress(Exception):
                running.result(timeout=timeout)


def _rows(count: int) -> str:
    return "1 row waits" if count == 1 else f"{count} rows wait"


def link_words(state: LinkState, team_age_s: float | None, now: datetime | None = None) -> tuple[str, str]:
    """The status bar's words for the studio link, and its tooltip."""
    from fluxdesk.core.budgets import age_words

    now = now or datetime.now(UTC)
    since = "never" if state.last_sync is None else age_words((now - state.last_sync).total_seconds())
    figures = "no team figures yet" if team_age_s is None else f"team figures {age_words(team_age_s)}".replace(
        " ago", " old").replace("just now", "just read")
    retry = ""
    if state.retry_in is not None and state.at is not None:
        left = max(0, round(state.retry_in - (now - state.at).total_seconds()))
        retry = f", retrying in {left} s" if left < 120 else f", retrying in {round(left / 60)} min"
    if state.phase == "linking":
        text = f"Studio: linking as {state.seat}…"
    elif state.phase == "synced":
        text = f"Studio: synced {since} · {figures}"
        if state.queued:
            text += f" · {_rows(state.queued)}"
    elif state.phase == "unreachable":
        text = f"Studio: server unreachable — {_rows(state.queued)}{retry}"
    elif state.phase == "library":
        text = f"Studio: this FluxDesk's library could not be read or written — {_rows(state.queued)}{retry}"
    elif state.phase == "refused":
        text = f"Studio: the server refused seat {state.seat}'s password — join again in Settings → Studio"
    else:
        text = f"Studio: the server answered with an error — {_rows(state.queued)}{retry}"
    details = [f"Seat {state.seat} at {state.url}", f"Last sync: {since}",
               f"Ledger rows waiting to be sent: {state.queued}",
               "Team figures: none read yet" if team_age_s is None else f"Team figures read {age_words(team_age_s)}"]
    if state.error:
        details.append(state.error)
    details.append("Generating never waits for the studio: rows wait here and go when the server takes them.")
    return text, "\n".join(details)
