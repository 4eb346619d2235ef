"""The gallery's item model: every matching image id in order, their light rows fetched in pages, off-thread.

A query answers the whole ordered list of ids at once (8 bytes an image; SQLite reads it from an index in
tens of milliseconds at 100,000 images), so the count is exact and the scrollbar can jump anywhere. A row's
data is fetched with its page of ``page_size`` rows the first time a view asks for it; until then the row
answers only its id. Loaded rows are kept in a bounded cache keyed by id, so sorting or searching again
reuses them.

Dragging out never reads the database on the GUI thread (a worker may hold the queries' lock for a
whole ``ids()`` of 100,000 rows): the paths of a selection whose rows were not all loaded are looked up
in the background (``prepare_drag_paths``, which the view calls when its selection settles), and
``mime_for_ids`` answers only with every path known, so a drop always gets every selected file.
"""

from __future__ import annotations

import sys
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QStringListModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)

from fluxdesk.core.catalog import UnknownModelError, get_model
from fluxdesk.core.metadata import NotAnImageError
from fluxdesk.core.pricing import credits_to_usd, format_credits, format_price
from fluxdesk.storage.db import LibraryError
from fluxdesk.storage.gallery_queries import GalleryItem, GalleryQueries, GalleryQuery
from fluxdesk.storage.metadata_io import image_format
from fluxdesk.ui.engine.tasks import TaskManager, weak_callback
from fluxdesk.ui.kit.item_models import ROOT, ModelIndex, ThumbnailRows, runs, with_role_names
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, encode_image_ids
from fluxdesk.ui.kit.text import escaped, prompt_html, rich_tooltip

PAGE_SIZE = 500
MAX_CACHED_ITEMS = 20_000
"""Light rows kept in memory (about 10 MB); scrolling far away and back fetches a page again."""
MAX_DRAG_BYTES = 64 * 1024 * 1024
IMAGE_MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

_ITEM_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
               | Qt.ItemFlag.ItemNeverHasChildren)


class GalleryRoles(IntEnum):
    ImageId = Qt.ItemDataRole.UserRole + 1
    Path = Qt.ItemDataRole.UserRole + 2
    Prompt = Qt.ItemDataRole.UserRole + 3
    Model = Qt.ItemDataRole.UserRole + 4
    Seed = Qt.ItemDataRole.UserRole + 5
    Cost = Qt.ItemDataRole.UserRole + 6
    """Credits, a ``Decimal`` (``None`` when BFL did not say)."""
    CreatedAt = Qt.ItemDataRole.UserRole + 7
    Favourite = Qt.ItemDataRole.UserRole + 8
    Demo = Qt.ItemDataRole.UserRole + 9
    Trashed = Qt.ItemDataRole.UserRole + 10
    Missing = Qt.ItemDataRole.UserRole + 11
    Broken = Qt.ItemDataRole.UserRole + 12
    Width = Qt.ItemDataRole.UserRole + 13
    Height = Qt.ItemDataRole.UserRole + 14
    Loaded = Qt.ItemDataRole.UserRole + 15
    """Whether the row's data has arrived (until then only ``ImageId`` answers)."""
    Item = Qt.ItemDataRole.UserRole + 16
    """The whole ``GalleryItem``: what the delegate reads, in one call."""


_ITEM_FIELDS: dict[int, Callable[[GalleryItem], Any]] = {
    GalleryRoles.Path: lambda item: item.path,
    GalleryRoles.Prompt: lambda item: item.prompt,
    GalleryRoles.Model: lambda item: item.model,
    GalleryRoles.Seed: lambda item: item.seed,
    GalleryRoles.Cost: lambda item: item.cost_credits,
    GalleryRoles.CreatedAt: lambda item: item.created_at,
    GalleryRoles.Favourite: lambda item: item.favourite,
    GalleryRoles.Demo: lambda item: item.demo,
    GalleryRoles.Trashed: lambda item: item.trashed,
    GalleryRoles.Missing: lambda item: item.missing,
    GalleryRoles.Broken: lambda item: item.broken,
    GalleryRoles.Width: lambda item: item.width,
    GalleryRoles.Height: lambda item: item.height,
    Qt.ItemDataRole.DisplayRole: lambda item: item.prompt,
    Qt.ItemDataRole.ToolTipRole: lambda item: tooltip(item),
    Qt.ItemDataRole.AccessibleTextRole: lambda item: item.prompt or "Image",
}


def model_name(model_id: str) -> str:
    """What a designer reads for a model id (the id itself for one FluxDesk does not know)."""
    try:
        return get_model(model_id).name
    except UnknownModelError:
        return model_id


def cost_text(credits: Decimal | None) -> str:
    if credits is None:
        return "cost unknown"
    return f"{format_credits(credits)} credits ({format_price(credits_to_usd(credits))})"


def tooltip(item: GalleryItem) -> str:
    facts = [model_name(item.model), f"seed {item.seed}" if item.seed is not None else "no seed",
             cost_text(item.cost_credits)]
    if item.demo:
        facts.append("demo")
    state = "<b>The file is missing</b>" if item.missing else ("<b>The file cannot be read</b>" if item.broken else "")
    return rich_tooltip(prompt_html(item.prompt), f"<small>{escaped(' · '.join(facts))}</small>", state)


@dataclass(frozen=True)
class _Request:
    epoch: int
    generation: int
    structure: int


class GalleryModel(ThumbnailRows, QStringListModel):
    """Images matching a ``GalleryQuery``, in its order. ``set_source`` a library's queries, then ``set_query``.

    Read-only to the outside. It is a ``QStringListModel`` only for its row count, which lives in C++: Qt's
    views ask for it once or twice per row whenever they lay out (200,000 calls for 100,000 images), which
    from Python took ~150 ms and fought the thumbnail threads for the GIL. The strings stay empty; the ids
    are in ``_ids``, always as many as the list's rows (rows change only through the methods here).
    """

    Roles = GalleryRoles

    loadingChanged = Signal(bool)
    """A query is running (``True``) or has answered (``False``)."""
    queryFinished = Signal(int)
    """The rows now match the query: how many there are."""
    rowsLoaded = Signal()
    """Some rows' data arrived."""
    failed = Signal(str)
    """A query failed: why, in words."""
    dragPathsKnown = Signal()
    """Paths asked for by ``prepare_drag_paths`` arrived: a drag waiting for them can start."""

    def __init__(self, parent: QObject | None = None, *, page_size: int = PAGE_SIZE,
                 max_cached: int = MAX_CACHED_ITEMS) -> None:
        super().__init__(parent)
        if page_size < 1 or max_cached < page_size:
            raise ValueError("pages need at least one row, and the cache room for a page")
        self._page_size = page_size
        self._max_cached = max_cached
        self._source: GalleryQueries | None = None
        self._query = GalleryQuery()
        self._ids = array("q")
        self._items: OrderedDict[int, GalleryItem] = OrderedDict()
        self._painted: dict[str, int] = {}
        """Each file's row when its tile was last painted: where a thumbnail that arrives goes (checked on use)."""
        self._pages_in_flight: set[int] = set()
        self._pages_wanted: set[int] = set()
        self._page_timer = QTimer(self, singleShot=True, interval=0)
        self._page_timer.timeout.connect(self._fetch_wanted_pages)
        self._epoch = 0
        """Bumped when the source changes: answers from an older library are dropped."""
        self._generation = 0
        """Bumped when a query is sent: only the latest one's answer is shown."""
        self._structure = 0
        """Bumped whenever rows move (reset, insert, remove): page answers then map to rows anew."""
        self._loading = False
        self._drag_data: tuple[int, str, bytes] | None = None
        self._drag_paths: dict[int, str | None] = {}
        """Paths looked up for a drag of rows not loaded (``None``: no longer in the library)."""
        self._paths_generation = 0
        """Bumped when files may have moved (rows removed or forgotten, a new source): older lookups are dropped."""
        self._inserting: tuple[int, int] | None = None
        self._removing: tuple[int, int] | None = None
        # Connected before any view: the ids change before the views hear of the new rows.
        self.rowsInserted.connect(self._ids_inserted, Qt.ConnectionType.DirectConnection)
        self.rowsRemoved.connect(self._ids_removed, Qt.ConnectionType.DirectConnection)

    # --- Qt's model interface ---------------------------------------------------------------------

    def roleNames(self) -> dict[int, QByteArray]:
        return with_role_names(super().roleNames(), GalleryRoles)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every tile painted: the checks are the cheap ones (a list model's indexes have no parent).
        row = index.row()
        if not 0 <= row < len(self._ids) or not index.isValid():
            return None
        image_id = self._ids[row]
        if role == GalleryRoles.ImageId:
            return image_id
        item = self._items.get(image_id)
        if role == GalleryRoles.Loaded:
            return item is not None
        if item is None:
            self._request_page(row // self._page_size)
            return None
        if role == GalleryRoles.Item:
            self._painted[item.path] = row
            return item
        getter = _ITEM_FIELDS.get(role)
        return getter(item) if getter is not None else None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        return False

    def insertRows(self, row: int, count: int, parent: ModelIndex = ROOT) -> bool:
        return False  # rows come from queries (``insert_item`` for a new image)

    def removeRows(self, row: int, count: int, parent: ModelIndex = ROOT) -> bool:
        return False  # ``remove_ids``

    def moveRows(self, source_parent: ModelIndex, source_row: int, count: int, destination_parent: ModelIndex,
                 destination_child: int) -> bool:
        return False

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain", IMAGE_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]  # Qt takes None: no drag
        rows = sorted({index.row() for index in indexes if index.isValid()})
        return self.mime_for_ids([self._ids[row] for row in rows if 0 <= row < len(self._ids)])

    def mime_for_ids(self, ids: Sequence[int]) -> QMimeData | None:
        """File URLs of the images (``text/uri-list``), their paths as text, their library ids in the same order
        (``IMAGE_IDS_MIME``), and for a single image prepared with ``prepare_drag_data`` its bytes as they are on
        disk (metadata and all).

        ``None`` while the path of some image is not known here yet: never a drag that leaves files out,
        and never a query on the GUI thread. ``prepare_drag_paths`` looks them up; ``dragPathsKnown`` says
        when they arrived."""
        files = self.known_files(ids)
        if files is None:
            return None
        paths = [path for _id, path in files]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path) for path in paths])
        mime.setText("\n".join(paths))
        # Which library image each file is, in the same order: a drop inside FluxDesk (the reference tray) links
        # what it makes to them.
        mime.setData(IMAGE_IDS_MIME, QByteArray(encode_image_ids([image_id for image_id, _path in files])))
        if len(ids) == 1 and self._drag_data is not None and self._drag_data[0] == ids[0]:
            _image_id, mime_type, data = self._drag_data
            mime.setData(mime_type, QByteArray(data))
        return mime

    # --- the query --------------------------------------------------------------------------------

    def set_source(self, source: GalleryQueries | None) -> None:
        """Show another library's images (or none). The old source is not closed here."""
        self._epoch += 1
        self._generation += 1
        self._source = source
        self._drag_data = None
        self._forget_drag_paths()
        self._items.clear()
        self._reset_ids(array("q"))
        self._set_loading(False)
        if source is not None:
            self._run_query()

    def source(self) -> GalleryQueries | None:
        return self._source

    def query(self) -> GalleryQuery:
        return self._query

    def set_query(self, query: GalleryQuery) -> None:
        """Show the images matching ``query``: the rows change when its answer arrives."""
        self._query = query
        if self._source is not None:
            self._run_query()

    def refresh(self) -> None:
        """Ask again (the library changed in ways the model was not told of)."""
        if self._source is not None:
            self._run_query()

    def is_loading(self) -> bool:
        return self._loading

    def _run_query(self) -> None:
        source, query = self._source, self._query
        assert source is not None
        self._generation += 1
        ticket = self._ticket()
        page = self._page_size
        self._set_loading(True)

        def work() -> tuple[array, list[GalleryItem]]:
            ids = source.ids(query)
            return ids, source.items(ids[:page])  # the first screen comes with the list: one round trip

        TaskManager.instance().run_in_background(
            work, weak_callback(self._query_answered, ticket), weak_callback(self._query_failed, ticket))

    def _query_answered(self, ticket: _Request, answer: tuple[array, list[GalleryItem]]) -> None:
        ids, first = answer
        if ticket.epoch != self._epoch or ticket.generation != self._generation:
            return
        self._store(first)
        self._reset_ids(ids)
        self._set_loading(False)
        self.queryFinished.emit(len(ids))

    def _query_failed(self, ticket: _Request, exc: BaseException) -> None:
        if ticket.epoch != self._epoch or ticket.generation != self._generation:
            return
        self._set_loading(False)
        self.failed.emit(str(exc))

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    def _reset_ids(self, ids: array) -> None:
        self.beginResetModel()
        self._ids = ids
        self._painted.clear()
        self._bump_structure()
        self.blockSignals(True)  # inside a reset: the views hear only of the reset
        try:
            rows = QStringListModel.rowCount(self)
            if rows:
                QStringListModel.removeRows(self, 0, rows)
            if ids:
                QStringListModel.insertRows(self, 0, len(ids))
        finally:
            self.blockSignals(False)
        self.endResetModel()

    def _ids_inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if self._inserting is not None and self._inserting[0] == first:
            self._ids.insert(first, self._inserting[1])
            self._inserting = None
            self._bump_structure()

    def _ids_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        if self._removing == (first, last):
            del self._ids[first:last + 1]
            self._removing = None
            self._bump_structure()

    def _bump_structure(self) -> None:
        # Pages asked for before rows moved answer into the old layout: forget them, ask again when painted.
        self._structure += 1
        self._pages_in_flight.clear()
        self._pages_wanted.clear()

    def _ticket(self) -> _Request:
        return _Request(self._epoch, self._generation, self._structure)

    # --- pages --------------------------------------------------------------------------------------

    def _request_page(self, page: int) -> None:
        # Asked from data(): the fetch starts from the event loop, never inside data() (an answer that is
        # ready at once would otherwise change the model in the middle of a view's read).
        if self._source is not None and page not in self._pages_in_flight:
            self._pages_wanted.add(page)
            self._page_timer.start()

    def _fetch_wanted_pages(self) -> None:
        pages, self._pages_wanted = sorted(self._pages_wanted), set()
        for page in pages:
            self._fetch_page(page)

    def _fetch_page(self, page: int) -> None:
        source = self._source
        if source is None or page in self._pages_in_flight:
            return
        start = page * self._page_size
        wanted = [i for i in self._ids[start:start + self._page_size] if i not in self._items]
        if not wanted:
            return
        self._pages_in_flight.add(page)
        ticket = self._ticket()
        TaskManager.instance().run_in_background(
            lambda: source.items(wanted), weak_callback(self._page_answered, ticket, page),
            weak_callback(self._page_failed, ticket, page))

    def _page_answered(self, ticket: _Request, page: int, items: list[GalleryItem]) -> None:
        if ticket.epoch != self._epoch:
            return
        if ticket.structure == self._structure:
            self._pages_in_flight.discard(page)
        self._store(items)
        if not self._ids:
            return
        if ticket.structure == self._structure:
            first = page * self._page_size
            last = min(first + self._page_size, len(self._ids)) - 1
        else:
            first, last = 0, len(self._ids) - 1
        if first <= last:
            self.dataChanged.emit(self.index(first), self.index(last), [])
        self.rowsLoaded.emit()

    def _page_failed(self, ticket: _Request, page: int, _exc: BaseException) -> None:
        # Left out of the in-flight set, so the next paint asks again; a closed library is not retried.
        if ticket.epoch == self._epoch and ticket.structure == self._structure:
            self._pages_in_flight.discard(page)

    def _store(self, items: Iterable[GalleryItem]) -> None:
        cache = self._items
        for item in items:
            cache[item.id] = item
            cache.move_to_end(item.id)
        while len(cache) > self._max_cached:
            cache.popitem(last=False)

    # --- reading -----------------------------------------------------------------------------------

    def image_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def item(self, row: int) -> GalleryItem | None:
        """The row's data if it has arrived (this never fetches)."""
        return self._items.get(self._ids[row]) if 0 <= row < len(self._ids) else None

    def item_by_id(self, image_id: int) -> GalleryItem | None:
        return self._items.get(image_id)

    def rows_with_path(self, path: str) -> list[int]:
        # Only a painted tile asks for a thumbnail, and its paint noted its row: no scan of 100,000 rows.
        row = self._painted.get(path)
        item = self.item(row) if row is not None else None
        return [row] if row is not None and item is not None and item.path == path else []

    def row_of(self, image_id: int) -> int:
        """The row showing ``image_id``, or -1."""
        try:
            return self._ids.index(image_id)
        except ValueError:
            return -1

    def rows_of(self, ids: Iterable[int]) -> list[int]:
        """The rows showing any of ``ids``, top first (one pass over the rows)."""
        wanted = set(ids)
        if not wanted:
            return []
        return [row for row, image_id in enumerate(self._ids) if image_id in wanted]

    def ids_in(self, ranges: Iterable[tuple[int, int]]) -> list[int]:
        """The ids of the rows in inclusive ``(first, last)`` ranges, in row order."""
        out: list[int] = []
        for first, last in sorted(ranges):
            out.extend(self._ids[max(0, first):last + 1])
        return out

    def all_ids(self) -> array:
        return array("q", self._ids)

    # --- changes made here (the library was changed by the caller) -----------------------------

    def insert_item(self, item: GalleryItem, row: int = 0) -> bool:
        """Show a new image at ``row`` (the top for a new image, newest first). False if already shown."""
        if item.id in self._ids:
            return False
        row = max(0, min(row, len(self._ids)))
        self._store([item])
        self._inserting = (row, item.id)
        QStringListModel.insertRows(self, row, 1)  # Qt's signals; ``_ids_inserted`` puts the id in first
        return True

    def remove_ids(self, ids: Iterable[int]) -> int:
        """Drop images from the rows (trashed, restored, deleted); answers how many rows went."""
        wanted = set(ids)
        if not wanted:
            return 0
        rows = self.rows_of(wanted)
        for first, last in reversed(runs(rows)):
            self._removing = (first, last)
            QStringListModel.removeRows(self, first, last - first + 1)
        for image_id in wanted:
            self._items.pop(image_id, None)
        self._forget_drag_paths()
        return len(rows)

    def update_items(self, ids: Iterable[int], **changes: Any) -> None:
        """Change fields of loaded rows (``favourite=True``, ``broken=True`` …) and repaint them."""
        changed = []
        for image_id in ids:
            item = self._items.get(image_id)
            if item is not None:
                self._items[image_id] = item._replace(**changes)
                changed.append(image_id)
        if len(changed) == 1:
            row = self.row_of(changed[0])
            if row >= 0:
                self.dataChanged.emit(self.index(row), self.index(row), [])
        elif changed:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [])

    def forget(self, ids: Iterable[int]) -> None:
        """Drop loaded rows so they are read again (the library changed them)."""
        for image_id in ids:
            self._items.pop(image_id, None)
        self._forget_drag_paths()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [])

    # --- dragging out ------------------------------------------------------------------------------

    def prepare_drag_data(self, image_id: int | None) -> None:
        """Read the image's file in the background, so a drag of that one image can carry its bytes
        (apps that take pictures but not files). ``None`` forgets it."""
        self._drag_data = None
        item = self._items.get(image_id) if image_id is not None else None
        if item is None or item.missing:
            return
        path, ticket = item.path, self._ticket()

        def read() -> tuple[str, bytes] | None:
            file = Path(path)
            try:
                if file.stat().st_size > MAX_DRAG_BYTES:
                    return None
                data = file.read_bytes()
            except OSError:  # gone or unreadable since its row was read: the drag carries the file's path only
                return None
            try:
                return IMAGE_MIME[image_format(data)], data
            except NotAnImageError:
                return None

        TaskManager.instance().run_in_background(read, weak_callback(self._drag_data_read, ticket, image_id))

    def _drag_data_read(self, ticket: _Request, image_id: int, answer: tuple[str, bytes] | None) -> None:
        if answer is not None and ticket.epoch == self._epoch:
            self._drag_data = (image_id, *answer)

    def drag_data_ready(self, image_id: int) -> bool:
        return self._drag_data is not None and self._drag_data[0] == image_id

    def prepare_drag_paths(self, ids: Sequence[int]) -> None:
        """Look up, off the GUI thread, the paths of those of ``ids`` whose rows are not loaded, so that a drag
        of them finds every path here; ``dragPathsKnown`` when they arrive. Paths kept for other images go."""
        kept = {i: self._drag_paths[i] for i in ids if i in self._drag_paths}
        self._drag_paths = kept
        unknown = [i for i in ids if i not in self._items and i not in kept]
        source = self._source
        if not unknown or source is None:
            return
        epoch, generation = self._epoch, self._paths_generation
        TaskManager.instance().run_in_background(
            lambda: source.paths(unknown), weak_callback(self._drag_paths_read, epoch, generation, unknown),
            self._drag_paths_failed, parent=self)

    def _drag_paths_read(self, epoch: int, generation: int, asked: list[int], paths: dict[int, str]) -> None:
        if epoch != self._epoch or generation != self._paths_generation:
            return  # files may have moved since (trash, restore): a drag asks again
        self._drag_paths.update((i, paths.get(i)) for i in asked)
        self.dragPathsKnown.emit()

    @staticmethod
    def _drag_paths_failed(exc: BaseException) -> None:
        # A closed or busy library: nothing to drag now, the next drag asks again. Anything else is a bug.
        if not isinstance(exc, LibraryError):
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _forget_drag_paths(self) -> None:
        self._paths_generation += 1
        self._drag_paths = {}

    def known_paths(self, ids: Iterable[int]) -> list[str] | None:
        """The files of ``ids`` in their order, from loaded rows and looked-up paths (an image no longer in the
        library is left out); ``None`` if some path is not known here. Never reads the database."""
        files = self.known_files(ids)
        return None if files is None else [path for _id, path in files]

    def known_files(self, ids: Iterable[int]) -> list[tuple[int, str]] | None:
        """``(id, path)`` of ``ids`` in their order, as ``known_paths`` finds them."""
        items, looked_up = self._items, self._drag_paths
        files: list[tuple[int, str]] = []
        for image_id in ids:
            item = items.get(image_id)
            if item is not None:
                files.append((image_id, item.path))
            elif image_id in looked_up:
                path = looked_up[image_id]
                if path is not None:
                    files.append((image_id, path))
            else:
                return None
        return files
