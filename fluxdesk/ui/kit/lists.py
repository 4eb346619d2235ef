"""List views that paint their items from one Python call, say what they will hold while they are empty, and open
their current item on Enter.

Why one call: left to QListView, Qt's C++ calls the delegate once per item, and each call takes the GIL back from
whichever thread holds it meanwhile. While a batch downloads (network, storage and thumbnail threads busy) that is
up to a switch interval per item: a screenful of rows or tiles took 30-100 ms, the window's longest stalls.
``paint_items`` hands every visible item to the delegate from Python, with the states QListView gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QPainter, QPaintEvent, QPalette, QRegion
from PySide6.QtWidgets import QListView, QStyle, QStyleOptionViewItem, QWidget

from fluxdesk.ui.kit.scroll_page import own_viewport


def paint_items(view: QListView, painter: QPainter, region: QRegion, rows: Iterable[int]) -> None:
    """Paint ``rows`` of ``view`` that meet ``region`` through its delegate: selected, under the mouse and current
    (with focus) as QListView would say."""
    model = view.model()
    delegate = view.itemDelegate()
    if model is None or delegate is None:
        return
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    plain = option.state
    selection = view.selectionModel()
    current = view.currentIndex() if view.hasFocus() else None
    viewport = view.viewport()
    hovered = view.indexAt(viewport.mapFromGlobal(QCursor.pos())) if viewport.underMouse() else None
    for row in rows:
        index = model.index(row, 0)
        rect = view.visualRect(index)
        if not rect.isValid() or not region.intersects(rect):
            continue
        state = plain
        if selection is not None and selection.isSelected(index):
            state |= QStyle.StateFlag.State_Selected
        if index == hovered:
            state |= QStyle.StateFlag.State_MouseOver
        if index == current:
            state |= QStyle.StateFlag.State_HasFocus
        option.rect, option.state = rect, state
        delegate.paint(painter, option, index)


def rows_in_flow(view: QListView, area: QRect) -> range:
    """The rows of a one-line list (top to bottom, or left to right without wrapping) that meet ``area``: items
    follow each other along the flow, so two binary searches over their rectangles find them."""
    model = view.model()
    count = model.rowCount() if model is not None else 0
    across = view.flow() == QListView.Flow.LeftToRight

    def before(row: int) -> bool:  # the item ends before the area starts
        rect = view.visualRect(model.index(row, 0))
        return (rect.right() if across else rect.bottom()) < (area.left() if across else area.top())

    def after(row: int) -> bool:  # the item starts after the area ends
        rect = view.visualRect(model.index(row, 0))
        return (rect.left() if across else rect.top()) > (area.right() if across else area.bottom())

    def first(beyond: Callable[[int], bool], lo: int) -> int:
        hi = count
        while lo < hi:
            mid = (lo + hi) // 2
            if beyond(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    start = first(lambda row: not before(row), 0)
    return range(start, first(after, start))


class EmptyAwareList(QListView):
    """``empty_text`` in the placeholder colour while the model has no rows; Enter emits ``enterPressed``; the
    items are painted from one Python call (``paint_items``). For one-line lists (no wrapping)."""

    enterPressed = Signal(QModelIndex)

    def __init__(self, empty_text: str, *, text_margin: int = 16, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_text = empty_text
        self._text_margin = text_margin
        own_viewport(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.enterPressed.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        model = self.model()
        if model is not None and model.rowCount() > 0:
            paint_items(self, painter, event.region(), rows_in_flow(self, event.rect()))
        else:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            area = self.viewport().rect().adjusted(self._text_margin, 0, -self._text_margin, 0)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._empty_text)
        painter.end()
