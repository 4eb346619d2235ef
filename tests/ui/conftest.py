"""Fixtures for the widget tests: headless Qt, the bundled price table, a clean theme afterwards, and the real
window on the demo simulator (``make_window``) with an in-memory keyring (``key_store``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring_support import MemoryKeyring
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from fluxdesk.app import build_window
from fluxdesk.core.pricing import PriceTable
from fluxdesk.storage.price_table import bundled_price_table
from fluxdesk.storage.secrets import KeyStore
from fluxdesk.storage.settings import Settings, load_settings
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.main_window import MainWindow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication


@pytest.fixture(autouse=True)
def no_background_work_left() -> Iterator[None]:
    """Fail a test that leaves background calls running once its own teardown is over (after a short grace):
    work left behind runs into the next test, against files and objects already gone."""
    yield
    if QCoreApplication.instance() is not None and not TaskManager.instance().wait(timeout=2.0):
        pytest.fail("background work is still running after the test: wait for it, or stop what started it")


@pytest.fixture(scope="session")
def price_table() -> PriceTable:
    return bundled_price_table()


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[QApplication]:
    """Put back the style, palette, stylesheet and colour scheme a test's ``apply_theme`` changed."""
    style, palette, sheet = qapp.style().name() or "fusion", qapp.palette(), qapp.styleSheet()
    props = {name: qapp.property(name) for name in ("fluxdeskTheme", "fluxdeskDark")}
    yield qapp
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(Qt.ColorScheme.Unknown)
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    for name, value in props.items():
        qapp.setProperty(name, value)


@pytest.fixture
def key_store() -> KeyStore:
    return KeyStore(backend=MemoryKeyring(), environ={})


@pytest.fixture
def make_window(qtbot, tmp_path: Path, key_store: KeyStore) -> Iterator:
    windows: list[MainWindow] = []

    def make(*, demo: bool = True, settings: Settings | None = None, latency: float = 0.3,
             confirm_over_budget: Callable | None = None) -> MainWindow:
        window = build_window(tmp_path, settings or load_settings(tmp_path), key_store, demo=demo,
                              demo_latency=latency, confirm_over_budget=confirm_over_budget)
        # pytest-qt closes the window before this fixture's teardown runs: no "jobs still running?" then either.
        qtbot.addWidget(window, before_close_func=lambda w: w.controller.begin_closing())
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.controller.begin_closing()  # no "jobs still running?" question at teardown
        window.close()
        window.shutdown()
    TaskManager.instance().wait()
