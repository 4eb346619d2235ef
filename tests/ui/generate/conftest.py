"""Prompt panels for the tests of this folder: real widgets, the bundled price table, deleted after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from fluxdesk.core.pricing import PriceTable
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.generate.panel import PromptPanel


@pytest.fixture
def make_panel(qtbot, price_table: PriceTable) -> Iterator[Callable[..., PromptPanel]]:
    """Panels deleted right after the test: left for later, each would be re-styled by every theme change."""
    made: list[PromptPanel] = []

    def make(**kwargs) -> PromptPanel:
        made.append(PromptPanel(price_table, **kwargs))
        return made[-1]

    yield make
    TaskManager.instance().wait()  # references still being prepared answer a panel that is still there
    QApplication.processEvents()
    for widget in made:
        widget.close()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def panel(qtbot, make_panel: Callable[..., PromptPanel]) -> PromptPanel:
    widget = make_panel()
    widget.resize(420, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
