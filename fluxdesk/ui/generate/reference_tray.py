"""The reference tray of the prompt panel: the images a request edits or takes its cue from.

References come in by a drop on the tray (files, a picture, gallery images), a paste (Ctrl+V), File → Add
reference… (``add_action``) and the gallery's "Use as reference" (``add_files``). Each is read and prepared for
sending off the GUI thread, on the task manager's ``io`` lane: its size first (the header), then the bytes BFL
gets, at the size the budget allows (``ReferenceModel.target``). A change of budget (another output size, "Send
original") prepares it again; an answer that no longer fits is dropped. A file that cannot be a reference is
refused with its reason, and the rest stays.

The tray says what the panel needs: the images to send (``input_images``), which are not ready yet
(``waiting_for``), the size of image 1 (``first_size``), Ultra's image prompt strength, and ``changed``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QMenu, QPushButton, QSizePolicy, QWidget

from fluxdesk.core.catalog import Model
from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.references import ReferenceSize
from fluxdesk.core.request import InputImage, reference_name, references_limit_text
from fluxdesk.core.values import as_float
from fluxdesk.core.wording import plural
from fluxdesk.storage.references import PreparedReference, ReferenceImageError, decode_size, prepare_reference
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.generate.reference_view import ReferenceView, accepts_drop
from fluxdesk.ui.generate.references import MAX_REFERENCES, PASTED, ReferenceModel, TrayItem, is_row_drag
from fluxdesk.ui.kit.action_buttons import follow_action
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.forms import (
    ClampingDoubleSpinBox,
    FieldSlot,
    Form,
    MessageBanner,
    WheelGuard,
    describe,
    make_label,
)
from fluxdesk.ui.kit.forms import row as side_by_side
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, decode_image_ids
from fluxdesk.ui.kit.surfaces import TitledCard
from fluxdesk.ui.kit.theme import accent_color, set_tone

THUMBNAIL_PX = 128
"""The thumbnail's short side, made with the first preparation (two device pixels per logical one at 56 px)."""
REPREPARE_DELAY_MS = 200
"""A new budget waits this long before references are prepared again: typing a width is not four jobs."""
PARALLEL_PREPARATIONS = 1
"""References prepared at once. Decoding a camera photo keeps a core busy: one at a time leaves the other cores
(two, on a small laptop) to the window, which must not stall while four 24 MP photos are added."""
UNDO_DEPTH = 20
PASTED_LABEL = "pasted image"
EMPTY_HINT = "Drop or paste (Ctrl+V) images"
FILE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp);;All files (*)"
REFERENCE_FIELDS = ("input_image", "image_prompt")
"""The request fields whose errors the tray shows (``input_image_2``… are read as ``input_image``)."""


@dataclass(frozen=True)
class Prepared:
    """What a preparation brings back to the GUI thread."""

    reference: PreparedReference
    image: InputImage
    """The reference as the request carries it (its base64 made here, not on the GUI thread)."""
    data: bytes | None
    """A pasted picture's bytes, made on the way (kept for the next preparation)."""
    thumbnail: QImage | None


def encode_picture(picture: QImage) -> bytes:
    """A pasted picture as PNG bytes (on a worker thread: a screenshot takes a while to encode)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide's stub says bytes, its binding takes only str (6.x)
    if not picture.save(buffer, "PNG", 80):  # type: ignore[call-overload]
        raise ReferenceImageError("the pasted picture could not be read")
    return bytes(buffer.data().data())


def make_thumbnail(data: bytes) -> QImage | None:
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return image.scaled(THUMBNAIL_PX, THUMBNAIL_PX, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                        Qt.TransformationMode.SmoothTransformation)


def prepare(path: str | None, data: bytes | None, picture: QImage | None, max_pixels: int, label: str,
            thumbnail: bool) -> Prepared:
    """Make one reference ready to send (on a worker thread)."""
    if path is None and data is None:
        if picture is None:
            raise ReferenceImageError(f"{label} has no picture")
        data = encode_picture(picture)
    # Bytes held in memory win over the file: a pasted picture's, or the copy kept of a file that has gone.
    source: Path | bytes = data if data is not None else Path(path)  # type: ignore[arg-type]  # one is set
    reference = prepare_reference(source, max_pixels=max_pixels, name=label)
    image = replace(reference.input_image(), source=path if path is not None else PASTED)
    return Prepared(reference, image, data if path is None else None,
                    make_thumbnail(reference.data) if thumbnail else None)


def dropped_references(mime: QMimeData | None) -> tuple[list[tuple[str, int | None]], QImage | None]:
    """The local files of a drop or a paste (each with the library image it is, for a gallery drag), else its
    picture."""
    if mime is None:
        return [], None
    files: list[tuple[str, int | None]] = []
    if mime.hasUrls():
        ids = decode_image_ids(bytes(mime.data(IMAGE_IDS_MIME).data())) if mime.hasFormat(IMAGE_IDS_MIME) else []
        urls = mime.urls()
        linked = len(ids) == len(urls)
        for position, url in enumerate(urls):
            if url.isLocalFile():
                files.append((url.toLocalFile(), ids[position] if linked else None))
    if files:
        return files, None
    if mime.hasImage():
        picture = mime.imageData()
        if isinstance(picture, QImage) and not picture.isNull():
            return [], picture
    return [], None


def _names(rows: Sequence[int]) -> str:
    names = [reference_name(r) for r in rows]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class ReferenceTray(TitledCard):
    """The "References" card of the prompt panel."""

    changed = Signal()
    """What is sent, its sizes or its readiness changed: the panel validates and prices again."""

    def __init__(self, price_table: PriceTable, guard: WheelGuard, folders: FolderMemory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("References", "referenceTray", parent)
        self._folders = folders
        self._policy = ReferenceSize.OUTPUT
        self._undo: list[list[tuple[int, TrayItem]]] = []
        self._strength_choice: float | None = None
        self._running = 0
        """Preparations under way (answered or not: the count goes down with every answer)."""
        self.model = ReferenceModel(price_table, self)
        self._schedule_timer = QTimer(self, singleShot=True)
        self._schedule_timer.timeout.connect(self._schedule)

        self._drop_highlight = False
        self._empty_hint = make_label(EMPTY_HINT, tone="muted", name="referenceEmptyHint", small=True, wrap=False)
        self.header.addWidget(self._empty_hint)
        self._count_label = make_label(tone="muted", name="referenceCount", small=True, wrap=False)
        self._count_label.setAccessibleName("References sent")
        self.header.addStretch(1)
        self.header.addWidget(self._count_label)

        self._limit_label = make_label(tone="muted", name="referenceLimit", small=True)
        self._limit_label.setAccessibleName("What the model takes")

        self.view = ReferenceView(self.model)
        self.view.dropped.connect(self.add_from_mime)
        self.view.reordered.connect(self.move_reference)
        self.view.delegate.removeClicked.connect(self.remove)
        self.view.delegate.originalToggled.connect(self._toggle_original)
        self.view.selectionModel().currentChanged.connect(lambda *_args: self._sync_actions())
        self.slot = FieldSlot(self.view, "references")
        for name in REFERENCE_FIELDS:
            self.slot.add_field(name, self.view, "References")
        self.body.addWidget(self.slot)
        self.body.addWidget(self._limit_label)

        self._build_strength(guard)
        self.banner = MessageBanner()
        self.banner.setObjectName("referenceMessage")
        self.body.addWidget(self.banner)
        self._build_actions()
        self._build_buttons()

        self.setAcceptDrops(True)  # a drop anywhere on the card is a drop on the tray
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.rowsMoved,
                       self.model.modelReset):
            signal.connect(self._rows_changed)
        self._rows_changed()

    # --- construction ------------------------------------------------------------------------------

    def _build_strength(self, guard: WheelGuard) -> None:
        self._strength = ClampingDoubleSpinBox()
        self._strength.setDecimals(2)
        self._strength.setSingleStep(0.05)
        self._strength.setRange(0.0, 1.0)
        self._strength.setValue(0.1)
        self._strength.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        describe(self._strength, "Image prompt strength",
                 "How much the image prompt steers the picture: 0 ignores it, 1 follows it closely (default 0.1)",
                 "imagePromptStrengthSpin")
        guard.guard(self._strength)
        self._strength.valueChanged.connect(self._on_strength_changed)
        self.strength_slot = FieldSlot(self._strength, "imagePromptStrength")
        self.strength_slot.add_field("image_prompt_strength", self._strength, "Image prompt strength")
        self._strength_box = QWidget()
        form = Form()
        self._strength_box.setLayout(form)
        form.add_row("Strength", self.strength_slot)
        self._strength_box.hide()
        self.body.addWidget(self._strength_box)

    def _action(self, text: str, slot: Callable[[], object],
                shortcuts: Sequence[QKeySequence | QKeySequence.StandardKey] = (), tip: str = "", *,
                context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetShortcut) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(context)
        action.setToolTip(tip or text)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        self.add_action = self._action("Add &reference…", self.choose_files,
                                       tip="Choose image files to edit with or take a cue from")
        self.paste_action = self._action("Paste image as reference", self.paste, [QKeySequence.StandardKey.Paste],
                                         "Add the image on the clipboard (a picture or copied files) to the "
                                         "references", context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action = self._action("Remove", self.remove_current,
                                          [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)],
                                          "Remove this reference (Ctrl+Z puts it back)")
        self.move_up_action = self._action("Move up", lambda: self._move_current(-1),
                                           [QKeySequence("Ctrl+Up"), QKeySequence("Ctrl+Left")],
                                           "Make it the reference before: the prompt's names follow the order")
        self.move_down_action = self._action("Move down", lambda: self._move_current(1),
                                             [QKeySequence("Ctrl+Down"), QKeySequence("Ctrl+Right")],
                                             "Make it the reference after: the prompt's names follow the order")
        self.original_action = self._action("Send original (up to 4 MP)", self._toggle_current_original,
                                            tip="Send the file as it is (up to 4 MP) rather than at the output's "
                                                "size: sharper, and dearer on FLUX.2")
        self.original_action.setCheckable(True)
        self.undo_action = self._action("Undo remove", self.undo, [QKeySequence.StandardKey.Undo],
                                        "Put back the last reference removed",
                                        context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action = self._action("Clear", self.clear, tip="Remove every reference (Ctrl+Z puts them back)")
        for action in (self.remove_action, self.move_up_action, self.move_down_action):
            self.view.addAction(action)
        self.addAction(self.paste_action)
        self.addAction(self.undo_action)

    def _build_buttons(self) -> None:
        self._undo_label = make_label(tone="muted", name="referenceUndoNote", small=True)
        self._undo_button = QPushButton()
        follow_action(self._undo_button, self.undo_action)
        self._undo_button.setObjectName("referenceUndoButton")
        self._undo_row = side_by_side(self._undo_label, 1, self._undo_button)
        self._undo_row.hide()
        self.body.addWidget(self._undo_row)

        self._add_button = QPushButton()
        follow_action(self._add_button, self.add_action)
        self._add_button.setText("Add…")
        self._add_button.setObjectName("addReferenceButton")
        self._add_button.setAccessibleName("Add reference images")
        self._clear_button = QPushButton()
        follow_action(self._clear_button, self.clear_action)
        self._clear_button.setObjectName("clearReferencesButton")
        self._clear_button.setAccessibleName("Clear the references")
        self.header.addWidget(self._clear_button)
        self.header.addWidget(self._add_button)
        self._hint = make_label("Drag or Ctrl+↑/↓ to reorder · Delete removes", tone="muted", small=True,
                                name="referenceHint")
        self.body.addWidget(self._hint)
        self.add_action.changed.connect(lambda: self._add_button.setText("Add…"))

    # --- what the panel sets -----------------------------------------------------------------------

    def set_catalog_model(self, model: Model) -> None:
        self.model.set_catalog_model(model)
        strength = model.image_prompt_strength
        if strength is not None:
            with QSignalBlocker(self._strength):
                self._strength.setValue(self._strength_choice if self._strength_choice is not None
                                        else strength.default)
        self._rows_changed()

    def set_price_table(self, table: PriceTable) -> None:
        self.model.set_price_table(table)

    def load(self, settings: Mapping[str, Any]) -> None:
        """Take Ultra's image prompt strength from stored settings, when it is one the model accepts."""
        strength = as_float(settings.get("image_prompt_strength"), text=True)
        rng = self.model.catalog_model().image_prompt_strength
        if strength is not None and rng is not None and rng.minimum <= strength <= rng.maximum:
            self._strength_choice = strength
            with QSignalBlocker(self._strength):
                self._strength.setValue(strength)

    def set_output_pixels(self, pixels: int) -> None:
        """The output's size changed: references sent at the output's size are prepared again (after a pause)."""
        if self.model.set_output_pixels(pixels):
            self._schedule_soon(REPREPARE_DELAY_MS)
        self._rows_changed()

    def set_default_policy(self, policy: ReferenceSize) -> None:
        """How a reference added from now on is sent (the settings' choice)."""
        self._policy = policy

    def set_folder_memory(self, folders: FolderMemory) -> None:
        self._folders = folders

    def shortcut_actions(self) -> list[QAction]:
        """The tray's commands that have keys (for the list of shortcuts)."""
        return [self.paste_action, self.remove_action, self.move_up_action, self.move_down_action, self.undo_action]

    # --- what the panel reads ----------------------------------------------------------------------

    def input_images(self) -> tuple[InputImage, ...]:
        return self.model.input_images()

    def waiting_for(self) -> list[str]:
        return self.model.waiting_for()

    def first_size(self) -> tuple[int, int] | None:
        return self.model.first_size()

    def image_prompt_strength(self) -> float | None:
        """Ultra's strength, while it has an image prompt; ``None`` otherwise."""
        if not self._strength_shown():
            return None
        return round(self._strength.value(), 2)

    def slots(self) -> tuple[FieldSlot, ...]:
        return self.slot, self.strength_slot

    def count(self) -> int:
        return self.model.rowCount()

    def message(self) -> str:
        """The message the tray shows (a file it refused), or ``""``."""
        return self.banner.text() if not self.banner.isHidden() else ""

    # --- adding ------------------------------------------------------------------------------------

    def choose_files(self) -> None:
        """File → Add reference…: image files from a file dialog."""
        from PySide6.QtWidgets import QFileDialog

        start = self._folders.start_folder("add-reference") if self._folders is not None else str(Path.home())
        paths, _filter = QFileDialog.getOpenFileNames(self.window(), "Add reference images", start, FILE_FILTER)
        if paths:
            if self._folders is not None:
                self._folders.remember("add-reference", Path(paths[0]).parent)
            self.add_files([(path, None) for path in paths])

    def paste(self) -> bool:
        """Ctrl+V: the clipboard's picture or copied image files."""
        clipboard = QGuiApplication.clipboard()
        if self.add_from_mime(clipboard.mimeData() if clipboard is not None else None):
            return True
        self.show_message("The clipboard holds no image to add: copy a picture or image files first.", "info")
        return False

    def add_from_mime(self, mime: QMimeData | None) -> bool:
        """A drop or a paste: its files (linked to the library images of a gallery drag), else its picture."""
        files, picture = dropped_references(mime)
        if files:
            return self.add_files(files) > 0
        if picture is not None:
            return self.add_picture(picture)
        return False

    def add_files(self, files: Sequence[tuple[str, int | None]], labels: Sequence[str | None] = ()) -> int:
        """Add image files (each with the library image it is, or ``None``) after the others; answers how many.
        ``labels`` names them where their file's name would not (a stored reference is named by its SHA-256)."""
        names = list(labels) + [None] * (len(files) - len(labels))
        items = [self.model.new_item(label or Path(path).name or path, path=path, from_image_id=image_id,
                                     send_original=self._policy is ReferenceSize.ORIGINAL)
                 for (path, image_id), label in zip(files, names, strict=True)]
        return self._add(items)

    def add_picture(self, picture: QImage) -> bool:
        """Add a pasted picture (its bytes are made off the GUI thread)."""
        item = self.model.new_item(PASTED_LABEL, picture=QImage(picture), original=(picture.width(), picture.height()),
                                   send_original=self._policy is ReferenceSize.ORIGINAL)
        return self._add([item]) == 1

    def _add(self, items: list[TrayItem]) -> int:
        room = self.model.room()
        if room <= 0:
            self.show_message(f"The tray holds at most {MAX_REFERENCES} references: remove some first.", "warning")
            return 0
        taken = items[:room]
        first = self.model.rowCount()
        self.model.insert(taken)
        if len(items) > room:
            left = plural(len(items) - room, "image")
            self.show_message(f"The tray holds at most {MAX_REFERENCES} references: {left} not added.", "warning")
        else:
            self.banner.dismiss()
        self.view.setCurrentIndex(self.model.index(first))
        self._schedule_soon(0)
        self.changed.emit()
        return len(taken)

    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_message(text, kind)

    # --- removing, undo, order ---------------------------------------------------------------------

    def remove(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self._push_undo([(row, self.model.take(row))])
            self._after_removal(row)

    def remove_current(self) -> None:
        self.remove(self.view.currentIndex().row())

    def clear(self) -> None:
        if self.model.rowCount():
            self._push_undo(list(enumerate(self.model.take_all())))
            self._after_removal(0)

    def undo(self) -> None:
        """Put back what the last removal took, where it was."""
        if not self._undo:
            return
        group = self._undo.pop()
        for place, item in group:
            item.job, item.token = None, item.token + 1  # whatever was under way for it was dropped
            self.model.insert([item], place)
        self.view.setCurrentIndex(self.model.index(self.model.row_of(group[0][1])))
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._sync_undo()
        self._schedule_soon(0)
        self.changed.emit()

    def move_reference(self, row: int, to: int) -> None:
        if self.model.move(row, to):
            self.view.setCurrentIndex(self.model.index(to))
            self.changed.emit()

    def _move_current(self, step: int) -> None:
        current = self.view.currentIndex().row()
        if current >= 0:
            self.move_reference(current, current + step)

    def _push_undo(self, group: list[tuple[int, TrayItem]]) -> None:
        self._undo.append(group)
        del self._undo[:-UNDO_DEPTH]
        self._sync_undo()

    def _after_removal(self, row: int) -> None:
        count = self.model.rowCount()
        if count:
            self.view.setCurrentIndex(self.model.index(min(row, count - 1)))
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)  # Ctrl+Z, and the next Delete, work from here
        self.changed.emit()

    def _sync_undo(self) -> None:
        if self._undo:
            group = self._undo[-1]
            self._undo_label.setText(f"{group[0][1].label} removed" if len(group) == 1
                                     else f"{plural(len(group), 'reference')} removed")
        self._undo_row.setVisible(bool(self._undo))
        self.undo_action.setEnabled(bool(self._undo))

    # --- send original -----------------------------------------------------------------------------

    def _toggle_original(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            item = self.model.item(row)
            self.model.set_send_original(row, not item.send_original)
            self.view.setCurrentIndex(self.model.index(row))
            self._schedule_soon(0)
            self.changed.emit()

    def _toggle_current_original(self) -> None:
        self._toggle_original(self.view.currentIndex().row())

    # --- preparing, off the GUI thread -------------------------------------------------------------

    def _schedule_soon(self, delay_ms: int) -> None:
        if not self._schedule_timer.isActive() or delay_ms < self._schedule_timer.remainingTime():
            self._schedule_timer.start(delay_ms)

    def _schedule(self) -> None:
        """Start what each reference still needs: its size read, or its preparation at the size it is sent at."""
        for item in self.model.items():
            if item.original is None:
                if item.job is None:
                    self._read_size(item)
                continue
            target = self.model.target(item)
            if not self.model.is_ready(item) and item.job != target and self._running < PARALLEL_PREPARATIONS:
                self._prepare(item)

    def _read_size(self, item: TrayItem) -> None:
        item.job, item.token = (0, 0), item.token + 1
        token, path = item.token, item.path
        assert path is not None  # a pasted picture's size is known when it is added
        TaskManager.instance().run_in_background(
            lambda: decode_size(Path(path)), lambda size: self._size_read(item, token, size),
            lambda error: self._failed(item, token, error), parent=self, lane="io")

    def _size_read(self, item: TrayItem, token: int, size: tuple[int, int]) -> None:
        if token != item.token:
            return
        item.job = None
        item.original = size
        self.model.item_changed(item)
        self._schedule_soon(0)  # after the panel has taken the size in (image 1 may set the output's shape)
        self.changed.emit()

    def _prepare(self, item: TrayItem) -> None:
        item.job, item.token = self.model.target(item), item.token + 1
        token, path, data, picture = item.token, item.path, item.data, item.picture
        limit, label, thumbnail = self.model.limit(item), item.label, item.thumbnail is None
        self._running += 1
        TaskManager.instance().run_in_background(
            lambda: prepare(path, data, picture, limit, label, thumbnail),
            lambda result: self._prepared(item, token, result),
            lambda error: self._preparation_failed(item, token, error), parent=self, lane="io")

    def _preparation_over(self) -> None:
        self._running -= 1
        self._schedule_soon(0)  # the next one

    def _preparation_failed(self, item: TrayItem, token: int, error: BaseException) -> None:
        self._preparation_over()
        self._failed(item, token, error)

    def _prepared(self, item: TrayItem, token: int, result: Prepared) -> None:
        self._preparation_over()
        if token != item.token:
            return
        item.job = None
        item.prepared, item.sent = result.reference, result.image
        if result.data is not None:
            item.data, item.picture = result.data, None
        if result.thumbnail is not None:
            item.thumbnail, item.pixmap = result.thumbnail, None
        # The file as read now: should it have changed since its size was read, the size follows it.
        item.original = (result.reference.original_width, result.reference.original_height)
        self.model.item_changed(item)
        if self.model.row_of(item) >= 0:
            self._schedule_soon(0)
            self.changed.emit()

    def _failed(self, item: TrayItem, token: int, error: BaseException) -> None:
        if token != item.token:
            return
        item.job = None
        if isinstance(error, ReferenceImageError) and self._keep_prepared_copy(item):
            self.show_message(f"{error}: {reference_name(self.model.row_of(item))} stays, as the copy FluxDesk made "
                              f"of it ({item.original[0]}×{item.original[1]}).", "warning")  # type: ignore[index]
            return
        place = self.model.row_of(item)
        if place >= 0:
            self.model.take(place)
            self.changed.emit()
        if isinstance(error, ReferenceImageError):
            self.show_message(f"Not added: {error}.", "error")
            return
        self.show_message(f"Not added: {item.label} could not be prepared ({type(error).__name__}).", "error")
        sys.excepthook(type(error), error, error.__traceback__)  # unexpected: the log and the user hear of it

    def _keep_prepared_copy(self, item: TrayItem) -> bool:
        """A file that can no longer be read after it was prepared (moved, deleted, damaged): the reference is kept
        as the bytes prepared from it, which are all that can still be sent. Nothing the user added is lost."""
        prepared = item.prepared
        if prepared is None or item.path is None or item.data is not None or self.model.row_of(item) < 0:
            return False
        item.data = prepared.data
        item.original = (prepared.width, prepared.height)
        self.model.item_changed(item)
        self._schedule_soon(0)
        self.changed.emit()
        return True

    # --- what the card shows -----------------------------------------------------------------------

    def _rows_changed(self, *_args: object) -> None:
        model = self.model.catalog_model()
        count = self.model.rowCount()
        sendable = self.model.sendable_count()
        self._count_label.setText(f"{sendable} of {model.max_input_images} sent" if count else "")
        limit = references_limit_text(model)
        if count > sendable:
            left_out = _names(range(sendable, count))
            text = f"{limit}: {left_out} will not be sent." if sendable else f"{limit}: they will not be sent."
            set_tone(self._limit_label, "warning")
        else:
            text = limit + "."
            set_tone(self._limit_label, "muted")
        self._limit_label.setText(text)
        self._limit_label.setVisible(count > 0)
        # Empty, the card is one line (the prompt keeps its room): the hint, and the list once there is one.
        self._empty_hint.setVisible(count == 0)
        self.slot.setVisible(count > 0)
        tip = f"Images to edit with, or to take a cue from: drop them here, paste one (Ctrl+V) or Add…\n{limit}."
        self._empty_hint.setToolTip(tip)
        self.setToolTip(tip if count == 0 else "")
        self._clear_button.setVisible(count > 0)
        self._hint.setVisible(count > 1)
        self.clear_action.setEnabled(count > 0)
        shown = self._strength_shown()
        if shown != self._strength_box.isVisibleTo(self):
            self._strength_box.setVisible(shown)
        self._sync_actions()

    def _strength_shown(self) -> bool:
        return self.model.catalog_model().image_prompt_strength is not None and self.model.sendable_count() > 0

    def _on_strength_changed(self, value: float) -> None:
        self._strength_choice = value
        self.changed.emit()

    def _sync_actions(self) -> None:
        index = self.view.currentIndex()
        has = index.isValid()
        count = self.model.rowCount()
        self.remove_action.setEnabled(has)
        self.move_up_action.setEnabled(has and index.row() > 0)
        self.move_down_action.setEnabled(has and index.row() < count - 1)
        can_original = has and bool(index.data(self.model.Roles.CanSendOriginal))
        self.original_action.setEnabled(can_original)
        self.original_action.setChecked(has and bool(index.data(self.model.Roles.SendOriginal)))
        self.undo_action.setEnabled(bool(self._undo))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = self.view.viewport().mapFrom(self, event.pos())
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
        self._sync_actions()
        menu = QMenu(self)
        if index.isValid():
            for action in (self.move_up_action, self.move_down_action, self.original_action, self.remove_action):
                menu.addAction(action)
            menu.addSeparator()
        menu.addAction(self.add_action)
        menu.addAction(self.paste_action)
        if self._undo:
            menu.addAction(self.undo_action)
        if self.model.rowCount():
            menu.addAction(self.clear_action)
        menu.exec(event.globalPos())

    # --- drops on the card around the list: files and pictures (cards are reordered on the list) ---------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._card_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._card_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_highlight(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drop_highlight(False)
        if accepts_drop(event.mimeData()) and not is_row_drag(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.add_from_mime(event.mimeData())
        else:
            event.ignore()

    def _card_drag(self, event: QDragMoveEvent) -> None:
        wanted = accepts_drop(event.mimeData()) and not is_row_drag(event.mimeData())
        if wanted:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()
        self._set_drop_highlight(wanted)

    def _set_drop_highlight(self, on: bool) -> None:
        if on != self._drop_highlight:
            self._drop_highlight = on
            self.update()

    def is_drop_highlighted(self) -> bool:
        """A drop from outside would land in the tray (on the card, or on its list)."""
        return self._drop_highlight or self.view.is_drop_highlighted()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._drop_highlight:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            accent = accent_color()
            fill = QColor(accent)
            fill.setAlpha(30)
            painter.setBrush(fill)
            painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), self.RADIUS, self.RADIUS)
            painter.end()
