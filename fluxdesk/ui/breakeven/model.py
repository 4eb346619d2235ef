"""The break-even table: API against self-hosted cost at the article's volumes and at the user's own."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont

from fluxdesk.core import breakeven as be
from fluxdesk.core.wording import plural
from fluxdesk.ui.kit import theme
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import DASH, percent, usd


class Column(IntEnum):
    VOLUME = 0
    API_MONTHLY = 1
    SELF_MONTHLY = 2
    SAVING = 3
    SAVING_PCT = 4
    API_ANNUAL = 5
    SELF_ANNUAL = 6
    GPUS = 7


HEADERS = (
    Header("Images\na month", "Images a month", RIGHT),
    Header("API\na month", "What the API costs a month at this volume, at the price chosen", RIGHT),
    Header("Self-hosted\na month", "GPU cost plus the engineering overhead, a month", RIGHT),
    Header("Saving\na month", "API cost minus self-hosted cost: negative when self-hosting costs more", RIGHT),
    Header("Saving\n%", "The saving as a share of the API cost", RIGHT),
    Header("API\na year", "Twelve months of API cost", RIGHT),
    Header("Self-hosted\na year", "Twelve months of self-hosted cost", RIGHT),
    Header("GPUs\nalways on", "Always-on GPUs this volume needs (each makes images/hour × 730 h a month)", RIGHT),
)
"""One per ``Column``, in order."""


class Roles(IntEnum):
    Volume = Qt.ItemDataRole.UserRole + 1
    ApiMonthly = Qt.ItemDataRole.UserRole + 2
    """``Decimal`` dollars."""
    SelfHostedMonthly = Qt.ItemDataRole.UserRole + 3
    Saving = Qt.ItemDataRole.UserRole + 4
    SavingPct = Qt.ItemDataRole.UserRole + 5
    """``Decimal`` percent, or ``None`` when the API costs nothing."""
    ApiAnnual = Qt.ItemDataRole.UserRole + 6
    SelfHostedAnnual = Qt.ItemDataRole.UserRole + 7
    GpusNeeded = Qt.ItemDataRole.UserRole + 8
    """Always-on mode only; ``None`` on demand."""
    IsUserVolume = Qt.ItemDataRole.UserRole + 9
    Cheaper = Qt.ItemDataRole.UserRole + 10
    """``"self-hosted"``, ``"api"`` or ``"same"``."""


_VALUES: dict[int, Callable[[be.BreakEvenRow], Any]] = {
    Roles.Volume: lambda r: r.volume,
    Roles.ApiMonthly: lambda r: r.api_monthly,
    Roles.SelfHostedMonthly: lambda r: r.self_hosted_monthly,
    Roles.Saving: lambda r: r.saving,
    Roles.SavingPct: lambda r: r.saving_pct,
    Roles.ApiAnnual: lambda r: r.api_annual,
    Roles.SelfHostedAnnual: lambda r: r.self_hosted_annual,
    Roles.GpusNeeded: lambda r: r.gpus_needed,
    Roles.Cheaper: lambda r: "self-hosted" if r.saving > 0 else "api" if r.saving < 0 else "same",
}

_TEXT: dict[Column, Callable[[be.BreakEvenRow], str]] = {
    Column.VOLUME: lambda r: f"{r.volume:,}",
    Column.API_MONTHLY: lambda r: usd(r.api_monthly),
    Column.SELF_MONTHLY: lambda r: usd(r.self_hosted_monthly),
    Column.SAVING: lambda r: usd(r.saving),
    Column.SAVING_PCT: lambda r: percent(r.saving_pct),
    Column.API_ANNUAL: lambda r: usd(r.api_annual),
    Column.SELF_ANNUAL: lambda r: usd(r.self_hosted_annual),
    Column.GPUS: lambda r: DASH if r.gpus_needed is None else f"{r.gpus_needed:,}",
}


def table_volumes(user_volume: int | None) -> list[int]:
    """The article's volumes and the user's own, in order, without repeating one."""
    volumes = set(be.DEFAULT_VOLUMES)
    if user_volume is not None:
        volumes.add(user_volume)
    return sorted(volumes)


class BreakEvenModel(ReadOnlyTableModel):
    """One row per monthly volume; the user's volume row is marked (``Roles.IsUserVolume``)."""

    Roles = Roles
    HEADERS = HEADERS
    Column = Column

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[be.BreakEvenRow] = []
        self._user_volume: int | None = None
        self._inputs: be.BreakEvenInputs | None = None
        self._api_name = "the API"

    def set_inputs(self, inputs: be.BreakEvenInputs, user_volume: int | None, api_name: str = "the API") -> None:
        """Rows for ``inputs`` at the article's volumes and the user's; ``api_name`` says who the API side is in
        tooltips ("BFL", "fal.ai", "your price")."""
        self._api_name = api_name
        rows = be.table(inputs, table_volumes(user_volume))
        if len(rows) == len(self._rows):
            # Same shape: repaint in place so the view keeps its scroll position and selection.
            self._rows, self._user_volume, self._inputs = rows, user_volume, inputs
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(Column) - 1))
            return
        self.beginResetModel()
        self._rows, self._user_volume, self._inputs = rows, user_volume, inputs
        self.endResetModel()

    def clear(self) -> None:
        """No rows (nothing can be priced yet)."""
        if self._rows:
            self.beginResetModel()
            self._rows, self._inputs = [], None
            self.endResetModel()

    def rows(self) -> list[be.BreakEvenRow]:
        return list(self._rows)

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        column = Column(index.column())
        mine = r.volume == self._user_volume
        if role == Qt.ItemDataRole.DisplayRole:
            return _TEXT[column](r)
        if role == Roles.IsUserVolume:
            return mine
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return HEADERS[column].align
        if role == Qt.ItemDataRole.ForegroundRole:
            if column in (Column.SAVING, Column.SAVING_PCT) and r.saving < 0:
                return theme.error_color()
            return None
        if role == Qt.ItemDataRole.BackgroundRole and mine:
            color = QColor(theme.colors().highlight)
            color.setAlpha(60 if theme.is_dark() else 38)
            return color
        if role == Qt.ItemDataRole.FontRole and mine:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, mine)
        getter = _VALUES.get(role)
        return None if getter is None else getter(r)

    def _tooltip(self, r: be.BreakEvenRow, mine: bool) -> str:
        lines = [("Your volume: " if mine else "") + f"{r.volume:,} images a month"]
        if r.saving > 0:
            lines.append(f"Self-hosting saves {usd(r.saving)} a month ({usd(r.saving_annual)} a year)")
        elif r.saving < 0:
            lines.append(f"The API ({self._api_name}) is cheaper by {usd(-r.saving)} a month "
                         f"({usd(-r.saving_annual)} a year)")
        else:
            lines.append("Both cost the same")
        if r.gpus_needed is not None:
            lines.append(plural(r.gpus_needed, "always-on GPU"))
        return "\n".join(lines)

