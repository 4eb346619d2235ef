"""Surfaces painted from the theme's colours: section cards (plain and titled), message banners, the accent button.

They paint themselves instead of being styled by an application stylesheet, which would route every
widget of the app through QStyleSheetStyle (~25 ms of the window's start-up; docs/performance.md).
Colours are read at paint time, so a theme change repaints them right without any bookkeeping.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.ui.kit import theme

BANNER_KINDS = ("info", "warning", "error")
_BANNER_ALPHA = {"info": (0.12, 0.55), "warning": (0.14, 0.6), "error": (0.12, 0.6)}
"""Fill and border opacity of each banner kind's colour."""
_SQUEEZED_PADDING = 6
"""The accent button's padding each side when its layout gives it less than it asked for."""


def paint_rounded(widget: QWidget, fill: QColor, border: QColor, radius: float, border_width: float = 1.0) -> QPainter:
    """Fill ``widget`` with a rounded rectangle and its border; answers the painter for more drawing."""
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    inset = border_width / 2
    painter.setPen(QPen(border, border_width))
    painter.setBrush(fill)
    painter.drawRoundedRect(QRectF(widget.rect()).adjusted(inset, inset, -inset, -inset), radius, radius)
    return painter


def _with_alpha(color: str, alpha: float) -> QColor:
    value = QColor(color)
    value.setAlphaF(alpha)
    return value


class Card(QFrame):
    """A section card: the card colour inside a subtle rounded border."""

    RADIUS = 8.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def paintEvent(self, event: QPaintEvent) -> None:
        colors = theme.colors()
        paint_rounded(self, QColor(colors.card), QColor(colors.border), self.RADIUS).end()


class TitledCard(Card):
    """A card with a heading over its body: every titled card of the app has these margins and spacing.

    Rows go in ``body``; ``header`` is the heading's row, for controls beside it (a filter, a count).
    The card's accessible name follows its title.
    """

    MARGINS = (12, 10, 12, 12)
    SPACING = 6

    def __init__(self, title: str, name: str, parent: QWidget | None = None, *, title_scale: float = 1.0) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(*self.MARGINS)
        self.body.setSpacing(self.SPACING)
        self.title_label = QLabel()
        self.title_label.setObjectName(f"{name}Title")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_heading(self.title_label)
        if title_scale != 1.0:
            font = self.title_label.font()
            font.setPointSizeF(font.pointSizeF() * title_scale)
            self.title_label.setFont(font)
        self.header = QHBoxLayout()
        self.header.setContentsMargins(0, 0, 0, 0)
        self.header.setSpacing(8)
        self.header.addWidget(self.title_label)
        self.body.addLayout(self.header)
        self.set_title(title)

    def set_title(self, title: str) -> None:
        self.title_label.setText(title)
        self.setAccessibleName(title)


class Banner(QFrame):
    """An inline message strip tinted by its kind: info, warning or error."""

    RADIUS = 6.0

    def __init__(self, kind: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._kind = "info"
        self.set_kind(kind)

    def kind(self) -> str:
        return self._kind

    def set_kind(self, kind: str) -> None:
        if kind not in BANNER_KINDS:
            raise ValueError(f"unknown message kind {kind!r}; choose one of {', '.join(BANNER_KINDS)}")
        self._kind = kind
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        tone = getattr(theme.colors(), self._kind)
        fill, border = _BANNER_ALPHA[self._kind]
        paint_rounded(self, _with_alpha(tone, fill), _with_alpha(tone, border), self.RADIUS).end()


class AccentButton(QPushButton):
    """The one prominent action of a view (Generate): white on the accent colour, a ring when focused."""

    RADIUS = 6.0
    PADDING = QSize(16, 8)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        font = self.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)  # repaint on mouse enter and leave

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(self.text()) + 2 * self.PADDING.width() + 2
        return QSize(width, metrics.height() + 2 * self.PADDING.height() + 2)

    def minimumSizeHint(self) -> QSize:
        # Squeezed, the padding gives way first, then the text is elided.
        hint = self.sizeHint()
        squeezed = self.fontMetrics().horizontalAdvance(self.text()) + 2 * _SQUEEZED_PADDING
        return QSize(min(hint.width(), squeezed), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        colors = theme.colors()
        border_width = 1.0
        if not self.isEnabled():
            fill, text, border = colors.disabled_base, colors.disabled_text, colors.border
        else:
            fill = (colors.accent_pressed if self.isDown()
                    else colors.accent_hover if self.underMouse() else colors.accent)
            text, border = colors.accent_text, colors.accent_pressed
            if self.hasFocus():
                border, border_width = colors.text, 2.0
        painter = paint_rounded(self, QColor(fill), QColor(border), self.RADIUS, border_width)
        painter.setPen(QColor(text))
        room = self.rect().adjusted(_SQUEEZED_PADDING, 0, -_SQUEEZED_PADDING, 0)  # centred: wide, it has padding
        label = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room.width())
        painter.drawText(room, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()


def card_table(model: QAbstractItemModel, name: str) -> QTableView:
    """A table on a card: no grid, frame or row numbers; the first column takes the room, the figures theirs."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.setShowGrid(False)
    view.setFrameShape(QFrame.Shape.NoFrame)
    # The card shows through. Not a stylesheet: that freezes the header's palette at the theme it was
    # polished in, so a live theme switch left a light header on dark rows.
    view.viewport().setAutoFillBackground(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, model.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return view
