"""Reference images for the tray's tests: real files made with Pillow, dropped, pasted and waited for as a user
would see them."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

from panel_support import child
from PIL import Image
from PySide6.QtCore import QByteArray, QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from fluxdesk.ui.generate.panel import PromptPanel
from fluxdesk.ui.generate.reference_tray import ReferenceTray
from fluxdesk.ui.generate.references import ReferenceRoles
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, encode_image_ids

WAIT_MS = 20_000


def make_photo(folder: Path, name: str, width: int, height: int, color: tuple[int, int, int] = (90, 140, 200),
               fmt: str = "JPEG") -> Path:
    """A real image file of ``width`` × ``height``: a colour with a lighter band, so it is not one flat colour."""
    image = Image.new("RGB", (width, height), color)
    band = Image.new("RGB", (max(1, width // 3), height), tuple(min(255, c + 60) for c in color))
    image.paste(band, (width // 3, 0))
    path = folder / name
    image.save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return path


def files_mime(paths: Sequence[Path], image_ids: Sequence[int] | None = None) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    if image_ids is not None:
        mime.setData(IMAGE_IDS_MIME, QByteArray(encode_image_ids(list(image_ids))))
    return mime


def drop_on(widget: QWidget, mime: QMimeData, pos: QPoint | None = None) -> bool:
    """Drag ``mime`` onto ``widget`` and drop it there, as the system delivers a drag; answers whether the drop was
    taken. ``mime`` is the caller's: it outlives the events."""
    point = pos or QPoint(20, 20)
    action = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = QDragEnterEvent(point, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(point, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(point), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def tray_of(panel: PromptPanel) -> ReferenceTray:
    return panel.references


def drop_files(panel: PromptPanel, paths: Sequence[Path], image_ids: Sequence[int] | None = None) -> bool:
    """Drop files on the tray, as from a file manager (or the gallery, with ``image_ids``): on its list once it
    shows one, on the card while it is empty."""
    mime = files_mime(paths, image_ids)
    tray = tray_of(panel)
    return drop_on(tray.view.viewport() if tray.view.isVisible() else tray, mime)


def settled(panel: PromptPanel) -> bool:
    """Every reference is read and prepared at the size it is sent at, and nothing is left to start."""
    tray = tray_of(panel)
    return not tray.waiting_for() and not tray._schedule_timer.isActive() and all(
        item.job is None for item in tray.model.items())


def wait_settled(qtbot, panel: PromptPanel, count: int | None = None) -> None:
    qtbot.waitUntil(lambda: settled(panel) and (count is None or tray_of(panel).count() == count), timeout=WAIT_MS)


def rows(panel: PromptPanel, role: ReferenceRoles) -> list:
    model = tray_of(panel).model
    return [model.index(r).data(role) for r in range(model.rowCount())]


def labels(panel: PromptPanel) -> list[str]:
    return rows(panel, ReferenceRoles.Label)


def sent_sizes(panel: PromptPanel) -> list[tuple[int, int]]:
    """The size of the bytes each reference sends, decoded as BFL would."""
    sizes = []
    for image in panel.current_request().input_images:
        with Image.open(io.BytesIO(base64.b64decode(image.data))) as decoded:
            sizes.append(decoded.size)
    return sizes


def tray_text(panel: PromptPanel, name: str) -> str:
    label = child(tray_of(panel), QLabel, name)
    return label.text() if label.isVisibleTo(panel) else ""


def process() -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
    QApplication.processEvents()
