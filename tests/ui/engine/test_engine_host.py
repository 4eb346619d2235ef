"""The engine host: switching engines never blocks the window, and the old one is closed first."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from fluxdesk.services.session import Session
from fluxdesk.storage.db import LibraryError
from fluxdesk.ui.engine.host import EngineHost
from fluxdesk.ui.engine.tasks import TaskManager


@pytest.fixture
def host(qtbot, tmp_path: Path):
    engine = EngineHost(tmp_path, demo_latency=0.2)
    yield engine
    engine.stop()
    TaskManager.instance().wait()


def test_switching_engines_does_not_wait_for_the_old_one_to_close(qtbot, host: EngineHost,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with qtbot.waitSignal(host.ready, timeout=20_000):
        host.start_demo()
    first = host.session
    events: list[str] = []
    real_close = Session.close

    def slow_close(self: Session) -> None:
        time.sleep(0.5)
        events.append(f"closed {id(self)}")
        real_close(self)

    real_init = Session.__init__

    def noting_init(self: Session, *args: object, **kwargs: object) -> None:
        events.append("opening")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Session, "close", slow_close)
    monkeypatch.setattr(Session, "__init__", noting_init)
    started = time.monotonic()
    with qtbot.waitSignal(host.ready, timeout=20_000):
        host.start_demo()  # the same demo library: it must be closed before it opens again
        assert time.monotonic() - started < 0.2 and threading.current_thread() is threading.main_thread()
    assert host.session is not first and host.mode == "demo"
    assert events == [f"closed {id(first)}", "opening"]


def test_stop_waits_until_the_engine_is_closed(qtbot, host: EngineHost) -> None:
    with qtbot.waitSignal(host.ready, timeout=20_000):
        host.start_demo()
    session = host.session
    host.stop()
    assert host.session is None and host.mode is None
    with pytest.raises(LibraryError, match="closed database"):
        session.library.get_image(1)


def test_a_crash_s_leftover_temp_files_are_swept_once_the_engine_runs(qtbot, host: EngineHost,
                                                                     tmp_path: Path) -> None:
    import os

    from fluxdesk.storage.paths import default_library_dir, demo_home

    library = default_library_dir(demo_home(tmp_path))
    library.mkdir(parents=True)
    leftover = library / ".img.jpg.somehost-1-abcd.part"
    leftover.write_bytes(b"half an image")
    two_hours_ago = time.time() - 7200
    os.utime(leftover, (two_hours_ago, two_hours_ago))
    with qtbot.waitSignal(host.ready, timeout=20_000):
        host.start_demo()
    qtbot.waitUntil(lambda: not leftover.exists(), timeout=5000)


def test_quick_demo_and_real_toggles_leave_the_workers_free(qtbot, host: EngineHost,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fluxdesk.storage.settings import Settings

    real_close = Session.close

    def slow_close(self: Session) -> None:
        time.sleep(0.3)
        real_close(self)

    monkeypatch.setattr(Session, "close", slow_close)
    monkeypatch.delenv("FLUXDESK_API_BASE", raising=False)
    with qtbot.waitSignal(host.ready, timeout=20_000):
        host.start_demo()
    for _ in range(3):  # each start closes the engine before: a queue of slow closes and opens
        host.start_real(None, Settings())
        host.start_demo()
    answers: list[str] = []
    started = time.monotonic()
    TaskManager.instance().run_in_background(lambda: "answered", answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=1000)  # not behind the closes: no worker is parked waiting
    assert time.monotonic() - started < 1.0
    with qtbot.waitSignal(host.ready, timeout=20_000):
        pass  # the last start still comes up, after every close
    assert host.mode == "demo" and host.session is not None


def test_key_tests_share_one_network_thread_that_stop_ends(qtbot, host: EngineHost,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fluxdesk.storage.settings import Settings

    monkeypatch.setenv("FLUXDESK_API_BASE", "http://127.0.0.1:9")  # nothing listens: refused at once
    before = set(threading.enumerate())
    test = host.key_tester(Settings())
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the thread is what is tested
            test("bfl-key").result(timeout=10)
    key_threads = [t for t in set(threading.enumerate()) - before if t.name == "fluxdesk-key-test"]
    assert len(key_threads) == 1
    host.stop()
    assert not key_threads[0].is_alive()


def test_a_host_that_is_never_stopped_ends_its_key_test_thread_when_destroyed(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QObject

    from fluxdesk.storage.settings import Settings

    owner = QObject()
    host = EngineHost(tmp_path, parent=owner)
    before = set(threading.enumerate())
    future = host.key_tester(Settings())("bfl-key")
    future.cancel()
    [thread] = [t for t in set(threading.enumerate()) - before if t.name == "fluxdesk-key-test"]
    owner.deleteLater()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
