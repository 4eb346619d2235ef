"""The spend ledger as a table: one row per job of the month, with what BFL billed for it.

``LedgerModel`` mirrors the rows the tab read; ``LedgerFilterProxy`` sorts and filters them for the view.
``FigureDelegate`` and ``FigureHeader`` keep the right-aligned figures (credits, cost) a gutter away from the
left-aligned status beside them, in the rows and in the header alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QObject,
    QRect,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QWidget,
)

from fluxdesk.core import jobs
from fluxdesk.core.catalog import display_name
from fluxdesk.core.jobs import Billing, billing
from fluxdesk.core.pricing import format_credits
from fluxdesk.core.wording import moment_text
from fluxdesk.storage.spend import ALL_PROJECTS, LedgerRow, ProjectScope
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import DASH, price
from fluxdesk.ui.kit.text import escaped, prompt_html, rich_tooltip
from fluxdesk.ui.spend.snapshot import LedgerEntry


class Column(IntEnum):
    TIME = 0
    MODEL = 1
    SIZE = 2
    CREDITS = 3
    USD = 4
    STATUS = 5
    PROJECT = 6
    PROMPT = 7


HEADERS = (
    Header("Time", "When BFL accepted the job, in your local time (the month itself is counted in UTC)"),
    Header("Model"),
    Header("Size"),
    Header("Credits", "Credits BFL charged; ≈ marks an estimate where BFL did not say", RIGHT),
    Header("Cost", "The credits in US dollars at the price table's rate", RIGHT),
    Header("Status", "How the job ended, and whether BFL billed it"),
    Header("Project", "The client project the job was sent for (or its image moved to)"),
    Header("Prompt", "The prompt the job was sent with"),
)
"""One per ``Column``, in order."""


class Roles(IntEnum):
    JobId = Qt.ItemDataRole.UserRole + 1
    Time = Qt.ItemDataRole.UserRole + 2
    """The ISO UTC time text, as stored."""
    Model = Qt.ItemDataRole.UserRole + 3
    """The model id, e.g. ``flux-2-pro``."""
    Credits = Qt.ItemDataRole.UserRole + 4
    """``Decimal`` or ``None``."""
    Usd = Qt.ItemDataRole.UserRole + 5
    Status = Qt.ItemDataRole.UserRole + 6
    """The ``JobStatus`` value."""
    Billing = Qt.ItemDataRole.UserRole + 7
    """A ``Billing`` value: billed, not billed, lost or maybe."""
    Billed = Qt.ItemDataRole.UserRole + 8
    Demo = Qt.ItemDataRole.UserRole + 9
    ImageId = Qt.ItemDataRole.UserRole + 10
    """The gallery image's id, or ``None``."""
    TaskId = Qt.ItemDataRole.UserRole + 11
    Estimated = Qt.ItemDataRole.UserRole + 12
    SortKey = Qt.ItemDataRole.UserRole + 13
    SearchText = Qt.ItemDataRole.UserRole + 14
    """Lower-case words the filter box matches: model, size, status, prompt, ids."""
    Tone = Qt.ItemDataRole.UserRole + 15
    """``muted``, ``warning`` or ``None``: how the row reads."""
    Prompt = Qt.ItemDataRole.UserRole + 16
    ProjectId = Qt.ItemDataRole.UserRole + 17
    """The job's project id; ``None``: no project."""
    ProjectName = Qt.ItemDataRole.UserRole + 18


def billing_of(row: LedgerRow) -> Billing:
    return billing(row.status, row.billed)


_STATUS_TIPS = {
    Billing.NOT_BILLED: "BFL did not charge this job",
    Billing.LOST: "BFL charged this job, but its image expired before FluxDesk could download it",
    Billing.MAYBE: "The request may have reached BFL: it is billed if BFL made the image",
    Billing.PENDING: "Still running at BFL: billed when it finishes",
}


def status_text(row: LedgerRow) -> str:
    return jobs.status_text(row.status, row.billed) + (" (demo)" if row.demo else "")


def _tone(row: LedgerRow) -> str | None:
    billing = billing_of(row)
    if billing is Billing.NOT_BILLED:
        return "muted"
    if billing in (Billing.LOST, Billing.MAYBE):
        return "warning"
    return None


def _credits_text(entry: LedgerEntry) -> str:
    credits = entry.row.credits
    if credits is None:
        return DASH
    return ("≈ " if entry.row.estimated else "") + format_credits(credits)


def _usd_text(entry: LedgerEntry) -> str:
    if billing_of(entry.row) is Billing.NOT_BILLED:
        return "not billed"
    return ("≈ " if entry.row.estimated else "") + price(entry.row.usd)


def _size_key(size: str | None) -> int:
    if not size or "x" not in size:
        return -1
    width, _, height = size.partition("x")
    return int(width) * int(height) if width.isdigit() and height.isdigit() else -1


def _billed_amount(entry: LedgerEntry) -> float:
    """What the row costs for sorting: nothing when it was not billed."""
    if billing_of(entry.row) is Billing.NOT_BILLED or entry.row.usd is None:
        return -1.0
    return float(entry.row.usd)


_SORT_KEYS: dict[Column, Callable[[LedgerEntry], Any]] = {
    Column.TIME: lambda e: e.row.time,
    Column.MODEL: lambda e: display_name(e.row.model).lower(),
    Column.SIZE: lambda e: _size_key(e.row.size),
    Column.CREDITS: lambda e: float(e.row.credits) if e.row.credits is not None else -1.0,
    Column.USD: _billed_amount,
    Column.STATUS: lambda e: status_text(e.row),
    Column.PROJECT: lambda e: (e.row.project_name or "\uffff").casefold(),  # no project last
    Column.PROMPT: lambda e: e.row.prompt.lower(),
}

_DISPLAY: dict[Column, Callable[[LedgerEntry], str]] = {
    Column.TIME: lambda e: moment_text(e.row.time, seconds=False),
    Column.MODEL: lambda e: display_name(e.row.model),
    Column.SIZE: lambda e: (e.row.size or DASH).replace("x", " × "),
    Column.CREDITS: _credits_text,
    Column.USD: _usd_text,
    Column.STATUS: lambda e: status_text(e.row),
    Column.PROJECT: lambda e: e.row.project_name or DASH,
    Column.PROMPT: lambda e: " ".join(e.row.prompt.split()),
}


def _tooltip(entry: LedgerEntry) -> str:
    row = entry.row
    lines = [f"{display_name(row.model)} · {row.time} UTC"]
    tip = _STATUS_TIPS.get(billing_of(row))
    if tip:
        lines.append(tip)
    if row.estimated:
        lines.append("BFL did not report the cost: the figure is FluxDesk's estimate")
    if entry.image_id is not None:
        lines.append("Click to show the image")
    lines.append(f"Job {row.job_id}" + (f" · task {row.task_id}" if row.task_id else ""))
    return rich_tooltip(escaped(lines[0]), prompt_html(row.prompt) if row.prompt else "",
                        *(escaped(line) for line in lines[1:]))


def _search_text(entry: LedgerEntry) -> str:
    row = entry.row
    # The status's own name too ("moderated", "expired"), besides the words it is shown with.
    words = [row.model, display_name(row.model), row.size or "", status_text(row), row.status.value,
             billing_of(row).value, row.job_id, row.task_id or "", row.prompt, moment_text(row.time, seconds=False),
             row.project_name or ""]
    return " ".join(words).lower()


_ROLE_VALUES: dict[int, Callable[[LedgerEntry], Any]] = {
    Roles.JobId: lambda e: e.row.job_id,
    Roles.Time: lambda e: e.row.time,
    Roles.Model: lambda e: e.row.model,
    Roles.Credits: lambda e: e.row.credits,
    Roles.Usd: lambda e: e.row.usd,
    Roles.Status: lambda e: e.row.status.value,
    Roles.Billing: lambda e: billing_of(e.row).value,
    Roles.Billed: lambda e: e.row.billed,
    Roles.Demo: lambda e: e.row.demo,
    Roles.ImageId: lambda e: e.image_id,
    Roles.TaskId: lambda e: e.row.task_id,
    Roles.Prompt: lambda e: e.row.prompt,
    Roles.ProjectId: lambda e: e.row.project_id,
    Roles.ProjectName: lambda e: e.row.project_name,
    Roles.Estimated: lambda e: e.row.estimated,
    Roles.SearchText: _search_text,
    Roles.Tone: lambda e: _tone(e.row),
}


class LedgerModel(ReadOnlyTableModel):
    """The month's ledger rows, in the order given (the view's proxy sorts them)."""

    Roles = Roles
    HEADERS = HEADERS
    Column = Column

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[LedgerEntry] = []

    def set_entries(self, entries: Sequence[LedgerEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entries(self) -> list[LedgerEntry]:
        return list(self._entries)

    def row_count(self) -> int:
        return len(self._entries)

    def rows(self) -> list[LedgerRow]:
        return [entry.row for entry in self._entries]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _DISPLAY[column](entry)
        if role == Roles.SortKey:
            return _SORT_KEYS[column](entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return HEADERS[column].align
        if role == Qt.ItemDataRole.ForegroundRole:
            tone = _tone(entry.row)
            return QColor(theme.tone_color(tone)) if tone else None
        getter = _ROLE_VALUES.get(role)
        return None if getter is None else getter(entry)


class BillingFilter(enum.Enum):
    ALL = "All jobs"
    BILLED = "Billed"
    NOT_BILLED = "Not billed"
    ATTENTION = "Needs attention"
    """Billed without an image, or an unknown outcome."""


class LedgerFilterProxy(QSortFilterProxyModel):
    """Sorts on each column's natural key; filters on words and on whether a job was billed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._billing = BillingFilter.ALL
        self._project: ProjectScope = ALL_PROJECTS
        self.setSortRole(Roles.SortKey)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        words = text.lower().split()
        if words != self._words:
            self._change_filter(lambda: setattr(self, "_words", words))

    def set_billing(self, billing: BillingFilter) -> None:
        if billing is not self._billing:
            self._change_filter(lambda: setattr(self, "_billing", billing))

    def set_project(self, project: ProjectScope) -> None:
        """Only one project's jobs (its id; ``None``: the jobs of no project), or every job (``ALL_PROJECTS``)."""
        if project != self._project:
            self._change_filter(lambda: setattr(self, "_project", project))

    def project(self) -> ProjectScope:
        return self._project

    def _change_filter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: invalidateFilter is deprecated
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._project is not ALL_PROJECTS and index.data(Roles.ProjectId) != self._project:
            return False
        if self._billing is not BillingFilter.ALL:
            billing = Billing(index.data(Roles.Billing))
            wanted = {
                BillingFilter.BILLED: billing in (Billing.BILLED, Billing.LOST),
                BillingFilter.NOT_BILLED: billing is Billing.NOT_BILLED,
                BillingFilter.ATTENTION: billing in (Billing.LOST, Billing.MAYBE, Billing.PENDING),
            }[self._billing]
            if not wanted:
                return False
        if self._words:
            text = index.data(Roles.SearchText) or ""
            return all(word in text for word in self._words)
        return True


# --- figures with a gutter ----------------------------------------------------------------------------

FIGURE_GUTTER = 14
"""Pixels between a right-aligned figure and the column's right edge, beyond the style's own margin."""


def _right_aligned(alignment: int | Qt.AlignmentFlag | None) -> bool:
    return alignment is not None and bool(Qt.AlignmentFlag(int(alignment)) & Qt.AlignmentFlag.AlignRight)


class FigureDelegate(QStyledItemDelegate):
    """Right-aligned cells end ``FIGURE_GUTTER`` short of their column, so ``$0.03`` never runs into the
    ``Done`` of the next column; the selection still spans the whole cell."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        if not _right_aligned(index.data(Qt.ItemDataRole.TextAlignmentRole)):
            super().paint(painter, option, index)
            return
        whole = QStyleOptionViewItem(option)
        self.initStyleOption(whole, index)
        whole.text = ""
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, whole, painter, option.widget)
        inset = QStyleOptionViewItem(option)
        inset.rect = option.rect.adjusted(0, 0, -FIGURE_GUTTER, 0)
        super().paint(painter, inset, index)


class FigureHeader(QHeaderView):
    """A horizontal header whose right-aligned titles keep the same gutter as ``FigureDelegate``'s cells."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def paintSection(self, painter: QPainter, rect: QRect, logical_index: int) -> None:
        model = self.model()
        alignment = model.headerData(logical_index, self.orientation(), Qt.ItemDataRole.TextAlignmentRole) \
            if model is not None else None
        if not rect.isValid() or not _right_aligned(alignment):
            super().paintSection(painter, rect, logical_index)
            return
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        self.initStyleOptionForIndex(option, logical_index)
        option.rect = rect
        style = self.style()
        painter.save()
        style.drawControl(QStyle.ControlElement.CE_HeaderSection, option, painter, self)
        label = QStyleOptionHeader(option)
        label.rect = style.subElementRect(QStyle.SubElement.SE_HeaderLabel, option, self).adjusted(
            0, 0, -FIGURE_GUTTER, 0)
        style.drawControl(QStyle.ControlElement.CE_HeaderLabel, label, painter, self)
        if option.sortIndicator != QStyleOptionHeader.SortIndicator.None_:
            arrow = QStyleOptionHeader(option)
            arrow.rect = style.subElementRect(QStyle.SubElement.SE_HeaderArrow, option, self)
            style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorHeaderArrow, arrow, painter, self)
        painter.restore()
