"""The item models share their Qt plumbing: counts, flags, headers, role names, and news of thumbnails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtTest import QSignalSpy

from fluxdesk.services.events import JobDone, JobQueued
from fluxdesk.ui.breakeven.model import BreakEvenModel
from fluxdesk.ui.kit.item_models import LEFT, RIGHT, ThumbnailRole, runs
from fluxdesk.ui.queue.model import JobQueueModel
from fluxdesk.ui.queue.recent import RecentImagesModel
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


class _Thumbnails(QObject):
    """The thumbnail loader's two signals, to say by hand which file's thumbnail arrived or failed."""

    thumbnailReady = Signal(str, int)
    failed = Signal(str, str)


def _recent_with(paths: list[str]) -> RecentImagesModel:
    model = RecentImagesModel(max_items=10)
    for image_id, path in enumerate(reversed(paths)):
        model.add(image_id, path, "prompt", None)
    return model


def test_a_thumbnail_repaints_exactly_the_rows_showing_its_file(qtbot) -> None:
    model = _recent_with(["/a.png", "/b.png", "/b.png", "/c.png"])
    thumbnails = _Thumbnails()
    model.follow_thumbnails(thumbnails)
    spy = QSignalSpy(model.dataChanged)
    thumbnails.thumbnailReady.emit("/b.png", 128)
    assert spy.count() == 1
    assert (spy.at(0)[0].row(), spy.at(0)[1].row(), spy.at(0)[2]) == (1, 2, [int(ThumbnailRole)])
    thumbnails.failed.emit("/c.png", "cannot be read")
    assert spy.count() == 2 and (spy.at(1)[0].row(), spy.at(1)[1].row()) == (3, 3)
    thumbnails.thumbnailReady.emit("/elsewhere.png", 128)
    assert spy.count() == 2


def test_the_queue_repaints_the_job_whose_image_arrived(qtbot) -> None:
    model = JobQueueModel()
    for job in ("a", "b", "c"):
        model.apply(JobQueued(job, "flux-dev", job, 1, None))
    model.apply(JobDone("b", 5, "/b.png", 1, Decimal(3)))
    thumbnails = _Thumbnails()
    model.follow_thumbnails(thumbnails)
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as blocker:
        thumbnails.thumbnailReady.emit("/b.png", 64)
    top, bottom, roles = blocker.args
    assert (top.row(), bottom.row(), roles) == (model.row_for("b"),) * 2 + ([int(ThumbnailRole)],)


def test_runs_group_consecutive_rows() -> None:
    assert runs([]) == []
    assert runs([1, 2, 5, 7, 8, 9]) == [(1, 2), (5, 5), (7, 9)]
