"""Background calls for the gallery whose answers may outlive the widget that asked.

``run_in_background(parent=widget)`` makes the answer's relay a child of the widget: if the widget goes
(a tab closed, a library switched in a test) while a worker is about to emit on that relay, the relay is
deleted under the worker's feet. Without a parent, the relay's last reference is the worker's, and it is
deleted on the worker thread. Here the relay belongs to one object that lives as long as the application,
and the callbacks hold their objects weakly (``weak_callback``): an answer nobody waits for any more is
dropped, and nothing is deleted early or on the wrong thread.
"""

from __future__ import annotations

import concurrent.futures
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject

from fluxdesk.ui.background import run_in_background

_keeper: QObject | None = None


def _relays_owner() -> QObject:
    global _keeper
    if _keeper is None:
        _keeper = QObject(QCoreApplication.instance())
        _keeper.setObjectName("galleryBackground")
        _keeper.destroyed.connect(_forget_keeper)
    return _keeper


def _forget_keeper() -> None:
    global _keeper
    _keeper = None


def run_detached(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> concurrent.futures.Future:
    """``fn()`` on a worker; its answer to ``on_done``/``on_error`` on the GUI thread (use ``weak_callback``)."""
    return run_in_background(fn, on_done, on_error or ignore_error, parent=_relays_owner())


def weak_callback(method: Callable[..., None], *args: Any) -> Callable[[Any], None]:
    """``method(*args, answer)``, holding ``method``'s object weakly: nothing happens once it (or its Qt
    object) is gone."""
    ref = weakref.WeakMethod(method)

    def call(answer: Any) -> None:
        bound = ref()
        if bound is not None and shiboken6.isValid(bound.__self__):
            bound(*args, answer)

    return call


def ignore_error(_exc: BaseException) -> None:
    """For reads whose failure changes nothing on screen (the library was closed meanwhile, say)."""
