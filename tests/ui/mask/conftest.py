"""Mask editors and Expand choosers for the tests of this folder: real widgets, shown, deleted after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.mask.editor import MaskEditor
from fluxdesk.ui.mask.expand import ExpandChooser


def _shown(qtbot, widget: QWidget, width: int, height: int) -> Iterator[QWidget]:
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    TaskManager.instance().wait()  # an image still being read answers a widget that is still there
    QApplication.processEvents()
    widget.close()
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def editor(qtbot) -> Iterator[QWidget]:
    yield from _shown(qtbot, MaskEditor(), 900, 700)


@pytest.fixture
def chooser(qtbot) -> Iterator[QWidget]:
    yield from _shown(qtbot, ExpandChooser(), 1000, 640)
