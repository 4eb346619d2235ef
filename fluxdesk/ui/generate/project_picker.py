"""The prompt panel's project picker: "No project", then the library's projects, most recently used first; typing a
new name (Enter, or leaving the field) makes that project, off the GUI thread.

It is handed the open library's ``ProjectChoices`` (never the library) and remembers the project by name, so the
same choice is found again after a restart or in the other library (the demo's has projects of its own).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLineEdit, QSizePolicy, QWidget

from fluxdesk.core.projects import NO_PROJECT, Project, ProjectError, is_no_project, name_key
from fluxdesk.services.library_views import ProjectChoices
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.forms import WheelGuard, describe, make_label

PICKER_TIP = ("The client project these images are for: their spend is counted under it. Type a new name and "
              "press Enter to make a project")


class ProjectPicker(QWidget):
    """A label and an editable combo box (``projectPicker``)."""

    projectChanged = Signal(object)
    """The user picked or made a project: its name, or ``None`` for no project."""
    busyChanged = Signal()
    """The list started or finished loading, or a typed project started or finished being made."""
    problem = Signal(str)
    """A typed name was refused (too long, an archived project, the library unwritable), in words."""

    def __init__(self, guard: WheelGuard | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: ProjectChoices | None = None
        self._wanted: str | None = None
        """The name of the project to show once the list is there."""
        self._loading = False
        self._making: str | None = None
        """A typed name whose project is being made."""
        self._generation = 0
        """Bumped with each new store: an answer for an earlier library is dropped."""
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(14)
        describe(self.combo, "Project", PICKER_TIP, "projectPicker")
        line = self._line = QLineEdit()
        self.combo.setLineEdit(line)
        line.setPlaceholderText(NO_PROJECT)
        line.setMaxLength(200)  # longer than a name may be, so a too-long one is said, not silently cut
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.setCompleter(completer)
        if guard is not None:
            guard.guard(self.combo)
        self.combo.addItem(NO_PROJECT, None)
        self.combo.activated.connect(self._picked)
        line.editingFinished.connect(self._typed)
        label = make_label("Project", name="projectLabel", wrap=False)
        label.setBuddy(self.combo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(label)
        layout.addWidget(self.combo, 1)

    # --- what the owner asks ------------------------------------------------------------------------

    def set_store(self, store: ProjectChoices | None) -> None:
        """The open library's projects (``None``: no library open); the list is read again from it."""
        self._store = store
        self._generation += 1
        self._making = None
        self.reload()

    def set_current_name(self, name: str | None) -> None:
        """Show the project ``name`` (whatever its case) once the list has it; ``None``: no project."""
        self._wanted = None if name is None or is_no_project(name) else name
        self._select_wanted()

    def reload(self) -> None:
        """Read the list again (after a job, say: the project used last comes first)."""
        store = self._store
        if store is None:
            self._loading = False
            self.busyChanged.emit()
            return
        self._loading = True
        self.busyChanged.emit()
        generation = self._generation
        TaskManager.instance().run_in_background(
            store.recent, lambda projects: self._fill(generation, projects),
            lambda error: self._failed(generation, error), parent=self)

    def project_id(self) -> int | None:
        """The project shown, ``None`` for no project (or while the list is loading)."""
        data = self.combo.currentData()
        return data if isinstance(data, int) else None

    def project_name(self) -> str | None:
        return self.combo.currentText() if self.project_id() is not None else None

    def busy(self) -> str | None:
        """What generating would wait for, in words; ``None`` when nothing."""
        if self._making is not None:
            return f"the project {self._making}"
        if self._loading and self._wanted is not None:
            return "the list of projects"
        return None

    # --- the list -----------------------------------------------------------------------------------

    def _fill(self, generation: int, projects: list[Project]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        blocked = self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(NO_PROJECT, None)
        for project in projects:
            self.combo.addItem(project.name, project.id)
        self.combo.blockSignals(blocked)
        self._select_wanted()
        self.busyChanged.emit()

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.busyChanged.emit()
        self.problem.emit(f"Could not read the projects: {error}")

    def _index_named(self, name: str) -> int:
        key = name_key(name)
        for index in range(1, self.combo.count()):
            if name_key(self.combo.itemText(index)) == key:
                return index
        return -1

    def _select_wanted(self) -> None:
        index = 0 if self._wanted is None else self._index_named(self._wanted)
        blocked = self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(blocked)

    # --- the user -----------------------------------------------------------------------------------

    def _picked(self, index: int) -> None:
        data = self.combo.itemData(index)
        self._wanted = self.combo.itemText(index) if isinstance(data, int) else None
        self.projectChanged.emit(self._wanted)

    def _typed(self) -> None:
        text = self._line.text()
        current = self.combo.currentIndex()
        if text == self.combo.itemText(current) or (is_no_project(text) and current == 0):
            if is_no_project(text):
                self.combo.setEditText(NO_PROJECT)
            return
        if is_no_project(text):
            self._choose_index(0)
            return
        found = self._index_named(text)
        if found >= 0:
            self._choose_index(found)
            return
        self._make(text)

    def _choose_index(self, index: int) -> None:
        self.combo.setCurrentIndex(index)
        self._picked(index)

    def _make(self, text: str) -> None:
        store = self._store
        if store is None:
            self._refused("no library is open yet")
            return
        self._making = text.strip()
        self.busyChanged.emit()
        generation = self._generation
        TaskManager.instance().run_in_background(
            lambda: store.choose(text), lambda project: self._made(generation, project),
            lambda error: self._make_failed(generation, error), parent=self)

    def _made(self, generation: int, project: Project) -> None:
        if generation != self._generation:
            return
        self._making = None
        index = self.combo.findData(project.id)
        if index < 0:
            self.combo.insertItem(1, project.name, project.id)
            index = 1
        self._choose_index(index)
        self.busyChanged.emit()

    def _make_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._making = None
        self._refused(str(error) if isinstance(error, ProjectError) else f"it could not be made ({error})")
        self.busyChanged.emit()

    def _refused(self, words: str) -> None:
        self.combo.setEditText(self.combo.itemText(self.combo.currentIndex()))
        self.problem.emit(f"Project not changed: {words}.")
