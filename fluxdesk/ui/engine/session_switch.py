"""Which engine runs, and when that changes: the first start (the demo, the key from the keyring, or the welcome
when there is none), File → Try the offline demo and Use my BFL key, and a restart for a new key, region or
library folder (once the running jobs are over).

``SessionSwitch`` decides; the window shows what it says with signals. It asks the window for the welcome
(``welcomeRequested``), whose answer comes back through ``welcome_closed``, and asks the user before a switch stops
running jobs through an injectable question, as the controller asks the budget question. When an engine starts it
hands the window the open library's views (``libraryChanged``): the tabs get those, never the library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from fluxdesk.services.events import NO_KEY_MESSAGE
from fluxdesk.storage.secrets import KeySource, KeyStore
from fluxdesk.ui.engine.tasks import TaskManager

if TYPE_CHECKING:
    from fluxdesk.services.library_views import LibraryViews
    from fluxdesk.services.session import Session
    from fluxdesk.ui.engine.controller import AppController

ConfirmStopJobs = Callable[[str], bool]
"""``(what the user is about to do) -> go ahead?``: asked before a switch stops running jobs."""


def ask_stop_jobs(what: str) -> bool:
    """The running-jobs question, in a message box over the active window."""
    answer = QMessageBox.question(
        QApplication.activeWindow(), "Jobs are running",
        f"Some jobs are still running. If you {what} now, they stop here and FluxDesk finishes them "
        "(downloads included) the next time this library opens. Continue?")
    return answer == QMessageBox.StandardButton.Yes


@dataclass(frozen=True)
class EngineMode:
    """How a running engine is described, and which way out of it the File menu offers."""

    text: str
    """The status bar's line: what runs, and whether anything is charged."""
    title: str
    """The window title."""
    demo_offered: bool
    """File → Try the offline demo is on (not already in the demo)."""
    key_offered: bool
    """File → Use my BFL key is on (in the demo, or without a key)."""


class SessionSwitch(QObject):
    """Starts and switches the engine for the window. Every method is called on the GUI thread."""

    waiting = Signal(str)
    """No engine runs (yet, or any more): why, in words. Generate is off until ``modeChanged``."""
    modeChanged = Signal(object)
    """An engine started (its ``EngineMode``): Generate is on, and earlier messages no longer apply."""
    libraryChanged = Signal(object)
    """The open library's ``LibraryViews`` for the tabs and the thumbnails; ``None`` before it closes."""
    welcomeRequested = Signal(object)
    """No key anywhere: show the welcome, with the keyring's ``(works, why not)``; answer ``welcome_closed``."""
    message = Signal(str, str)
    """A message for the prompt panel: text and tone ("info", "warning", "error")."""

    def __init__(self, controller: AppController, key_store: KeyStore, *, demo: bool = False,
                 confirm_stop_jobs: ConfirmStopJobs = ask_stop_jobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.engine = controller.engine
        self.key_store = key_store
        """Where the key is read from (the welcome and the Settings dialog store it there)."""
        self.confirm_stop_jobs = confirm_stop_jobs
        self._demo_requested = demo
        """``--demo``: the first engine is the demo, whatever the settings say."""
        self._restart_when_idle = False
        self.views: LibraryViews | None = None
        """The running engine's library, as the tabs see it; ``None`` while none runs."""
        self.engine.ready.connect(self._on_ready)
        self.engine.failed.connect(self._on_failed)
        controller.bridge.jobEvent.connect(self._on_job_event)

    # --- starting -------------------------------------------------------------------------------

    def start(self) -> None:
        """The first engine: the demo when asked for (``--demo``, or "start in the demo" in the settings), else
        the user's library with the key from the keyring; with no key anywhere, the welcome decides."""
        if self._demo_requested or self._controller.settings.start_in_demo:
            self.engine.start_demo()
            return
        self._start_with_stored_key()

    def _start_with_stored_key(self) -> None:
        """The user's library with the key read now (off the GUI thread); the welcome when there is none."""
        TaskManager.instance().run_in_background(self.key_store.get, self._got_key, self._on_failed, parent=self)

    def _got_key(self, found: tuple[str | None, KeySource]) -> None:
        key, _source = found
        if key:
            self.engine.start_real(key, self._controller.settings)
        else:
            self._ask_welcome()

    def _ask_welcome(self) -> None:
        """First run, or no key: the welcome offers to enter one (tested, stored in the keyring) or the demo."""
        self.waiting.emit("No API key yet: enter one, or try the offline demo.")
        TaskManager.instance().run_in_background(self.key_store.backend_works, self._keyring_checked, parent=self)

    def _keyring_checked(self, keyring_status: tuple[bool, str]) -> None:
        self.welcomeRequested.emit(keyring_status)

    def welcome_closed(self, choice: str | None, start_in_demo: bool) -> None:
        """The welcome's answer (``WelcomeDialog.choice()``): the demo (``start_in_demo``: next time too), a key
        just stored ("key", "session"), or anything else: the library opens to browse, without a key."""
        if choice == "demo":
            if start_in_demo:
                self._controller.update_settings(start_in_demo=True)
            self.engine.start_demo()
        elif choice in ("key", "session"):
            TaskManager.instance().run_in_background(self.key_store.get, self._got_key_after_welcome, parent=self)
        else:
            self._browse_without_key()

    def _got_key_after_welcome(self, found: tuple[str | None, KeySource]) -> None:
        key, _source = found
        if key:
            self.engine.start_real(key, self._controller.settings)
        else:
            self._browse_without_key()
            self.message.emit("The key could not be read back from the system keyring. Add it again in "
                              "Settings (Ctrl+,).", "warning")

    def _browse_without_key(self) -> None:
        """No key: the real library opens all the same, for browsing; generating asks for a key."""
        self.engine.start_real(None, self._controller.settings)
        self.waiting.emit("Opening your library…")

    # --- an engine started, or could not ---------------------------------------------------------

    def _on_ready(self, session: Session) -> None:
        from fluxdesk.services.library_views import LibraryViews  # SQLite's reads: loaded with the engine

        session.add_listener(self._controller.bridge.listener)
        self.views = LibraryViews.of(session.library, demo=self.engine.simulated)
        self.modeChanged.emit(self._mode(session))
        if not session.has_key:
            self._controller.clear_credits()
            self.message.emit("No API key: your library is open to browse. " + NO_KEY_MESSAGE, "info")
        TaskManager.instance().watch_future(session.resume(), parent=self)
        self.libraryChanged.emit(self.views)
        self._controller.read_money()  # after the Spend tab has its queries: it loaded with them

    def _mode(self, session: Session) -> EngineMode:
        demo = self.engine.demo
        if demo:
            text = "Demo mode — the built-in simulator: nothing is charged, images are marked demo"
            title = "FluxDesk — demo"
        elif not session.has_key:
            text, title = "No API key — browsing your library", "FluxDesk — no API key"
        elif self.engine.simulated:
            text = (f"Simulator at {session.options.api_base} — nothing is charged, images are marked demo and "
                    "kept in the demo library")
            title = "FluxDesk — simulator"
        else:
            text, title = f"Connected to BFL ({self._controller.settings.region})", "FluxDesk"
        return EngineMode(text, title, demo_offered=not demo, key_offered=demo or not session.has_key)

    def _on_failed(self, reason: object) -> None:
        text = str(reason)
        self.waiting.emit(f"Could not start: {text}")
        self.message.emit(f"FluxDesk could not start its engine: {text}", "error")

    # --- switching --------------------------------------------------------------------------------

    def switch_to_demo(self) -> None:
        """File → Try the offline demo."""
        if self._may_stop_jobs("switch to the demo"):
            self._restart_when_idle = False  # a restart still waiting for the jobs is the real engine's
            self.detach_library()
            self.engine.start_demo()
            self.waiting.emit("Starting the demo…")

    def switch_to_real(self) -> None:
        """File → Use my BFL key: the key from the keyring (the welcome without one); no demo next time either."""
        if self._may_stop_jobs("leave the demo"):
            self._restart_when_idle = False  # the key is read afresh now
            self.detach_library()
            self.engine.retire()
            self.waiting.emit("Reading the key…")
            self._demo_requested = False
            if self._controller.settings.start_in_demo:
                self._controller.update_settings(start_in_demo=False)
            self.start()

    def _may_stop_jobs(self, what: str) -> bool:
        return not self._controller.busy() or self.confirm_stop_jobs(what)

    def key_changed(self) -> None:
        """The key was changed in Settings: the real engine restarts with it, once the running jobs are over (the
        demo keeps running: it needs no key)."""
        if self.engine.demo:
            return
        if self._controller.busy():
            self._restart_when_idle = True
            self.message.emit("The new settings apply as soon as the running jobs finish.", "info")
            return
        self.restart()

    def engine_settings_changed(self) -> None:
        """Another region or library folder was saved: the real engine restarts (as for a new key)."""
        if self.engine.mode == "real":
            self.key_changed()

    def restart(self) -> None:
        """Close the engine and start the real one again, with the key read afresh."""
        self._restart_when_idle = False
        self.detach_library()
        self.engine.retire()
        self.waiting.emit("Reconnecting…")
        self._start_with_stored_key()

    def _on_job_event(self, _event: object) -> None:
        if self._restart_when_idle:
            # Asked once the window's queue has taken this event in too: it counts the running jobs.
            QTimer.singleShot(0, self, self._restart_if_idle)

    def _restart_if_idle(self) -> None:
        if self._restart_when_idle and self.engine.session is not None and not self._controller.busy():
            self.restart()

    def detach_library(self) -> None:
        """Before the engine (and its library) closes: the tabs let go of its views, which then close."""
        views, self.views = self.views, None
        self.libraryChanged.emit(None)
        if views is not None:
            TaskManager.instance().run_in_background(views.close)
