"""Starts and stops the engine (a ``Session``) for the window, off the GUI thread.

Real mode talks to BFL with the user's key and library (without a key, the library opens for browsing
only); demo mode starts the bundled simulator on loopback with a separate demo library, where nothing is
charged and every image is marked demo.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from fluxdesk.services.runner import AsyncRunner
    from fluxdesk.services.session import Session

from fluxdesk.services.demo import DEMO_LATENCY
from fluxdesk.storage.settings import Settings
from fluxdesk.ui.engine.tasks import TaskManager


class EngineHost(QObject):
    """Owns the running ``Session`` (and the simulator in demo mode). Signals arrive on the GUI thread."""

    ready = Signal(object)
    """The new ``Session``, started."""
    failed = Signal(str)
    """The engine could not start, in plain words."""
    retiring = Signal()
    """The running (or starting) engine is being let go of: a switch, a restart or the exit."""

    def __init__(self, home: Path, *, demo_latency: float = DEMO_LATENCY, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._home = home
        self._demo_latency = demo_latency
        self.session: Session | None = None
        self.simulator: object | None = None
        self.mode: str | None = None
        """"real", "demo", or None while stopped."""
        self._starting: concurrent.futures.Future | None = None
        self._retiring: concurrent.futures.Future | None = None
        """The previous engine closing on the engine lane (``retire``)."""
        self._generation = 0
        self._key_runner: AsyncRunner | None = None
        """The network thread of key tests, made with the first one: they need no engine."""

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @property
    def simulated(self) -> bool:
        """The running engine's images are demo images: the demo, or ``FLUXDESK_API_BASE`` on a loopback
        simulator (whose images go to the demo library too)."""
        return self.session is not None and self.session.options.demo

    @property
    def has_key(self) -> bool:
        return self.session is not None and self.session.has_key

    def start_real(self, key: str | None, settings: Settings) -> None:
        """The user's library on BFL with ``key``; with ``None``, the library opens for browsing only."""
        library_dir = Path(settings.library_folder) if settings.library_folder else None

        def build() -> tuple[Session, None]:
            # On a worker thread: the engine's imports (httpx, asyncio, SQLite) stay off the window's start.
            from fluxdesk.services.session import Session, SessionOptions, library_home, resolve_api_base

            api_base = resolve_api_base(settings.region)
            home, simulated = library_home(self._home, api_base)
            options = SessionOptions(api_base=api_base, key=key, demo=simulated,
                                     library_dir=None if simulated else library_dir, sweep_temp_files=False)
            return Session(home, options), None

        self._start(build, "real")

    def start_demo(self) -> None:
        def build() -> tuple[Session, object]:
            from fluxdesk.services.demo import open_demo_session

            return open_demo_session(self._home, latency=self._demo_latency, sweep_temp_files=False)

        self._start(build, "demo")

    def _start(self, build: Callable[[], tuple[Session, object]], mode: str) -> None:
        self.retire()
        self.mode = mode
        self._generation += 1
        generation = self._generation
        # The engine lane runs one thing at a time, in order: the previous engine's close (queued by
        # retire) is over before this opens the same library again, with no worker waiting for it.
        self._starting = TaskManager.instance().run_in_background(
            build, lambda built: self._started(generation, built),
            lambda error: self._start_failed(generation, error), parent=self, lane="engine")

    def _started(self, generation: int, built: tuple[Session, object]) -> None:
        if generation != self._generation:
            return  # retired (and closed there) before it was ready
        self._starting = None
        self.session, self.simulator = built
        # The sweep Session.open skipped.
        TaskManager.instance().run_in_background(self.session.library.remove_stale_temp_files)
        self.ready.emit(self.session)

    def _start_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._starting = None
        self.mode = None
        self.failed.emit(str(error) or type(error).__name__)

    def retire(self) -> None:
        """Let go of the engine at once; it closes on the engine lane (its running jobs stay resumable),
        after whatever was starting there and before the next start. Never blocks the GUI thread: closing
        can take seconds."""
        self._generation += 1  # whatever is still starting is closed there, never handed out
        starting, self._starting = self._starting, None
        session, sim = self.session, self.simulator
        self.session = self.simulator = None
        self.mode = None
        if starting is None and session is None and sim is None:
            return
        self.retiring.emit()

        def close() -> None:
            closing_session, closing_sim = session, sim
            if starting is not None:  # queued before this on the one-worker lane: already over, no wait
                with contextlib.suppress(Exception):  # a failed start leaves nothing to stop
                    closing_session, closing_sim = starting.result(timeout=0)
            if closing_session is not None:
                closing_session.close()
            if closing_sim is not None:
                closing_sim.stop()  # type: ignore[attr-defined]

        self._retiring = TaskManager.instance().run_in_background(close, lane="engine")

    def stop(self) -> None:
        """``retire``, then wait until the engine is closed: for the app's exit. Key tests stop too."""
        self.retire()
        retiring, self._retiring = self._retiring, None
        if retiring is not None:
            with contextlib.suppress(Exception):
                retiring.result(timeout=60)
        key_runner, self._key_runner = self._key_runner, None
        if key_runner is not None:
            key_runner.stop()

    def key_tester(self, settings: Settings) -> Callable[[str], concurrent.futures.Future[Decimal]]:
        """A function ``key -> Future[Decimal]`` that asks BFL (``FLUXDESK_API_BASE``, or the settings'
        region) for the balance: once, answering within seconds even offline. Cancelling the future
        drops the request at once."""
        def test(key: str) -> concurrent.futures.Future[Decimal]:
            from fluxdesk.services.session import check_key, resolve_api_base

            if self._key_runner is None:
                from fluxdesk.services.runner import AsyncRunner  # asyncio stays off the window's start

                runner = self._key_runner = AsyncRunner(name="fluxdesk-key-test")
                self.destroyed.connect(lambda: runner.stop())  # a host never stopped still ends its thread
            return self._key_runner.submit(check_key(resolve_api_base(settings.region), key))

        return test
