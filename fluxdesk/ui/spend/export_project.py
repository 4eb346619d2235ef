"""Export project…: which project's billed jobs, over which UTC days, to put in a CSV for its invoice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QWidget

from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.ui.kit.forms import describe, make_label

DATE_FORMAT = "yyyy-MM-dd"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class ExportProjectDialog(QDialog):
    """Pick a project and a range of days (both included, UTC). ``choice()`` answers them once accepted; OK is
    refused while the range ends before it starts."""

    def __init__(self, projects: Sequence[ProjectSpend], first: date, last: date, *, selected: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportProjectDialog")
        self.setWindowTitle("Export a project's jobs")
        self.project_combo = QComboBox()
        describe(self.project_combo, "Project", "The project whose billed jobs go in the CSV", "exportProject")
        for project in projects:
            self.project_combo.addItem(project.name or NO_PROJECT, project.project_id)
        index = self.project_combo.findData(selected)
        self.project_combo.setCurrentIndex(max(0, index))
        self.from_edit = QDateEdit(_qdate(first))
        self.to_edit = QDateEdit(_qdate(last))
        for edit, name, tip in ((self.from_edit, "From", "The first UTC day whose jobs are exported"),
                                (self.to_edit, "To", "The last UTC day whose jobs are exported (included)")):
            edit.setDisplayFormat(DATE_FORMAT)
            edit.setCalendarPopup(True)
            describe(edit, name, tip, f"export{name}")
            edit.dateChanged.connect(self._check)
        self.note = make_label("One row per billed job: date, project, model, size, credits, USD, prompt and file "
                               "name, as `fluxdesk spend --project NAME --csv` prints it.", tone="muted", small=True)
        self.problem = make_label(tone="error", name="exportProblem")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Project", self.project_combo)
        form.addRow("From", self.from_edit)
        form.addRow("To", self.to_edit)
        form.addRow(self.note)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.project_combo.setEnabled(bool(projects))
        self._check()

    def _check(self) -> None:
        first, last = _day(self.from_edit.date()), _day(self.to_edit.date())
        wrong = first > last
        self.problem.setText(f"The range starts on {first.isoformat()}, after it ends on {last.isoformat()}."
                             if wrong else "")
        self.problem.setVisible(wrong)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            not wrong and self.project_combo.count() > 0)

    def choice(self) -> tuple[int | None, str, date, date]:
        """The project's id (``None``: no project), its name as shown, and the first and last day."""
        return (self.project_combo.currentData(), self.project_combo.currentText(), _day(self.from_edit.date()),
                _day(self.to_edit.date()))
