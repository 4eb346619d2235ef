"""The engine host: switching engines never blocks the window, and the old one is closed first."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from fluxdesk.services.session import Session
from fluxdesk.storage.db import LibraryError
from fluxdesk.ui.engine.host import EngineHost
from fluxdesk.ui.engine.tasks import wait_for_background_work


@pytest.fixture
def host(qtbot, tmp_path: Path):
    engine = EngineHost(tmp_path, demo_latency=0.2)
    yield engine
    engine.stop()
    wait_for_background_work()


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
