"""Background calls: the answer comes back on the GUI thread, never early, never to a closed asker,
and nothing of the GUI is released on a worker thread."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fluxdesk.ui.engine import tasks as background
from fluxdesk.ui.engine.tasks import run_in_background, wait_for_background_work, watch_future, weak_callback


@pytest.fixture(autouse=True)
def _settle():
    yield
    wait_for_background_work()


def test_the_answer_arrives_on_the_gui_thread(qtbot) -> None:
    answers: list[tuple[object, str]] = []
    worker: list[str] = []

    def work() -> int:
        worker.append(threading.current_thread().name)
        return 42

    run_in_background(work, lambda value: answers.append((value, threading.current_thread().name)))
    qtbot.waitUntil(lambda: bool(answers))
    assert answers == [(42, threading.main_thread().name)]
    assert worker and worker[0] != threading.main_thread().name


def test_an_error_goes_to_on_error_only(qtbot) -> None:
    done: list[object] = []
    errors: list[BaseException] = []

    def fail() -> None:
        raise OSError("disk unplugged")

    run_in_background(fail, done.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert str(errors[0]) == "disk unplugged" and not done


def test_an_answer_already_there_still_waits_for_the_event_loop(qtbot) -> None:
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    future.set_result("ready")
    answers: list[str] = []
    watch_future(future, answers.append)
    assert answers == []  # not inside watch_future, before its caller has finished its own set-up
    qtbot.waitUntil(lambda: answers == ["ready"])


def test_no_answer_reaches_a_destroyed_parent(qtbot) -> None:
    release = threading.Event()
    parent = QWidget()
    answers: list[object] = []
    future = run_in_background(lambda: release.wait(5) and "late", answers.append, parent=parent)
    parent.deleteLater()
    qtbot.waitUntil(lambda: not _alive(parent))
    release.set()
    future.result(timeout=5)
    qtbot.wait(50)
    assert answers == []
    assert not background._waiting  # the ticket was settled, not leaked


def test_a_cancelled_future_leaves_nothing_waiting(qtbot) -> None:
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    watch_future(future, lambda _result: None)
    assert background._waiting
    future.cancel()
    qtbot.waitUntil(lambda: not background._waiting)


def test_callbacks_are_released_on_the_gui_thread(qtbot) -> None:
    released: list[str] = []

    class Callback:
        def __call__(self, _answer: object) -> None:
            pass

        def __del__(self) -> None:
            released.append(threading.current_thread().name)

    run_in_background(lambda: "done", Callback())
    qtbot.waitUntil(lambda: bool(released))
    assert released == [threading.main_thread().name]


def test_a_weak_callback_does_nothing_once_its_object_is_gone(qtbot) -> None:
    calls: list[tuple] = []

    class Listener(QObject):
        def answer(self, tag: str, value: object) -> None:
            calls.append((tag, value))

    kept, dropped = Listener(), Listener()
    run_in_background(lambda: 1, weak_callback(kept.answer, "kept"))
    run_in_background(lambda: 2, weak_callback(dropped.answer, "dropped"))
    del dropped
    qtbot.waitUntil(lambda: not background._waiting)
    assert calls == [("kept", 1)]


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)
