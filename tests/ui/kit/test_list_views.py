"""The queue's and the strip's list: the empty state is written in the view, Enter opens the current item."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QImage

from fluxdesk.ui.kit.lists import EmptyAwareList


def _ink(view: EmptyAwareList) -> int:
    """How many pixels of the viewport differ from its top-left corner (its background)."""
    image = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = image.pixel(0, 0)
    return sum(image.pixel(x, y) != background for x in range(0, image.width(), 2)
               for y in range(0, image.height(), 2))


def test_the_empty_text_shows_only_while_there_is_nothing(qtbot) -> None:
    model = QStringListModel()
    view = EmptyAwareList("Your generations appear here.")
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(300, 120)
    view.show()
    assert _ink(view) > 50
    model.setStringList([""])  # one row, nothing drawn in it
    assert _ink(view) < 5


def test_enter_opens_the_current_item(qtbot) -> None:
    model = QStringListModel(["a teapot", "a lighthouse"])
    view = EmptyAwareList("nothing")
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    qtbot.keyClick(view, Qt.Key.Key_Return)  # nothing current yet: nothing to open
    view.setCurrentIndex(model.index(1, 0))
    with qtbot.waitSignal(view.enterPressed) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args[0].row() == 1
