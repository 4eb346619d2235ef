"""The same request elsewhere: what the prompt panel's request would cost at other providers of the same model.

A compact list on demand (the footer's "Elsewhere" opens it): BFL first, from the price table, then every provider
of the provider table that sells the model, cheapest first (``core.providers.compare``). Providers are priced,
not called: FluxDesk sends to BFL only, and the list says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView, QVBoxLayout, QWidget

from fluxdesk.core.catalog import display_name
from fluxdesk.core.providers import BFL, ProviderQuote, billing_words
from fluxdesk.core.wording import plural
from fluxdesk.ui.kit.forms import make_label
from fluxdesk.ui.kit.item_models import LEFT, RIGHT, Header, ModelIndex, ReadOnlyTableModel
from fluxdesk.ui.kit.money import price


class Column(IntEnum):
    PROVIDER = 0
    PER_IMAGE = 1
    TOTAL = 2
    BILLING = 3
    AS_OF = 4


class Roles(IntEnum):
    Provider = Qt.ItemDataRole.UserRole + 1
    UsdPerImage = Qt.ItemDataRole.UserRole + 2
    """``Decimal`` dollars."""
    UsdTotal = Qt.ItemDataRole.UserRole + 3
    Billing = Qt.ItemDataRole.UserRole + 4
    """A ``ProviderBilling`` value."""
    AsOf = Qt.ItemDataRole.UserRole + 5
    Source = Qt.ItemDataRole.UserRole + 6
    IsBfl = Qt.ItemDataRole.UserRole + 7
    """The row FluxDesk sends to."""


_VALUES: dict[int, Callable[[ProviderQuote], Any]] = {
    Roles.Provider: lambda q: q.provider,
    Roles.UsdPerImage: lambda q: q.usd_per_image,
    Roles.UsdTotal: lambda q: q.usd_total,
    Roles.Billing: lambda q: q.billing,
    Roles.AsOf: lambda q: q.as_of,
    Roles.Source: lambda q: q.source,
    Roles.IsBfl: lambda q: q.provider == BFL,
}


class ProviderQuotesModel(ReadOnlyTableModel):
    """One row per provider's price of the request: BFL first, then the others, cheapest first."""

    Roles = Roles
    Column = Column
    HEADERS = (
        Header("Provider", "Who sells this model", LEFT),
        Header("Per image", "What one image of this request costs there", RIGHT),
        Header("Total", "What this submission's images cost there", RIGHT),
        Header("Billing", "How the provider bills this model", LEFT),
        Header("As of", "When the price was read", LEFT),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quotes: list[ProviderQuote] = []

    def set_quotes(self, quotes: Sequence[ProviderQuote]) -> None:
        self.beginResetModel()
        self._quotes = list(quotes)
        self.endResetModel()

    def quotes(self) -> list[ProviderQuote]:
        return list(self._quotes)

    def row_count(self) -> int:
        return len(self._quotes)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._quotes):
            return None
        q = self._quotes[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return {Column.PROVIDER: q.provider,
                    Column.PER_IMAGE: price(q.usd_per_image), Column.TOTAL: price(q.usd_total),
                    Column.BILLING: billing_words(q.billing), Column.AS_OF: q.as_of}[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.HEADERS[column].align
        if role == Qt.ItemDataRole.ToolTipRole:
            sent = "\nFluxDesk sends your requests here" if q.provider == BFL else ""
            return f"{q.provider}: {price(q.usd_per_image)} an image, {billing_words(q.billing)}{sent}\n{q.source}"
        if role == Qt.ItemDataRole.FontRole and q.provider == BFL:
            font = QFont()
            font.setBold(True)
            return font
        getter = _VALUES.get(role)
        return None if getter is None else getter(q)


def cheapest_words(quotes: Sequence[ProviderQuote]) -> str:
    """How BFL's price stands against the others, in a sentence."""
    bfl = next((q for q in quotes if q.provider == BFL), None)
    others = [q for q in quotes if q.provider != BFL]
    if bfl is None or not others:
        return "No other provider in the table sells this model."
    cheapest = min(others, key=lambda q: q.usd_per_image)
    if cheapest.usd_per_image < bfl.usd_per_image:
        saving = bfl.usd_per_image - cheapest.usd_per_image
        return f"{cheapest.provider} is {price(saving)} an image cheaper than BFL for this request."
    if cheapest.usd_per_image == bfl.usd_per_image:
        return "Nobody in the table sells this request for less than BFL."
    more = cheapest.usd_per_image - bfl.usd_per_image
    return f"BFL is the cheapest: the next is {cheapest.provider}, {price(more)} more an image."


class ElsewherePopup(QFrame):
    """A small popup listing ``ProviderQuote``s; it closes on a click outside or Escape, like a menu."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("elsewherePopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("The same request elsewhere")
        self.title_label = make_label(name="elsewhereTitle", heading=True, wrap=False)
        self.model = ProviderQuotesModel(self)
        self.view = QTableView()
        self.view.setObjectName("elsewhereTable")
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.setAccessibleName("Prices at other providers")
        self.summary_label = make_label(name="elsewhereSummary", small=True)
        self.note_label = make_label(tone="muted", name="elsewhereNote", small=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.title_label)
        layout.addWidget(self.view)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.note_label)

    def show_quotes(self, quotes: Sequence[ProviderQuote], count: int, size: str | None, as_of: str) -> None:
        model = display_name(quotes[0].model) if quotes else ""
        what = f"{plural(count, 'image')} of {model}" + (f" at {size}" if size else "")
        self.title_label.setText(f"The same request elsewhere: {what}")
        self.model.set_quotes(quotes)
        self.view.setColumnHidden(Column.TOTAL, count == 1)
        self.summary_label.setText(cheapest_words(quotes))
        self.note_label.setText(f"Priced, not called: FluxDesk sends to BFL only. Other providers' prices as of "
                                f"{as_of}; BFL's from your price table.")
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        width = sum(header.sectionSize(c) for c in range(self.model.columnCount()) if not self.view.isColumnHidden(c))
        rows = self.model.rowCount()
        self.view.setFixedSize(width + 2 * self.view.frameWidth() + 2,
                               header.height() + rows * self.view.verticalHeader().defaultSectionSize()
                               + 2 * self.view.frameWidth() + 2)
        self.note_label.setMaximumWidth(max(self.view.width(), 320))
        self.summary_label.setMaximumWidth(max(self.view.width(), 320))
        self.adjustSize()

    def popup_at(self, anchor: QWidget) -> None:
        """Show it over ``anchor``'s top edge, right-aligned with it, kept on the screen."""
        self.adjustSize()
        corner = anchor.mapToGlobal(QPoint(anchor.width(), 0))
        pos = QPoint(corner.x() - self.width(), corner.y() - self.height() - 4)
        screen = anchor.screen().availableGeometry()
        pos.setX(max(screen.left(), min(pos.x(), screen.right() - self.width())))
        pos.setY(max(screen.top(), pos.y()))
        self.move(pos)
        self.show()
