"""Background calls: the answer comes back on the GUI thread, never early, never to a closed asker,
and nothing of the GUI is released on a worker thread. One manager, owned by the application."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget

from fluxdesk.ui.engine.tasks import TaskManager, weak_callback


@pytest.fixture
def tasks(qapp: QApplication) -> TaskManager:
    return TaskManager.instance()


def test_one_manager_belongs_to_the_application(qapp: QApplication) -> None:
    manager = TaskManager.instance()
    assert TaskManager.instance() is manager and manager.parent() is qapp


def test_the_answer_arrives_on_the_gui_thread(qtbot, tasks: TaskManager) -> None:
    answers: list[tuple[object, str]] = []
    worker: list[str] = []

    def work() -> int:
        worker.append(threading.current_thread().name)
        return 42

    tasks.run_in_background(work, lambda value: answers.append((value, threading.current_thread().name)))
    qtbot.waitUntil(lambda: bool(answers))
    assert answers == [(42, threading.main_thread().name)]
    assert worker and worker[0] != threading.main_thread().name


def test_an_error_goes_to_on_error_only(qtbot, tasks: TaskManager) -> None:
    done: list[object] = []
    errors: list[BaseException] = []

    def fail() -> None:
        raise OSError("disk unplugged")

    tasks.run_in_background(fail, done.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert str(errors[0]) == "disk unplugged" and not done


def test_an_answer_already_there_still_waits_for_the_event_loop(qtbot, tasks: TaskManager) -> None:
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    future.set_result("ready")
    answers: list[str] = []
    tasks.watch_future(future, answers.append)
    assert answers == []  # not inside watch_future, before its caller has finished its own set-up
    qtbot.waitUntil(lambda: answers == ["ready"])


def test_no_answer_reaches_a_destroyed_parent(qtbot, tasks: TaskManager) -> None:
    release = threading.Event()
    parent = QWidget()
    answers: list[object] = []
    future = tasks.run_in_background(lambda: release.wait(5) and "late", answers.append, parent=parent)
    parent.deleteLater()
    qtbot.waitUntil(lambda: not _alive(parent))
    release.set()
    future.result(timeout=5)
    qtbot.wait(50)
    assert answers == []
    assert tasks.waiting_count() == 0  # the ticket was settled, not leaked


def test_a_cancelled_future_leaves_nothing_waiting(qtbot, tasks: TaskManager) -> None:
    future: concurrent.futures.Future[None] = concurrent.futures.Future()
    tasks.watch_future(future, lambda _result: None)
    assert tasks.waiting_count() == 1
    future.cancel()
    qtbot.waitUntil(lambda: tasks.waiting_count() == 0)


def test_callbacks_are_released_on_the_gui_thread(qtbot, tasks: TaskManager) -> None:
    released: list[str] = []

    class Callback:
        def __call__(self, _answer: object) -> None:
            pass

        def __del__(self) -> None:
            released.append(threading.current_thread().name)

    tasks.run_in_background(lambda: "done", Callback())
    qtbot.waitUntil(lambda: bool(released))
    assert released == [threading.main_thread().name]


def test_a_weak_callback_does_nothing_once_its_object_is_gone(qtbot, tasks: TaskManager) -> None:
    calls: list[tuple] = []

    class Listener(QObject):
        def answer(self, tag: str, value: object) -> None:
            calls.append((tag, value))

    kept, dropped = Listener(), Listener()
    tasks.run_in_background(lambda: 1, weak_callback(kept.answer, "kept"))
    tasks.run_in_background(lambda: 2, weak_callback(dropped.answer, "dropped"))
    del dropped
    qtbot.waitUntil(lambda: tasks.waiting_count() == 0)
    assert calls == [("kept", 1)]


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_an_error_nobody_handles_goes_to_the_excepthook(qtbot, tasks: TaskManager,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _type, error, _tb: seen.append(error))
    tasks.run_in_background(lambda: 1 / 0, lambda _answer: None)
    qtbot.waitUntil(lambda: bool(seen))
    assert isinstance(seen[0], ZeroDivisionError)


def test_each_lane_has_its_own_workers(qtbot, tasks: TaskManager) -> None:
    release = threading.Event()
    thumbnails = [tasks.run_in_background(lambda: release.wait(5), lane="thumbnails") for _ in range(4)]
    engine = tasks.run_in_background(lambda: release.wait(5), lane="engine")
    answers: list[str] = []
    tasks.run_in_background(lambda: threading.current_thread().name, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=2000)  # busy thumbnail and engine lanes hold up nothing else
    assert answers[0].startswith("fluxdesk-io")
    release.set()
    concurrent.futures.wait([*thumbnails, engine], 5)


def test_shutdown_waits_for_the_running_work_then_takes_no_more(qapp: QApplication) -> None:
    manager = TaskManager(qapp)
    finished: list[str] = []
    manager.run_in_background(lambda: time.sleep(0.3) or finished.append("slow"))
    assert manager.busy()
    assert manager.shutdown(timeout=5) is True
    assert finished == ["slow"] and not manager.busy()
    with pytest.raises(RuntimeError):
        manager.run_in_background(lambda: None)
    manager.deleteLater()


def test_submitted_work_runs_in_order_on_its_lane_and_is_waited_for(qtbot, tasks: TaskManager) -> None:
    order: list[int] = []
    futures = [tasks.submit(lambda i=i: time.sleep(0.02 * (3 - i)) or order.append(i), lane="settings")
               for i in range(3)]
    assert tasks.busy()
    assert tasks.wait(5)
    assert order == [0, 1, 2] and all(f.done() for f in futures)  # one worker: the slow first one lands first
    assert tasks.waiting_count() == 0  # nothing is delivered to the GUI thread: the asker holds the future
