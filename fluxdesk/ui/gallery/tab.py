"""The Gallery tab: every image ever generated, searchable, and one click from being made again.

It composes the filter bar, the grid, the details pane and the actions, and talks to the window only through
signals: it asks for a reproduction or for settings to be loaded; the window does it.
"""

from __future__ import annotations

import os
from decimal import Decimal

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import UnknownModelError
from fluxdesk.core.metadata import ReproductionVerdict, reproduction_verdict
from fluxdesk.core.pricing import PriceTable, PriceTableError, estimate, format_usd
from fluxdesk.core.projects import NO_PROJECT, Project
from fluxdesk.core.request import GenerationRequest, reference_name
from fluxdesk.core.wording import plural, plural_word
from fluxdesk.services.library_views import GalleryStore, ProjectMove
from fluxdesk.storage.db import LibraryError
from fluxdesk.storage.gallery_queries import NO_PROJECT_FILTER, GalleryItem, GalleryQueries, GalleryQuery
from fluxdesk.storage.library import TRASH_DAYS
from fluxdesk.storage.rows import ImageRow, ReferenceRow
from fluxdesk.ui.engine.tasks import TaskManager, weak_callback
from fluxdesk.ui.gallery.actions import GalleryActions, SelectionState
from fluxdesk.ui.gallery.details import PREVIEW_SIZE, GalleryDetails, can_run_again
from fluxdesk.ui.gallery.filters import GalleryFilterBar
from fluxdesk.ui.gallery.lineage import shown_in_gallery
from fluxdesk.ui.gallery.model import GalleryModel, model_name
from fluxdesk.ui.gallery.operations import GalleryOperations
from fluxdesk.ui.gallery.project_chooser import MoveToProjectDialog
from fluxdesk.ui.gallery.view import GalleryView
from fluxdesk.ui.gallery.viewer import ImageViewer
from fluxdesk.ui.kit.desktop_open import open_with_system
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.item_models import runs
from fluxdesk.ui.kit.surfaces import Banner
from fluxdesk.ui.kit.theme import set_tone
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

DETAILS_DELAY_MS = 60
"""Selection changes settle this long before the details are read (arrow keys held down)."""
REFRESH_DELAY_MS = 500
UNDO_BAR_MS = 20_000
MAX_REMEMBERED_SELECTION = 2000
DETAILS_MIN_WIDTH = 240
DETAILS_MAX_WIDTH = 540

EMPTY_LIBRARY = "No images yet — generate one in the Generate tab."
EMPTY_FILTERS = "No images match these filters."
EMPTY_TRASH = f"The trash is empty. Deleted images stay here for {TRASH_DAYS} days, then go for good."
NO_LIBRARY = "The library is not open yet."


class _EmptyState(QWidget):
    """What the grid shows when it has nothing: why, and the way out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryEmpty")
        self.label = QLabel()
        self.label.setObjectName("galleryEmptyText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        set_tone(self.label, "muted")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setObjectName("galleryEmptyClear")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def show_text(self, text: str, *, offer_clear: bool) -> None:
        self.label.setText(text)
        self.clear_button.setVisible(offer_clear)


class _Banner(Banner):
    """A one-line strip above the grid: a message and a button or two."""

    def __init__(self, name: str, tone: str, parent: QWidget | None = None) -> None:
        super().__init__(tone, parent)
        self.setObjectName(name)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 4, 6, 4)
        self._layout.addWidget(self.label, 1)

    def add_button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        self._layout.addWidget(button)
        return button

    def add_close(self) -> QToolButton:
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss")
        close.clicked.connect(self.hide)
        self._layout.addWidget(close)
        return close


class GalleryTab(QWidget):
    """The gallery. ``set_store`` when the engine starts or switches library; ``image_added`` for each new image."""

    reproduceRequested = Signal("qlonglong")  # type: ignore[arg-type]  # C++ name: 64-bit; stubs want a type
    """An image id to run again exactly (same parameters and seed)."""
    reuseSettingsRequested = Signal("qlonglong")  # type: ignore[arg-type]  # C++ name: 64-bit; stubs want a type
    """An image id whose settings (what made it) go into the prompt panel."""
    useSeedRequested = Signal("qlonglong")  # type: ignore[arg-type]  # C++ name: 64-bit; stubs want a type
    usePromptRequested = Signal(str)
    referenceRequested = Signal(str, object)
    editRegionRequested = Signal(str, object)
    """``(file, library image id)``: open the mask editor on the image (Edit region…)."""
    expandRequested = Signal(str, object)
    """``(file, library image id)``: open Expand on the image (Expand canvas…)."""
    """``(file, library image id)``: the image is wanted as a reference in the prompt panel (once per image)."""
    statusMessage = Signal(str)
    imagesMoved = Signal()
    """Images moved to another project, or back (undo): spend by project and the projects' order changed."""
    actions: GalleryActions  # type: ignore[assignment]  # hides QWidget.actions(), which nothing calls on the tab

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None, *,
                 folders: FolderMemory | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryTab")
        self._folders = folders or FolderMemory(parent=self)
        self._thumbnails = thumbnails
        self._library: GalleryStore | None = None
        """The open library, as the gallery reads and changes it."""
        self._queries: GalleryQueries | None = None
        self._image: ImageRow | None = None
        """The image the details pane shows (read in full from the library)."""
        self._preview_path: str | None = None
        self._remember: tuple[int | None, list[int]] | None = None
        self._select_first_when_loaded = False
        self._sized = False
        self._anchor: int | None = None
        """The image at the top of the grid before a refresh, to come back to."""
        self._price_table: PriceTable | None = None
        self._reproductions: dict[str, int] = {}
        """Reproduce's jobs still running: job id → the image they reproduce."""
        self._select_when_shown: int | None = None
        """An image to select as soon as the grid shows it (a reproduction that just arrived)."""
        self._viewer: ImageViewer | None = None
        self._viewer_row: int | None = None
        """A row the large view waits for while its data is fetched."""
        self._projects: list[Project] = []
        """The library's projects, archived ones too (the filter's list; Move to project… offers the others)."""

        self.model = GalleryModel(self)
        self.filters = GalleryFilterBar()
        self.view = GalleryView(self.model, thumbnails)
        self.view.set_tile_size(self.filters.tile_size())
        self.details = GalleryDetails(thumbnails)
        self.ops = GalleryOperations(self)
        self.actions = GalleryActions(self)
        self._build()
        self._connect()
        self._last_query = self.filters.query()
        self.model.set_query(self._last_query)
        self._details_timer = QTimer(self, singleShot=True, interval=DETAILS_DELAY_MS)
        self._details_timer.timeout.connect(self._update_details)
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        # A batch lands an image every few hundred ms: the model list is read once it settles, not per image.
        self._models_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._models_timer.timeout.connect(self._load_models)
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_BAR_MS)
        self._undo_timer.timeout.connect(self.undo_bar.hide)
        self._show_state()
        self._update_actions()

    # --- building -------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.undo_bar = _Banner("galleryUndoBar", "info")
        self.undo_button = self.undo_bar.add_button("Undo (Ctrl+Z)", "galleryUndoButton")
        self.undo_bar.add_close()
        self.undo_bar.hide()
        self.trash_bar = _Banner("galleryTrashBar", "warning")
        self.trash_bar.label.setText(f"Trash: images are deleted for good {TRASH_DAYS} days after they were "
                                     "moved here.")
        self.restore_button = self.trash_bar.add_button("Restore", "galleryRestoreButton")
        self.empty_trash_button = self.trash_bar.add_button("Empty trash…", "galleryEmptyTrashButton")
        self.trash_bar.hide()
        self.result_bar = _Banner("galleryResultBar", "info")
        self.result_bar.add_close()
        self.result_bar.hide()
        self.empty_state = _EmptyState()
        self.grid_stack = QStackedWidget()
        self.grid_stack.addWidget(self.view)
        self.grid_stack.addWidget(self.empty_state)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(4)
        left_layout.addWidget(self.filters)
        for bar in (self.result_bar, self.undo_bar, self.trash_bar):
            holder = QHBoxLayout()
            holder.setContentsMargins(8, 0, 8, 0)
            holder.addWidget(bar)
            left_layout.addLayout(holder)
        left_layout.addWidget(self.grid_stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("gallerySplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)  # a wider window widens the details too, a quarter as fast
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, True)
        self.splitter.setSizes([700, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _connect(self) -> None:
        self.filters.queryChanged.connect(self._apply_filters)
        self.filters.tileSizeChanged.connect(self.view.set_tile_size)
        self.empty_state.clear_button.clicked.connect(self.filters.clear_filters)
        self.model.queryFinished.connect(self._on_query_finished)
        self.model.loadingChanged.connect(lambda _loading: self._show_count())
        self.model.failed.connect(lambda why: self.statusMessage.emit(f"The gallery could not be read: {why}"))
        self.model.rowsInserted.connect(lambda *_: self._rows_changed())
        self.model.rowsRemoved.connect(lambda *_: self._rows_changed())
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.openRequested.connect(self.open_selected)
        self.view.doubleClicked.connect(lambda _index: self.view_large())
        self.model.rowsLoaded.connect(self._viewer_row_loaded)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.typedText.connect(self._search_typed)
        self._thumbnails.thumbnailReady.connect(self._on_thumbnail_ready)
        self._thumbnails.failed.connect(self._on_thumbnail_failed)

        self.details.set_actions(self.actions)  # its buttons trigger the actions below and follow their state
        self.details.lineage.referenceActivated.connect(self.open_reference)
        self.details.lineage.usedInRequested.connect(self.show_used_in)

        a = self.actions
        a.reproduce.triggered.connect(self.reproduce_selected)
        a.reuse_settings.triggered.connect(self.reuse_settings_selected)
        a.use_seed.triggered.connect(self.use_seed_selected)
        a.use_prompt.triggered.connect(self.use_prompt_selected)
        a.use_as_reference.triggered.connect(self.use_as_reference_selected)
        a.edit_region.triggered.connect(lambda _checked=False: self._edit_selected(a.edit_region,
                                                                                  "editRegionRequested"))
        a.expand_canvas.triggered.connect(lambda _checked=False: self._edit_selected(a.expand_canvas,
                                                                                    "expandRequested"))
        a.favourite.triggered.connect(self.toggle_favourite)
        a.copy_image.triggered.connect(self.copy_image)
        a.open.triggered.connect(self.open_selected)
        a.view_large.triggered.connect(self.view_large)
        a.show_in_folder.triggered.connect(self.show_in_folder)
        a.export.triggered.connect(lambda: self.export_selected())
        a.delete.triggered.connect(self.delete_selected)
        a.move_to_project.triggered.connect(self.move_selected_to_project)
        a.undo.triggered.connect(self.undo_last)
        a.restore.triggered.connect(self.restore_selected)
        a.delete_permanently.triggered.connect(self.delete_selected_permanently)
        a.remove_from_library.triggered.connect(self.remove_missing_selected)
        a.empty_trash.triggered.connect(lambda: self.empty_trash())
        self.undo_button.clicked.connect(self.undo_last)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_trash_button.clicked.connect(lambda: self.empty_trash())

        ops = self.ops
        ops.trashed.connect(self._on_trashed)
        ops.restored.connect(self._on_restored)
        ops.deleted.connect(self._on_deleted)
        ops.favouriteChanged.connect(self._on_favourite_changed)
        ops.exported.connect(self._on_exported)
        ops.copied.connect(lambda: self.statusMessage.emit("Copied the image"))
        ops.purged.connect(self._on_purged)
        ops.movedToProject.connect(self._on_moved)
        ops.movedBack.connect(self._on_moved_back)
        ops.failed.connect(self.statusMessage)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            width = self.splitter.width()
            details = max(DETAILS_MIN_WIDTH, min(DETAILS_MAX_WIDTH, round(width * 0.3)))
            self.splitter.setSizes([max(1, width - details), details])

    # --- the window's interface -----------------------------------------------------------------------

    def set_store(self, store: GalleryStore | None) -> None:
        """Show the images of ``store``'s library (``None``: none); whoever made ``store`` closes it. Purges trash
        older than TRASH_DAYS, off the GUI thread."""
        self._library = store
        self._queries = store.queries if store is not None else None
        self._image = None
        self._preview_path = None
        self.undo_bar.hide()
        self.result_bar.hide()
        if self._viewer is not None:
            self._viewer.close()
        self.ops.set_store(store)
        self.details.show_message("Select an image to see how it was made.")
        self.model.set_source(self._queries)
        self._show_state()
        self._update_actions()
        if store is not None:
            self.ops.purge_old_trash(TRASH_DAYS)
            self._load_models()

    def store(self) -> GalleryStore | None:
        return self._library

    def image_added(self, image_id: int, job_id: str | None = None) -> None:
        """A new image was stored: at the top at once when newest come first and it matches the filters.
        When its job reproduces an image, the verdict is told and the new image selected."""
        original = self._reproductions.pop(job_id, None) if job_id is not None else None
        if original is not None:
            self._reproduced(original, image_id)
        self._refresh_lineage()  # the new image may have been made from the one shown
        queries, query = self._queries, self.model.query()
        if queries is None or query.trash:
            return
        self._models_timer.start()
        if not query.newest_first:
            self._refresh_timer.start()  # its place in another order is for the query to say
            return

        TaskManager.instance().run_in_background(
            lambda: queries.matching_item(query, image_id), weak_callback(self._new_item, queries, query))

    def _new_item(self, queries: GalleryQueries, query: GalleryQuery, item: GalleryItem | None) -> None:
        if item is not None and queries is self._queries and self.model.query() == query:
            self.model.insert_item(item, 0)

    def refresh(self) -> None:
        """Read the library again, keeping the selection and the place in the grid."""
        self._remember_selection()
        rows = self.view.visible_rows()
        self._anchor = self.model.image_id(rows.start) if rows else None
        self.model.refresh()
        if self._library is not None:
            self._load_models()

    def prepare_screenshot(self) -> None:
        """Select the first image, so the details pane shows it with its preview."""
        if self.model.rowCount() == 0 or self.model.is_loading():
            self._select_first_when_loaded = True
            return
        self._select_rows([0], current=0)
        self.view.setFocus()

    # --- reading the selection ------------------------------------------------------------------------

    def selected_rows(self) -> list[tuple[int, int]]:
        """The selection as inclusive row ranges (select-all of 100,000 rows is one range, not a list)."""
        # QItemSelection is a list of ranges, iterable at runtime; its stubs lack __iter__
        return [(r.top(), r.bottom()) for r in self.view.selectionModel().selection()]  # type: ignore[attr-defined]

    def selected_count(self) -> int:
        return sum(last - first + 1 for first, last in self.selected_rows())

    def selected_ids(self) -> list[int]:
        return self.model.ids_in(self.selected_rows())

    def current_id(self) -> int | None:
        """The one selected image (``None`` with none or several)."""
        ranges = self.selected_rows()
        if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
            return self.model.image_id(ranges[0][0])
        return None

    def select_ids(self, ids: list[int], current: int | None = None) -> None:
        rows = self.model.rows_of(ids)
        current_row = self.model.row_of(current) if current is not None else -1
        self._select_rows(rows, current=current_row if current_row >= 0 else (rows[0] if rows else None))

    def _select_rows(self, rows: list[int], current: int | None = None) -> None:
        selection = QItemSelection()
        for first, last in runs(rows):
            selection.select(self.model.index(first), self.model.index(last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        selection_model = self.view.selectionModel()
        if current is not None:
            selection_model.setCurrentIndex(self.model.index(current), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(self.model.index(current))
        selection_model.select(selection, flags)

    # --- queries ---------------------------------------------------------------------------------------

    def _apply_filters(self) -> None:
        query = self.filters.query()
        trash_changed = self._last_query.trash != query.trash
        self._last_query = query
        self.trash_bar.setVisible(query.trash)
        self._anchor = None
        if trash_changed:
            self._remember = None
            self.view.clearSelection()
        else:
            self._remember_selection()
        self.model.set_query(query)
        self._show_count()

    def _remember_selection(self) -> None:
        ids = self.selected_ids() if self.selected_count() <= MAX_REMEMBERED_SELECTION else []
        self._remember = (self.current_id(), ids) if ids else None

    def _on_query_finished(self, count: int) -> None:
        self._show_state()
        self._show_count()
        remembered, self._remember = self._remember, None
        anchor, self._anchor = self._anchor, None
        if self._select_first_when_loaded and count:
            self._select_first_when_loaded = False
            self.prepare_screenshot()
        elif remembered is not None:
            self.select_ids(remembered[1], remembered[0])
        elif anchor is not None and (row := self.model.row_of(anchor)) >= 0:
            self.view.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtTop)
            self._update_details_soon()
        else:
            self.view.scrollToTop()
            self._update_details_soon()
        self._select_pending()
        self._update_actions()

    def _rows_changed(self) -> None:
        self._show_state()
        self._show_count()
        self._update_details_soon()
        if self._select_when_shown is not None:
            QTimer.singleShot(0, self._select_pending)  # after the views have taken in the new rows

    def _select_pending(self) -> None:
        wanted = self._select_when_shown
        if wanted is not None and self.model.row_of(wanted) >= 0:
            self._select_when_shown = None
            self.select_ids([wanted], wanted)

    def _show_count(self) -> None:
        if self._queries is None:
            self.filters.set_count(None)
            return
        loading = self.model.is_loading()
        count = self.model.rowCount()
        trash = self.model.query().trash
        if loading and count == 0:
            self.filters.set_count(None, loading=True)
        else:
            self.filters.set_count(count, trash=trash, loading=loading)

    def _show_state(self) -> None:
        if self.model.rowCount() > 0 or (self.model.is_loading() and self._queries is not None):
            self.grid_stack.setCurrentWidget(self.view)
            return
        query = self.model.query()
        if self._queries is None:
            self.empty_state.show_text(NO_LIBRARY, offer_clear=False)
        elif query.has_filters():
            self.empty_state.show_text(EMPTY_FILTERS, offer_clear=True)
        elif query.trash:
            self.empty_state.show_text(EMPTY_TRASH, offer_clear=False)
        else:
            self.empty_state.show_text(EMPTY_LIBRARY, offer_clear=False)
        self.grid_stack.setCurrentWidget(self.empty_state)

    def empty_text(self) -> str:
        """The empty state's words, or "" while images are shown."""
        return self.empty_state.label.text() if self.grid_stack.currentWidget() is self.empty_state else ""

    def _load_models(self) -> None:
        """Read the filters' lists again: the models that have images, the projects."""
        library = self._library
        if library is None:
            return

        TaskManager.instance().run_in_background(lambda: (library.image_models(), library.projects()),
                                                 weak_callback(self._models_loaded, library))

    def _models_loaded(self, library: GalleryStore, answer: tuple[list[str], list[Project]]) -> None:
        if library is self._library:
            models, self._projects = answer
            self.filters.set_models(models)
            self.filters.set_projects(self._projects)

    def reload_projects(self) -> None:
        """Projects were renamed, archived or deleted elsewhere (Settings): the filter's list and the project the
        details pane names are read again."""
        self._load_models()
        self._reread_details()

    def _reread_details(self) -> None:
        self._image = None
        self._update_details_soon()

    def _search_typed(self, text: str) -> None:
        self.filters.search.setFocus()
        self.filters.search.setText(self.filters.search.text() + text)

    # --- the details pane ------------------------------------------------------------------------------

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_details_soon()
        self._update_actions()

    def _update_details_soon(self) -> None:
        self._details_timer.start()

    def _update_details(self) -> None:
        count = self.selected_count()
        if count != 1:
            self.actions.set_reproduce_price(None)
        if count == 0:
            self._image = None
            self._preview_path = None
            self.model.prepare_drag_data(None)
            self.details.show_message("Select an image to see how it was made." if self.model.rowCount()
                                      else "No image selected.")
            return
        if count > 1:
            self._image = None
            self._preview_path = None
            self.model.prepare_drag_data(None)
            self._show_selection_total(count)
            return
        image_id = self.current_id()
        if image_id is None:
            return
        if self._image is not None and self._image.id == image_id and self.details.image_id() == image_id:
            item = self.model.item_by_id(image_id)
            if item is not None and item.missing != self.details.is_missing():
                self._show_image(self._image)  # a refresh found its file gone (or back): the pane says so
            return
        self.model.prepare_drag_data(image_id)
        self._with_image(image_id, "_show_image")

    def _show_selection_total(self, count: int) -> None:
        queries = self._queries
        ids = self.selected_ids()
        self.details.show_selection(count, None)
        if queries is None:
            return

        TaskManager.instance().run_in_background(
            lambda: queries.total_cost(ids), weak_callback(self._total_known, queries, count))

    def _total_known(self, queries: GalleryQueries, count: int, total: Decimal) -> None:
        if self.selected_count() == count and queries is self._queries:
            self.details.show_selection(count, total)

    def _show_image(self, image: ImageRow) -> None:
        if self.current_id() != image.id:
            return
        self._image = image
        self._price_reproduction(image.id)
        self._update_actions()
        item = self.model.item_by_id(image.id)
        missing = item.missing if item is not None else not image.path.exists()
        try:
            self.details.show_image(image, missing=missing)
        except LibraryError as exc:
            self.details.show_message(str(exc))
            return
        self._load_lineage(image.id)
        path = str(image.path)
        self._preview_path = path
        if missing:
            self.details.set_preview(None, "The file is missing")
            return
        if self._thumbnails.error(path):
            self.details.set_preview(None, "This image cannot be read")
            self.details.set_missing(False, broken=True)
            return
        pixmap = self._thumbnails.get(path, self._preview_size())
        self.details.set_preview(pixmap, "" if pixmap is not None else "Loading preview…")

    def _preview_size(self) -> int:
        return round(PREVIEW_SIZE * max(1.0, self.devicePixelRatioF()))

    def _on_thumbnail_ready(self, path: str, size: int) -> None:
        if path == self._preview_path and size == self._preview_size():
            self.details.set_preview(self._thumbnails.get(path, size))

    def _on_thumbnail_failed(self, path: str, _reason: str) -> None:
        if path == self._preview_path:
            self.details.set_preview(None, "This image cannot be read")
            self.details.set_missing(False, broken=True)
        affected = [item.id for row in self.view.visible_rows()
                    if (item := self.model.item(row)) is not None and item.path == path]
        if not affected:
            return

        # Missing or damaged? The disk says, off the GUI thread.
        TaskManager.instance().run_in_background(
            lambda: os.path.exists(path), weak_callback(self._file_checked, path, affected))

    def _file_checked(self, path: str, ids: list[int], exists: bool) -> None:
        self.model.update_items(ids, missing=not exists, broken=exists)
        if path == self._preview_path:
            self.details.set_missing(not exists, broken=exists)
            self._update_actions()

    def _with_image(self, image_id: int, then: str) -> None:
        """Call the method named ``then`` with the image read in full (from memory when the details pane has it)."""
        if self._image is not None and self._image.id == image_id:
            getattr(self, then)(self._image)
            return
        library = self._library
        if library is not None:
            TaskManager.instance().run_in_background(
                lambda: library.get_image(image_id), weak_callback(self._image_read, library, then),
                weak_callback(self._report))

    def _image_read(self, library: GalleryStore, then: str, image: ImageRow | None) -> None:
        if image is None:
            self.statusMessage.emit("That image is no longer in the library")
        elif library is self._library:
            getattr(self, then)(image)

    def _report(self, exc: BaseException) -> None:
        self.statusMessage.emit(str(exc))

    # --- actions: asking the window ---------------------------------------------------------------------

    def reproduce_selected(self) -> None:
        image_id = self.current_id()
        if image_id is not None and self.actions.reproduce.isEnabled():
            self.reproduceRequested.emit(image_id)

    def set_price_table(self, table: PriceTable | None) -> None:
        """The prices Reproduce is shown with (the window's table, imports included)."""
        self._price_table = table
        if self._image is not None:
            self._price_reproduction(self._image.id)

    def _price_reproduction(self, image_id: int) -> None:
        # Priced from what Reproduce sends (the job's request), read off the GUI thread.
        self.actions.set_reproduce_price(None)
        library, table = self._library, self._price_table
        if library is None or table is None:
            return
        TaskManager.instance().run_in_background(
            lambda: library.request_for_image(image_id),
            weak_callback(self._reproduction_priced, image_id, table),
            weak_callback(self._reproduction_unpriced, image_id))

    def _reproduction_priced(self, image_id: int, table: PriceTable, request: GenerationRequest) -> None:
        if self.details.image_id() != image_id or table is not self._price_table:
            return
        try:
            priced = estimate(request, table)
        except (PriceTableError, UnknownModelError, ValueError):
            self.actions.set_reproduce_price("price unknown")
            return
        self.actions.set_reproduce_price(format_usd(priced.usd_total), priced.note)

    def _reproduction_unpriced(self, image_id: int, error: BaseException) -> None:
        if self.details.image_id() == image_id:
            self.actions.set_reproduce_price(None)
            self.actions.reproduce.setToolTip(f"Cannot reproduce this image: {error}")

    def reproduction_queued(self, original_id: int, job_id: str, seed: int | None) -> None:
        """The window queued Reproduce's job: say so now, and the verdict when its image arrives."""
        self._reproductions[job_id] = original_id
        self.show_notice(f"Reproducing the image with seed {seed}… The new image will be selected here when it "
                         "arrives.", "info")

    def reproduction_failed(self, job_id: str, reason: str) -> None:
        """A job ended without an image; for Reproduce's, say why here."""
        if self._reproductions.pop(job_id, None) is not None:
            self.show_notice(f"Could not reproduce the image: {reason}", "error")

    def show_notice(self, text: str, kind: str = "info") -> None:
        """A message above the grid (and in the status bar) until dismissed or replaced."""
        self.result_bar.set_kind(kind)
        self.result_bar.label.setText(text)
        self.result_bar.show()
        self.statusMessage.emit(text)

    def _reproduced(self, original_id: int, new_id: int) -> None:
        self._select_when_shown = new_id
        self._select_pending()
        library = self._library
        if library is None:
            return

        def compare() -> ReproductionVerdict:
            before, after = library.get_image(original_id), library.get_image(new_id)
            if after is None:
                raise ValueError("the new image is not in the library")
            return reproduction_verdict(before.record if before is not None else None, after.record)

        TaskManager.instance().run_in_background(
            compare, weak_callback(self._verdict_known, library), weak_callback(self._report))

    def _verdict_known(self, library: GalleryStore, verdict: ReproductionVerdict) -> None:
        if library is self._library:
            self.show_notice(f"Reproduced: {verdict.text()}.", "info" if verdict.identical else "warning")

    def reuse_settings_selected(self) -> None:
        image_id = self.current_id()
        if image_id is not None and self.actions.reuse_settings.isEnabled():
            self.reuseSettingsRequested.emit(image_id)

    def use_seed_selected(self) -> None:
        image_id = self.current_id()
        if image_id is not None and self.actions.use_seed.isEnabled():
            self._with_image(image_id, "_emit_seed")

    def _emit_seed(self, image: ImageRow) -> None:
        if image.seed is None:
            self.statusMessage.emit("This image has no recorded seed")
        else:
            self.useSeedRequested.emit(image.seed)

    def use_prompt_selected(self) -> None:
        image_id = self.current_id()
        if image_id is not None and self.actions.use_prompt.isEnabled():
            self._with_image(image_id, "_emit_prompt")

    def _emit_prompt(self, image: ImageRow) -> None:
        self.usePromptRequested.emit(image.prompt)

    # --- lineage: references, made from, used in ---------------------------------------------------------

    def use_as_reference_selected(self) -> None:
        """Ask for the selected images as references, in grid order (``referenceRequested`` once each)."""
        ids = self.selected_ids()
        if not ids or not self.actions.use_as_reference.isEnabled():
            return
        files = self.model.known_files(ids)
        if files is not None:
            self._request_references(ids, dict(files))
            return
        queries = self._queries
        if queries is not None:  # rows not fetched yet (a keyboard selection far down): their paths, off-thread
            TaskManager.instance().run_in_background(
                lambda: queries.paths(ids), weak_callback(self._request_references, ids), weak_callback(self._report))

    def _edit_selected(self, action: QAction, wanted: str) -> None:
        """Edit region… and Expand canvas…: the one selected image's file, asked for (signal ``wanted``) with its
        id."""
        ids = self.selected_ids()
        if len(ids) != 1 or not action.isEnabled():
            return
        files = self.model.known_files(ids)
        if files is not None:
            self._emit_edit(wanted, ids[0], dict(files))
            return
        queries = self._queries
        if queries is not None:  # its row not fetched yet: its path, off-thread
            TaskManager.instance().run_in_background(lambda: queries.paths(ids),
                                                     weak_callback(self._emit_edit, wanted, ids[0]),
                                                     weak_callback(self._report))

    def _emit_edit(self, wanted: str, image_id: int, paths: dict[int, str]) -> None:
        if path := paths.get(image_id):
            getattr(self, wanted).emit(path, image_id)

    def _request_references(self, ids: list[int], paths: dict[int, str]) -> None:
        for image_id in ids:
            if path := paths.get(image_id):
                self.referenceRequested.emit(path, image_id)

    def _load_lineage(self, image_id: int) -> None:
        library = self._library
        if library is None:
            return
        TaskManager.instance().run_in_background(
            lambda: (library.made_from(image_id), library.used_in(image_id)),
            weak_callback(self._lineage_loaded, library, image_id), weak_callback(self._report))

    def _lineage_loaded(self, library: GalleryStore, image_id: int,
                        answer: tuple[list[ReferenceRow], list[int]]) -> None:
        if library is self._library:
            self.details.set_lineage(image_id, *answer)

    def _refresh_lineage(self) -> None:
        """Read the shown image's lineage again (an image arrived or came back: it may have been made from this
        one)."""
        if self._image is not None and self.details.image_id() == self._image.id:
            self._load_lineage(self._image.id)

    def open_reference(self, reference: ReferenceRow) -> None:
        """A reference of the shown image, clicked: the gallery image it came from, selected in the grid; or, when
        the gallery no longer shows that image, the file that was sent, in the large view."""
        name = reference_name(reference.position)
        if shown_in_gallery(reference) and reference.from_image_id is not None:
            self.show_image_id(reference.from_image_id)
            return
        path = reference.path or reference.from_image_path
        if path is None:
            self.statusMessage.emit(f"The file of {name} is no longer in the library, so it cannot be shown")
            return
        viewer = self._open_viewer()
        self._viewer_row = None
        size = f" · {reference.width} × {reference.height} px" if reference.width and reference.height else ""
        viewer.show_image(str(path), f"{name.capitalize()}, as it was sent{size}", "Reference",
                          has_previous=False, has_next=False)
        self._raise_viewer(viewer)

    def show_image_id(self, image_id: int) -> None:
        """Select the image in the grid; when the grid's filters (or the trash view) hide it, show every image
        first."""
        if self.model.row_of(image_id) >= 0:
            self.select_ids([image_id], image_id)
            return
        self._select_when_shown = image_id
        if self.model.query().has_filters() or self.model.query().trash:
            self.filters.show_everything()
            self.statusMessage.emit("Showing every image, to show the one it was made from")
        elif not self.model.is_loading():
            self.refresh()  # the grid was read before the image was there: read it again, then select it

    def show_used_in(self) -> None:
        """The images made from the shown one, on their own in the grid (newest first), the newest selected."""
        image, used = self._image, self.details.lineage.used_in()
        if image is None or not used or self.details.image_id() != image.id:
            return
        self._select_when_shown = used[0]
        self.filters.show_edits_of(image.id, image.prompt or model_name(image.model))

    # --- actions: files ------------------------------------------------------------------------------------

    def _current_path(self) -> str | None:
        image_id = self.current_id()
        item = self.model.item_by_id(image_id) if image_id is not None else None
        return item.path if item is not None else None

    def copy_image(self) -> None:
        path = self._current_path()
        if path:
            self.ops.copy_image(path)

    def open_selected(self) -> None:
        path = self._current_path()
        if path and (problem := open_with_system(path)) is not None:
            self.statusMessage.emit(f"{problem}. Press Space to view it large in FluxDesk.")

    def show_in_folder(self) -> None:
        path = self._current_path()
        if path and (problem := open_with_system(os.path.dirname(path))) is not None:
            self.statusMessage.emit(problem)

    def view_large(self) -> None:
        """The selected image at full size in FluxDesk's own viewer; its arrows step through the grid."""
        row = self.view.currentIndex().row()
        if self.current_id() is None or row < 0:
            return
        viewer = self._open_viewer()
        self._show_in_viewer(row)
        self._raise_viewer(viewer)

    def _open_viewer(self) -> ImageViewer:
        if self._viewer is None:
            self._viewer = ImageViewer(self)
            self._viewer.previousRequested.connect(lambda: self._step_viewer(-1))
            self._viewer.nextRequested.connect(lambda: self._step_viewer(+1))
            self._viewer.resize(self.window().size())
        return self._viewer

    @staticmethod
    def _raise_viewer(viewer: ImageViewer) -> None:
        viewer.show()
        viewer.raise_()
        viewer.activateWindow()

    def viewer(self) -> ImageViewer | None:
        return self._viewer

    def _step_viewer(self, delta: int) -> None:
        row = self.view.currentIndex().row() + delta
        if 0 <= row < self.model.rowCount():
            self._select_rows([row], current=row)
            self._show_in_viewer(row)

    def _show_in_viewer(self, row: int) -> None:
        viewer, item = self._viewer, self.model.item(row)
        if viewer is None:
            return
        if item is None:  # not fetched yet: ask for its page, show it when it comes
            self._viewer_row = row
            self.model.index(row).data(GalleryModel.Roles.Item)
            return
        self._viewer_row = None
        count = self.model.rowCount()
        title = f"{model_name(item.model)} · {item.prompt}" if item.prompt else model_name(item.model)
        viewer.show_image(item.path, title, f"{row + 1:,} of {count:,}", has_previous=row > 0,
                          has_next=row < count - 1, missing=item.missing)

    def _viewer_row_loaded(self) -> None:
        if self._viewer_row is not None and self.model.item(self._viewer_row) is not None:
            self._show_in_viewer(self._viewer_row)

    def export_selected(self, folder: str | None = None) -> None:
        """Copy the selected files into ``folder`` (asked for when not given); never overwrites."""
        ids = self.selected_ids()
        if not ids or self._queries is None:
            return
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Export images to",
                                                      self._folders.start_folder("export-images"))
            if not folder:
                return
            self._folders.remember("export-images", folder)
        queries = self._queries
        TaskManager.instance().run_in_background(
            lambda: list(queries.paths(ids).values()), weak_callback(self._export_paths, folder),
            weak_callback(self._report))

    def _export_paths(self, folder: str, paths: list[str]) -> None:
        self.ops.export(paths, folder)

    def _on_exported(self, made: list[str], folder: str) -> None:
        if made:  # none made: why not (the file is missing…) was just said, and stays said
            self.statusMessage.emit(f"Exported {plural(len(made), 'image')} to {folder}")

    # --- actions: favourite, trash, undo ------------------------------------------------------------

    def toggle_favourite(self) -> None:
        ids = self.selected_ids()
        if not ids or self.model.query().trash:
            return
        items = [self.model.item_by_id(i) for i in ids]
        make = not all(item is not None and item.favourite for item in items)
        self.ops.set_favourite(ids, make)

    def _on_favourite_changed(self, ids: list[int], favourite: bool) -> None:
        self.model.update_items(ids, favourite=favourite)
        if self.model.query().favourites_only and not favourite:
            self.model.remove_ids(ids)
        noun = plural(len(ids), "image")
        self.statusMessage.emit(f"Marked {noun} as favourite" if favourite else f"Removed {noun} from favourites")
        self._update_actions()

    def delete_selected(self) -> None:
        """Move the selection to the trash; Ctrl+Z (or the Undo button) puts it back."""
        ids = self.selected_ids()
        if ids and not self.model.query().trash:
            self.ops.trash(ids)

    def _on_trashed(self, ids: list[int]) -> None:
        self._forget_paths(ids)
        self.model.remove_ids(ids)
        text = f"Deleted {plural(len(ids), 'image')}"
        they = plural_word(len(ids), "It is", "They are")
        self.undo_bar.label.setText(f"{text}. {they} in the trash for {TRASH_DAYS} days.")
        self.undo_bar.show()
        self._undo_timer.start()
        self.statusMessage.emit(f"{text} — Undo (Ctrl+Z)")
        self._update_actions()

    def undo_last(self) -> None:
        """Ctrl+Z: undo the last move to a project, or put back the images last deleted."""
        if self.ops.undo():
            self.undo_bar.hide()

    # --- actions: projects --------------------------------------------------------------------------

    def move_selected_to_project(self) -> None:
        """Ask where the selected images go (``MoveToProjectDialog``), then move them off the GUI thread; Ctrl+Z
        (or the Undo button) moves each back."""
        ids = self.selected_ids()
        if not ids or self.model.query().trash or not self.actions.move_to_project.isEnabled():
            return
        current = self._image.project_name if self._image is not None and self._image.id in ids else None
        dialog = MoveToProjectDialog(len(ids), self._projects, current=current, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(lambda name: self.ops.move_to_project(ids, name))
        dialog.open()

    def _on_moved(self, move: ProjectMove) -> None:
        where = move.project.name if move.project is not None else NO_PROJECT
        text = f"Moved {plural(len(move.image_ids), 'image')} to {where}"
        self.undo_bar.label.setText(f"{text}.")
        self.undo_bar.show()
        self._undo_timer.start()
        self.statusMessage.emit(f"{text} — Undo (Ctrl+Z)")
        shown = self.model.query().project
        if shown is not None and shown != (move.project.id if move.project is not None else NO_PROJECT_FILTER):
            self.model.remove_ids(move.image_ids)  # no longer in the project the grid shows
        self._after_move(move)

    def _on_moved_back(self, move: ProjectMove) -> None:
        self.statusMessage.emit(f"Moved {plural(len(move.image_ids), 'image')} back to "
                                f"{plural_word(len(move.image_ids), 'its project', 'their projects')}")
        if self.model.query().project is not None:
            self.refresh()  # they may belong in the grid's project again
        self._after_move(move)

    def _after_move(self, move: ProjectMove) -> None:
        if self._image is not None and self._image.id in move.before:
            self._reread_details()
        self._load_models()  # a project made by the move, or just used, is in the filter
        self._update_actions()
        self.imagesMoved.emit()

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if ids and self.model.query().trash:
            self.ops.restore(ids)

    def _on_restored(self, ids: list[int]) -> None:
        self._forget_paths(ids)
        if self.model.query().trash:
            self.model.remove_ids(ids)
        else:
            self.refresh()
        self.statusMessage.emit(f"Restored {plural(len(ids), 'image')}")
        self._update_actions()
        self._refresh_lineage()  # an undo brings back edits of the image shown: its "Used in" counts them again

    def delete_selected_permanently(self) -> None:
        ids = self.selected_ids()
        files = plural_word(len(ids), "The file is", "The files are")
        if ids and self.model.query().trash and self._confirm(
                "Delete for good?", f"Delete {plural(len(ids), 'image')} for good? {files} removed from disk; "
                "this cannot be undone."):
            self.ops.delete_permanently(ids)

    def remove_missing_selected(self) -> None:
        """Forget images whose files are gone (their jobs stay in the ledger: they were paid for)."""
        ids = [i for i in self.selected_ids() if (item := self.model.item_by_id(i)) is not None and item.missing]
        if ids:
            self.ops.delete_permanently(ids)

    def empty_trash(self, *, ask: bool = True) -> None:
        if self._queries is None:
            return
        if ask and not self._confirm("Empty the trash?", "Delete every image in the trash for good? "
                                     "The files are removed from disk; this cannot be undone."):
            return
        self.ops.empty_trash()

    def _on_deleted(self, ids: list[int]) -> None:
        self._forget_paths(ids)
        self.model.remove_ids(ids)
        self.statusMessage.emit(f"Deleted {plural(len(ids), 'image')} for good")
        self._load_models()
        self._update_actions()

    def _on_purged(self, count: int) -> None:
        if count:
            they = plural_word(count, "it was", "they were")
            self.statusMessage.emit(f"Deleted {plural(count, 'image')} for good: {they} in the trash for more than "
                                    f"{TRASH_DAYS} days")
            if self.model.query().trash:
                self.refresh()

    def _forget_paths(self, ids: list[int]) -> None:
        # Files moved (trash, restore) or deleted: what the loader knows of the old paths is stale.
        for image_id in ids:
            item = self.model.item_by_id(image_id)
            if item is not None:
                self._thumbnails.forget(item.path)
        if self._image is not None and self._image.id in ids:
            self._image = None

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # --- menus and enabling ----------------------------------------------------------------------------

    def selection_state(self) -> SelectionState:
        count = self.selected_count()
        ids = self.selected_ids() if count <= MAX_REMEMBERED_SELECTION else []
        items = [item for i in ids if (item := self.model.item_by_id(i)) is not None]
        query = self.model.query()
        single = self._single_selected(count, items)
        return SelectionState(
            count=count, trash=query.trash, any_missing=any(item.missing for item in items),
            all_favourite=bool(items) and all(item.favourite for item in items), can_undo=self.ops.can_undo(),
            trash_has_images=query.trash and self.model.rowCount() > 0,
            can_reproduce=single is not None and can_run_again(single.model, single.seed),
            has_seed=single is not None and single.seed is not None, undo_what=self.ops.undo_what())

    def _single_selected(self, count: int, items: list[GalleryItem]) -> GalleryItem | ImageRow | None:
        """The one selected image's model and seed: its grid row, or the row the details pane read (a row
        whose page has not arrived yet); ``None`` with several selected or nothing known."""
        if count != 1:
            return None
        if items:
            return items[0]
        image = self._image
        return image if image is not None and image.id == self.current_id() else None

    def _update_actions(self) -> None:
        self.actions.update(self.selection_state())

    def _show_context_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self._select_rows([index.row()], current=index.row())
        menu = self.actions.context_menu(self.selection_state(), self)
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()
