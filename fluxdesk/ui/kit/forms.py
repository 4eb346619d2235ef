"""Building blocks of forms and panels: the one label factory, the one form builder (`Form`), sections, field
error slots, banner, drop overlay, icons."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPaintEvent, QPalette, QPen, QPixmap, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpacerItem,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.surfaces import Banner, Card, TitledCard

OUTLINE_MARGIN = 3
"""Room around a field's input for the red outline drawn when it is invalid."""


def make_label(text: str = "", *, tone: str | None = None, name: str | None = None, accessible: str | None = None,
               wrap: bool = True, small: bool = False, heading: bool = False, scale: float = 1.0) -> QLabel:
    """A plain-text label: the one label factory of the UI.

    ``name`` is its object name, for tests and style sheets (one identifier, no spaces); ``accessible``
    is what a screen reader calls it. ``small`` sets it a size down (never under 7 pt), ``heading``
    makes it a bold section title and ``scale`` enlarges it.
    """
    if name and " " in name:
        raise ValueError(f"object names have no spaces: {name!r} (use accessible= for the readable name)")
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if tone is not None:
        theme.set_tone(label, tone)
    if heading:
        theme.set_heading(label)
    if name:
        label.setObjectName(name)
    if accessible:
        label.setAccessibleName(accessible)
    if small or heading or scale != 1.0:
        font = label.font()
        size = font.pointSizeF() * scale
        font.setPointSizeF(max(7.0, size * 0.9) if small else size)
        if heading:
            font.setBold(True)
        label.setFont(font)
    return label


def show_result(label: QLabel, text: str, tone: str | None) -> None:
    """An action's outcome in ``label``, in ``tone``, read out by screen readers too; empty ``text`` hides it."""
    label.setText(text)
    label.setAccessibleDescription(text)
    theme.set_tone(label, tone)
    label.setVisible(bool(text))


def describe(widget: QWidget, name: str, tip: str, object_name: str | None = None) -> None:
    """Give a control its accessible name, tooltip and (for tests and styling) object name."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip)
    if object_name:
        widget.setObjectName(object_name)


def row(*items: QWidget | int, spacing: int = 6) -> QWidget:
    """Widgets side by side; an int is a stretch factor."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(spacing)
    for item in items:
        if isinstance(item, int):
            layout.addStretch(item)
        else:
            layout.addWidget(item)
    return box


LABEL_WIDTH = 72
"""The prompt panel's label column ("Preset", "Images"): its fields line up from one section to the next."""
WIDE_LABEL_WIDTH = 110
"""The Settings dialog's label column: its labels are longer ("Library folder", "Monthly budget") and its
fields line up from one tab to the next."""


class Form(QFormLayout):
    """Labels beside their fields, notes under them: the one form builder of the UI.

    ``label_width`` is the label column's least width, so fields line up from one form to the next (0: as
    wide as this form's labels). ``spacing`` is the room (across, down) between cells; ``gap`` is room added
    after each row and its notes, to set one setting apart from the next (0, or at least the room down).
    ``field_width`` caps combos and spin boxes (``None``: they take the row). ``pad`` insets a field like a
    ``FieldSlot``'s input, so rows with and without an error slot line up.
    """

    def __init__(self, label_width: int = LABEL_WIDTH, *, spacing: tuple[int, int] = (8, 6), gap: int = 0,
                 field_width: int | None = None, pad: bool = True) -> None:
        super().__init__()
        if 0 < gap < spacing[1]:
            raise ValueError(f"a gap of {gap} px is less than the room down ({spacing[1]} px)")
        self._label_width = label_width
        self._gap = gap
        self._field_width = field_width
        self._pad = pad
        self.setContentsMargins(0, 0, 0, 0)
        self.setHorizontalSpacing(spacing[0])
        self.setVerticalSpacing(spacing[1])
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)

    def add_row(self, label: str | None, field: QWidget, *notes: QWidget, pad: bool | None = None) -> QWidget:
        """A row with a label (its buddy is the field), or a full-width row when ``label`` is None; then
        ``notes`` under the field.

        Answers the widget placed in the form (the one ``QFormLayout.setRowVisible`` knows).
        """
        if self._field_width is not None and isinstance(field, QComboBox | QAbstractSpinBox):
            field.setMaximumWidth(self._field_width)
        placed = field
        if (self._pad if pad is None else pad) and not isinstance(field, FieldSlot):
            placed = QWidget()
            box = QVBoxLayout(placed)
            box.setContentsMargins(OUTLINE_MARGIN, 0, OUTLINE_MARGIN, 0)
            box.addWidget(field)
            placed.setFocusProxy(field)
        if label is None:
            self.addRow(placed)
        else:
            text = QLabel(label)
            text.setMinimumWidth(self._label_width)
            if isinstance(field, QLabel):  # beside text that may wrap, the label lines up with its first line
                text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            text.setBuddy(placed)
            self.addRow(text, placed)
        if notes:
            under = QWidget()
            box = QVBoxLayout(under)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(self.verticalSpacing())
            for note in notes:
                box.addWidget(note)
            # WORKAROUND: a row with no label gives a wrapped note its size hint's height, not the height it
            # needs at its width (a gap under short notes); an empty label in front makes the form ask.
            self.addRow(QWidget(), under)
        if self._gap:  # the form puts its room down on both sides of the spacer
            self.addItem(QSpacerItem(0, self._gap - self.verticalSpacing(), QSizePolicy.Policy.Minimum,
                                     QSizePolicy.Policy.Fixed))
        return placed


class Section(TitledCard):
    """A titled card holding a form."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(title, name, parent)
        self.form = Form()
        self.body.addLayout(self.form)

    def add_row(self, label: str | None, field: QWidget, *, pad: bool = True) -> QWidget:
        return self.form.add_row(label, field, pad=pad)


class FoldingSection(Card):
    """A card for rarely changed controls: a heading button that opens and closes it, and a one-line
    summary of what is inside while it is closed."""

    toggled = Signal(bool)

    def __init__(self, title: str, name: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(title)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 6, 12, 8)
        outer.setSpacing(6)
        self._button = QToolButton()
        self._button.setText(title)
        self._button.setCheckable(True)
        self._button.setAutoRaise(True)
        self._button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._button.setArrowType(Qt.ArrowType.RightArrow)
        theme.set_heading(self._button)
        describe(self._button, title, f"Show or hide {title.lower()}", f"{name}Toggle")
        self._button.toggled.connect(self.set_open)
        self._summary = make_label(tone="muted", name=f"{name}Summary", small=True)
        outer.addWidget(row(self._button, self._summary, spacing=8))
        self._body = body
        outer.addWidget(body)
        body.hide()

    def is_open(self) -> bool:
        return self._button.isChecked()

    def set_open(self, open_: bool) -> None:
        if self._button.isChecked() != open_:
            self._button.setChecked(open_)  # comes back here through ``toggled``
            return
        self._button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self._body.setVisible(open_)
        self._summary.setVisible(not open_)
        self.toggled.emit(open_)

    def set_summary(self, text: str) -> None:
        self._summary.setText(text)


class FieldSlot(QWidget):
    """A control with its error message under it and a red outline around the input at fault.

    One slot may hold several request fields (width and height share a row); each field names
    the input to outline and the word used to start its message.
    """

    def __init__(self, content: QWidget, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Slot")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(OUTLINE_MARGIN, OUTLINE_MARGIN, OUTLINE_MARGIN, 0)
        layout.setSpacing(3)
        layout.addWidget(content)
        self._message = make_label(tone="error", name=f"{name}Error", small=True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setAccessibleName(f"{name} error")
        self._message.hide()
        layout.addWidget(self._message)
        self._note = make_label(tone="warning", name=f"{name}Note", small=True)
        self._note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._note.setAccessibleName(f"{name} note")
        self._note.hide()
        layout.addWidget(self._note)
        self._fields: dict[str, tuple[QWidget, str]] = {}
        self._bad: set[str] = set()
        self.setFocusProxy(content)

    def add_field(self, field: str, target: QWidget, label: str) -> None:
        self._fields[field] = (target, label)

    def fields(self) -> tuple[str, ...]:
        return tuple(self._fields)

    def error_text(self) -> str:
        return self._message.text() if not self._message.isHidden() else ""

    def set_errors(self, messages: Mapping[str, str]) -> None:
        """Show ``field → message`` for this slot's fields; an empty mapping clears the slot."""
        lines = [word_error(self._fields[f][1], m) for f, m in messages.items() if f in self._fields]
        bad = {f for f in messages if f in self._fields}
        text = "\n".join(lines)
        for field, (target, _label) in self._fields.items():
            target.setAccessibleDescription(messages.get(field, "") if field in bad else "")
        if text == self.error_text() and bad == self._bad:
            return
        self._bad = bad
        self._message.setText(text)
        self._message.setVisible(bool(text))
        self.update()

    def set_note(self, text: str, tone: str = "warning") -> None:
        """A line under the control saying what the panel changed on its own, and why; empty hides it."""
        theme.set_tone(self._note, tone)
        self._note.setText(text)
        self._note.setVisible(bool(text))

    def note_text(self) -> str:
        return self._note.text() if not self._note.isHidden() else ""

    def first_bad_target(self) -> QWidget | None:
        for field in self._fields:
            if field in self._bad:
                return self._fields[field][0]
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._bad:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(theme.error_color(), 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for field in self._bad:
            target = self._fields[field][0]
            if not target.isVisible():
                continue
            top_left = target.mapTo(self, QPoint(0, 0))
            rect = QRectF(top_left.x(), top_left.y(), target.width(), target.height())
            painter.drawRoundedRect(rect.adjusted(-1.5, -1.5, 1.5, 1.5), 4, 4)
        painter.end()


class _Clamping:
    """A spin box that lets a typed number past its range, then brings it within the range when editing
    finishes and remembers what was typed (``take_typed``), so the panel can say what it changed.

    A plain spin box refuses the keystroke (99999 stops at 9999) or puts the old value back, without a word.
    """

    _typed: float | None = None
    # A mixin: the spin box's methods come after it in the MRO, where mypy cannot see them (the ignores below).

    def _typed_number(self, text: str) -> float | None:
        core = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()  # type: ignore[attr-defined]
        try:
            number = float(core) if len(core) <= 12 else None
        except ValueError:
            return None
        return number if number is not None and number >= 0 else None

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        result = super().validate(text, pos)  # type: ignore[misc]
        if result[0] == QValidator.State.Invalid and self._typed_number(text) is not None:
            return QValidator.State.Intermediate, text, pos
        return result

    def fixup(self, text: str) -> str:
        number = self._typed_number(text)
        if number is None:
            return super().fixup(text)  # type: ignore[misc]
        low, high = self.minimum(), self.maximum()  # type: ignore[attr-defined]
        value = max(low, min(high, number))
        if value != number:
            self._typed = number
        return f"{self.prefix()}{self.textFromValue(value)}{self.suffix()}"  # type: ignore[attr-defined]

    def take_typed(self) -> float | None:
        """The out-of-range number the user typed before it was brought within range; once."""
        typed, self._typed = self._typed, None
        return typed


class ClampingSpinBox(_Clamping, QSpinBox):
    pass


class ClampingDoubleSpinBox(_Clamping, QDoubleSpinBox):
    pass


def number_text(value: float) -> str:
    return f"{value:g}" if value < 1e9 else f"{value:.0f}"


def clamp_note(label: str, typed: float, used: float, takes: str) -> str:
    """``"Steps 500 is more than FLUX.2 [flex] takes: set to 50, its maximum"``."""
    more = typed > used
    return (f"{label} {number_text(typed)} is {'more' if more else 'less'} than {takes} takes: "
            f"set to {number_text(used)}, {'the maximum' if more else 'the minimum'}")


def word_error(label: str, message: str) -> str:
    """``("Width", "must be …")`` → ``"Width must be …"``; a message that is already a sentence stays."""
    first = message.split(" ", 1)[0]
    if first in {"must", "is", "needs", "takes"}:
        return f"{label} {message}"
    return message[:1].upper() + message[1:]


Painter = Callable[[QPainter, QColor], None]
"""Draws an icon into a 16 × 16 logical box."""


def painted_icon(paint: Painter, color: QColor, size: int = 16) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 16, size / 16)
    paint(painter, color)
    painter.end()
    return QIcon(pixmap)


def paint_dice(p: QPainter, color: QColor) -> None:
    p.setPen(QPen(color, 1.4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(2, 2, 12, 12), 3, 3)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    for x, y in ((5.2, 5.2), (10.8, 5.2), (8, 8), (5.2, 10.8), (10.8, 10.8)):
        p.drawEllipse(QPointF(x, y), 1.25, 1.25)


def paint_swap(p: QPainter, color: QColor) -> None:
    p.setPen(QPen(color, 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(3, 5.5), QPointF(13, 5.5))
    p.drawPolyline([QPointF(10, 2.5), QPointF(13, 5.5), QPointF(10, 8.5)])
    p.drawLine(QPointF(13, 10.5), QPointF(3, 10.5))
    p.drawPolyline([QPointF(6, 7.5), QPointF(3, 10.5), QPointF(6, 13.5)])


def paint_close(p: QPainter, color: QColor) -> None:
    p.setPen(QPen(color, 1.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(4.5, 4.5), QPointF(11.5, 11.5))
    p.drawLine(QPointF(11.5, 4.5), QPointF(4.5, 11.5))


def paint_history(p: QPainter, color: QColor) -> None:
    p.setPen(QPen(color, 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath()
    path.arcMoveTo(QRectF(2.5, 2.5, 11, 11), 160)
    path.arcTo(QRectF(2.5, 2.5, 11, 11), 160, -300)
    p.drawPath(path)
    p.drawPolyline([QPointF(2.2, 3.8), QPointF(2.9, 6.6), QPointF(5.6, 5.9)])
    p.drawPolyline([QPointF(8, 5), QPointF(8, 8), QPointF(10, 9.5)])


def _status_painter(kind: str) -> Painter:
    def paint(p: QPainter, color: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawEllipse(QRectF(1, 1, 14, 14))
        p.setPen(QPen(QColor("#ffffff") if not theme.is_dark() else QColor("#131417"), 1.8,
                      Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        if kind == "info":
            p.drawLine(QPointF(8, 7.2), QPointF(8, 11.5))
            p.drawPoint(QPointF(8, 4.6))
        else:
            p.drawLine(QPointF(8, 4.5), QPointF(8, 8.8))
            p.drawPoint(QPointF(8, 11.4))

    return paint


class IconButton(QToolButton):
    """A tool button whose painted icon follows the palette (light and dark themes)."""

    def __init__(self, paint: Painter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paint = paint
        self.setIconSize(QSize(16, 16))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._refresh_icon()

    def _refresh_icon(self) -> None:
        self.setIcon(painted_icon(self._paint, self.palette().color(QPalette.ColorRole.ButtonText)))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._refresh_icon()
        super().changeEvent(event)


class MessageBanner(Banner):
    """A dismissible message strip: info, warning or error."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("info", parent)
        self.setObjectName("messageBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 6, 8)
        layout.setSpacing(8)
        self._icon = QLabel()
        self._icon.setFixedSize(16, 16)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        self._text = make_label(name="messageText")
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._text, 1)
        self._close = IconButton(paint_close)
        self._close.setAutoRaise(True)
        describe(self._close, "Dismiss message", "Dismiss this message", "messageDismiss")
        self._close.clicked.connect(self.dismiss)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.set_kind(kind)
        self._text.setText(text)
        self.setAccessibleName(f"{kind.capitalize()}: {text}")
        self._refresh_icon()
        self.show()

    def text(self) -> str:
        return self._text.text()

    def dismiss(self) -> None:
        if self.isHidden():
            return
        self.hide()
        self._text.clear()
        self.dismissed.emit()

    def _refresh_icon(self) -> None:
        self._icon.setPixmap(painted_icon(_status_painter(self.kind()), theme.tone_color(self.kind())).pixmap(16, 16))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._refresh_icon()
        super().changeEvent(event)


class DropOverlay(QWidget):
    """Drawn over the panel while an image is dragged onto it."""

    def __init__(self, text: str, parent: QWidget) -> None:
        super().__init__(parent)
        self._text = text
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setObjectName("dropOverlay")
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = theme.accent_color()
        fill = QColor(accent)
        fill.setAlpha(38)
        rect = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        painter.setBrush(fill)
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 10, 10)
        badge = QRectF(0, 0, min(rect.width() - 24, 300), 44)
        badge.moveCenter(rect.center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawRoundedRect(badge, 8, 8)
        painter.setPen(QColor("#ffffff"))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._text)
        painter.end()


class WheelGuard(QObject):
    """Lets the wheel scroll the panel instead of changing a value the pointer happens to cross."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget)
                and not watched.hasFocus()):
            event.ignore()
            return True
        return False

    def guard(self, widget: QAbstractSpinBox | QComboBox | QSlider) -> None:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(self)
