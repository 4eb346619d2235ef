"""Blocking work off the GUI thread, with its answer delivered back on the GUI thread.

Two ways in: ``watch_future`` for a ``concurrent.futures.Future`` (the network thread's work), and
``run_in_background`` for a plain blocking call (disk, database, keyring, image decoding).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="fluxdesk-io")
_outstanding: set[concurrent.futures.Future] = set()
_outstanding_lock = threading.Lock()


def _forget(future: concurrent.futures.Future) -> None:
    with _outstanding_lock:
        _outstanding.discard(future)


class _Relay(QObject):
    """Lives on the GUI thread; a signal emitted from a worker thread arrives there, queued."""

    finished = Signal(object, object)  # result, exception

    def __init__(self, on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
                 parent: QObject | None) -> None:
        super().__init__(parent)
        self._on_done = on_done
        self._on_error = on_error
        self.finished.connect(self._deliver)

    def _deliver(self, result: object, error: object) -> None:
        try:
            if isinstance(error, BaseException):
                if self._on_error is not None:
                    self._on_error(error)
            elif self._on_done is not None:
                self._on_done(result)
        finally:
            self.deleteLater()


def watch_future(future: concurrent.futures.Future, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None, *, parent: QObject | None = None) -> None:
    """Call ``on_done(result)`` or ``on_error(exc)`` on the GUI thread when ``future`` ends.

    With a ``parent``, nothing is called once the parent is destroyed (a closed dialog, say).
    """
    relay = _Relay(on_done, on_error, parent)

    def _emit(done: concurrent.futures.Future) -> None:
        if done.cancelled():
            return
        error = done.exception()
        # RuntimeError: the relay (or its parent) is gone; nobody is waiting for the answer any more.
        with contextlib.suppress(RuntimeError):
            relay.finished.emit(None if error else done.result(), error)

    future.add_done_callback(_emit)


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[BaseException], None] | None = None, *,
                      parent: QObject | None = None) -> concurrent.futures.Future:
    """Run ``fn()`` on a worker thread; its answer comes back on the GUI thread."""
    future = _pool.submit(fn)
    with _outstanding_lock:
        _outstanding.add(future)
    future.add_done_callback(_forget)
    watch_future(future, on_done, on_error, parent=parent)
    return future


def wait_for_background_work(timeout: float = 10.0) -> None:
    """Let running background calls finish (tests' teardown, the app's exit)."""
    QThreadPool.globalInstance().waitForDone(int(timeout * 1000))
    with _outstanding_lock:
        pending = list(_outstanding)
    concurrent.futures.wait(pending, timeout)
