"""The gallery's details pane: a large preview, every parameter of the selected image, whether (and why not) it
can be reproduced exactly, and its lineage (what it was made from, what it was used in). With several images
selected: how many, and what they cost together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import UnknownModelError, get_model, megapixels_text
from fluxdesk.core.metadata import ImageRecord, reproducibility_problems
from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.core.wording import moment_text
from fluxdesk.storage.rows import ImageRow, ReferenceRow
from fluxdesk.ui.gallery.actions import GalleryActions
from fluxdesk.ui.gallery.lineage import LineageSection
from fluxdesk.ui.gallery.model import cost_text, model_name
from fluxdesk.ui.kit.action_buttons import follow_action
from fluxdesk.ui.kit.surfaces import AccentButton, Banner
from fluxdesk.ui.kit.theme import set_heading, set_tone
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

PREVIEW_SIZE = 768
_SHOWN_ELSEWHERE = frozenset({"seed", "width", "height", "aspect_ratio", "steps", "guidance"})


def can_run_again(model: str, seed: int | None) -> bool:
    """Whether Reproduce makes sense: a seed to send again, and a model FluxDesk knows."""
    try:
        get_model(model)
    except UnknownModelError:
        return False
    return seed is not None


def size_text(record: ImageRecord) -> str:
    parts = []
    if record.width and record.height:
        parts.append(f"{record.width} × {record.height} px ({megapixels_text(record.width, record.height)})")
    if record.aspect_ratio:
        parts.append(f"aspect ratio {record.aspect_ratio}")
    return ", ".join(parts) or "not recorded"


def other_parameters(parameters: Mapping[str, Any]) -> str:
    def shown(value: object) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        return str(value)

    pairs = [f"{name.replace('_', ' ')}: {shown(value)}" for name, value in sorted(parameters.items())
             if name not in _SHOWN_ELSEWHERE]
    return "\n".join(pairs) or "none"


class _Preview(QWidget):
    """The image fitted into the pane (never upscaled past its pixels), or a line of text in its place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._message = ""
        self.setObjectName("galleryPreview")
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_pixmap(self, pixmap: QPixmap | None, message: str = "") -> None:
        self._pixmap = pixmap
        self._message = message
        self.updateGeometry()
        self.update()

    def has_pixmap(self) -> bool:
        return self._pixmap is not None and not self._pixmap.isNull()

    def message(self) -> str:
        return self._message

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        pixmap = self._pixmap
        if pixmap is None or pixmap.isNull() or pixmap.width() == 0:
            return max(180, round(width * 0.75))
        return max(180, min(round(width * pixmap.height() / pixmap.width()), round(width * 1.4)))

    def sizeHint(self) -> QSize:
        return QSize(320, self.heightForWidth(320))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect())
        pixmap = self._pixmap
        if pixmap is not None and not pixmap.isNull():
            ratio = pixmap.devicePixelRatioF() or 1.0
            w, h = pixmap.width() / ratio, pixmap.height() / ratio
            scale = min(area.width() / w, area.height() / h)
            target = QRectF(0, 0, w * scale, h * scale)
            target.moveCenter(area.center())
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        else:
            painter.fillRect(area, self.palette().color(QPalette.ColorRole.AlternateBase))
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(area.adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._message or "Loading preview…")
        painter.end()


class _UnbrokenValue(QLabel):
    """One word that cannot wrap (an id, a path): elided in the middle to fit its room, whole in its
    tooltip and on the clipboard (right-click → Copy, or Ctrl+C once clicked)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy)
        self.addAction(copy)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._full)

    def event(self, event: QEvent) -> bool:
        # Ctrl+C is also the gallery's Copy image: two matching shortcuts are ambiguous and Qt fires neither.
        # A focused value claims the key first, so Ctrl+C copies what the user clicked.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Copy)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            event.accept()
            return
        super().keyPressEvent(event)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self._fit()

    def text(self) -> str:
        """The whole value, not the elided one on screen."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = max(self.contentsRect().width(), 24)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, room)
        super().setText(shown)


def _value_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class GalleryDetails(QWidget):
    """What the selected image is. Its command buttons stand for the gallery's actions (``set_actions``): a
    click triggers the action, and the button is enabled, worded and explained as the action is."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryDetails")
        self.setMinimumWidth(230)
        self._thumbnails = thumbnails
        self._image: ImageRow | None = None
        self._missing = False
        self._stack = QStackedWidget()
        self._message = QLabel()
        self._message.setObjectName("detailsMessage")
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        set_tone(self._message, "muted")
        self._message.setMargin(16)
        self._stack.addWidget(self._message)
        self._stack.addWidget(self._build_image_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self.show_message("Select an image to see how it was made.")

    def _build_image_page(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setObjectName("detailsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(12, 8, 12, 12)
        outer.setSpacing(10)
        self.preview = _Preview()
        outer.addWidget(self.preview)

        title_row = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("detailsTitle")
        set_heading(self.title)
        self.title.setWordWrap(True)
        self.demo_label = QLabel("Demo image")
        self.demo_label.setObjectName("detailsDemo")
        set_tone(self.demo_label, "info")
        self.demo_label.setToolTip("Made by the built-in simulator: not charged, not a real FLUX image")
        self.favourite_button = QToolButton()
        self.favourite_button.setObjectName("detailsFavourite")
        self.favourite_button.setAutoRaise(True)
        self.favourite_button.setIconSize(QSize(22, 22))
        self.favourite_button.setAccessibleName("Favourite")
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.demo_label, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        title_row.addWidget(self.favourite_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(title_row)

        buttons = QGridLayout()
        buttons.setHorizontalSpacing(6)
        buttons.setVerticalSpacing(6)
        self.reproduce_button = AccentButton("Reproduce")
        self.reproduce_button.setObjectName("reproduceButton")
        self.reuse_button = QPushButton("Reuse settings")
        self.reuse_button.setObjectName("reuseSettingsButton")
        self.seed_button = QPushButton("Use seed")
        self.seed_button.setObjectName("useSeedButton")
        self.prompt_button = QPushButton("Use prompt")
        self.prompt_button.setObjectName("usePromptButton")
        self.reference_button = QPushButton("Use as reference")
        self.reference_button.setObjectName("useAsReferenceButton")
        self.edit_region_button = QPushButton("Edit region…")
        self.edit_region_button.setObjectName("editRegionButton")
        self.expand_button = QPushButton("Expand canvas…")
        self.expand_button.setObjectName("expandCanvasButton")
        # Two to a row; "Use as reference" has a row of its own, the two ways of editing a part share the next.
        places = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (3, 0), (3, 1))
        for (line, column), button in zip(places, (self.reproduce_button, self.reuse_button, self.seed_button,
                                                  self.prompt_button, self.reference_button,
                                                  self.edit_region_button, self.expand_button), strict=True):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setEnabled(False)  # until ``set_actions`` says otherwise
            buttons.addWidget(button, line, column, 1, 2 if button is self.reference_button else 1)
        outer.addLayout(buttons)

        self.reproducible = QLabel()
        self.reproducible.setObjectName("reproducibleNote")
        self.reproducible.setWordWrap(True)
        self.reproducible.setTextFormat(Qt.TextFormat.PlainText)
        self.reproducible.setMargin(8)
        outer.addWidget(self.reproducible)

        self.missing_frame = Banner("warning")
        missing_layout = QVBoxLayout(self.missing_frame)
        self.missing_text = QLabel()
        self.missing_text.setWordWrap(True)
        self.missing_text.setObjectName("missingText")
        self.remove_button = QPushButton("Remove from library")
        self.remove_button.setObjectName("removeFromLibraryButton")
        missing_layout.addWidget(self.missing_text)
        missing_layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addWidget(self.missing_frame)

        self.lineage = LineageSection(self._thumbnails)
        outer.addWidget(self.lineage)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(6)
        self.fields: dict[str, QLabel] = {}
        self._form_rows: dict[str, tuple[QLabel, QWidget]] = {}
        for key, caption in (("prompt", "Prompt"), ("prompt_used", "Prompt BFL used"), ("seed", "Seed"),
                             ("size", "Size"), ("steps", "Steps"), ("guidance", "Guidance"),
                             ("parameters", "Other parameters"), ("project", "Project"), ("cost", "Cost"),
                             ("created", "Created"),
                             ("timings", "BFL timings"), ("job_id", "Job id"), ("task_id", "BFL task id"),
                             ("file", "File")):
            unbroken = key in ("job_id", "task_id", "file")
            value = _UnbrokenValue(f"detail_{key}") if unbroken else _value_label(f"detail_{key}")
            self.fields[key] = value
            caption_label = QLabel(caption)
            set_tone(caption_label, "muted")
            field: QWidget = value
            if key == "seed":
                # A number is not wrapped: when the pane is narrow the row wraps, under its caption.
                value.setWordWrap(False)
                value.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
                field = QWidget()
                row = QHBoxLayout(field)
                row.setContentsMargins(0, 0, 0, 0)
                self.copy_seed_button = QPushButton("Copy")
                self.copy_seed_button.setObjectName("copySeedButton")
                self.copy_seed_button.setToolTip("Copy the seed to the clipboard")
                self.copy_seed_button.clicked.connect(self.copy_seed)
                row.addWidget(value, 1)
                row.addWidget(self.copy_seed_button)
            form.addRow(caption_label, field)
            self._form_rows[key] = (caption_label, field)
        outer.addLayout(form)
        outer.addStretch(1)
        scroll.setWidget(page)
        return scroll

    def set_actions(self, actions: GalleryActions) -> None:
        """The commands the buttons stand for: the same actions as the context menu and the shortcuts."""
        follow_action(self.reproduce_button, actions.reproduce)
        follow_action(self.reuse_button, actions.reuse_settings)
        follow_action(self.seed_button, actions.use_seed)
        follow_action(self.prompt_button, actions.use_prompt)
        follow_action(self.reference_button, actions.use_as_reference)
        follow_action(self.edit_region_button, actions.edit_region)
        follow_action(self.expand_button, actions.expand_canvas)
        follow_action(self.remove_button, actions.remove_from_library)
        self.favourite_button.setDefaultAction(actions.favourite)

    # --- what is shown ------------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """Nothing selected, several selected, or an image that could not be read: one line of text."""
        self._image = None
        self.lineage.clear()
        self._message.setText(text)
        self._stack.setCurrentIndex(0)

    def show_selection(self, count: int, total_credits: Decimal | None) -> None:
        cost = "adding up the cost…" if total_credits is None else f"total {cost_text(total_credits)}"
        self.show_message(f"{count:,} images selected · {cost}")

    def image_id(self) -> int | None:
        return self._image.id if self._image is not None else None

    def show_image(self, image: ImageRow, *, missing: bool = False) -> None:
        """Every fact about ``image``; the preview follows with ``set_preview``, its lineage with ``set_lineage``."""
        if self._image is None or self._image.id != image.id:
            self.lineage.clear()
        self._image = image
        record = image.record
        self.title.setText(model_name(record.model))
        self.demo_label.setVisible(image.demo)
        problems = reproducibility_problems(record)
        if problems:
            self.reproducible.setText("Cannot be reproduced exactly: " + "; ".join(problems) + ". "
                                      "Reproduce still sends the same settings and seed.")
            set_tone(self.reproducible, "warning")
        else:
            self.reproducible.setText("Can be reproduced exactly: same model, prompt, seed and settings.")
            set_tone(self.reproducible, "success")
        used = record.prompt_used if record.prompt_used and record.prompt_used != record.prompt else None
        values = {
            "prompt": record.prompt or "(no prompt)",
            "prompt_used": used,
            "seed": str(record.seed) if record.seed is not None else "not recorded",
            "size": size_text(record),
            "steps": str(record.steps) if record.steps is not None else None,
            "guidance": f"{record.guidance:g}" if record.guidance is not None else None,
            "parameters": other_parameters(record.parameters),
            "project": image.project_name or NO_PROJECT,
            "cost": cost_text(record.cost_credits),
            "created": moment_text(record.created_at or image.created_at),
            "timings": _timings(record),
            "job_id": image.job_id,
            "task_id": record.task_id or image.task_id or "not recorded",
            "file": str(image.path),
        }
        for key, value in values.items():
            caption, field = self._form_rows[key]
            caption.setVisible(value is not None)
            field.setVisible(value is not None)
            self.fields[key].setText(value or "")
        self.copy_seed_button.setEnabled(record.seed is not None)
        self.set_missing(missing)
        self._stack.setCurrentIndex(1)

    def set_missing(self, missing: bool, broken: bool = False) -> None:
        """Say that the file is gone (or unreadable); a gone one can be removed from the library."""
        self._missing = missing
        self.missing_frame.setVisible(missing or broken)
        self.remove_button.setVisible(missing)
        if missing:
            self.missing_text.setText("The image file is missing from the library folder. Its record is still "
                                      "here, so it can be reproduced, or removed from the library.")
        elif broken:
            self.missing_text.setText("The image file cannot be read: it may be damaged or incomplete.")

    def is_missing(self) -> bool:
        """Whether the pane says the image's file is gone."""
        return self._missing

    def set_lineage(self, image_id: int, references: Sequence[ReferenceRow], used_in: Sequence[int]) -> None:
        """What the image shown was made from, in order, and the images made from it (ignored if another image is
        shown by now)."""
        if self.image_id() == image_id:
            self.lineage.show_lineage(references, used_in)

    def set_preview(self, pixmap: QPixmap | None, message: str = "") -> None:
        self.preview.set_pixmap(pixmap, message)

    def copy_seed(self) -> None:
        if self._image is not None and self._image.seed is not None:
            QGuiApplication.clipboard().setText(str(self._image.seed))

    def text(self) -> str:
        """Everything the pane says, as plain text (for tests and accessibility checks)."""
        if self._stack.currentIndex() == 0:
            return self._message.text()
        lines = [self.title.text(), self.reproducible.text()]
        if self.missing_frame.isVisibleTo(self):
            lines.append(self.missing_text.text())
        if self.lineage.isVisibleTo(self):
            lines.append(self.lineage.text())
        for key, label in self.fields.items():
            caption, field = self._form_rows[key]
            if field.isVisibleTo(self):
                lines.append(f"{caption.text()}: {label.text()}")
        return "\n".join(lines)


def _timings(record: ImageRecord) -> str | None:
    parts = []
    if record.start_time is not None:
        parts.append(f"started {moment_text(record.start_time)}")
    if record.end_time is not None:
        parts.append(f"finished {moment_text(record.end_time)}")
    if record.duration is not None:
        parts.append(f"took {record.duration:.1f} s")
    return "\n".join(parts) or None

