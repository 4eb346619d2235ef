"""The bar above the grid: search in prompts, filters (the project, edits, and the edits of one image among them),
sort order, trash, tile size, and the count."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal, cast

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.projects import NO_PROJECT, Project
from fluxdesk.core.wording import plural
from fluxdesk.storage.gallery_queries import NO_PROJECT_FILTER, GalleryQuery
from fluxdesk.storage.library import TRASH_DAYS
from fluxdesk.ui.gallery.model import model_name
from fluxdesk.ui.gallery.view import DEFAULT_TILE, MAX_TILE, MIN_TILE
from fluxdesk.ui.kit.theme import set_tone

SEARCH_DEBOUNCE_MS = 200
DATE_PRESETS = ("any", "today", "7days", "30days", "month", "custom")
_DATE_LABELS = {"any": "Any time", "today": "Today", "7days": "Last 7 days", "30days": "Last 30 days",
                "month": "This month", "custom": "Custom range…"}
SORTS: dict[str, tuple[Literal["date", "cost"], bool]] = {
    "newest": ("date", True), "oldest": ("date", False), "dearest": ("cost", True), "cheapest": ("cost", False)}
_SORT_LABELS = {"newest": "Newest first", "oldest": "Oldest first", "dearest": "Priciest first",
                "cheapest": "Cheapest first"}
_KIND_LABELS = (("all", "Real and demo"), ("real", "Real only"), ("demo", "Demo only"))
ALL_PROJECTS = "All projects"
ARCHIVED_MARK = " (archived)"
PROJECT_FILTER_TIP = "Only the images of one client project (archived projects are listed last)"


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min).astimezone()


def preset_range(preset: str, today: date | None = None) -> tuple[datetime | None, datetime | None]:
    """``(from, to)`` for a date preset, as local-day boundaries (aware); ``to`` exclusive."""
    today = today or date.today()
    tomorrow = _local_midnight(today + timedelta(days=1))
    if preset == "today":
        return _local_midnight(today), tomorrow
    if preset == "7days":
        return _local_midnight(today - timedelta(days=6)), tomorrow
    if preset == "30days":
        return _local_midnight(today - timedelta(days=29)), tomorrow
    if preset == "month":
        return _local_midnight(today.replace(day=1)), tomorrow
    return None, None


class GalleryFilterBar(QWidget):
    """Emits ``queryChanged`` whenever what the grid should show changes (typing waits a moment)."""

    queryChanged = Signal()
    tileSizeChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryFilters")
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_now)

        self.search = QLineEdit()
        self.search.setObjectName("gallerySearch")
        self.search.setPlaceholderText("Search prompts…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search prompts")
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_now)

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("galleryModelFilter")
        self.model_combo.setAccessibleName("Model")
        self.model_combo.addItem("All models", None)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.project_combo = QComboBox()
        self.project_combo.setObjectName("galleryProjectFilter")
        self.project_combo.setAccessibleName("Project")
        self.project_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.project_combo.setMinimumContentsLength(20)
        self.project_combo.currentIndexChanged.connect(self._explain_project)
        self._fill_projects([])
        self._explain_project()

        self.date_combo = QComboBox()
        self.date_combo.setObjectName("galleryDateFilter")
        self.date_combo.setAccessibleName("Date")
        for key in DATE_PRESETS:
            self.date_combo.addItem(_DATE_LABELS[key], key)
        today = QDate.currentDate()
        self.date_from = self._date_edit("galleryDateFrom", today.addDays(-30), "From")
        self.date_to = self._date_edit("galleryDateTo", today, "To")
        self.date_to_label = QLabel("to")

        self.favourites = QCheckBox("Favourites")
        self.favourites.setObjectName("galleryFavouritesOnly")
        self.favourites.setToolTip("Only images marked as favourite (F)")

        self.edits = QCheckBox("Edits only")
        self.edits.setObjectName("galleryEditsOnly")
        self.edits.setToolTip("Only images made from reference images (edits), not from a prompt alone")

        self._edits_of: int | None = None
        self.edits_of_button = QToolButton()
        self.edits_of_button.setObjectName("galleryEditsOfFilter")
        self.edits_of_button.setAutoRaise(True)
        self.edits_of_button.setToolTip("Showing the images made from one image. Click to show every image again")
        self.edits_of_button.clicked.connect(self.clear_edits_of)
        self.edits_of_button.hide()

        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("galleryKindFilter")
        self.kind_combo.setAccessibleName("Real or demo")
        for key, label in _KIND_LABELS:
            self.kind_combo.addItem(label, key)

        self.sort_combo = QComboBox()
        self.sort_combo.setObjectName("gallerySort")
        self.sort_combo.setAccessibleName("Sort")
        for key, label in _SORT_LABELS.items():
            self.sort_combo.addItem(label, key)

        self.trash_button = QToolButton()
        self.trash_button.setObjectName("galleryTrashToggle")
        self.trash_button.setText("Trash")
        self.trash_button.setCheckable(True)
        self.trash_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.trash_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.trash_button.setToolTip(f"Show deleted images (kept for {TRASH_DAYS} days)")

        self.count_label = QLabel()
        self.count_label.setObjectName("galleryCount")
        set_tone(self.count_label, "muted")

        self.clear_button = QToolButton()
        self.clear_button.setObjectName("galleryClearFilters")
        self.clear_button.setText("Clear filters")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear_filters)

        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setObjectName("galleryTileSize")
        self.size_slider.setRange(MIN_TILE, MAX_TILE)
        self.size_slider.setSingleStep(16)
        self.size_slider.setPageStep(32)
        self.size_slider.setValue(DEFAULT_TILE)
        self.size_slider.setFixedWidth(90)
        self.size_slider.setAccessibleName("Thumbnail size")
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self.tileSizeChanged)
        size_label = QLabel("Size")
        set_tone(size_label, "muted")

        for combo in (self.model_combo, self.project_combo, self.date_combo, self.kind_combo, self.sort_combo):
            combo.currentIndexChanged.connect(self._changed)
        self.date_combo.currentIndexChanged.connect(self._show_custom_dates)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._changed)
        self.favourites.toggled.connect(self._changed)
        self.edits.toggled.connect(self._changed)
        self.trash_button.toggled.connect(self._changed)

        # The lower row is the one that sets the bar's (and so the grid's) narrowest width: the lineage filters go
        # in the upper one, where the search field gives way.
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.edits_of_button)
        top.addWidget(self.search, 1)
        top.addWidget(self.model_combo)
        top.addWidget(self.project_combo)
        top.addWidget(self.date_combo)
        top.addWidget(self.date_from)
        top.addWidget(self.date_to_label)
        top.addWidget(self.date_to)
        top.addWidget(self.edits)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.clear_button)
        bottom.addStretch(1)
        bottom.addWidget(self.favourites)
        bottom.addWidget(self.kind_combo)
        bottom.addWidget(self.sort_combo)
        bottom.addWidget(self.trash_button)
        bottom.addSpacing(8)
        bottom.addWidget(size_label)
        bottom.addWidget(self.size_slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self._show_custom_dates()
        self._update_clear_button()

    def _date_edit(self, name: str, value: QDate, accessible: str) -> QDateEdit:
        edit = QDateEdit(value)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setAccessibleName(accessible)
        return edit

    # --- reading -----------------------------------------------------------------------------------

    def query(self) -> GalleryQuery:
        """What the controls ask for."""
        preset = self.date_combo.currentData()
        date_from: datetime | None
        date_to: datetime | None
        if preset == "custom":
            picked = cast(tuple[date, date], (self.date_from.date().toPython(), self.date_to.date().toPython()))
            start, end = sorted(picked)  # QDate.toPython() gives a date; its stubs say object
            date_from, date_to = _local_midnight(start), _local_midnight(end + timedelta(days=1))
        else:
            date_from, date_to = preset_range(preset)
        kind = self.kind_combo.currentData()
        order, descending = SORTS[self.sort_combo.currentData()]
        return GalleryQuery(
            text=self.search.text().strip(), model=self.model_combo.currentData(), date_from=date_from,
            date_to=date_to, favourites_only=self.favourites.isChecked(),
            demo=None if kind == "all" else kind == "demo", trash=self.trash_button.isChecked(),
            edits_only=self.edits.isChecked(), edits_of=self._edits_of, project=self.project_combo.currentData(),
            order=order, descending=descending)

    def tile_size(self) -> int:
        return self.size_slider.value()

    # --- changing ----------------------------------------------------------------------------------

    def set_models(self, model_ids: list[str]) -> None:
        """The models that have images; the current choice stays if it is still there."""
        current = self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItem("All models", None)
        for model_id in sorted(model_ids, key=lambda m: model_name(m).lower()):
            self.model_combo.addItem(model_name(model_id), model_id)
        found = self.model_combo.findData(current) if current is not None else 0
        self.model_combo.setCurrentIndex(max(0, found))
        self.model_combo.blockSignals(False)
        if current is not None and found < 0:
            self._changed()

    def set_projects(self, projects: list[Project]) -> None:
        """The library's projects, archived ones too (listed last, marked); the current choice stays while its
        project is there (under its new name after a rename), else the filter goes back to every project."""
        current = self.project_combo.currentData()
        self.project_combo.blockSignals(True)
        self._fill_projects(projects)
        found = self.project_combo.findData(current) if current is not None else 0
        self.project_combo.setCurrentIndex(max(0, found))
        self.project_combo.blockSignals(False)
        if current is not None and found < 0:
            self._changed()

    def _fill_projects(self, projects: list[Project]) -> None:
        combo = self.project_combo
        combo.clear()
        combo.addItem(ALL_PROJECTS, None)
        combo.addItem(NO_PROJECT, NO_PROJECT_FILTER)
        by_name = sorted(projects, key=lambda p: p.name.casefold())
        for archived in (False, True):
            shown = [p for p in by_name if p.archived is archived]
            if shown:
                combo.insertSeparator(combo.count())
            for project in shown:
                combo.addItem(project.name + (ARCHIVED_MARK if archived else ""), project.id)

    def _explain_project(self) -> None:
        # A long name is cut in the box: the tooltip says it whole.
        combo = self.project_combo
        data = combo.currentData()
        shown = ("" if data is None else "Showing the images of no project. " if data == NO_PROJECT_FILTER
                 else f"Showing the images of {combo.currentText()}. ")
        combo.setToolTip(shown + PROJECT_FILTER_TIP)

    def select_project(self, project: int | str | None) -> None:
        """Show one project's images (its id), those of no project (``NO_PROJECT_FILTER``) or all (``None``)."""
        index = self.project_combo.findData(project) if project is not None else 0
        if index >= 0:
            self.project_combo.setCurrentIndex(index)

    def set_count(self, count: int | None, *, trash: bool = False, loading: bool = False) -> None:
        if count is None:
            self.count_label.setText("Loading…" if loading else "")
            return
        where = " in the trash" if trash else ""
        self.count_label.setText(plural(count, "image") + where + (" · updating…" if loading else ""))

    def clear_filters(self) -> None:
        """Back to every image (the sort order, the trash view and the tile size stay)."""
        self._clear(trash=None)
        self.apply_now()

    def _clear(self, *, trash: bool | None) -> None:
        widgets = (self.search, self.model_combo, self.project_combo, self.date_combo, self.favourites,
                   self.kind_combo, self.edits, self.trash_button)
        for widget in widgets:
            widget.blockSignals(True)
        self.search.clear()
        self.model_combo.setCurrentIndex(0)
        self.project_combo.setCurrentIndex(0)
        self.date_combo.setCurrentIndex(0)
        self.favourites.setChecked(False)
        self.kind_combo.setCurrentIndex(0)
        self.edits.setChecked(False)
        if trash is not None:
            self.trash_button.setChecked(trash)
        for widget in widgets:
            widget.blockSignals(False)
        self._set_edits_of(None, "")
        self._show_custom_dates()

    def show_everything(self) -> None:
        """Every image in the gallery: no filter, not the trash (the sort order and the tile size stay)."""
        self._clear(trash=False)
        self.apply_now()

    def show_edits_of(self, image_id: int, description: str) -> None:
        """Only the gallery's images made from image ``image_id`` (``description`` says which, in a few words), with
        no other filter: all of them, as its "Used in N images" promised."""
        self._clear(trash=False)
        self._set_edits_of(image_id, description)
        self.apply_now()

    def clear_edits_of(self) -> None:
        self._set_edits_of(None, "")
        self.apply_now()

    def edits_of(self) -> int | None:
        return self._edits_of

    def _set_edits_of(self, image_id: int | None, description: str) -> None:
        self._edits_of = image_id
        shown = description if len(description) <= 24 else description[:23].rstrip() + "…"
        self.edits_of_button.setText(f"Made from “{shown}” ✕" if shown else "Made from one image ✕")
        self.edits_of_button.setAccessibleName("Showing the images made from one image: show every image")
        self.edits_of_button.setVisible(image_id is not None)

    def set_trash(self, trash: bool) -> None:
        self.trash_button.setChecked(trash)

    def apply_now(self) -> None:
        """Send the query at once (Enter in the search field, or a test that does not want to wait)."""
        self._debounce.stop()
        self._update_clear_button()
        self.queryChanged.emit()

    def _changed(self) -> None:
        self.apply_now()

    def _show_custom_dates(self) -> None:
        custom = self.date_combo.currentData() == "custom"
        for widget in (self.date_from, self.date_to_label, self.date_to):
            widget.setVisible(custom)

    def _update_clear_button(self) -> None:
        self.clear_button.setVisible(self.query().has_filters())
