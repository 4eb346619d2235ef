"""The table models share their Qt plumbing: counts, flags, headers and role names."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt

from fluxdesk.ui.breakeven.model import BreakEvenModel
from fluxdesk.ui.kit.item_models import LEFT, RIGHT
from fluxdesk.ui.spend.by_model import ByModelModel
from fluxdesk.ui.spend.ledger import LedgerModel

D = Qt.ItemDataRole


@pytest.mark.parametrize("model_type", [BreakEvenModel, ByModelModel, LedgerModel])
def test_every_table_reads_its_headers_and_roles(qtbot, model_type) -> None:
    model = model_type()
    assert model.columnCount() == len(model.HEADERS) > 0
    for section, header in enumerate(model.HEADERS):
        assert model.headerData(section, Qt.Orientation.Horizontal, D.DisplayRole) == header.title
        assert model.headerData(section, Qt.Orientation.Horizontal, D.ToolTipRole) == header.tip
        assert model.headerData(section, Qt.Orientation.Horizontal, D.TextAlignmentRole) == header.align
    assert model.headerData(len(model.HEADERS), Qt.Orientation.Horizontal, D.DisplayRole) is None
    assert model.headerData(0, Qt.Orientation.Vertical, D.DisplayRole) is None
    names = model.roleNames()
    first = next(iter(model.Roles))
    assert names[int(first)].data().decode() == first.name[0].lower() + first.name[1:]
    assert names[int(D.DisplayRole)].data() == b"display"  # Qt's own names are kept
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


def test_cells_line_up_with_their_header(qtbot) -> None:
    model = ByModelModel()
    model.set_spend({"flux-2-pro": Decimal(6), "flux-dev": Decimal(2)}, Decimal("0.01"))
    assert model.rowCount() == 2
    assert model.rowCount(model.index(0, 0)) == 0 == model.columnCount(model.index(0, 0))  # a table, not a tree
    aligns = [model.index(0, column).data(D.TextAlignmentRole) for column in range(model.columnCount())]
    assert aligns == [LEFT, RIGHT, RIGHT, RIGHT]
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
