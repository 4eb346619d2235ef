"""How the app starts: ``fluxdesk`` with no arguments goes straight to the window (no parser built), and
``start_window`` shows it with its error reporter, the collector paused while start-up's objects are made."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import pytest

import fluxdesk.cli as cli
from fluxdesk.app import collector_paused_for_start_up, start_window


def test_fluxdesk_with_no_arguments_opens_the_window_without_building_a_parser(monkeypatch) -> None:
    opened = []

    def no_parser(**_kwargs: object) -> None:
        raise AssertionError("no parser is built for the window")

    monkeypatch.setattr(cli, "build_parser", no_parser)
    monkeypatch.setattr(cli, "run_app", lambda args: opened.append(args) or 0)
    assert cli.main([]) == 0 and opened == [None]


def test_the_collector_waits_through_start_up_and_what_it_made_is_frozen() -> None:
    frozen_before = gc.get_freeze_count()
    try:
        with collector_paused_for_start_up():
            assert not gc.isenabled()
            made = [[] for _ in range(1_000)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen_before + len(made)
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("qapp")
def test_start_window_shows_the_window_with_its_error_reporter(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path))
    monkeypatch.setenv("FLUXDESK_API_BASE", "http://127.0.0.1:9/v1")  # a loopback simulator: demo library
    hook = sys.excepthook
    _app, window, reporter = start_window(tmp_path, demo=True)
    try:
        assert window.isVisible() and gc.isenabled()
        assert sys.excepthook == reporter.hook
        assert not (tmp_path / "logs").exists()  # the log file comes with its first record
        qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    finally:
        reporter.uninstall()
        gc.unfreeze()
        log = logging.getLogger("fluxdesk")
        for handler in list(log.handlers):
            log.removeHandler(handler)
            handler.close()
        window.controller.begin_closing()
        window.close()
        window.shutdown()
    assert sys.excepthook == hook
