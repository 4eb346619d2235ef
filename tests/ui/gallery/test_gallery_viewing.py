"""Looking at images in the gallery: the large view (Space, double-click, arrows, fit/100%), tiles that keep
each image's shape, the favourite star in the details, opening with the system's viewer, and the words the
gallery says about what it did."""

from __future__ import annotations

from collections.abc import Callable

from gallery_support import (  # noqa: F401 - fixtures
    WAIT_MS,
    Gallery,
    add_image,
    gallery,
    library,
    loader,
    make_gallery,
)
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QDesktopServices, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.view import fitted


def focus_grid(gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    tab.activateWindow()
    tab.view.setFocus()
    gallery.qtbot.waitUntil(tab.view.hasFocus, timeout=WAIT_MS)


def open_viewer_with_space(gallery: Gallery, image_id: int):  # noqa: F811
    gallery.select_and_show(image_id)
    focus_grid(gallery)
    gallery.qtbot.keyClick(gallery.tab.view, Qt.Key.Key_Space)
    viewer = gallery.tab.viewer()
    assert viewer is not None and viewer.isVisible()
    viewer.activateWindow()
    gallery.qtbot.waitUntil(viewer.isActiveWindow, timeout=WAIT_MS)
    gallery.qtbot.waitUntil(viewer.has_image, timeout=WAIT_MS)
    return viewer


def test_space_opens_the_large_view_and_the_arrows_step_through_the_grid(gallery: Gallery,  # noqa: F811
                                                                           library: Library) -> None:  # noqa: F811
    tab, ids, qtbot = gallery.tab, gallery.ids, gallery.qtbot
    viewer = open_viewer_with_space(gallery, ids[5])  # the newest: the first tile
    assert viewer.path() == str(library.get_image(ids[5]).path)
    assert viewer.position.text() == "1 of 6" and "a red kite over the hills" in viewer.title.text()
    assert not viewer.previous_action.isEnabled() and viewer.next_action.isEnabled()

    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.path() == str(library.get_image(ids[4]).path), timeout=WAIT_MS)
    assert viewer.position.text() == "2 of 6" and tab.current_id() == ids[4]  # the grid follows
    qtbot.waitUntil(viewer.has_image, timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: tab.current_id() == ids[5], timeout=WAIT_MS)
    assert viewer.position.text() == "1 of 6"

    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # Space again: back to the grid
    qtbot.waitUntil(lambda: not viewer.isVisible(), timeout=WAIT_MS)


def test_double_click_on_a_tile_opens_it_large(gallery: Gallery, library: Library) -> None:  # noqa: F811
    tab, qtbot = gallery.tab, gallery.qtbot
    row = tab.model.row_of(gallery.ids[2])
    rect = tab.view.visualRect(tab.model.index(row))
    qtbot.mouseClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = tab.viewer()
    assert viewer is not None and viewer.isVisible()
    assert viewer.path() == str(library.get_image(gallery.ids[2]).path)
    qtbot.waitUntil(viewer.has_image, timeout=WAIT_MS)
    viewer.close()


def test_fit_and_100_percent(qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    big = add_image(library, "a wide harbour", size=(3200, 1800), color=(230, 20, 20))
    shown = make_gallery([big])
    viewer = open_viewer_with_space(shown, big)
    viewer.resize(1000, 720)
    qtbot.waitUntil(lambda: "fitted" in viewer.zoom_label.text(), timeout=WAIT_MS)
    fitted_rect = viewer.canvas.target_rect()
    room = viewer.scroll_area.viewport().size()
    assert fitted_rect.width() <= room.width() and fitted_rect.height() <= room.height()
    assert abs(fitted_rect.width() / fitted_rect.height() - 16 / 9) < 0.02
    assert viewer.zoom_label.text().startswith("3200 × 1800 px · fitted, ")

    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    assert viewer.is_actual_size() and viewer.zoom_label.text() == "3200 × 1800 px · 100%"
    ratio = viewer.canvas.devicePixelRatioF()
    assert viewer.canvas.target_rect().width() == 3200 / ratio
    assert viewer.scroll_area.horizontalScrollBar().maximum() > 0  # larger than the window: it scrolls

    button = next(b for b in viewer.findChildren(QToolButton) if b.defaultAction() is viewer.actual_size_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not viewer.is_actual_size() and "fitted" in viewer.zoom_label.text()
    viewer.close()


def test_tiles_keep_each_images_aspect_ratio(qtbot: QtBot, library: Library,  # noqa: F811
                                             make_gallery: Callable) -> None:  # noqa: F811
    wide = add_image(library, "a wide harbour", size=(1600, 900), color=(230, 20, 20))
    shown = make_gallery([wide])
    view = shown.tab.view
    index = shown.tab.model.index(0)
    qtbot.waitUntil(lambda: shown.loader.get(shown.tab.model.item(0).path, view.thumbnail_size()) is not None,
                    timeout=WAIT_MS)
    view.viewport().update()
    qtbot.wait(50)
    cell = view.visualRect(index)
    image: QImage = view.viewport().grab(cell).toImage()
    reds = [(x, y) for y in range(image.height()) for x in range(image.width())
            if (c := image.pixelColor(x, y)).red() > 180 and c.green() < 90 and c.blue() < 90]
    xs, ys = [x for x, _ in reds], [y for _, y in reds]
    width, height = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    assert abs(width / height - 16 / 9) < 0.1, (width, height)  # not cropped to a square
    assert width >= view.tile_size() - 4
    assert fitted(160, 900, 1600).width() == 90 and fitted(160, None, None).width() == 160


def test_the_favourite_star_shows_and_toggles_by_f_and_by_click(gallery: Gallery,  # noqa: F811
                                                                library: Library) -> None:  # noqa: F811
    tab, qtbot, image_id = gallery.tab, gallery.qtbot, gallery.ids[0]
    gallery.select_and_show(image_id)
    star = tab.details.favourite_button
    assert star.isVisible() and not star.isChecked() and not star.icon().isNull()
    focus_grid(gallery)
    qtbot.keyClick(tab.view, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: library.get_image(image_id).favourite, timeout=WAIT_MS)
    qtbot.waitUntil(star.isChecked, timeout=WAIT_MS)
    qtbot.mouseClick(star, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not library.get_image(image_id).favourite, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not star.isChecked(), timeout=WAIT_MS)


def test_open_with_no_system_viewer_says_so(gallery: Gallery, monkeypatch) -> None:  # noqa: F811
    tab, qtbot = gallery.tab, gallery.qtbot
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) and False)
    gallery.select_and_show(gallery.ids[0])
    focus_grid(gallery)
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as said:
        qtbot.keyClick(tab.view, Qt.Key.Key_Return)
    assert opened and opened[0].endswith((".jpg", ".jpeg"))
    assert said.args[0].startswith("No app on this computer opens JP")
    assert "Press Space to view it large in FluxDesk" in said.args[0]
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as folder:
        tab.actions.show_in_folder.trigger()
    assert folder.args[0].startswith("This computer has no file manager to show the folder")


def test_delete_says_it_or_they_by_count(gallery: Gallery) -> None:  # noqa: F811
    tab, qtbot = gallery.tab, gallery.qtbot
    gallery.select(gallery.ids[0])
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as one:
        tab.actions.delete.trigger()
    assert one.args == ["Deleted 1 image — Undo (Ctrl+Z)"]
    assert tab.undo_bar.label.text() == "Deleted 1 image. It is in the trash for 30 days."
    gallery.select(gallery.ids[1], gallery.ids[2])
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS):
        tab.actions.delete.trigger()
    assert tab.undo_bar.label.text() == "Deleted 2 images. They are in the trash for 30 days."
    gallery.select(gallery.ids[3])
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as unmarked:
        tab.actions.favourite.trigger()
    assert unmarked.args == ["Marked 1 image as favourite"]
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as unmarked:
        tab.actions.favourite.trigger()
    assert unmarked.args == ["Removed 1 image from favourites"]


class _PaintCounter(QObject):
    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def _red_tiles(view, count: int) -> int:
    """How many of the first ``count`` cells show their (red) image rather than a blank tile, in one paint."""
    image: QImage = view.viewport().grab().toImage()
    shown = 0
    for row in range(count):
        centre = view.visualRect(view.model().index(row, 0)).center()
        colour = image.pixelColor(centre.x(), centre.y())
        shown += colour.red() > 180 and colour.green() < 90
    return shown


def test_new_tiles_past_a_paints_time_fill_in_over_the_next_paints(qtbot: QtBot, library: Library,  # noqa: F811
                                                                   make_gallery: Callable, monkeypatch) -> None:  # noqa: F811
    import fluxdesk.ui.gallery.view as gallery_view

    ids = [add_image(library, f"red {i}", color=(230, 20, 20)) for i in range(6)]
    shown = make_gallery(ids)
    view = shown.tab.view
    for row in range(6):
        path = shown.tab.model.item(row).path
        qtbot.waitUntil(lambda p=path: shown.loader.get(p, view.thumbnail_size()) is not None, timeout=WAIT_MS)
    monkeypatch.setattr(gallery_view, "NEW_TILES_MS", 0.0)  # every paint is over its time after one new tile
    view.set_tile_size(view.tile_size() + 8)  # forget the drawn tiles: all six are new again
    paints = _PaintCounter(view.viewport())
    assert _red_tiles(view, 6) == 1  # one paint: one new tile drawn, the others held back (blank)
    qtbot.waitUntil(lambda: paints.count >= 5, timeout=WAIT_MS)  # the view paints again on its own…
    assert _red_tiles(view, 6) == 6  # …until every tile is drawn


def _ring_pixels(view, row: int) -> int:
    """Pixels in the highlight colour in the cell of ``row`` (the selection ring is drawn in it)."""
    from PySide6.QtGui import QPalette

    image: QImage = view.viewport().grab().toImage()
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    cell = view.visualRect(view.model().index(row, 0))
    near = 0
    for y in range(cell.top(), cell.bottom(), 2):
        for x in range(cell.left(), cell.right(), 2):
            c = image.pixelColor(x, y)
            near += (abs(c.red() - highlight.red()) + abs(c.green() - highlight.green())
                     + abs(c.blue() - highlight.blue())) < 60
    return near


def test_the_grid_paints_the_selection_ring_and_the_rubber_band(qtbot: QtBot, library: Library,  # noqa: F811
                                                               make_gallery: Callable) -> None:  # noqa: F811
    ids = [add_image(library, f"tile {i}", color=(40, 160, 40)) for i in range(3)]
    shown = make_gallery(ids)
    view = shown.tab.view
    assert _ring_pixels(view, 1) == 0
    shown.select(ids[1])
    assert _ring_pixels(view, 1) > 20 and _ring_pixels(view, 0) == 0  # the selected tile only
    # A rubber band dragged out from below the last row: drawn while it is dragged, gone once let go.
    last = view.visualRect(view.model().index(2, 0))
    start = QPoint(last.right() + 40, last.bottom() + 40)
    end = QPoint(4, 4)
    before = view.viewport().grab().toImage()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        point = start + (end - start) * step / 5
        QApplication.sendEvent(view.viewport(), QMouseEvent(QEvent.Type.MouseMove, QPointF(point), QPointF(point),
                                                            Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                                            Qt.KeyboardModifier.NoModifier))
    during = view.viewport().grab().toImage()
    probe = QPoint(last.right() + 20, last.bottom() + 20)  # inside the band, outside every tile
    assert during.pixelColor(probe) != before.pixelColor(probe)
    assert shown.tab.selected_count() == 3  # the band selected what it covers
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert view.viewport().grab().toImage().pixelColor(probe) == before.pixelColor(probe)
