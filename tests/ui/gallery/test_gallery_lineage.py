"""Lineage in the gallery, the way a designer meets it: the details of an edit show "Made from" (its references'
thumbnails in order, each opening what it came from), the details of a source show "Used in N images" (a click
shows them), "Edits only" among the filters, and "Use as reference" on any image (menu, key, button).

Edits are made through the library as the pipeline makes them: gallery images prepared as references, their
bytes kept by the library, the job journalled with them and its image stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from gallery_support import (  # noqa: F401 - fixtures
    T0,
    WAIT_MS,
    Gallery,
    add_edit,
    add_image,
    library,
    loader,
    make_gallery,
    pasted_reference,
    reference_to,
)
from menu_support import pick_from_popup, right_click
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.lineage import ReferenceRoles
from fluxdesk.ui.gallery.tab import GalleryTab

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard")

FOX, OWL, PASTED = (200, 60, 40), (40, 70, 210), (30, 160, 90)


@dataclass
class Family:
    gallery: Gallery
    fox: int
    owl: int
    lighthouse: int
    fox_at_night: int
    owl_and_fox: int
    """Made from the owl (image 1), the fox (image 2) and a pasted picture (image 3)."""

    @property
    def tab(self) -> GalleryTab:
        return self.gallery.tab


@pytest.fixture
def family(library: Library, make_gallery: Callable[[list[int]], Gallery]) -> Family:  # noqa: F811
    fox = add_image(library, "a red fox in the snow", color=FOX, created=T0)
    owl = add_image(library, "an owl at night", model="flux-2-pro", color=OWL, created=T0 + timedelta(hours=1))
    lighthouse = add_image(library, "a lighthouse", color=(220, 220, 200), created=T0 + timedelta(hours=2))
    fox_at_night = add_edit(library, "image 1 under the stars", (reference_to(library, fox),),
                            created=T0 + timedelta(hours=3))
    owl_and_fox = add_edit(library, "image 1 sitting beside image 2 on image 3",
                           (reference_to(library, owl), reference_to(library, fox), pasted_reference(library, PASTED)),
                           created=T0 + timedelta(hours=4))
    ids = [fox, owl, lighthouse, fox_at_night, owl_and_fox]
    return Family(make_gallery(ids), fox, owl, lighthouse, fox_at_night, owl_and_fox)


def show(family: Family, image_id: int) -> None:
    """Select the image and wait until the details pane shows it, its lineage read."""
    family.gallery.select_and_show(image_id)
    family.gallery.qtbot.waitUntil(lambda: family.tab.details.lineage.isVisible()
                                   or _lineage_read(family, image_id), timeout=WAIT_MS)


def _lineage_read(family: Family, image_id: int) -> bool:
    lib = family.gallery.library
    return not lib.made_from(image_id) and not lib.used_in(image_id)


def tile_center(family: Family, row: int) -> QPoint:
    strip = family.tab.details.lineage.strip
    return strip.visualRect(strip.model().index(row, 0)).center()


def click_reference(family: Family, row: int) -> None:
    strip = family.tab.details.lineage.strip
    strip.scrollTo(strip.model().index(row, 0))
    family.gallery.qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=tile_center(family, row))


def click_link(qtbot: QtBot, label: QLabel, words: str) -> None:
    """A click on the middle of the link's words."""
    margins = label.contentsMargins()
    x = margins.left() + label.margin() + label.fontMetrics().horizontalAdvance(words) // 2
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(x, label.height() // 2))


def close_to(color: QColor, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((color.red(), color.green(), color.blue()), rgb, strict=True))


# --- made from ----------------------------------------------------------------------------------------------------


def test_the_details_of_an_edit_show_its_references_in_order_with_their_thumbnails(family: Family) -> None:
    show(family, family.owl_and_fox)
    details, qtbot = family.tab.details, family.gallery.qtbot
    qtbot.waitUntil(lambda: details.lineage.strip.isVisible(), timeout=WAIT_MS)
    assert "Made from: image 1, image 2, image 3" in details.text()
    assert "Used in" not in details.text()  # nothing was made from it
    model = details.lineage.model
    sent = family.gallery.library.made_from(family.owl_and_fox)
    assert [model.index(r).data(ReferenceRoles.ThumbnailPath) for r in range(3)] == [str(r.path) for r in sent]
    tips = [model.index(r).data(Qt.ItemDataRole.ToolTipRole) for r in range(3)]
    assert tips[0].startswith("Image 1\nSent as 64 × 48 px") and "Click to show it in the gallery" in tips[0]
    assert "Pasted" in tips[2] and "Click to view it" in tips[2]

    def painted_in_order() -> bool:  # each tile shows its own picture: owl, fox, the pasted one
        shot = details.lineage.strip.viewport().grab().toImage()
        ratio = shot.devicePixelRatioF()
        colours = [shot.pixelColor(tile_center(family, row) * ratio) for row in range(3)]
        return all(close_to(c, rgb) for c, rgb in zip(colours, (OWL, FOX, PASTED), strict=True))

    qtbot.waitUntil(painted_in_order, timeout=WAIT_MS)


def test_clicking_a_reference_that_came_from_the_gallery_selects_that_image(family: Family) -> None:
    show(family, family.owl_and_fox)
    click_reference(family, 1)  # image 2: the fox
    qtbot = family.gallery.qtbot
    qtbot.waitUntil(lambda: family.tab.current_id() == family.fox, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: family.tab.details.image_id() == family.fox, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Used in 2 images" in family.tab.details.text(), timeout=WAIT_MS)


def test_clicking_a_pasted_reference_shows_the_file_that_was_sent(family: Family) -> None:
    show(family, family.owl_and_fox)
    click_reference(family, 2)
    viewer = family.tab.viewer()
    pasted = family.gallery.library.made_from(family.owl_and_fox)[2]
    family.gallery.qtbot.waitUntil(lambda: viewer is not None and viewer.isVisible() and viewer.has_image(),
                                   timeout=WAIT_MS)
    assert viewer.path() == str(pasted.path) and viewer.title.text().startswith("Image 3, as it was sent")
    assert not viewer.previous_action.isEnabled() and not viewer.next_action.isEnabled()
    assert family.tab.current_id() == family.owl_and_fox  # the grid stays where it was


def test_a_reference_hidden_by_the_filters_is_shown_with_every_image(family: Family) -> None:
    tab, qtbot = family.tab, family.gallery.qtbot
    tab.filters.search.setText("stars")
    family.gallery.apply()
    assert family.gallery.shown_ids() == [family.fox_at_night]
    show(family, family.fox_at_night)
    click_reference(family, 0)
    qtbot.waitUntil(lambda: tab.current_id() == family.fox, timeout=WAIT_MS)
    assert tab.filters.search.text() == "" and len(family.gallery.shown_ids()) == 5


def test_a_reference_whose_image_was_deleted_for_good_still_shows_what_was_sent(family: Family) -> None:
    lib, qtbot = family.gallery.library, family.gallery.qtbot
    lib.trash_image(family.fox)
    lib.delete_image_permanently(family.fox)
    family.tab.refresh()
    family.gallery.wait_loaded()
    show(family, family.fox_at_night)
    tip = family.tab.details.lineage.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Click to view it" in tip and "gallery" not in tip
    click_reference(family, 0)
    viewer = family.tab.viewer()
    qtbot.waitUntil(lambda: viewer is not None and viewer.isVisible() and viewer.has_image(), timeout=WAIT_MS)
    assert viewer.path() == str(lib.made_from(family.fox_at_night)[0].path)


def test_a_reference_whose_file_is_gone_says_so(family: Family) -> None:
    lib, qtbot = family.gallery.library, family.gallery.qtbot
    [sent] = lib.made_from(family.fox_at_night)
    lib.trash_image(family.fox)
    lib.delete_image_permanently(family.fox)
    sent.path.unlink()
    messages: list[str] = []
    family.tab.statusMessage.connect(messages.append)
    family.tab.refresh()
    family.gallery.wait_loaded()
    show(family, family.fox_at_night)
    assert "no longer in the library" in family.tab.details.lineage.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    click_reference(family, 0)
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT_MS)
    assert messages[-1] == "The file of image 1 is no longer in the library, so it cannot be shown"


def test_the_lineage_is_read_off_the_gui_thread(family: Family, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[bool] = []
    real = Library.made_from

    def made_from(self: Library, image_id: int) -> list:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(self, image_id)

    monkeypatch.setattr(Library, "made_from", made_from)
    family.gallery.select_and_show(family.owl_and_fox)
    family.gallery.qtbot.waitUntil(lambda: family.tab.details.lineage.strip.isVisible(), timeout=WAIT_MS)
    assert threads and not any(threads)


# --- used in ------------------------------------------------------------------------------------------------------


def test_used_in_shows_the_images_made_from_it_and_selects_the_newest(family: Family) -> None:
    tab, qtbot = family.tab, family.gallery.qtbot
    show(family, family.fox)
    lineage = tab.details.lineage
    qtbot.waitUntil(lambda: lineage.used_in_link.isVisible() and lineage.used_in_text() == "Used in 2 images",
                    timeout=WAIT_MS)
    assert not lineage.strip.isVisible()  # the fox was made from a prompt alone
    click_link(qtbot, lineage.used_in_link, lineage.used_in_text())
    qtbot.waitUntil(lambda: tab.model.query().edits_of == family.fox and not tab.model.is_loading(), timeout=WAIT_MS)
    assert family.gallery.shown_ids() == [family.owl_and_fox, family.fox_at_night]
    assert tab.filters.count_label.text() == "2 images"
    chip = tab.filters.edits_of_button
    assert chip.isVisible() and chip.text() == "Made from “a red fox in the snow” ✕"
    qtbot.waitUntil(lambda: tab.current_id() == family.owl_and_fox, timeout=WAIT_MS)
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)  # back to every image
    qtbot.waitUntil(lambda: tab.model.query().edits_of is None and not tab.model.is_loading(), timeout=WAIT_MS)
    assert len(family.gallery.shown_ids()) == 5 and not chip.isVisible()


def test_used_in_counts_an_edit_as_soon_as_it_arrives(family: Family) -> None:
    tab, qtbot, lib = family.tab, family.gallery.qtbot, family.gallery.library
    show(family, family.owl)
    qtbot.waitUntil(lambda: "Used in 1 image" in tab.details.text(), timeout=WAIT_MS)
    new = add_edit(lib, "image 1 in flight", (reference_to(lib, family.owl),), created=T0 + timedelta(days=1))
    tab.image_added(new)
    qtbot.waitUntil(lambda: "Used in 2 images" in tab.details.text(), timeout=WAIT_MS)
    assert tab.current_id() == family.owl


def test_an_edit_deleted_to_the_trash_is_not_counted_until_it_is_back(family: Family) -> None:
    tab, qtbot = family.tab, family.gallery.qtbot
    show(family, family.fox)
    qtbot.waitUntil(lambda: "Used in 2 images" in tab.details.text(), timeout=WAIT_MS)
    show(family, family.fox_at_night)
    tab.actions.delete.trigger()
    qtbot.waitUntil(lambda: family.fox_at_night not in family.gallery.shown_ids(), timeout=WAIT_MS)
    show(family, family.fox)
    qtbot.waitUntil(lambda: "Used in 1 image" in tab.details.text(), timeout=WAIT_MS)
    tab.actions.undo.trigger()
    qtbot.waitUntil(lambda: family.fox_at_night in family.gallery.shown_ids(), timeout=WAIT_MS)
    show(family, family.fox)
    qtbot.waitUntil(lambda: "Used in 2 images" in tab.details.text(), timeout=WAIT_MS)


# --- edits only ---------------------------------------------------------------------------------------------------


def test_the_edits_only_filter_shows_only_images_made_from_references(family: Family) -> None:
    tab, qtbot = family.tab, family.gallery.qtbot
    box = tab.filters.edits
    assert box.isVisible() and box.text() == "Edits only"
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    qtbot.waitUntil(lambda: tab.model.query().edits_only and not tab.model.is_loading(), timeout=WAIT_MS)
    assert family.gallery.shown_ids() == [family.owl_and_fox, family.fox_at_night]
    assert tab.filters.count_label.text() == "2 images" and tab.filters.clear_button.isVisible()
    qtbot.mouseClick(tab.filters.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.model.query().edits_only and not tab.model.is_loading(), timeout=WAIT_MS)
    assert not box.isChecked() and len(family.gallery.shown_ids()) == 5


# --- use as reference ---------------------------------------------------------------------------------------------


def right_click_image(tab: GalleryTab, image_id: int) -> None:
    index = tab.model.index(tab.model.row_of(image_id))
    tab.view.scrollTo(index)
    right_click(tab.view.viewport(), tab.view.visualRect(index).center())


def test_use_as_reference_asks_for_the_image_by_menu_key_and_button(family: Family) -> None:
    tab, qtbot, lib = family.tab, family.gallery.qtbot, family.gallery.library
    path = str(lib.get_image(family.owl).path)
    asked: list[tuple[str, object]] = []
    tab.referenceRequested.connect(lambda file, image_id: asked.append((file, image_id)))
    show(family, family.owl)

    seen: dict[str, QAction] = {}
    pick_from_popup("Use as reference", seen)
    right_click_image(tab, family.owl)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=WAIT_MS)
    assert "Use as reference" in seen and asked[-1] == (path, family.owl)

    tab.activateWindow()
    tab.view.setFocus()
    qtbot.waitUntil(tab.view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(tab.view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=WAIT_MS)
    assert asked[-1] == (path, family.owl)

    button = tab.details.reference_button
    assert button.isEnabled() and button.toolTip() == tab.actions.use_as_reference.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(asked) == 3, timeout=WAIT_MS)
    assert asked[-1] == (path, family.owl)


def test_use_as_reference_on_several_images_asks_for_each_in_grid_order(family: Family) -> None:
    tab, lib = family.tab, family.gallery.library
    family.gallery.select(family.fox, family.lighthouse, family.owl)
    asked: list[tuple[str, object]] = []
    tab.referenceRequested.connect(lambda file, image_id: asked.append((file, image_id)))
    tab.actions.use_as_reference.trigger()
    in_grid = [family.lighthouse, family.owl, family.fox]  # newest first
    assert asked == [(str(lib.get_image(i).path), i) for i in in_grid]


def test_use_as_reference_is_not_offered_for_a_missing_file_or_in_the_trash(family: Family) -> None:
    tab, qtbot, lib = family.tab, family.gallery.qtbot, family.gallery.library
    Path(lib.get_image(family.lighthouse).path).unlink()
    tab.refresh()
    family.gallery.wait_loaded()
    qtbot.waitUntil(lambda: tab.model.item_by_id(family.lighthouse).missing, timeout=WAIT_MS)
    family.gallery.select(family.lighthouse)
    menu = tab.actions.context_menu(tab.selection_state(), tab)
    offered = {a.text(): a.isEnabled() for a in menu.actions() if not a.isSeparator()}
    assert offered["Use as reference"] is False
    lib.trash_image(family.owl)
    tab.filters.set_trash(True)
    family.gallery.wait_loaded()
    family.gallery.select(family.owl)
    menu = tab.actions.context_menu(tab.selection_state(), tab)
    assert "Use as reference" not in [a.text() for a in menu.actions()]
    assert not tab.actions.use_as_reference.isEnabled()
