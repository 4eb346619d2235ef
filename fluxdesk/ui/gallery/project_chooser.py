"""Move to project…: where the selected images go. "No project", the projects in use (most recently used first), or
a new name typed in; an archived project or a name that cannot be one is refused here, in words, before anything is
changed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout, QWidget

from fluxdesk.core.projects import NO_PROJECT, Project, ProjectError, is_no_project, project_name, same_project
from fluxdesk.core.wording import plural, plural_word
from fluxdesk.ui.kit.forms import describe, make_label
from fluxdesk.ui.kit.theme import set_tone

WIDTH = 460
CHOOSER_TIP = "A project in use, “No project”, or a new name: the project is made when the images move"


class MoveToProjectDialog(QDialog):
    """Asks where ``count`` images go; ``chosen`` with the answer, then closes. Cancel changes nothing."""

    chosen = Signal(object)
    """The project's name (an existing one as it is spelt, or a new one), or ``None`` for no project."""

    def __init__(self, count: int, projects: list[Project], *, current: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moveToProjectDialog")
        self.setWindowTitle("Move to project")
        self._projects = list(projects)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(24)
        describe(self.combo, "Project", CHOOSER_TIP, "moveProjectChoice")
        line = QLineEdit()
        line.setMaxLength(200)  # longer than a name may be, so a too-long one is said, not silently cut
        self.combo.setLineEdit(line)
        self.combo.addItem(NO_PROJECT, None)
        for project in self._projects:
            if not project.archived:
                self.combo.addItem(project.name, project.id)
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.combo.setCompleter(completer)
        found = self.combo.findText(current) if current else -1
        self.combo.setCurrentIndex(max(0, found))
        line.selectAll()

        they = plural_word(count, "it", "they")
        self.question = make_label(f"Move {plural(count, 'image')} to which project? What {they} cost moves with "
                                   f"{'it' if count == 1 else 'them'}.", name="moveProjectQuestion")
        note = make_label("Type a new name to make a project.", tone="muted", name="moveProjectNote")
        self.problem = make_label(name="moveProjectProblem", accessible="Why the images cannot move there")
        set_tone(self.problem, "error")
        self.problem.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.move_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.move_button.setText("Move")
        describe(self.move_button, "Move the images", "Move them to this project (Ctrl+Z undoes it)",
                 "moveProjectButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        for widget in (self.question, self.combo, note, self.problem, self.buttons):
            layout.addWidget(widget)
        self.setFixedWidth(WIDTH)  # its wrapped lines get the height they need at this width (``adjustSize``)
        self.adjustSize()

    def accept(self) -> None:
        text = self.combo.currentText()
        if is_no_project(text):
            self.chosen.emit(None)
            super().accept()
            return
        try:
            name = project_name(text)
        except ProjectError as exc:
            self._refuse(str(exc))
            return
        same = next((p for p in self._projects if same_project(p.name, name)), None)
        if same is not None and same.archived:
            self._refuse(f"the project {same.name} is archived: bring it back in Settings → Projects first")
            return
        self.chosen.emit(same.name if same is not None else name)
        super().accept()

    def _refuse(self, words: str) -> None:
        self.problem.setText(f"The images cannot move there: {words}.")
        self.problem.show()
        self.adjustSize()
        self.combo.setFocus()
