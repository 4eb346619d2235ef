"""Fixtures for the widget tests: headless Qt, the bundled price table, a clean theme afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from fluxdesk.core.pricing import PriceTable
from fluxdesk.storage.price_table import bundled_price_table

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

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
