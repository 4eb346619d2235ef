"""The Gallery tab against a real library: search, filters, sort, the details pane, the signals to the window,
favourites, the trash with undo, missing and broken files, export, new images."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from gallery_support import (  # noqa: F401 - fixtures
    T0,
    WAIT_MS,
    Gallery,
    add_image,
    gallery,
    library,
    loader,
    make_gallery,
)
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from fluxdesk.core.serialize import parse_iso
from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.model import GalleryRoles
from fluxdesk.ui.gallery.tab import EMPTY_FILTERS, EMPTY_LIBRARY, EMPTY_TRASH, REFRESH_DELAY_MS

# standard_images, oldest first: 0 fox (dev, 2.5), 1 lighthouse (pro, 3), 2 whale (dev, 2.5, demo),
# 3 lighthouse fog (flex, 6), 4 tea (pro, 1, demo), 5 kite (dev, 7).


def test_newest_first_with_a_count(gallery: Gallery) -> None:  # noqa: F811
    assert gallery.shown_ids() == gallery.ids[::-1]
    assert gallery.tab.filters.count_label.text() == "6 images"
    assert gallery.tab.empty_text() == ""


def test_search_finds_by_prompt_word_after_typing(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    qtbot.keyClicks(gallery.tab.filters.search, "lightho")  # a word's beginning is enough
    qtbot.waitUntil(lambda: gallery.tab.model.query().text == "lightho", timeout=WAIT_MS)
    gallery.wait_loaded()
    assert gallery.shown_ids() == [gallery.ids[3], gallery.ids[1]]
    assert gallery.tab.filters.count_label.text() == "2 images"
    assert gallery.tab.filters.clear_button.isVisible()


def test_typing_on_the_grid_goes_to_the_search_field(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    gallery.tab.view.setFocus()
    qtbot.keyClicks(gallery.tab.view, "whale")
    assert gallery.tab.filters.search.text() == "whale"
    qtbot.waitUntil(lambda: gallery.tab.model.query().text == "whale", timeout=WAIT_MS)
    gallery.wait_loaded()
    assert gallery.shown_ids() == [gallery.ids[2]]


def test_filters_model_favourites_demo_and_dates(gallery: Gallery, library: Library) -> None:  # noqa: F811
    filters, ids = gallery.tab.filters, gallery.ids
    gallery.qtbot.waitUntil(lambda: filters.model_combo.count() == 4, timeout=WAIT_MS)  # all + 3 models
    filters.model_combo.setCurrentIndex(filters.model_combo.findData("flux-2-pro"))
    gallery.wait_loaded()
    assert gallery.shown_ids() == [ids[4], ids[1]]
    assert filters.model_combo.currentText() == "FLUX.2 [pro]"

    filters.model_combo.setCurrentIndex(0)
    filters.kind_combo.setCurrentIndex(filters.kind_combo.findData("demo"))
    gallery.wait_loaded()
    assert gallery.shown_ids() == [ids[4], ids[2]]
    filters.kind_combo.setCurrentIndex(filters.kind_combo.findData("real"))
    gallery.wait_loaded()
    assert gallery.shown_ids() == [ids[5], ids[3], ids[1], ids[0]]

    filters.kind_combo.setCurrentIndex(0)
    library.set_favourite(ids[3], True)
    filters.favourites.setChecked(True)
    gallery.wait_loaded()
    assert gallery.shown_ids() == [ids[3]]

    filters.favourites.setChecked(False)
    start = (T0 + timedelta(hours=20)).astimezone()
    end = (T0 + timedelta(hours=50)).astimezone()
    filters.date_from.setDate(QDate(start.year, start.month, start.day))
    filters.date_to.setDate(QDate(end.year, end.month, end.day))
    filters.date_combo.setCurrentIndex(filters.date_combo.findData("custom"))
    gallery.wait_loaded()
    assert filters.date_from.isVisibleTo(filters)
    query = filters.query()
    assert query.date_from.date() == start.date() and query.date_to.date() == end.date() + timedelta(days=1)
    expected = [i for i in ids[::-1]
                if query.date_from <= parse_iso(library.get_image(i).created_at) < query.date_to]
    assert gallery.shown_ids() == expected and 0 < len(expected) < 6

    filters.clear_filters()
    gallery.wait_loaded()
    assert len(gallery.shown_ids()) == 6 and not filters.clear_button.isVisible()


def test_sort_by_cost_and_oldest_first(gallery: Gallery) -> None:  # noqa: F811
    sort, ids = gallery.tab.filters.sort_combo, gallery.ids
    sort.setCurrentIndex(sort.findData("dearest"))
    gallery.wait_loaded()
    assert gallery.shown_ids() == [ids[5], ids[3], ids[1], ids[2], ids[0], ids[4]]  # 7, 6, 3, 2.5 (newer first)…
    sort.setCurrentIndex(sort.findData("cheapest"))
    gallery.wait_loaded()
    assert gallery.shown_ids()[0] == ids[4]
    sort.setCurrentIndex(sort.findData("oldest"))
    gallery.wait_loaded()
    assert gallery.shown_ids() == ids


def test_signals_to_the_window_carry_the_images_data(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    tab, image_id = gallery.tab, gallery.ids[1]
    gallery.select_and_show(image_id)
    with qtbot.waitSignal(tab.reproduceRequested) as reproduce:
        tab.actions.reproduce.trigger()
    assert reproduce.args == [image_id]
    with qtbot.waitSignal(tab.reuseSettingsRequested) as reuse:
        tab.details.reuse_button.click()
    assert reuse.args == [image_id]  # what made it is read by the controller (test_controller)
    with qtbot.waitSignal(tab.useSeedRequested) as seed:
        tab.actions.use_seed.trigger()
    assert seed.args == [101]
    with qtbot.waitSignal(tab.usePromptRequested) as prompt:
        tab.details.prompt_button.click()
    assert prompt.args == ["a lighthouse at dawn"]


def test_a_huge_seed_survives_the_signal(qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    image_id = add_image(library, "big seed", seed=2**62 + 5)
    shown = make_gallery([image_id])
    shown.select_and_show(image_id)
    with qtbot.waitSignal(shown.tab.useSeedRequested) as seed:
        shown.tab.use_seed_selected()
    assert seed.args == [2**62 + 5]


def test_keyboard_shortcuts_reach_the_actions(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    gallery.select_and_show(gallery.ids[0])
    tab.activateWindow()
    tab.view.setFocus()
    qtbot.waitUntil(lambda: tab.view.hasFocus(), timeout=WAIT_MS)
    with qtbot.waitSignal(tab.reproduceRequested, timeout=WAIT_MS) as reproduce:
        qtbot.keyClick(tab.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert reproduce.args == [gallery.ids[0]]
    with qtbot.waitSignal(tab.reuseSettingsRequested, timeout=WAIT_MS):
        qtbot.keyClick(tab.view, Qt.Key.Key_R,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def test_details_show_every_parameter_and_the_reproducibility(gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    gallery.select_and_show(gallery.ids[1])
    text = tab.details.text()
    assert "FLUX.2 [pro]" in text and "Seed: 101" in text
    assert "Can be reproduced exactly" in text
    assert "1024 × 768" not in text and "64 × 48 px" in text  # the size decoded from the file
    assert "Cost: 3 credits ($0.03)" in text
    assert "BFL task id: task-" in text and "Job id: " in text and "took 5.0 s" in text
    assert tab.details.copy_seed_button.isEnabled()
    tab.details.copy_seed_button.click()
    assert QGuiApplication.clipboard().text() == "101"

    gallery.select_and_show(gallery.ids[3])  # FLUX.2 [flex]: upsampling on unless told otherwise
    text = tab.details.text()
    assert "Cannot be reproduced exactly: prompt upsampling was on (FLUX.2 [flex]" in text
    assert "Seed: 103" in text
    gallery.qtbot.waitUntil(lambda: tab.details.preview.has_pixmap(), timeout=WAIT_MS)


def test_an_upsampled_image_without_a_seed(qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    image_id = add_image(library, "a castle", prompt_upsampling=True, seed=None,
                         prompt_used="a majestic castle at golden hour, detailed")
    shown = make_gallery([image_id])
    shown.select_and_show(image_id)
    text = shown.tab.details.text()
    assert "Cannot be reproduced exactly: prompt upsampling was on:" in text
    assert "Prompt BFL used: a majestic castle at golden hour, detailed" in text
    assert "no seed was recorded" in text and "Seed: not recorded" in text
    assert not shown.tab.details.reproduce_button.isEnabled() and not shown.tab.details.seed_button.isEnabled()
    assert not shown.tab.actions.reproduce.isEnabled()  # Ctrl+R agrees with the button
    shown.tab.activateWindow()
    shown.tab.view.setFocus()
    qtbot.waitUntil(shown.tab.view.hasFocus, timeout=WAIT_MS)
    with qtbot.assertNotEmitted(shown.tab.reproduceRequested, wait=100):
        qtbot.keyClick(shown.tab.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)


def test_several_selected_show_count_and_total_cost(gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    gallery.select(*gallery.ids[:3])
    gallery.qtbot.waitUntil(lambda: "total 8 credits ($0.08)" in tab.details.text(), timeout=WAIT_MS)
    assert tab.details.text().startswith("3 images selected · ")
    assert not tab.actions.reproduce.isEnabled() and tab.actions.export.isEnabled()


def test_favourite_toggles_and_persists(gallery: Gallery, library: Library) -> None:  # noqa: F811
    tab, image_id = gallery.tab, gallery.ids[0]
    gallery.select_and_show(image_id)
    tab.actions.favourite.trigger()
    gallery.qtbot.waitUntil(lambda: library.get_image(image_id).favourite, timeout=WAIT_MS)
    row = tab.model.row_of(image_id)
    gallery.qtbot.waitUntil(lambda: tab.model.index(row).data(GalleryRoles.Favourite) is True, timeout=WAIT_MS)
    tab.toggle_favourite()
    gallery.qtbot.waitUntil(lambda: not library.get_image(image_id).favourite, timeout=WAIT_MS)


def test_delete_to_trash_and_undo_puts_rows_and_files_back(qtbot: QtBot, gallery: Gallery,  # noqa: F811
                                                           library: Library) -> None:  # noqa: F811
    tab, ids = gallery.tab, gallery.ids
    doomed = [ids[0], ids[2]]
    paths = [library.get_image(i).path for i in doomed]
    gallery.select(*doomed)
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS,
                          check_params_cb=lambda text: text.startswith("Deleted")) as status:
        tab.actions.delete.trigger()
    assert status.args == ["Deleted 2 images — Undo (Ctrl+Z)"]
    assert set(tab.model.all_ids()).isdisjoint(doomed)
    assert tab.filters.count_label.text() == "4 images"
    assert tab.undo_bar.isVisible() and tab.undo_button.text() == "Undo (Ctrl+Z)"
    assert not any(path.exists() for path in paths)
    assert all(library.get_image(i).trashed_at for i in doomed)

    tab.undo_button.click()
    qtbot.waitUntil(lambda: len(tab.model.all_ids()) == 6, timeout=WAIT_MS)
    gallery.wait_loaded()
    assert gallery.shown_ids() == ids[::-1]
    assert all(path.exists() for path in paths)
    assert not tab.undo_bar.isVisible()
    assert not tab.ops.can_undo()


def test_trash_view_restore_and_empty(qtbot: QtBot, gallery: Gallery, library: Library) -> None:  # noqa: F811
    tab, ids = gallery.tab, gallery.ids
    for image_id in ids[:3]:
        library.trash_image(image_id)
    tab.filters.set_trash(True)
    gallery.wait_loaded()
    assert sorted(gallery.shown_ids()) == sorted(ids[:3])
    assert tab.trash_bar.isVisible()
    assert tab.filters.count_label.text() == "3 images in the trash"
    gallery.select(ids[1])
    tab.restore_button.click()
    qtbot.waitUntil(lambda: ids[1] not in gallery.shown_ids(), timeout=WAIT_MS)
    assert library.get_image(ids[1]).trashed_at is None and library.get_image(ids[1]).path.exists()

    trashed_paths = [library.get_image(i).path for i in (ids[0], ids[2])]
    tab.empty_trash(ask=False)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=WAIT_MS)
    assert library.get_image(ids[0]) is None and library.get_image(ids[2]) is None
    assert not any(path.exists() for path in trashed_paths)
    qtbot.waitUntil(lambda: tab.empty_text() == EMPTY_TRASH, timeout=WAIT_MS)

    tab.filters.set_trash(False)
    gallery.wait_loaded()
    assert sorted(gallery.shown_ids()) == sorted(ids[1:2] + ids[3:])


def test_old_trash_is_purged_when_the_library_is_set(qtbot: QtBot, library: Library,  # noqa: F811
                                                     make_gallery: Callable) -> None:  # noqa: F811
    from fluxdesk.core.serialize import utc_now

    old = add_image(library, "old news")
    recent = add_image(library, "recent news")
    library.trash_image(old, now=utc_now() - timedelta(days=31))
    library.trash_image(recent, now=utc_now() - timedelta(days=2))
    make_gallery([old, recent])
    qtbot.waitUntil(lambda: library.get_image(old) is None, timeout=WAIT_MS)
    assert library.get_image(recent) is not None


def test_a_missing_file_is_shown_and_can_be_removed(qtbot: QtBot, library: Library,  # noqa: F811
                                                    make_gallery: Callable) -> None:  # noqa: F811
    kept = add_image(library, "still here")
    gone = add_image(library, "gone away", created=T0 + timedelta(hours=1))
    library.get_image(gone).path.unlink()
    shown = make_gallery([kept, gone])
    tab = shown.tab
    assert tab.model.index(0).data(GalleryRoles.Missing) is True
    assert tab.model.index(1).data(GalleryRoles.Missing) is False
    assert "missing" in tab.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    shown.select_and_show(gone)
    assert "missing from the library folder" in tab.details.text()
    assert tab.details.remove_button.isVisibleTo(tab.details)
    assert tab.actions.remove_from_library.isEnabled() and not tab.actions.copy_image.isEnabled()
    tab.grab()  # the missing tile paints
    tab.details.remove_button.click()
    qtbot.waitUntil(lambda: shown.shown_ids() == [kept], timeout=WAIT_MS)
    assert library.get_image(gone) is None
    assert library.get_job(library.get_image(kept).job_id) is not None


def test_a_file_that_goes_while_its_image_is_shown_is_said_missing_after_a_refresh(
        qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    image_id = add_image(library, "here, then gone")
    shown = make_gallery([image_id])
    tab = shown.tab
    shown.select_and_show(image_id)
    qtbot.waitUntil(tab.details.preview.has_pixmap, timeout=WAIT_MS)
    assert not tab.details.is_missing() and not tab.details.remove_button.isVisibleTo(tab.details)
    library.get_image(image_id).path.unlink()
    tab.refresh()  # the same image stays selected: the pane must not keep saying the file is there
    qtbot.waitUntil(tab.details.is_missing, timeout=WAIT_MS)
    assert "missing from the library folder" in tab.details.text()
    assert tab.details.remove_button.isVisibleTo(tab.details) and tab.actions.remove_from_library.isEnabled()
    assert tab.details.preview.message() == "The file is missing" and not tab.details.preview.has_pixmap()


# Qt's JPEG plugin (libjpeg) warns about the damaged file this test feeds it on purpose.
@pytest.mark.qt_log_ignore("Unsupported marker type 0x[0-9a-f]+")
def test_a_broken_file_does_not_crash_and_says_so(qtbot: QtBot, library: Library,  # noqa: F811
                                                  make_gallery: Callable) -> None:  # noqa: F811
    broken = add_image(library, "scrambled")
    library.get_image(broken).path.write_bytes(b"\xff\xd8\xff garbage, not a JPEG at all" * 10)
    shown = make_gallery([broken])
    tab = shown.tab
    qtbot.waitUntil(lambda: tab.model.index(0).data(GalleryRoles.Broken) is True, timeout=WAIT_MS)
    assert tab.model.index(0).data(GalleryRoles.Missing) is False
    shown.select_and_show(broken)
    qtbot.waitUntil(lambda: "cannot be read" in tab.details.text(), timeout=WAIT_MS)
    assert tab.details.preview.message() == "This image cannot be read"
    tab.grab()
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS):
        tab.copy_image()  # decoding fails on the worker: a message, no crash


def test_a_new_image_appears_at_the_top_when_it_matches(qtbot: QtBot, gallery: Gallery,  # noqa: F811
                                                        library: Library) -> None:  # noqa: F811
    tab = gallery.tab
    fresh = add_image(library, "a brand new fox", created=T0 + timedelta(days=5))
    tab.image_added(fresh)
    qtbot.waitUntil(lambda: tab.model.image_id(0) == fresh, timeout=WAIT_MS)
    assert tab.filters.count_label.text() == "7 images"
    tab.filters.search.setText("lighthouse")
    gallery.apply()
    other = add_image(library, "another fox", created=T0 + timedelta(days=6))
    tab.image_added(other)
    qtbot.wait(200)
    assert other not in gallery.shown_ids()


def test_empty_states(qtbot: QtBot, library: Library, make_gallery: Callable) -> None:  # noqa: F811
    shown = make_gallery([])
    tab = shown.tab
    assert tab.empty_text() == EMPTY_LIBRARY
    assert not tab.empty_state.clear_button.isVisibleTo(tab)
    add_image(library, "a fox")
    tab.refresh()
    shown.wait_loaded()
    assert tab.empty_text() == ""
    tab.filters.search.setText("zebra")
    shown.apply()
    assert tab.empty_text() == EMPTY_FILTERS
    assert tab.empty_state.clear_button.isVisibleTo(tab)
    tab.empty_state.clear_button.click()
    shown.wait_loaded()
    assert tab.empty_text() == "" and tab.filters.search.text() == ""
    tab.set_store(None)
    assert tab.empty_text() == "The library is not open yet."


def test_export_copies_files_with_their_metadata_never_overwriting(qtbot: QtBot, gallery: Gallery,  # noqa: F811
                                                                   library: Library, tmp_path: Path) -> None:  # noqa: F811
    tab, ids = gallery.tab, gallery.ids
    folder = tmp_path / "out"
    gallery.select(ids[0], ids[1])
    sources = {library.get_image(i).path for i in ids[:2]}
    for _ in range(2):
        with qtbot.waitSignal(tab.ops.exported, timeout=WAIT_MS):
            tab.export_selected(str(folder))
    made = sorted(p.name for p in folder.iterdir())
    assert len(made) == 4
    for source in sources:
        assert source.name in made and f"{source.stem}-1{source.suffix}" in made
        assert (folder / source.name).read_bytes() == source.read_bytes()


def test_copy_image_puts_pixels_on_the_clipboard(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    gallery.select_and_show(gallery.ids[0])
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(gallery.tab.ops.copied, timeout=WAIT_MS):
        gallery.tab.actions.copy_image.trigger()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and (image.width(), image.height()) == (64, 48)


def test_context_menu_offers_what_applies(gallery: Gallery, library: Library) -> None:  # noqa: F811
    tab = gallery.tab
    library.trash_image(gallery.ids[5])
    gallery.select(gallery.ids[0])
    menu = tab.actions.context_menu(tab.selection_state(), tab)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:4] == ["Reproduce", "Reuse settings", "Use seed", "Use prompt"]
    assert "Delete" in texts and "Restore" not in texts
    shortcuts = tab.actions.reproduce.shortcut().toString(), tab.actions.delete.shortcut().toString()
    assert shortcuts == ("Ctrl+R", "Del")
    tab.filters.set_trash(True)
    gallery.wait_loaded()
    gallery.select(gallery.ids[5])
    menu = tab.actions.context_menu(tab.selection_state(), tab)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["Restore", "Delete permanently"] and "Reproduce" not in texts
    assert tab.actions.restore.isEnabled() and tab.actions.empty_trash.isEnabled()


def test_tile_size_slider_relays_the_grid(gallery: Gallery) -> None:  # noqa: F811
    tab = gallery.tab
    tab.filters.size_slider.setValue(240)
    assert tab.view.tile_size() == 240 and tab.view.gridSize().height() == 248
    tab.filters.size_slider.setValue(96)
    assert tab.view.gridSize().height() == 104
    assert tab.view.columns() > 5


def test_prepare_screenshot_selects_the_first_image(qtbot: QtBot, gallery: Gallery) -> None:  # noqa: F811
    gallery.tab.prepare_screenshot()
    qtbot.waitUntil(lambda: gallery.tab.details.image_id() == gallery.ids[-1], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: gallery.tab.details.preview.has_pixmap(), timeout=WAIT_MS)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_paints_in_both_themes(restore_theme, theme: str, gallery: Gallery) -> None:  # noqa: F811
    from fluxdesk.ui.kit.theme import apply_theme

    apply_theme(restore_theme, theme)
    gallery.select_and_show(gallery.ids[2])
    image = gallery.tab.grab().toImage()
    assert not image.isNull()


def test_dragging_the_selection_out_carries_its_files(qtbot: QtBot, gallery: Gallery, library: Library,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QDrag

    dragged = []

    def fake_exec(drag: QDrag, *_actions: object) -> Qt.DropAction:
        dragged.append(([url.toLocalFile() for url in drag.mimeData().urls()], drag.pixmap().isNull()))
        return Qt.DropAction.CopyAction

    monkeypatch.setattr(QDrag, "exec", fake_exec)
    tab, ids = gallery.tab, gallery.ids
    assert tab.view.dragEnabled()
    gallery.select(ids[5], ids[4], ids[1])
    qtbot.waitUntil(lambda: tab.view.thumbnail_size() and all(
        gallery.loader.get(str(library.get_image(i).path), tab.view.thumbnail_size()) is not None for i in ids),
        timeout=WAIT_MS)
    tab.view.startDrag(Qt.DropAction.CopyAction)
    paths, no_pixmap = dragged[0]
    assert paths == [str(library.get_image(i).path) for i in (ids[5], ids[4], ids[1])]  # in grid order
    assert not no_pixmap


def test_a_batch_of_new_images_reads_the_model_list_once_it_settles(qtbot: QtBot, gallery: Gallery,  # noqa: F811
                                                                   library: Library,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tab = gallery.tab
    reads: list[int] = []
    real = Library.image_models
    monkeypatch.setattr(Library, "image_models", lambda self: (reads.append(1), real(self))[1])
    for n in range(5):
        tab.image_added(add_image(library, f"batch image {n}", model="flux-2-pro"))
    qtbot.waitUntil(lambda: tab.filters.model_combo.findData("flux-2-pro") >= 0, timeout=WAIT_MS)
    qtbot.wait(REFRESH_DELAY_MS + 100)
    assert len(reads) == 1
