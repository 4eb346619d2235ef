"""The month's billed spend per model, largest first: credits, dollars and share of the month."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt

from fluxdesk.core.catalog import display_name
from fluxdesk.core.pricing import format_credits
from fluxdesk.ui.kit.item_models import RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import percent, usd


class Roles(IntEnum):
    ModelId = Qt.ItemDataRole.UserRole + 1
    Credits = Qt.ItemDataRole.UserRole + 2
    """``Decimal``."""
    Usd = Qt.ItemDataRole.UserRole + 3
    Share = Qt.ItemDataRole.UserRole + 4
    """Percent of the month's billed credits, ``Decimal``; ``None`` when the month cost nothing."""


HEADERS = (Header("Model"), Header("Credits", align=RIGHT), Header("Cost", align=RIGHT), Header("Share", align=RIGHT))


@dataclass(frozen=True)
class ModelSpend:
    model: str
    credits: Decimal
    usd: Decimal
    share: Decimal | None


class ByModelModel(ReadOnlyTableModel):
    Roles = Roles
    HEADERS = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ModelSpend] = []

    def set_spend(self, by_model: Mapping[str, Decimal], usd_per_credit: Decimal) -> None:
        """``by_model``: credits per model id, in the order to show (``SpendSummary.by_model``)."""
        total = sum(by_model.values(), Decimal(0))
        self.beginResetModel()
        self._rows = [ModelSpend(model, credits, credits * usd_per_credit,
                                 credits / total * 100 if total else None)
                      for model, credits in by_model.items()]
        self.endResetModel()

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (display_name(item.model), format_credits(item.credits), usd(item.usd),
                    percent(item.share))[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return HEADERS[column].align
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{display_name(item.model)} ({item.model}): {format_credits(item.credits)} credits, "
                    f"{usd(item.usd)}, {percent(item.share)} of the month's billed spend")
        values: dict[int, object] = {Roles.ModelId: item.model, Roles.Credits: item.credits, Roles.Usd: item.usd,
                                     Roles.Share: item.share}
        return values.get(role)
