"""Blocking work off the GUI thread, with its answer delivered back on the GUI thread: one ``TaskManager``.

``TaskManager.instance()`` is the application's one manager: a child of the ``QCoreApplication``, made
with the first call and gone with the application, so every widget reaches it without being handed it
and without a module-global. Two ways in: ``watch_future`` for a ``concurrent.futures.Future`` (the
network thread's work), and ``run_in_background`` for a plain blocking call (disk, database, keyring,
image decoding), on one of four lanes: ``"io"`` (four workers, the default), ``"thumbnails"`` (two: a
screenful of thumbnails never holds up a query), ``"engine"`` (one: engines open and close in the
order asked, so a start never has to wait inside a worker for the previous close), ``"settings"`` (one:
saves land in the order they were made) and ``"studio"`` (one: the studio link's loop, running until it is told to
stop, and the next link's after it). ``submit`` is the way in for work whose asker watches the future
itself. Nothing submitted may block waiting on other work of the manager.

Worker threads never hold a callback or a Qt object of ours: the callbacks wait in the manager's table
on the GUI thread, and a worker only posts a ticket number back to the manager. So nothing of the GUI
is deleted on a worker thread or under a worker's feet, whatever closes while the work runs; an answer
whose ``parent`` is gone is dropped, and an error nobody handles goes to ``sys.excepthook``.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

T = TypeVar("T")
Lane = Literal["io", "thumbnails", "engine", "settings", "studio"]
_LANE_WORKERS: dict[Lane, int] = {"io": 4, "thumbnails": 2, "engine": 1, "settings": 1, "studio": 1}
_NAME = "fluxdeskTasks"

_Callbacks = tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None,
                   "weakref.ReferenceType[QObject] | None"]


class TaskManager(QObject):
    """The application's background work; its answers arrive on the GUI thread, queued."""

    _answered = Signal(object, object, object)  # ticket, result, exception (or None)
    _dropped = Signal(object)  # ticket of a cancelled future: nothing to call

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes = {lane: concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                                   thread_name_prefix=f"fluxdesk-{lane}")
                       for lane, workers in _LANE_WORKERS.items()}
        self._outstanding: set[concurrent.futures.Future] = set()
        self._outstanding_lock = threading.Lock()
        self._waiting: dict[int, _Callbacks] = {}
        """Ticket → what to call on the GUI thread. Only the GUI thread reads or writes it."""
        self._tickets = itertools.count(1)
        # Queued even from the GUI thread: an answer never arrives before its asker has returned.
        self._answered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._dropped.connect(self._drop, Qt.ConnectionType.QueuedConnection)

    @classmethod
    def instance(cls) -> TaskManager:
        """The application's manager, made on first use as a child of the application."""
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("background work needs a running QApplication")
        found = app.findChild(QObject, _NAME, Qt.FindChildOption.FindDirectChildrenOnly)
        if isinstance(found, cls):
            return found
        manager = cls(app)
        manager.setObjectName(_NAME)
        return manager

    # --- the two ways in --------------------------------------------------------------------------

    def watch_future(self, future: concurrent.futures.Future, on_done: Callable[[Any], None] | None = None,
                     on_error: Callable[[BaseException], None] | None = None, *,
                     parent: QObject | None = None) -> None:
        """Call ``on_done(result)`` or ``on_error(exc)`` on the GUI thread when ``future`` ends.

        Call it on the GUI thread. With a ``parent``, nothing is called once the parent is destroyed (a
        closed dialog, say).
        """
        ticket = next(self._tickets)
        self._waiting[ticket] = (on_done, on_error, None if parent is None else weakref.ref(parent))
        answered, dropped = self._answered, self._dropped

        def _post(done: concurrent.futures.Future) -> None:
            # On the worker thread (or here, if already done): only numbers and the answer cross over.
            try:
                if done.cancelled():
                    dropped.emit(ticket)
                    return
                error = done.exception()
                answered.emit(ticket, None if error else done.result(), error)
            except RuntimeError:
                pass  # the application (and its manager) is gone: nobody is waiting any more

        future.add_done_callback(_post)

    def run_in_background(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                          on_error: Callable[[BaseException], None] | None = None, *,
                          parent: QObject | None = None, lane: Lane = "io") -> concurrent.futures.Future:
        """Run ``fn()`` on a worker of ``lane``; its answer comes back on the GUI thread (see ``watch_future``)."""
        future = self.submit(fn, lane=lane)
        self.watch_future(future, on_done, on_error, parent=parent)
        return future

    def submit(self, fn: Callable[[], T], *, lane: Lane = "io") -> concurrent.futures.Future[T]:
        """Run ``fn()`` on a worker of ``lane``; the asker watches the future (``watch_future``) or waits for it."""
        future = self._lanes[lane].submit(fn)
        with self._outstanding_lock:
            self._outstanding.add(future)
        future.add_done_callback(self._forget)
        return future

    # --- waiting for the work ---------------------------------------------------------------------

    def busy(self) -> bool:
        """Some background call has not finished yet."""
        with self._outstanding_lock:
            return bool(self._outstanding)

    def wait(self, timeout: float = 10.0) -> bool:
        """Let running background calls finish (tests' teardown, a window's close); ``True`` when none is left."""
        with self._outstanding_lock:
            pending = list(self._outstanding)
        return not concurrent.futures.wait(pending, timeout).not_done

    def shutdown(self, timeout: float = 10.0) -> bool:
        """At the application's exit: wait for the running work, then take no more (what is queued is
        dropped). ``True`` when everything finished in time."""
        finished = self.wait(timeout)
        for executor in self._lanes.values():
            executor.shutdown(wait=False, cancel_futures=True)
        self.setObjectName("")  # the next instance() makes a fresh manager
        return finished

    # --- on the GUI thread ------------------------------------------------------------------------

    def _forget(self, future: concurrent.futures.Future) -> None:
        with self._outstanding_lock:
            self._outstanding.discard(future)

    def _deliver(self, ticket: int, result: object, error: object) -> None:
        callbacks = self._waiting.pop(ticket, None)
        if callbacks is None:
            return
        on_done, on_error, parent = callbacks
        if parent is not None:
            owner = parent()
            if owner is None or not shiboken6.isValid(owner):
                return  # whoever asked is gone: the answer has no one to go to
        if isinstance(error, BaseException):
            if on_error is not None:
                on_error(error)
            else:  # nobody handles it: it is unexpected, and must reach the log and the user (and fail a test)
                sys.excepthook(type(error), error, error.__traceback__)
        elif on_done is not None:
            on_done(result)

    def _drop(self, ticket: int) -> None:
        self._waiting.pop(ticket, None)

    def waiting_count(self) -> int:
        """Answers not yet delivered or dropped (for tests and diagnostics)."""
        return len(self._waiting)


def weak_callback(method: Callable[..., None], *args: Any) -> Callable[[Any], None]:
    """``method(*args, answer)``, holding ``method``'s object weakly: nothing happens once it (or its Qt
    object) is gone. For answers that must not keep a model or a tab alive while a query runs."""
    ref = weakref.WeakMethod(method)

    def call(answer: Any) -> None:
        bound = ref()
        if bound is not None and shiboken6.isValid(bound.__self__):  # type: ignore[attr-defined]  # a bound method
            bound(*args, answer)

    return call
