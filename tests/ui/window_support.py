"""Driving the real window like a designer: wait for its engine, type and press Ctrl+Enter, read the queue.
The window fixtures themselves (``key_store``, ``make_window``) live in this folder's conftest."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox

from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, encode_image_ids
from fluxdesk.ui.main_window import MainWindow
from fluxdesk.ui.queue.model import JobQueueModel

WAIT_MS = 20_000


def ready(qtbot, window: MainWindow) -> MainWindow:
    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT_MS)
    return window


def ctrl_enter(qtbot, window: MainWindow, prompt: str) -> None:
    window.panel.set_prompt(prompt)
    qtbot.keyClick(window.panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def queue_statuses(window: MainWindow) -> list[str]:
    model = window.queue_model
    return [model.index(r).data(JobQueueModel.Roles.Status) for r in range(model.rowCount())]


def gallery_ids(gallery) -> list[int]:
    model = gallery.model
    return [model.index(r, 0).data(GalleryRoles.ImageId) for r in range(model.rowCount())]


def make_image_and_open_gallery(qtbot, window, prompt: str, size: tuple[int, int] = (512, 512)):
    """Generate one image (512² unless told) with a known seed through the panel, open the Gallery and select it."""
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"seed": 777, "width": size[0], "height": size[1]})
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, prompt)
    image_id = shown.args[0]
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: image_id in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([image_id], image_id)
    qtbot.waitUntil(lambda: gallery.details.image_id() == image_id, timeout=WAIT_MS)
    return image_id, gallery


# --- reference images ------------------------------------------------------------------------------

def photo(folder: Path, name: str, width: int, height: int) -> Path:
    path = folder / name
    image = Image.new("RGB", (width, height), (180, 90, 40))
    image.paste(Image.new("RGB", (width // 2, height // 2), (40, 90, 180)), (width // 4, height // 4))
    image.save(path, "JPEG", quality=90)
    return path


def prepared(window: MainWindow, count: int) -> bool:
    tray = window.panel.references
    return tray.count() == count and not tray.waiting_for() and not tray._schedule_timer.isActive()


def drop_on_tray(window: MainWindow, paths: list[Path], image_ids: list[int] | None = None, *,
                 mime: QMimeData | None = None) -> None:
    """Drop files (or the data of another drag, ``mime``) on the prompt panel's reference tray."""
    if mime is None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        if image_ids is not None:
            mime.setData(IMAGE_IDS_MIME, QByteArray(encode_image_ids(image_ids)))
    tray = window.panel.references
    viewport = tray.view.viewport() if tray.view.isVisible() else tray
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


# --- projects ---------------------------------------------------------------------------------------

def picker(window: MainWindow) -> QComboBox:
    """The prompt panel's project picker."""
    found = window.panel.findChild(QComboBox, "projectPicker")
    assert found is not None
    return found


def type_project(qtbot, window: MainWindow, name: str) -> None:
    """Type a project's name into the picker and press Enter, as a designer picks or makes one."""
    combo = picker(window)
    line = combo.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, name)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def open_settings_at(qtbot, window: MainWindow, section: str):
    """File → Settings… (its action, as the menu and Ctrl+, trigger it), open at ``section``; answers the dialog."""
    window.settings_action.trigger()
    dialog = window._settings_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.select_section(section)
    return dialog


def choose_project(dialog, text: str) -> None:
    """In Move to project…: type ``text`` over the name shown and click Move, as a designer does."""
    from PySide6.QtTest import QTest

    line = dialog.combo.lineEdit()
    line.setFocus()
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
