"""Blocking work off the GUI thread, with its answer delivered back on the GUI thread.

Two ways in: ``watch_future`` for a ``concurrent.futures.Future`` (the network thread's work), and
``run_in_background`` for a plain blocking call (disk, database, keyring, image decoding).

Worker threads never hold a callback or a Qt object of ours: the callbacks wait in a table on the GUI
thread, and a worker only posts a ticket number to one dispatcher that lives as long as the
application. So nothing of the GUI is deleted on a worker thread or under a worker's feet, whatever
closes while the work runs; an answer whose ``parent`` is gone is dropped.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="fluxdesk-io")
_outstanding: set[concurrent.futures.Future] = set()
_outstanding_lock = threading.Lock()

_Callbacks = tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None,
                   "weakref.ReferenceType[QObject] | None"]
_waiting: dict[int, _Callbacks] = {}
"""Ticket → what to call on the GUI thread. Only the GUI thread reads or writes it."""
_tickets = itertools.count(1)


class _Dispatcher(QObject):
    """On the GUI thread, child of the application: workers' answers arrive here, queued."""

    answered = Signal(object, object, object)  # ticket, result, exception (or None)
    dropped = Signal(object)  # ticket of a cancelled future: nothing to call

    def __init__(self) -> None:
        super().__init__(QCoreApplication.instance())
        self.setObjectName("backgroundAnswers")
        # Queued even from the GUI thread: an answer never arrives before its asker has returned.
        self.answered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.dropped.connect(self._drop, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _deliver(ticket: int, result: object, error: object) -> None:
        callbacks = _waiting.pop(ticket, None)
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

    @staticmethod
    def _drop(ticket: int) -> None:
        _waiting.pop(ticket, None)


_dispatcher: _Dispatcher | None = None


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        _dispatcher = _Dispatcher()
    return _dispatcher


def _forget(future: concurrent.futures.Future) -> None:
    with _outstanding_lock:
        _outstanding.discard(future)


def watch_future(future: concurrent.futures.Future, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None, *, parent: QObject | None = None) -> None:
    """Call ``on_done(result)`` or ``on_error(exc)`` on the GUI thread when ``future`` ends.

    Call it on the GUI thread. With a ``parent``, nothing is called once the parent is destroyed (a
    closed dialog, say).
    """
    dispatcher = _the_dispatcher()
    ticket = next(_tickets)
    _waiting[ticket] = (on_done, on_error, None if parent is None else weakref.ref(parent))
    answered, dropped = dispatcher.answered, dispatcher.dropped

    def _post(done: concurrent.futures.Future) -> None:
        # On the worker thread (or here, if already done): only numbers and the answer cross over.
        try:
            if done.cancelled():
                dropped.emit(ticket)
                return
            error = done.exception()
            answered.emit(ticket, None if error else done.result(), error)
        except RuntimeError:
            pass  # the application (and its dispatcher) is gone: nobody is waiting any more

    future.add_done_callback(_post)


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[BaseException], None] | None = None, *,
                      parent: QObject | None = None) -> concurrent.futures.Future:
    """Run ``fn()`` on a worker thread; its answer comes back on the GUI thread (see ``watch_future``)."""
    future = _pool.submit(fn)
    with _outstanding_lock:
        _outstanding.add(future)
    future.add_done_callback(_forget)
    watch_future(future, on_done, on_error, parent=parent)
    return future


def weak_callback(method: Callable[..., None], *args: Any) -> Callable[[Any], None]:
    """``method(*args, answer)``, holding ``method``'s object weakly: nothing happens once it (or its Qt
    object) is gone. For answers that must not keep a model or a tab alive while a query runs."""
    ref = weakref.WeakMethod(method)

    def call(answer: Any) -> None:
        bound = ref()
        if bound is not None and shiboken6.isValid(bound.__self__):
            bound(*args, answer)

    return call


def wait_for_background_work(timeout: float = 10.0) -> None:
    """Let running background calls finish (tests' teardown, the app's exit)."""
    with _outstanding_lock:
        pending = list(_outstanding)
    concurrent.futures.wait(pending, timeout)
