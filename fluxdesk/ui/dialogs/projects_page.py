"""Settings → Projects: the library's client projects with their jobs; rename one, archive it (hidden from the
prompt panel's picker, kept in history) or bring it back, delete an empty one.

The page is handed the open library's ``ProjectAdmin`` (never the library). Every read and change runs on a worker
thread; a change takes effect at once (not on Save) and is told with a signal, so the window can follow it (the
prompt panel's picker, the remembered current project, the gallery's filter).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QItemSelection, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.projects import MAX_NAME_CHARS, Project, ProjectError, name_key, project_name, same_project
from fluxdesk.core.wording import plural
from fluxdesk.services.library_views import ProjectAdmin, ProjectSummary
from fluxdesk.ui.dialogs.key_entry import BusyIndicator
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import describe, make_label, show_result
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel

PAGE_NOTE = ("Every image belongs to a client project, or to none. Archived projects are hidden from the prompt "
             "panel's picker and kept, with their images and spend, in the gallery and the Spend tab. Only a "
             "project with no jobs can be deleted. Changes here take effect at once.")
NO_LIBRARY = "No library is open yet: projects are listed once FluxDesk has started."
NO_PROJECTS = "No projects yet. Type a name in the prompt panel's Project field to make one."
SELECT_FIRST = "Select a project first"
ARCHIVE_TIP = "Hide it from the prompt panel's picker; its images and spend stay"
UNARCHIVE_TIP = "Offer it in the prompt panel's picker again"
DELETE_TIP = "Delete this project (it has no jobs)"


class ProjectRoles(IntEnum):
    ProjectId = Qt.ItemDataRole.UserRole + 1
    Name = Qt.ItemDataRole.UserRole + 2
    Jobs = Qt.ItemDataRole.UserRole + 3
    Archived = Qt.ItemDataRole.UserRole + 4
    Summary = Qt.ItemDataRole.UserRole + 5
    """The whole ``ProjectSummary``."""


class ProjectColumn(IntEnum):
    NAME = 0
    JOBS = 1
    STATE = 2


def delete_refusal(summary: ProjectSummary) -> str | None:
    """Why the project cannot be deleted, in words; ``None`` when it can (no job refers to it)."""
    if summary.jobs == 0:
        return None
    return (f"{summary.project.name} has {plural(summary.jobs, 'job')}: only an empty project can be deleted. "
            "Archive it to hide it, or move its images to another project in the gallery first")


class ProjectsModel(ReadOnlyTableModel):
    """One row per project (archived ones too), in the order the library gives them (most recently used first)."""

    Roles = ProjectRoles
    HEADERS = (Header("Project"), Header("Jobs", "Jobs sent for it or moved to it, demo ones too", RIGHT),
               Header("State", "Archived projects are hidden from the prompt panel's picker"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ProjectSummary] = []

    def set_summaries(self, rows: list[ProjectSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summaries(self) -> list[ProjectSummary]:
        return list(self._rows)

    def summary(self, row: int) -> ProjectSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, project_id: int) -> int:
        return next((row for row, s in enumerate(self._rows) if s.project.id == project_id), -1)

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        summary = self.summary(index.row()) if index.isValid() else None
        if summary is None:
            return None
        project, column = summary.project, ProjectColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return {ProjectColumn.NAME: project.name, ProjectColumn.JOBS: f"{summary.jobs:,}",
                    ProjectColumn.STATE: "Archived" if project.archived else "Active"}[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.HEADERS[column].align
        if role == Qt.ItemDataRole.ToolTipRole:
            state = "archived: hidden from the prompt panel's picker" if project.archived else "active"
            return f"{project.name}: {plural(summary.jobs, 'job')}, {state}"
        values: dict[int, Any] = {ProjectRoles.ProjectId: project.id, ProjectRoles.Name: project.name,
                                  ProjectRoles.Jobs: summary.jobs, ProjectRoles.Archived: project.archived,
                                  ProjectRoles.Summary: summary}
        return values.get(role)


class ProjectsPage(QWidget):
    """The Projects section of Settings: the list, a new name and Rename, Archive / Unarchive, Delete."""

    projectsChanged = Signal()
    """A project was renamed, archived, brought back or deleted."""
    projectRenamed = Signal(str, str)
    """``(old name, new name)``."""
    projectRemoved = Signal(str)
    """A project's name that is no longer offered for new jobs: archived or deleted."""

    def __init__(self, store: ProjectAdmin | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("projectsSection")
        self._store = store
        self._busy = False
        self._selected_id: int | None = None
        """The project to select once the list is read again."""
        self.model = ProjectsModel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(make_label("Projects", heading=True, name="projectsTitle"), 1)
        self.busy = BusyIndicator("Working on the projects")
        header.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(header)
        layout.addWidget(make_label(PAGE_NOTE, tone="muted", name="projectsNote", accessible="About projects"))

        self.view = QTableView()
        self.view.setObjectName("projectsTable")
        self.view.setAccessibleName("Projects")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setAlternatingRowColors(True)
        self.view.setMinimumHeight(160)
        columns = self.view.horizontalHeader()
        columns.setSectionResizeMode(ProjectColumn.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (ProjectColumn.JOBS, ProjectColumn.STATE):
            columns.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        layout.addWidget(self.view, 1)
        self.empty_label = make_label(NO_LIBRARY if store is None else "Reading the projects…", tone="muted",
                                      name="projectsEmpty", accessible="Projects list state")
        layout.addWidget(self.empty_label)

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(200)  # longer than a name may be, so a too-long one is said, not silently cut
        self.name_edit.setPlaceholderText("New name")
        describe(self.name_edit, "New name",
                 f"The project's new name (at most {MAX_NAME_CHARS} characters); its images and spend follow",
                 "projectNameEdit")
        self.name_edit.textChanged.connect(lambda _text: self._update_buttons())
        self.name_edit.returnPressed.connect(self.rename_selected)
        self.rename_button = QPushButton("Rename")
        describe(self.rename_button, "Rename the project", "Give the selected project the new name",
                 "renameProjectButton")
        self.rename_button.clicked.connect(self.rename_selected)
        self.archive_button = QPushButton("Archive")
        describe(self.archive_button, "Archive the project", ARCHIVE_TIP, "archiveProjectButton")
        self.archive_button.clicked.connect(self.toggle_archived)
        self.delete_button = QPushButton("Delete")
        describe(self.delete_button, "Delete the project", DELETE_TIP, "deleteProjectButton")
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.name_edit, 1)
        for button in (self.rename_button, self.archive_button, self.delete_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.result_label = make_label(name="projectsResult", accessible="Projects result")
        self.result_label.hide()
        layout.addWidget(self.result_label)
        self._update_buttons()
        self.reload()

    # --- reading ------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the projects again (off the GUI thread)."""
        store = self._store
        if store is None:
            return
        self._set_busy(True)
        TaskManager.instance().run_in_background(store.summaries, self._listed, self._list_failed, parent=self)

    def is_busy(self) -> bool:
        return self._busy

    def selected(self) -> ProjectSummary | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.summary(rows[0].row()) if rows else None

    def select_project(self, name: str) -> None:
        """Select the project called ``name`` (whatever its case), as a click on its row does."""
        key = name_key(name)
        for row, summary in enumerate(self.model.summaries()):
            if name_key(summary.project.name) == key:
                self.view.selectRow(row)
                return

    def _listed(self, rows: list[ProjectSummary]) -> None:
        wanted = self._selected_id
        self.model.set_summaries(rows)
        self._set_busy(False)
        self.empty_label.setText("" if rows else NO_PROJECTS)
        self.empty_label.setVisible(not rows)
        if wanted is not None and (row := self.model.row_of(wanted)) >= 0:
            self.view.selectRow(row)
        self._update_buttons()

    def _list_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        show_result(self.result_label, f"The projects could not be read: {exc}", "error")

    # --- changing -----------------------------------------------------------------------------------

    def rename_selected(self) -> None:
        """Give the selected project the name typed; a name another project has (whatever its case) is refused."""
        summary, store = self.selected(), self._store
        if summary is None or store is None or self._busy:
            return
        try:
            name = project_name(self.name_edit.text())
        except ProjectError as exc:
            show_result(self.result_label, f"Not renamed: {exc}.", "error")
            return
        taken = next((s.project for s in self.model.summaries()
                      if s.project.id != summary.project.id and same_project(s.project.name, name)), None)
        if taken is not None:
            show_result(self.result_label, f"Not renamed: there is already a project called {taken.name}.", "error")
            return
        if name == summary.project.name:
            return
        old, project_id = summary.project.name, summary.project.id
        self._run(lambda: store.rename(project_id, name), lambda project: self._renamed(old, project), "Not renamed")

    def toggle_archived(self) -> None:
        """Archive the selected project, or bring an archived one back."""
        summary, store = self.selected(), self._store
        if summary is None or store is None or self._busy:
            return
        project = summary.project
        self._run(lambda: store.archive(project.id, not project.archived), self._archived,
                  "Not archived" if not project.archived else "Not brought back")

    def delete_selected(self) -> None:
        """Delete the selected project: only an empty one (the button says why not otherwise)."""
        summary, store = self.selected(), self._store
        if summary is None or store is None or self._busy or delete_refusal(summary) is not None:
            return
        project = summary.project
        self._run(lambda: store.delete(project.id), lambda _none: self._deleted(project), "Not deleted")

    def _run(self, work: Any, done: Any, refusal: str) -> None:
        self._set_busy(True)
        TaskManager.instance().run_in_background(
            work, lambda answer: self._changed(done, answer), lambda exc: self._failed(refusal, exc), parent=self)

    def _changed(self, done: Any, answer: Any) -> None:
        self._set_busy(False)
        done(answer)
        self.projectsChanged.emit()
        self.reload()

    def _failed(self, refusal: str, exc: BaseException) -> None:
        self._set_busy(False)
        words = str(exc) if isinstance(exc, ProjectError) else f"the library could not be changed ({exc})"
        show_result(self.result_label, f"{refusal}: {words}.", "error")
        self.reload()

    def _renamed(self, old: str, project: Project) -> None:
        self._selected_id = project.id
        self.name_edit.clear()
        show_result(self.result_label, f"Renamed {old} to {project.name}. Its images and spend follow.", "success")
        self.projectRenamed.emit(old, project.name)

    def _archived(self, project: Project) -> None:
        self._selected_id = project.id
        if project.archived:
            show_result(self.result_label, f"Archived {project.name}: hidden from the prompt panel's picker; its "
                        "images and spend are kept.", "success")
            self.projectRemoved.emit(project.name)
        else:
            show_result(self.result_label, f"{project.name} is back in the prompt panel's picker.", "success")

    def _deleted(self, project: Project) -> None:
        self._selected_id = None
        show_result(self.result_label, f"Deleted {project.name}.", "success")
        self.projectRemoved.emit(project.name)

    # --- showing ------------------------------------------------------------------------------------

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        summary = self.selected()
        self._selected_id = summary.project.id if summary is not None else None
        self._update_buttons()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        self._update_buttons()

    def _update_buttons(self) -> None:
        summary = self.selected()
        ready = summary is not None and not self._busy and self._store is not None
        typed = self.name_edit.text().strip()
        self.name_edit.setEnabled(summary is not None and self._store is not None)
        self.rename_button.setEnabled(ready and bool(typed) and summary is not None
                                      and typed != summary.project.name)
        self.rename_button.setToolTip("Give the selected project the new name" if summary is not None
                                      else SELECT_FIRST)
        archived = summary is not None and summary.project.archived
        self.archive_button.setText("Unarchive" if archived else "Archive")
        self.archive_button.setAccessibleName("Bring the project back" if archived else "Archive the project")
        self.archive_button.setEnabled(ready)
        self.archive_button.setToolTip(SELECT_FIRST if summary is None else UNARCHIVE_TIP if archived
                                       else ARCHIVE_TIP)
        refusal = delete_refusal(summary) if summary is not None else SELECT_FIRST
        self.delete_button.setEnabled(ready and refusal is None)
        self.delete_button.setToolTip(refusal or DELETE_TIP)
