"""How the tray shows its references: one painted card per reference (a delegate), in a list that is as tall as
its cards, takes drops, and reorders by dragging a card.

A card: the thumbnail; "image 1" and the file's name, what it adds to the price and a × that removes it; its
size and what sending it smaller saved; what preparing it changed; and "Send original" where that would send
something else. A reference the model in use does not take is drawn faded, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QAbstractItemModel, QEvent, QMimeData, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QWidget,
)

from fluxdesk.core.catalog import MEGAPIXEL
from fluxdesk.core.pricing import credits_phrase
from fluxdesk.core.references import ORIGINAL_MAX_PIXELS
from fluxdesk.core.request import references_limit_text
from fluxdesk.ui.generate.references import ReferenceModel, ReferenceRoles, is_row_drag
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.forms import paint_close
from fluxdesk.ui.kit.item_models import ModelIndex
from fluxdesk.ui.kit.lists import paint_items, rows_in_flow
from fluxdesk.ui.kit.scroll_page import own_viewport
from fluxdesk.ui.kit.thumbnails import draw_cropped

PAD = 8
THUMB = 56
GAP = 10
CLOSE = 20
CHECK = 14
SPACING = 4
"""Room between two cards."""
EMPTY_HEIGHT = 0
"""An empty list is not shown (the tray says how to add instead)."""
ORIGINAL_TEXT = f"Send original (up to {ORIGINAL_MAX_PIXELS // MEGAPIXEL} MP)"


def _small(font: QFont) -> QFont:
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    return small


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setWeight(QFont.Weight.DemiBold)
    return bold


@dataclass(frozen=True)
class CardLayout:
    """Where everything of one card goes, relative to the card's top left."""

    height: int
    thumb: QRect
    title: QRect
    close: QRect
    detail: QRect
    notes: QRect | None
    check: QRect | None
    """The box and its words: a click anywhere on them toggles."""


def _notes_text(index: ModelIndex) -> str:
    parts = list(index.data(ReferenceRoles.Notes) or ())
    model = index.model()
    if not index.data(ReferenceRoles.Sendable) and isinstance(model, ReferenceModel):
        parts.insert(0, f"Not sent: {references_limit_text(model.catalog_model())}")
    elif index.data(ReferenceRoles.Experimental) and isinstance(model, ReferenceModel):
        parts.insert(0, f"Experimental with {model.catalog_model().name}")
    return " · ".join(parts)


def card_layout(font: QFont, width: int, index: ModelIndex) -> CardLayout:
    """The layout of the card of ``index`` at ``width`` pixels."""
    small = QFontMetrics(_small(font))
    line = QFontMetrics(_bold(font)).height()
    text_x = PAD + THUMB + GAP
    text_w = max(40, width - text_x - PAD)
    wrap = Qt.TextFlag.TextWordWrap
    y = PAD
    title = QRect(text_x, y, text_w - CLOSE - 4, line)
    close = QRect(width - PAD - CLOSE + 2, y + (line - CLOSE) // 2, CLOSE, CLOSE)
    y += line + 2
    detail_text = _detail_text(index)
    detail_h = small.boundingRect(QRect(0, 0, text_w, 10_000), wrap, detail_text).height()
    detail = QRect(text_x, y, text_w, detail_h)
    y += detail_h
    notes = None
    if notes_text := _notes_text(index):
        y += 2
        notes_h = small.boundingRect(QRect(0, 0, text_w, 10_000), wrap, notes_text).height()
        notes = QRect(text_x, y, text_w, notes_h)
        y += notes_h
    check = None
    if index.data(ReferenceRoles.CanSendOriginal):
        y += 4
        check_h = max(CHECK, small.height())
        check = QRect(text_x, y, CHECK + 6 + small.horizontalAdvance(ORIGINAL_TEXT), check_h)
        y += check_h
    height = max(PAD + THUMB, y) + PAD
    return CardLayout(height, QRect(PAD, PAD, THUMB, THUMB), title, close, detail, notes, check)


def _detail_text(index: ModelIndex) -> str:
    detail = index.data(ReferenceRoles.Detail) or ""
    state = index.data(ReferenceRoles.State)
    if state == "reading":
        return "Reading its size…"
    if state == "preparing":
        return f"Preparing… {detail}"
    return detail[:1].upper() + detail[1:]


class ReferenceDelegate(QStyledItemDelegate):
    """Paints a reference's card and answers clicks on its × and its "Send original" box."""

    removeClicked = Signal(int)
    originalToggled = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pressed: tuple[int, str] | None = None

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        width = _card_width(option)
        return QSize(width, card_layout(option.font, width, index).height + SPACING)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        rect = QRect(option.rect)
        rect.setHeight(rect.height() - SPACING)
        layout = card_layout(option.font, rect.width(), index)
        palette = option.palette
        colors = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.topLeft())
        card = QRectF(0.5, 0.5, rect.width() - 1, rect.height() - 1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        border = QColor(colors.accent) if selected else QColor(colors.border)
        painter.setPen(QPen(border, 1.6 if selected else 1.0))
        painter.setBrush(QColor(colors.base if selected or focused else colors.alternate))
        painter.drawRoundedRect(card, 6, 6)

        sendable = bool(index.data(ReferenceRoles.Sendable))
        if not sendable:
            painter.setOpacity(0.5)
        self._paint_thumb(painter, layout.thumb, index, palette)
        self._paint_title(painter, option.font, layout, index, palette, sendable)
        painter.setFont(_small(option.font))
        state = index.data(ReferenceRoles.State)
        painter.setPen(theme.tone_color("info") if state != "ready" else palette.color(QPalette.ColorRole.Text))
        painter.drawText(layout.detail, int(Qt.TextFlag.TextWordWrap), _detail_text(index))
        if layout.notes is not None:
            painter.setOpacity(1.0)  # why it is not sent is read, not faded
            tone = "warning" if not sendable or index.data(ReferenceRoles.Experimental) else "muted"
            painter.setPen(theme.tone_color(tone))
            painter.drawText(layout.notes, int(Qt.TextFlag.TextWordWrap), _notes_text(index))
            if not sendable:
                painter.setOpacity(0.5)
        if layout.check is not None:
            self._paint_check(painter, option, layout.check, bool(index.data(ReferenceRoles.SendOriginal)))
        painter.setOpacity(1.0)
        painter.translate(layout.close.topLeft())
        painter.scale(layout.close.width() / 16, layout.close.height() / 16)
        paint_close(painter, palette.color(QPalette.ColorRole.PlaceholderText))
        painter.restore()

    @staticmethod
    def _paint_thumb(painter: QPainter, rect: QRect, index: ModelIndex, palette: QPalette) -> None:
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(rect), 4, 4)
        pixmap = index.data(ReferenceRoles.Thumbnail)
        painter.save()
        painter.setClipPath(clip)
        if pixmap is not None and not pixmap.isNull():
            draw_cropped(painter, QRectF(rect), pixmap)
        else:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Mid))
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), "…")
        painter.restore()

    @staticmethod
    def _paint_title(painter: QPainter, font: QFont, layout: CardLayout, index: ModelIndex, palette: QPalette,
                     sendable: bool) -> None:
        rect = layout.title
        credits = index.data(ReferenceRoles.Credits)
        model = index.model()
        priced = isinstance(model, ReferenceModel) and model.catalog_model().references_priced
        price = f"+{credits_phrase(credits)}" if priced and isinstance(credits, Decimal) and sendable else ""
        small = _small(font)
        price_w = QFontMetrics(small).horizontalAdvance(price) if price else 0
        if price:
            painter.setFont(small)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), price)
        bold = _bold(font)
        name = index.data(ReferenceRoles.Name) or ""
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name_w = QFontMetrics(bold).horizontalAdvance(name)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), name)
        label_rect = QRect(rect.left() + name_w + 8, rect.top(), rect.width() - name_w - 8 - price_w - 8, rect.height())
        if label_rect.width() > 20:
            painter.setFont(small)
            painter.setPen(theme.muted_color())
            label = QFontMetrics(small).elidedText(index.data(ReferenceRoles.Label) or "", Qt.TextElideMode.ElideMiddle,
                                                   label_rect.width())
            painter.drawText(label_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label)

    @staticmethod
    def _paint_check(painter: QPainter, option: QStyleOptionViewItem, rect: QRect, checked: bool) -> None:
        box = QStyleOptionButton()
        box.rect = QRect(rect.left(), rect.top() + (rect.height() - CHECK) // 2, CHECK, CHECK)
        box.palette = option.palette
        box.state = QStyle.StateFlag.State_Enabled | (QStyle.StateFlag.State_On if checked
                                                      else QStyle.StateFlag.State_Off)
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorCheckBox, box, painter, widget)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.setFont(_small(option.font))
        words = QRect(rect.left() + CHECK + 6, rect.top(), rect.width() - CHECK - 6, rect.height())
        painter.drawText(words, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), ORIGINAL_TEXT)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem,
                    index: ModelIndex) -> bool:
        if not isinstance(event, QMouseEvent) or event.button() != Qt.MouseButton.LeftButton:
            return False
        if event.type() not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                                QEvent.Type.MouseButtonDblClick):
            return False
        target = self.target_at(option, index, event.position().toPoint())
        if target is None:
            return False
        if event.type() == QEvent.Type.MouseButtonPress:
            self._pressed = (index.row(), target)
        elif event.type() == QEvent.Type.MouseButtonRelease:
            pressed, self._pressed = self._pressed, None
            if pressed == (index.row(), target):
                (self.removeClicked if target == "remove" else self.originalToggled).emit(index.row())
        return True  # a click on the × or the box neither selects nor starts a drag

    def target_at(self, option: QStyleOptionViewItem, index: ModelIndex, pos: QPoint) -> str | None:
        """``"remove"`` or ``"original"`` when ``pos`` (the view's) is on the card's × or its box."""
        local = pos - option.rect.topLeft()
        layout = card_layout(option.font, option.rect.width(), index)
        if layout.close.adjusted(-3, -3, 3, 3).contains(local):
            return "remove"
        if layout.check is not None and layout.check.adjusted(-2, -2, 2, 2).contains(local):
            return "original"
        return None


def _card_width(option: QStyleOptionViewItem) -> int:
    view = option.widget
    if isinstance(view, QAbstractItemView):
        return max(120, view.viewport().width())
    return max(120, option.rect.width())


class ReferenceView(QListView):
    """The tray's list: cards top to bottom, as tall as they are (the panel scrolls, not the list), a drop target
    for files, pictures and gallery images, and drag to reorder."""

    dropped = Signal(object)
    """A drop from outside the tray: its ``QMimeData`` (read it at once: it is the drag's)."""
    reordered = Signal(int, int)
    """A card was dragged from one row to another."""

    def __init__(self, model: ReferenceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        own_viewport(self, fill=False)
        self.setObjectName("referenceList")
        self.setAccessibleName("Reference images")
        self.setModel(model)
        self.delegate = ReferenceDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)  # drawn here: a line where the card will land
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setMouseTracking(True)
        self._drop_row: int | None = None
        self._outside_drag = False
        self._height = -1
        for signal in (model.rowsInserted, model.rowsRemoved, model.rowsMoved, model.modelReset,
                       model.dataChanged, model.layoutChanged):
            signal.connect(self._content_changed)
        self._fit_height()

    # --- as tall as its cards ----------------------------------------------------------------------

    def _content_changed(self, *_args: object) -> None:
        self.scheduleDelayedItemsLayout()  # card heights follow what they say
        self._fit_height()

    def _fit_height(self) -> None:
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        if rows == 0:
            height = EMPTY_HEIGHT
        else:
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.widget = self
            height = sum(self.delegate.sizeHint(option, model.index(r, 0)).height() for r in range(rows))
        height += 2 * self.frameWidth()
        if height != self._height:
            self._height = height
            self.setFixedHeight(height)
        self.verticalScrollBar().setValue(0)

    def scrollTo(self, index: ModelIndex,
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        """The list never scrolls (it is as tall as its cards): the panel around it brings a card into view."""
        self.verticalScrollBar().setValue(0)
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        content = parent.widget() if isinstance(parent, QScrollArea) else None
        if isinstance(parent, QScrollArea) and content is not None and index.isValid():
            rect = self.visualRect(index)
            center = self.viewport().mapTo(content, rect.center())
            parent.ensureVisible(center.x(), center.y(), 0, rect.height() // 2 + 4)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    # --- painting ----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        if rows:
            paint_items(self, painter, event.region(), rows_in_flow(self, event.rect()))
        if self._outside_drag:
            accent = theme.accent_color()
            fill = QColor(accent)
            fill.setAlpha(30)
            painter.setBrush(fill)
            painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(QRectF(self.viewport().rect()).adjusted(1, 1, -1, -1), 6, 6)
        elif self._drop_row is not None and rows:
            painter.setPen(QPen(theme.accent_color(), 2.5))
            y = self._drop_y(self._drop_row)
            painter.drawLine(4, y, self.viewport().width() - 4, y)
        painter.end()

    def _drop_y(self, row: int) -> int:
        model = self.model()
        if row >= model.rowCount():
            return self.visualRect(model.index(model.rowCount() - 1, 0)).bottom() - SPACING // 2
        return max(1, self.visualRect(model.index(row, 0)).top() - SPACING // 2)

    # --- dragging a card, and drops ----------------------------------------------------------------

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        index = self.currentIndex()
        model = self.model()
        if not index.isValid() or model is None:
            return
        drag = QDrag(self)
        drag.setMimeData(model.mimeData([index]))
        pixmap = index.data(ReferenceRoles.Thumbnail)
        if pixmap is not None and not pixmap.isNull():
            drag.setPixmap(pixmap.scaled(48, 48, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))
        drag.exec(Qt.DropAction.MoveAction)  # the drop moved the row itself: nothing to remove afterwards
        self._end_drag()

    def drop_row_at(self, pos: QPoint) -> int:
        """The row a card dropped at ``pos`` lands before (the row count: after the last)."""
        model = self.model()
        index = self.indexAt(pos)
        if not index.isValid():
            return model.rowCount()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.y() > rect.center().y() else 0)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._handle_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._handle_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._end_drag()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if is_row_drag(mime):
            destination = self.drop_row_at(event.position().toPoint())
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
            self._end_drag()
            self._reorder(mime, destination)
            return
        if accepts_drop(mime):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._end_drag()
            self.dropped.emit(mime)
            return
        event.ignore()
        self._end_drag()

    def _reorder(self, mime: QMimeData, destination: int) -> None:
        model = self.model()
        keys = model.row_keys(mime) if isinstance(model, ReferenceModel) else set()
        key = next(iter(sorted(keys)), None)
        rows = [r for r in range(model.rowCount()) if model.index(r, 0).data(ReferenceRoles.Key) == key]
        if not rows:
            return
        source = rows[0]
        to = destination - 1 if destination > source else destination
        if to != source:
            self.reordered.emit(source, to)

    def _handle_drag(self, event: QDragMoveEvent) -> None:
        mime = event.mimeData()
        if is_row_drag(mime):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
            self._show_drop(self.drop_row_at(event.position().toPoint()), outside=False)
        elif accepts_drop(mime):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._show_drop(None, outside=True)
        else:
            event.ignore()
            self._end_drag()

    def _show_drop(self, row: int | None, *, outside: bool) -> None:
        if (row, outside) != (self._drop_row, self._outside_drag):
            self._drop_row, self._outside_drag = row, outside
            self.viewport().update()

    def _end_drag(self) -> None:
        self._show_drop(None, outside=False)

    def is_drop_highlighted(self) -> bool:
        return self._outside_drag


def accepts_drop(mime: QMimeData | None) -> bool:
    """A drop the tray takes: local files, or a picture."""
    if mime is None:
        return False
    if mime.hasImage():
        return True
    return mime.hasUrls() and any(url.isLocalFile() for url in mime.urls())
