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


def _shown_list(qtbot, rows: int, *, across: bool) -> EmptyAwareList:
    from PySide6.QtWidgets import QListView

    view = EmptyAwareList("nothing yet")
    qtbot.addWidget(view)
    view.setModel(QStringListModel([f"row {i}" for i in range(rows)]))
    if across:
        view.setFlow(QListView.Flow.LeftToRight)
        view.setWrapping(False)
    view.resize(160, 90)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_rows_in_flow_finds_exactly_the_rows_an_area_meets(qtbot) -> None:
    from fluxdesk.ui.kit.lists import rows_in_flow

    for across in (False, True):
        view = _shown_list(qtbot, 200, across=across)
        bar = view.horizontalScrollBar() if across else view.verticalScrollBar()
        for value in (0, bar.maximum() // 3, bar.maximum()):
            bar.setValue(value)
            area = view.viewport().rect()
            meets = [row for row in range(200) if view.visualRect(view.model().index(row, 0)).intersects(area)]
            assert list(rows_in_flow(view, area)) == meets and meets


def test_the_rows_are_painted_with_their_text_and_the_selected_one_highlighted(qtbot) -> None:
    from PySide6.QtGui import QPalette

    view = _shown_list(qtbot, 3, across=False)
    blank = _ink(view)
    assert blank > 20  # the three rows' words
    view.setCurrentIndex(view.model().index(1, 0))
    image = view.viewport().grab().toImage()
    rect = view.visualRect(view.model().index(1, 0))
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    assert image.pixelColor(rect.right() - 3, rect.center().y()) == highlight
