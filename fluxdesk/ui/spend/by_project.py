"""The month's billed spend per client project, the most spent first: billed jobs, credits, dollars, the project's own
budget and how much of it is used. The budget cell is edited in place (double click, F2 or typing; Escape cancels):
the model does not change the budget itself, it asks for it (``budgetEdited``) and shows the figures read again."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont

from fluxdesk.core.pricing import format_credits
from fluxdesk.core.projects import NO_PROJECT
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import DASH, percent, usd


class Column(IntEnum):
    PROJECT = 0
    JOBS = 1
    CREDITS = 2
    USD = 3
    BUDGET = 4
    USED = 5


class Roles(IntEnum):
    ProjectId = Qt.ItemDataRole.UserRole + 1
    """The project's id; ``None`` for the jobs of no project."""
    Name = Qt.ItemDataRole.UserRole + 2
    Jobs = Qt.ItemDataRole.UserRole + 3
    Credits = Qt.ItemDataRole.UserRole + 4
    """``Decimal``."""
    Usd = Qt.ItemDataRole.UserRole + 5
    Budget = Qt.ItemDataRole.UserRole + 6
    """``Decimal`` dollars, or ``None``: no budget."""
    Used = Qt.ItemDataRole.UserRole + 7
    """Percent of the budget spent, ``Decimal``; ``None`` without a budget."""
    OverBudget = Qt.ItemDataRole.UserRole + 8


HEADERS = (
    Header("Project"),
    Header("Jobs", "Billed jobs this month", RIGHT),
    Header("Credits", align=RIGHT),
    Header("Cost", "Billed dollars this month", RIGHT),
    Header("Budget", "The project's own monthly budget: double-click to set it, empty it to clear it", RIGHT),
    Header("Used", "How much of the project's budget the month has spent", RIGHT),
)


def parse_budget(text: str) -> Decimal | None:
    """Typed budget text as dollars (``"$1,250.50"`` → 1250.50); empty: no budget. ``ValueError`` in words."""
    cleaned = text.strip().replace("$", "").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"a budget is a number of dollars, such as 250 or 1,250.50, not {text.strip()!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"a budget is a number of dollars from 0 up, not {text.strip()!r}")
    return value


class ByProjectModel(ReadOnlyTableModel):
    Roles = Roles
    HEADERS = HEADERS
    Column = Column

    budgetEdited = Signal(int, object)
    """A project's budget was typed: its id and the dollars (``Decimal``), or ``None`` to clear it."""
    budgetRefused = Signal(str)
    """Typed budget text that is not one, in words."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ProjectSpend] = []

    def set_projects(self, projects: Sequence[ProjectSpend]) -> None:
        """In the order to show (``spend_by_project``'s: most spent first, no project last)."""
        self.beginResetModel()
        self._rows = list(projects)
        self.endResetModel()

    def projects(self) -> list[ProjectSpend]:
        return list(self._rows)

    def row_count(self) -> int:
        return len(self._rows)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == Column.BUDGET and self._rows[index.row()].project_id is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        item = self._rows[index.row()]
        try:
            budget = parse_budget(str(value))
        except ValueError as exc:
            self.budgetRefused.emit(f"The {item.name} project's budget was not changed: {exc}")
            return False
        if budget != item.budget_usd:
            assert item.project_id is not None
            self.budgetEdited.emit(item.project_id, budget)
        return False  # the figures change when they are read again

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        column = Column(index.column())
        name = item.name or NO_PROJECT
        if role == Qt.ItemDataRole.DisplayRole:
            return (name + (" (archived)" if item.archived else ""), f"{item.jobs:,}", format_credits(item.credits),
                    usd(item.usd), DASH if item.budget_usd is None else usd(item.budget_usd),
                    DASH if item.budget_used is None else
                    percent(item.budget_used, 0) + (" · over" if item.over_budget else ""))[column]
        if role == Qt.ItemDataRole.EditRole:
            return "" if item.budget_usd is None else f"{item.budget_usd:f}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return HEADERS[column].align
        if role == Qt.ItemDataRole.ForegroundRole:
            if item.over_budget and column in (Column.USD, Column.USED):
                return QColor(theme.tone_color("error"))
            if item.project_id is None or item.archived:
                return QColor(theme.tone_color("muted"))
            return None
        if role == Qt.ItemDataRole.FontRole and item.over_budget and column == Column.USED:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        values: dict[int, object] = {Roles.ProjectId: item.project_id, Roles.Name: item.name, Roles.Jobs: item.jobs,
                                     Roles.Credits: item.credits, Roles.Usd: item.usd, Roles.Budget: item.budget_usd,
                                     Roles.Used: item.budget_used, Roles.OverBudget: item.over_budget}
        return values.get(role)

    @staticmethod
    def _tooltip(item: ProjectSpend) -> str:
        if item.project_id is None:
            return f"Jobs sent for no project: {usd(item.usd)} this month ({format_credits(item.credits)} credits)"
        spent = f"{item.name}: {usd(item.usd)} this month ({format_credits(item.credits)} credits)"
        if item.budget_usd is None:
            return f"{spent}. No budget of its own: double-click the Budget cell to set one"
        state = (f"over its {usd(item.budget_usd)} budget by {usd(item.usd - item.budget_usd)}" if item.over_budget
                 else f"{percent(item.budget_used, 0)} of its {usd(item.budget_usd)} budget")
        return f"{spent}, {state}. Double-click the Budget cell to change it (empty it to clear it)"
