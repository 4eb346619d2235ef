"""The references of the prompt panel's tray, as an item model: "image 1", "image 2"… in the order the prompt
names them, each with the size it is sent at and what it adds to the price.

A reference is added from a file (dropped, chosen, a gallery image) or a pasted picture. Its size is read first
(the header only), then it is prepared for sending (``storage.references.prepare_reference``) at the size the
budget allows: at most the output's pixels, or the original up to 4 MP. Both run off the GUI thread (the tray
schedules them, ``ReferenceTray``); the model holds what came back and says what changed (``dataChanged``).

Which references are sent follows the model in use: the first ``max_input_images`` of them; the others stay in
the tray, shown as not sent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QImage, QPixmap

from fluxdesk.core.catalog import DEFAULT_MODEL_ID, MEGAPIXEL, Model, get_model
from fluxdesk.core.pricing import PriceTable, PriceTableError, reference_credits
from fluxdesk.core.references import ReferenceSize, limit_pixels, saving_text, sent_size
from fluxdesk.core.request import InputImage, reference_name
from fluxdesk.storage.references import PreparedReference
from fluxdesk.ui.kit.item_models import ROOT, ModelIndex, with_role_names

TRAY_ROWS_MIME = "application/x-fluxdesk-reference-keys"
"""A drag inside the tray: the keys of the references moved, one per line."""
MAX_REFERENCES = 16
"""The tray keeps at most this many (twice what any model takes): room to switch models without losing any."""
PASTED = "pasted"
"""The source recorded for a pasted picture."""


class ReferenceRoles(IntEnum):
    Key = Qt.ItemDataRole.UserRole + 1
    """A number that stays with the reference while it moves."""
    Name = Qt.ItemDataRole.UserRole + 2
    """``"image 1"``: how the prompt names it, by its place in the tray."""
    Label = Qt.ItemDataRole.UserRole + 3
    """Its file's name, or "pasted image"."""
    Thumbnail = Qt.ItemDataRole.UserRole + 4
    """A ``QPixmap`` once prepared, else ``None``."""
    OriginalSize = Qt.ItemDataRole.UserRole + 5
    """``(width, height)`` as the file shows it, once read; else ``None``."""
    SentSize = Qt.ItemDataRole.UserRole + 6
    """``(width, height)`` it is sent at (known as soon as its size is), else ``None``."""
    State = Qt.ItemDataRole.UserRole + 7
    """``"reading"``, ``"preparing"`` or ``"ready"``."""
    Sendable = Qt.ItemDataRole.UserRole + 8
    """Whether the model in use takes it (its place is within the model's count)."""
    Experimental = Qt.ItemDataRole.UserRole + 9
    """Sent, but past what BFL calls stable for the model (Kontext's images 2 to 4)."""
    Detail = Qt.ItemDataRole.UserRole + 10
    """Its size, megapixels and credits, and what sending it smaller saved."""
    Notes = Qt.ItemDataRole.UserRole + 11
    """What preparing it changed beyond the size, in words (a tuple)."""
    SendOriginal = Qt.ItemDataRole.UserRole + 12
    """Sent as the file is (up to 4 MP) rather than at the output's size."""
    CanSendOriginal = Qt.ItemDataRole.UserRole + 13
    """Whether sending the original would send something else than the output's size does."""
    Credits = Qt.ItemDataRole.UserRole + 14
    """What it adds to the price of one image (``Decimal``; 0 where references are free), once its size is known."""
    ImageId = Qt.ItemDataRole.UserRole + 15
    """The library image it came from, or ``None``."""


_STATE_WORDS = {"reading": "reading…", "preparing": "preparing…", "ready": ""}


@dataclass(eq=False)
class TrayItem:
    """One reference and what is known of it so far."""

    key: int
    label: str
    path: str | None = None
    """The file it is read from; ``None`` for a pasted picture."""
    picture: QImage | None = None
    """A pasted picture, until its bytes are made (``data``)."""
    data: bytes | None = None
    """A pasted picture's bytes (PNG), made once off the GUI thread."""
    from_image_id: int | None = None
    send_original: bool = False
    original: tuple[int, int] | None = None
    prepared: PreparedReference | None = None
    sent: InputImage | None = field(default=None, repr=False)
    """``prepared`` as the request carries it (base64), made with it off the GUI thread."""
    thumbnail: QImage | None = None
    pixmap: QPixmap | None = field(default=None, repr=False)
    job: tuple[int, int] | None = None
    """The size a preparation under way makes (or ``(0, 0)`` while its size is read)."""
    token: int = 0
    """Bumped with every job: an answer with another token is stale."""

    @property
    def source(self) -> str:
        return self.path if self.path is not None else PASTED


class ReferenceModel(QAbstractListModel):
    """The tray's references in order, with the sizes, states and prices a view shows."""

    Roles = ReferenceRoles

    def __init__(self, price_table: PriceTable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._table = price_table
        self._model = get_model(DEFAULT_MODEL_ID)
        self._output_pixels = MEGAPIXEL
        self._items: list[TrayItem] = []
        self._keys = itertools.count(1)

    # --- Qt's side ---------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(super().roleNames(), ReferenceRoles)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemNeverHasChildren)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._items):
            return None
        row = index.row()
        item = self._items[row]
        if role == ReferenceRoles.Key:
            return item.key
        if role in (ReferenceRoles.Name, Qt.ItemDataRole.DisplayRole):
            return reference_name(row)
        if role == ReferenceRoles.Label:
            return item.label
        if role == ReferenceRoles.Thumbnail:
            return self._pixmap(item)
        if role == ReferenceRoles.OriginalSize:
            return item.original
        if role == ReferenceRoles.SentSize:
            return self.target(item)
        if role == ReferenceRoles.State:
            return self.state(item)
        if role == ReferenceRoles.Sendable:
            return row < self.sendable_count()
        if role == ReferenceRoles.Experimental:
            stable = self._model.stable_input_images
            return stable is not None and stable <= row < self.sendable_count()
        if role == ReferenceRoles.Detail:
            return self._detail(item)
        if role == ReferenceRoles.Notes:
            return item.prepared.notes if item.prepared is not None else ()
        if role == ReferenceRoles.SendOriginal:
            return item.send_original
        if role == ReferenceRoles.CanSendOriginal:
            return item.send_original or self._original_differs(item)
        if role == ReferenceRoles.Credits:
            return self._credits(item)
        if role == ReferenceRoles.ImageId:
            return item.from_image_id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{reference_name(row)}: {item.source}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(row, item)
        return None

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [TRAY_ROWS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """A drag of cards inside this tray: this model's mark, then the keys of the references moved."""
        mime = QMimeData()
        keys = [str(self._items[i.row()].key) for i in sorted(indexes, key=lambda i: i.row()) if i.isValid()]
        mime.setData(TRAY_ROWS_MIME, QByteArray("\n".join([str(id(self)), *keys]).encode()))
        return mime

    def row_keys(self, data: QMimeData | None) -> set[int]:
        """The keys of the references a drag of this tray's cards carries (none for another tray's)."""
        if data is None or not data.hasFormat(TRAY_ROWS_MIME):
            return set()
        try:
            mark, *keys = bytes(data.data(TRAY_ROWS_MIME).data()).decode("ascii").split("\n")
            if mark != str(id(self)):
                return set()
            return {int(key) for key in keys if key}
        except (UnicodeDecodeError, ValueError):
            return set()

    # --- what the rows say -------------------------------------------------------------------------

    def _pixmap(self, item: TrayItem) -> QPixmap | None:
        if item.pixmap is None and item.thumbnail is not None:
            item.pixmap = QPixmap.fromImage(item.thumbnail)  # on the GUI thread, once
        return item.pixmap

    def state(self, item: TrayItem) -> str:
        if item.original is None:
            return "reading"
        return "ready" if self.is_ready(item) else "preparing"

    def _detail(self, item: TrayItem) -> str:
        target = self.target(item)
        if item.original is None or target is None:
            return "Reading its size…"
        try:
            return saving_text(self._model.id, item.original, target, self._table)
        except PriceTableError:
            return f"{item.original[0]}×{item.original[1]} → sent as {target[0]}×{target[1]}"

    def _credits(self, item: TrayItem) -> Decimal | None:
        target = self.target(item)
        if target is None:
            return None
        try:
            return reference_credits(self._model.id, *target, self._table)
        except PriceTableError:
            return None

    def _spoken(self, row: int, item: TrayItem) -> str:
        words = [reference_name(row), item.label, self._detail(item)]
        if state := _STATE_WORDS[self.state(item)]:
            words.append(state)
        if row >= self.sendable_count():
            words.append("not sent")
        return ", ".join(words)

    # --- sizes -------------------------------------------------------------------------------------

    def limit(self, item: TrayItem) -> int:
        """The most pixels ``item`` is sent with."""
        policy = ReferenceSize.ORIGINAL if item.send_original else ReferenceSize.OUTPUT
        return limit_pixels(policy, self._output_pixels)

    def target(self, item: TrayItem) -> tuple[int, int] | None:
        """The size ``item`` is sent at, once its own size is known."""
        if item.original is None:
            return None
        return sent_size(*item.original, self.limit(item))

    def is_ready(self, item: TrayItem) -> bool:
        prepared = item.prepared
        return prepared is not None and (prepared.width, prepared.height) == self.target(item)

    def _original_differs(self, item: TrayItem) -> bool:
        if item.original is None:
            return False
        output = limit_pixels(ReferenceSize.OUTPUT, self._output_pixels)
        original = limit_pixels(ReferenceSize.ORIGINAL, self._output_pixels)
        return sent_size(*item.original, output) != sent_size(*item.original, original)

    # --- what the model in use takes ---------------------------------------------------------------

    def catalog_model(self) -> Model:
        return self._model

    def set_catalog_model(self, model: Model) -> None:
        """Follow ``model``: which references are sent, and what each costs there."""
        if model == self._model:
            return
        self._model = model
        self._all_changed()

    def set_price_table(self, table: PriceTable) -> None:
        self._table = table
        self._all_changed()

    def output_pixels(self) -> int:
        return self._output_pixels

    def set_output_pixels(self, pixels: int) -> bool:
        """The output's size in pixels (the budget of references sent at the output's size); ``True`` when some
        reference is now to be sent at another size."""
        if pixels == self._output_pixels:
            return False
        before = [self.target(item) for item in self._items]
        self._output_pixels = pixels
        self._all_changed()
        return before != [self.target(item) for item in self._items]

    def sendable_count(self) -> int:
        return min(len(self._items), self._model.max_input_images)

    def _all_changed(self) -> None:
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))

    # --- the items ---------------------------------------------------------------------------------

    def items(self) -> list[TrayItem]:
        return list(self._items)

    def item(self, row: int) -> TrayItem:
        return self._items[row]

    def row_of(self, item: TrayItem) -> int:
        """The row of ``item``; -1 when it is not in the tray (removed meanwhile)."""
        for row, candidate in enumerate(self._items):
            if candidate is item:
                return row
        return -1

    def new_item(self, label: str, **values: Any) -> TrayItem:
        return TrayItem(next(self._keys), label, **values)

    def room(self) -> int:
        return MAX_REFERENCES - len(self._items)

    def insert(self, items: Iterable[TrayItem], row: int | None = None) -> None:
        items = list(items)[:self.room()]
        if not items:
            return
        at = len(self._items) if row is None else max(0, min(row, len(self._items)))
        self.beginInsertRows(QModelIndex(), at, at + len(items) - 1)
        self._items[at:at] = items
        self.endInsertRows()
        self._names_changed(at)

    def take(self, row: int) -> TrayItem:
        """Remove the reference at ``row`` and answer it."""
        self.beginRemoveRows(QModelIndex(), row, row)
        item = self._items.pop(row)
        self.endRemoveRows()
        self._names_changed(row)
        return item

    def take_all(self) -> list[TrayItem]:
        self.beginResetModel()
        items, self._items = self._items, []
        self.endResetModel()
        return items

    def move(self, row: int, to: int) -> bool:
        """Move the reference at ``row`` so that it ends at ``to``; its name changes with its place."""
        if not (0 <= row < len(self._items) and 0 <= to < len(self._items)) or row == to:
            return False
        if not self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), to + 1 if to > row else to):
            return False
        self._items.insert(to, self._items.pop(row))
        self.endMoveRows()
        self._names_changed(min(row, to))
        return True

    def item_changed(self, item: TrayItem) -> None:
        """``item``'s size, preparation or choice changed: its row says so."""
        row = self.row_of(item)
        if row >= 0:
            self.dataChanged.emit(self.index(row), self.index(row))

    def set_send_original(self, row: int, on: bool) -> None:
        item = self._items[row]
        if item.send_original != on:
            item.send_original = on
            self.item_changed(item)

    def _names_changed(self, first: int) -> None:
        """Rows from ``first`` on have a new place: their names, and whether they are sent, change."""
        if first < len(self._items):
            self.dataChanged.emit(self.index(first), self.index(len(self._items) - 1))

    # --- what the request gets ---------------------------------------------------------------------

    def input_images(self) -> tuple[InputImage, ...]:
        """The references the model in use takes, in order: prepared ones with their data, the others with the size
        they will be sent at (or none yet) and no data."""
        images = []
        for item in self._items[:self.sendable_count()]:
            if self.is_ready(item) and item.sent is not None:
                images.append(replace(item.sent, from_image_id=item.from_image_id))
            else:
                target = self.target(item)
                images.append(InputImage("", target[0] if target else None, target[1] if target else None,
                                         None, item.source, item.from_image_id))
        return tuple(images)

    def waiting_for(self) -> list[str]:
        """The names of the references to be sent that are not ready yet."""
        return [reference_name(row) for row, item in enumerate(self._items[:self.sendable_count()])
                if not self.is_ready(item)]

    def first_size(self) -> tuple[int, int] | None:
        """The size of image 1 as the file shows it, when it is sent and its size is known."""
        if self.sendable_count() == 0:
            return None
        return self._items[0].original


def is_row_drag(data: QMimeData | None) -> bool:
    return data is not None and data.hasFormat(TRAY_ROWS_MIME)

