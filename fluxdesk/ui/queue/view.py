"""The job queue on screen: a header with counts and actions, and a list painted by ``JobDelegate``.

The view never acts on a job itself: it asks (``cancelRequested``, ``openImage``, ``referenceRequested``) and the
owner decides. What it shows comes only from ``JobQueueModel``'s roles.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.jobs import JobStatus, is_sent
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.item_models import ModelIndex
from fluxdesk.ui.kit.lists import EmptyAwareList
from fluxdesk.ui.kit.surfaces import Banner
from fluxdesk.ui.kit.theme import set_heading, set_tone
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader, draw_cropped, thumbnail_request_size
from fluxdesk.ui.kit.tiles import PixmapCache
from fluxdesk.ui.queue.model import JobQueueModel, Roles, format_elapsed, meta_text

ROW_HEIGHT = 72
PLACEHOLDER_CACHE_BYTES = 4 * 1024 * 1024
THUMB_SIZE = 56
_PAD = 8
_GAP = 12
_BAR_HEIGHT = 3
_CONTENT_RIGHT = _PAD + 4
"""The rows' text ends this far inside the list's right edge."""
EMPTY_TEXT = "Your generations appear here. Type a prompt and press Ctrl+Enter."
SENT_NOTE = ("Jobs already sent to BFL cannot be cancelled — BFL bills them anyway, "
             "and FluxDesk will still save the image.")


def readable_on(color: QColor, background: QColor, minimum: float = 4.5) -> QColor:
    """``color``, lightened or darkened just enough to read as text on ``background``."""
    return QColor.fromRgba(_readable_rgba(color.rgba(), background.rgba(), minimum))


@functools.lru_cache(maxsize=256)
def _readable_rgba(color: int, background: int, minimum: float) -> int:
    # Every row painted asks with the same few colours: the contrast search runs once for each pair.
    result, back = QColor.fromRgba(color), QColor.fromRgba(background)
    dark_background = back.lightness() < 128
    for _ in range(12):
        if theme.contrast_ratio(result, back) >= minimum:
            break
        result = result.lighter(112) if dark_background else result.darker(112)
    return result.rgba()


def tone_color(tone: str) -> QColor:
    """The colour a status of ``tone`` (the model's ``Tone`` role) is written in."""
    return {
        "running": theme.accent_color(),
        "done": theme.success_color(),
        "failed": theme.error_color(),
        "warning": theme.warning_color(),
    }.get(tone, theme.muted_color())


def model_initials(model_id: str) -> str:
    """``flux-2-pro`` → ``2P``, ``flux-kontext-max`` → ``KM``: what the placeholder tile shows."""
    parts = [p for p in model_id.replace("_", "-").split("-") if p and p.lower() != "flux"]
    return "".join(p[0] for p in parts[:3]).upper() or "?"


class JobDelegate(QStyledItemDelegate):
    """Paints one job: thumbnail or placeholder tile, prompt, details, status, elapsed and progress."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._fonts: dict[str, _Fonts] = {}
        self._placeholders = PixmapCache(PLACEHOLDER_CACHE_BYTES)
        """Placeholder tiles drawn once (rounded, washed, lettered) and blitted in every row that shows them."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(max(option.rect.width(), 320), ROW_HEIGHT)

    def _fonts_for(self, font: QFont) -> _Fonts:
        key = font.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            fonts = self._fonts[key] = _Fonts(font)
        return fonts

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._paint_background(painter, option)
        rect = option.rect
        tile = QRect(rect.left() + _PAD, rect.top() + (rect.height() - THUMB_SIZE) // 2, THUMB_SIZE, THUMB_SIZE)
        self._paint_tile(painter, option, index, tile)
        content = QRect(tile.right() + 1 + _GAP, rect.top(), 0, rect.height())
        content.setRight(rect.right() - _CONTENT_RIGHT)
        self._paint_texts(painter, option, index, content)
        painter.restore()

    # --- pieces ---------------------------------------------------------------------------------

    def _paint_background(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        plain = QStyleOptionViewItem(option)
        plain.text = ""
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, plain, painter, widget)
        if not option.state & QStyle.StateFlag.State_Selected:
            line = QColor(option.palette.color(QPalette.ColorRole.Mid))
            line.setAlphaF(0.6)
            painter.setPen(line)
            bottom = option.rect.bottom()
            painter.drawLine(option.rect.left() + _PAD, bottom, option.rect.right() - _PAD, bottom)

    def _paint_tile(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex, tile: QRect) -> None:
        path = index.data(Roles.ImagePath) or ""
        pixmap = self._thumbnails.get(path, thumbnail_request_size(option.widget)) if path else None
        if pixmap is not None and not pixmap.isNull():
            clip = QPainterPath()
            clip.addRoundedRect(QRectF(tile), 6, 6)
            painter.save()
            painter.setClipPath(clip)
            draw_cropped(painter, QRectF(tile), pixmap)
            painter.restore()
            return
        self._paint_placeholder(painter, option, index, tile, missing=bool(path and self._thumbnails.error(path)))

    def _paint_placeholder(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex, tile: QRect,
                           *, missing: bool) -> None:
        tone = index.data(Roles.Tone) or ""
        text = "Missing" if missing else model_initials(index.data(Roles.Model) or "")
        ratio = painter.device().devicePixelRatioF() or 1.0
        key = (tone, text, missing, option.palette.cacheKey(), option.font.key(), tile.width(), tile.height(), ratio)
        pixmap = self._placeholders.get(key, tile.size(), ratio,
                                        lambda p: self._draw_placeholder(p, option, tile.size(), tone, text, missing))
        painter.drawPixmap(tile.topLeft(), pixmap)

    def _draw_placeholder(self, painter: QPainter, option: QStyleOptionViewItem, size: QSize, tone: str, text: str,
                          missing: bool) -> None:
        tile = QRect(0, 0, size.width(), size.height())
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(tile), 6, 6)
        palette = option.palette
        tint = tone_color(tone)
        fill = QColor(palette.color(QPalette.ColorRole.AlternateBase))
        painter.fillPath(clip, fill)
        wash = QColor(tint)
        wash.setAlphaF(0.14)
        painter.fillPath(clip, wash)
        painter.setPen(QColor(palette.color(QPalette.ColorRole.Mid)))
        painter.drawPath(clip)
        font = QFont(option.font)
        if missing:
            font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        else:
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.setFont(font)
        painter.setPen(readable_on(tint, fill, 3.0))
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_texts(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex, box: QRect) -> None:
        pens = _Pens.for_row(option, index.data(Roles.Tone) or "")
        fonts = self._fonts_for(option.font)
        main_font, small_font, main_fm, small_fm = fonts.main, fonts.small, fonts.main_metrics, fonts.small_metrics
        status = index.data(Roles.StatusText) or ""
        # A short status sits on the right of the prompt; a long one (a failure's reason) gets a line of
        # its own rather than being cut to "Outcome unknown — may be bi…".
        inline = main_fm.horizontalAdvance(status) <= box.width() * 0.45
        heights = [main_fm.height(), small_fm.height()] + ([] if inline else [small_fm.height()])
        lines = _stack(box, heights, gap=3)

        prompt_right = box.right()
        if inline:
            status_rect = _draw_right(painter, lines[0], status, main_font, main_fm, pens.status)
            prompt_right = status_rect.left() - _GAP
        else:
            _draw_left(painter, lines[2], status, small_font, small_fm, pens.status, lines[2].right())
        prompt = " ".join((index.data(Roles.Prompt) or "A job from an earlier session").split())
        _draw_left(painter, lines[0], prompt, main_font, main_fm, pens.text, prompt_right)

        elapsed_rect = _draw_right(painter, lines[1], format_elapsed(index.data(Roles.Elapsed)), small_font, small_fm,
                                   pens.muted)
        meta = meta_text(index.data(Roles.Model) or "", index.data(Roles.Seed), index.data(Roles.Cost))
        _draw_left(painter, lines[1], meta, small_font, small_fm, pens.muted, elapsed_rect.left() - _GAP)

        if inline and index.data(Roles.Status) == "submitted" and index.data(Roles.IsActive):
            bar = QRect(box.left(), lines[-1].bottom() + 7, box.width(), _BAR_HEIGHT)
            self._paint_progress(painter, bar, index.data(Roles.Progress), pens.status, option.palette)

    def _paint_progress(self, painter: QPainter, bar: QRect, progress: float | None, color: QColor,
                        palette: QPalette) -> None:
        track = QColor(palette.color(QPalette.ColorRole.Mid))
        track.setAlphaF(0.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(QRectF(bar), 1.5, 1.5)
        if progress is None:
            return  # BFL has not said yet: an empty track rather than a made-up number
        filled = QRectF(bar)
        filled.setWidth(bar.width() * min(1.0, max(0.0, progress)))
        painter.setBrush(color)
        painter.drawRoundedRect(filled, 1.5, 1.5)


class _Fonts:
    """A row's two fonts and their metrics, made once for each font the view paints with."""

    def __init__(self, font: QFont) -> None:
        self.main, self.small = QFont(font), QFont(font)
        self.small.setPointSizeF(max(7.0, self.small.pointSizeF() * 0.9))
        self.main_metrics, self.small_metrics = QFontMetrics(self.main), QFontMetrics(self.small)


class _Pens:
    """The text colours of one row: plain, muted and the status's tone, readable on its background."""

    def __init__(self, text: QColor, muted: QColor, status: QColor) -> None:
        self.text, self.muted, self.status = text, muted, status

    @classmethod
    def for_row(cls, option: QStyleOptionViewItem, tone: str) -> _Pens:
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            text = palette.color(QPalette.ColorRole.HighlightedText)
            muted = QColor(text)
            muted.setAlphaF(0.82)
            return cls(text, muted, text)
        background = palette.color(QPalette.ColorRole.Base)
        return cls(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.PlaceholderText),
                   readable_on(tone_color(tone), background))


def _stack(box: QRect, heights: list[int], gap: int) -> list[QRect]:
    """Lines of ``heights`` stacked with ``gap`` between them, centred vertically in ``box``."""
    top = box.top() + (box.height() - sum(heights) - gap * (len(heights) - 1)) // 2
    lines = []
    for height in heights:
        lines.append(QRect(box.left(), top, box.width(), height))
        top += height + gap
    return lines


def _draw_left(painter: QPainter, line: QRect, text: str, font: QFont, metrics: QFontMetrics, color: QColor,
               right: int) -> None:
    """``text`` from the line's left edge to ``right``, elided to fit."""
    width = max(0, right - line.left() + 1)
    painter.setFont(font)
    painter.setPen(color)
    painter.drawText(QRect(line.left(), line.top(), width, line.height()),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))


def _draw_right(painter: QPainter, line: QRect, text: str, font: QFont, metrics: QFontMetrics,
                color: QColor) -> QRect:
    """``text`` against the line's right edge; answers the rectangle it took."""
    width = metrics.horizontalAdvance(text) + 2 if text else 0
    rect = QRect(line.right() - width + 1, line.top(), width, line.height())
    painter.setFont(font)
    painter.setPen(color)
    painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
    return rect


class _JobList(EmptyAwareList):
    """The list itself: the empty state, and Delete/Enter turned into requests."""

    deletePressed = Signal()

    def __init__(self) -> None:
        super().__init__(EMPTY_TEXT, text_margin=24)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.deletePressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class QueueView(QWidget):
    """The queue panel: "Queue", counts, Clear finished, Cancel, and the jobs newest first."""

    cancelRequested = Signal(str)
    """A waiting job the user wants cancelled (the pipeline decides; a sent job is never cancelled)."""
    openImage = Signal(str)
    """The saved image of a done job, to open."""
    referenceRequested = Signal(str, object)
    """``(file, library image id or None)``: a done job's image, wanted as a reference in the prompt panel."""

    def __init__(self, model: JobQueueModel, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._thumbnails = thumbnails
        self._was_empty = True
        self._build()
        self._connect()
        self._refresh()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.title_label = QLabel("Queue")
        set_heading(self.title_label)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("queueCounts")
        set_tone(self.counts_label, "muted")
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setObjectName("clearFinishedButton")
        self.clear_button.setToolTip("Remove the jobs that have ended from this list (the images stay in the library)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelJobsButton")
        self.cancel_button.setToolTip("Cancel the selected jobs that are still waiting (Delete)")
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title_label)
        header.addWidget(self.counts_label)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        header.addWidget(self.cancel_button)
        layout.addLayout(header)

        self.note = Banner("info")
        self.note.setObjectName("sentJobNote")
        note_layout = QHBoxLayout(self.note)
        note_layout.setContentsMargins(10, 6, 10, 6)
        self.note_label = QLabel(SENT_NOTE)
        self.note_label.setWordWrap(True)
        note_layout.addWidget(self.note_label)
        self.note.hide()
        layout.addWidget(self.note)

        self.list_view = _JobList()
        self.list_view.setObjectName("queueList")
        self.list_view.setModel(self._model)
        self.list_view.setItemDelegate(JobDelegate(self._thumbnails, self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.setAccessibleName("Job queue")
        layout.addWidget(self.list_view, 1)
        # The buttons' right edge lines up with the rows' status column: the list's frame may meet the window's
        # edge, the buttons never do. The title stays flush left, over the list and "Latest images" alike.
        header.setContentsMargins(0, 0, self.list_view.frameWidth() + _CONTENT_RIGHT, 0)

    def _connect(self) -> None:
        model = self._model
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged):
            signal.connect(self._refresh)
        model.dataChanged.connect(self._on_data_changed)
        self.list_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.list_view.doubleClicked.connect(self._open_index)
        self.list_view.enterPressed.connect(self._open_index)
        self.list_view.deletePressed.connect(self.cancel_selected)
        self.list_view.customContextMenuRequested.connect(self._show_context_menu)
        self.clear_button.clicked.connect(self._model.clear_finished)
        self.cancel_button.clicked.connect(self.cancel_selected)
        model.follow_thumbnails(self._thumbnails)  # the model says which rows a thumbnail repaints

    # --- actions ----------------------------------------------------------------------------------

    def selected_indexes(self) -> list[QModelIndex]:
        """The selected rows, top first."""
        return sorted(self.list_view.selectionModel().selectedRows(), key=QModelIndex.row)

    def cancel_selected(self) -> list[str]:
        """Ask to cancel every selected job that is still waiting; answer their ids."""
        return self._request_cancel(self.selected_indexes())

    def _request_cancel(self, indexes: list[QModelIndex]) -> list[str]:
        job_ids = self._cancellable(indexes)
        for job_id in job_ids:
            self.cancelRequested.emit(job_id)
        return job_ids

    @staticmethod
    def _cancellable(indexes: list[QModelIndex]) -> list[str]:
        return [index.data(Roles.JobId) for index in indexes if index.data(Roles.Cancellable)]

    def _open_index(self, index: QModelIndex) -> None:
        path = index.data(Roles.ImagePath) if index.isValid() else ""
        if path:
            self.openImage.emit(path)

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        """The menu for the row at ``index`` (Cancel acts on the whole selection when the row is in it)."""
        menu = QMenu(self)
        selection = self.selected_indexes()
        targets = [i.data(Roles.JobId) for i in (selection if index in selection else [index])]
        # Job ids, not indexes: rows may move while the menu is open, and a job may be sent meanwhile.
        cancel = menu.addAction("Cancel", lambda: self._request_cancel(self._indexes_of(targets)))
        cancel.setEnabled(bool(self._cancellable(self._indexes_of(targets))))
        path = index.data(Roles.ImagePath) or ""
        open_image = menu.addAction("Open image", lambda: self.openImage.emit(path))
        open_image.setEnabled(bool(path))
        image_id = index.data(Roles.ImageId)
        use = menu.addAction("Use as reference", lambda: self.referenceRequested.emit(path, image_id))
        use.setEnabled(bool(path))
        use.setToolTip("Add the image to the prompt panel's references, to make a new image from it")
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        error = index.data(Roles.Error) or ""
        copy_error = menu.addAction("Copy error", lambda: QGuiApplication.clipboard().setText(error))
        copy_error.setEnabled(bool(error))
        seed = index.data(Roles.Seed)
        copy_seed = menu.addAction("Copy seed", lambda: QGuiApplication.clipboard().setText(str(seed)))
        copy_seed.setEnabled(seed is not None)
        return menu

    def _indexes_of(self, job_ids: list[str]) -> list[QModelIndex]:
        rows = (self._model.row_for(job_id) for job_id in job_ids)
        return [self._model.index(row) for row in rows if row >= 0]

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.list_view.indexAt(pos)
        if not index.isValid():
            return
        menu = self.build_context_menu(index)
        menu.exec(self.list_view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # --- keeping the header true ------------------------------------------------------------------

    def _on_data_changed(self, _top: QModelIndex, _bottom: QModelIndex, roles: list[int]) -> None:
        if list(roles) != [int(Roles.Elapsed)]:  # the clock ticking changes no count or button
            self._refresh()

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._refresh()

    def _refresh(self) -> None:
        model = self._model
        self.counts_label.setText(self._counts_text())
        self.clear_button.setEnabled(model.finished_count() > 0)
        selection = self.selected_indexes()
        self.cancel_button.setEnabled(bool(self._cancellable(selection)))
        sent = any(is_sent(JobStatus(i.data(Roles.Status))) and i.data(Roles.IsActive) for i in selection)
        self.note.setVisible(sent)
        empty = model.rowCount() == 0
        if empty != self._was_empty:
            self._was_empty = empty
            self.list_view.viewport().update()  # the empty-state text comes or goes

    def _counts_text(self) -> str:
        model = self._model
        running, waiting = model.running_count(), model.waiting_count()
        parts = [f"{running} running"] if running else []
        if waiting:
            parts.append(f"{waiting} waiting")
        if not parts and model.rowCount():
            return "All finished"
        return " · ".join(parts)
