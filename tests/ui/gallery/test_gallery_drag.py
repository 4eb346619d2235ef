"""Dragging images out of a large gallery: every selected file goes, and the GUI thread never reads the
database for it, not even while a worker holds the queries' lock (review finding 11, F4.4)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from gallery_support import WAIT_MS, library, loader, make_gallery  # noqa: F401 - fixtures
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fluxdesk.storage.gallery_queries import GalleryQueries
from fluxdesk.storage.library import Library
from fluxdesk.ui.gallery.tab import GalleryTab
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, decode_image_ids

COUNT = 20_000


def fill(library: Library, count: int = COUNT) -> dict[int, str]:  # noqa: F811
    """``count`` images written straight into the library's tables (one transaction): id → path."""
    jobs = [(f"job-{i}", "2026-05-01T00:00:00Z", "2026-05-01T00:00:00Z", "flux-dev", "p", "{}", "{}", "done")
            for i in range(count)]
    images = [(f"job-{i}", f"/pictures/fluxdesk/{i:06d}.jpg", "flux-dev", f"image number {i}", "{}", "{}",
               f"2026-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "1") for i in range(count)]
    conn = library._conn
    with conn:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO jobs (id, created_at, updated_at, model, prompt, request, body, status) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", jobs)
        conn.executemany("INSERT INTO images (job_id, path, model, prompt, parameters, record, created_at, "
                         "cost_credits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", images)
    return dict(conn.execute("SELECT id, path FROM images").fetchall())


@pytest.fixture
def gui_thread_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the gallery's queries run on the GUI thread (there should be none)."""
    seen: list[str] = []
    real = GalleryQueries._run

    def run(self: GalleryQueries, sql: str, params) -> list[tuple]:
        if threading.current_thread() is threading.main_thread():
            seen.append(" ".join(sql.split())[:80])
        return real(self, sql, params)

    monkeypatch.setattr(GalleryQueries, "_run", run)
    return seen


class Drags(list[list[str]]):
    """The files of each drag started; ``ids``: the library ids each carried (``IMAGE_IDS_MIME``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[list[int]] = []


@pytest.fixture
def drags(monkeypatch: pytest.MonkeyPatch) -> Drags:
    """The files of each drag started (the platform's drag loop is not run), and their ids."""
    started = Drags()

    def exec_(drag: QDrag, *_actions: object) -> Qt.DropAction:
        started.append([url.toLocalFile() for url in drag.mimeData().urls()])
        started.ids.append(decode_image_ids(drag.mimeData().data(IMAGE_IDS_MIME).data()))
        return Qt.DropAction.CopyAction

    monkeypatch.setattr(QDrag, "exec", exec_)
    return started


@contextmanager
def worker_holding_the_lock(queries: GalleryQueries) -> Iterator[Callable[[], None]]:
    """A thread holding the queries' lock, as a worker does during a long ``ids()``; call to let it go."""
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with queries._lock:
            taken.set()
            done.wait(30)

    thread = threading.Thread(target=hold, name="holds-the-queries-lock")
    thread.start()
    assert taken.wait(5)
    try:
        yield done.set
    finally:
        done.set()
        thread.join(5)


def grid_paths(tab: GalleryTab, paths: dict[int, str]) -> list[str]:
    return [paths[image_id] for image_id in tab.model.all_ids()]


def open_large(library: Library, make_gallery: Callable) -> tuple[GalleryTab, dict[int, str]]:  # noqa: F811
    paths = fill(library)
    tab = make_gallery(list(paths)).tab
    assert tab.model.rowCount() == COUNT
    return tab, paths


def test_a_select_all_drag_carries_every_file_without_sql_on_the_gui_thread(
        qtbot: QtBot, library: Library, make_gallery: Callable, gui_thread_sql: list[str],  # noqa: F811
        drags: Drags) -> None:
    tab, paths = open_large(library, make_gallery)
    tab.view.selectAll()
    assert tab.selected_count() == COUNT
    # The selection's paths are looked up in the background while the user reaches for it.
    qtbot.waitUntil(lambda: tab.model.known_paths(tab.view.selected_ids()) is not None, timeout=WAIT_MS)
    view = tab.view
    tile = view.visualRect(tab.model.index(0)).center()
    with worker_holding_the_lock(tab.model.source()):  # a long query elsewhere changes nothing for the drag
        # As a user drags: press on a selected tile and move past the drag distance (Qt then starts the drag).
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=tile)
        far = tile + QPoint(QApplication.startDragDistance() + 20, 10)
        for step in (tile + QPoint(2, 1), far):
            QApplication.sendEvent(view.viewport(), QMouseEvent(
                QEvent.Type.MouseMove, QPointF(step), QPointF(view.viewport().mapToGlobal(step)),
                Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=far)
    assert len(drags) == 1 and drags[0] == grid_paths(tab, paths)  # every file, in grid order
    assert drags.ids == [list(tab.model.all_ids())]  # and which library image each is, in the same order
    assert [paths[i] for i in drags.ids[0]] == drags[0]
    assert gui_thread_sql == []


def test_a_drag_before_the_paths_are_known_waits_for_them_and_then_carries_every_file(
        qtbot: QtBot, library: Library, make_gallery: Callable, gui_thread_sql: list[str],  # noqa: F811
        drags: Drags) -> None:
    tab, paths = open_large(library, make_gallery)
    view = tab.view
    tile = view.visualRect(tab.model.index(0)).center()
    with worker_holding_the_lock(tab.model.source()) as let_go:
        view.selectAll()
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=tile)  # on a selected tile: kept
        try:
            assert tab.selected_count() == COUNT
            view.startDrag(Qt.DropAction.CopyAction)  # the button is down and the mouse moved: Qt asks for it
            assert drags == [] and view.drag_waiting()  # not a drag with some files, and no query here
            qtbot.mouseMove(view.viewport(), tile + QPoint(40, 30))
            assert tab.selected_count() == COUNT  # moving on while it waits is no rubber band
            let_go()
            qtbot.waitUntil(lambda: bool(drags), timeout=WAIT_MS)
        finally:
            qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=tile)
    assert len(drags) == 1 and drags[0] == grid_paths(tab, paths) and not view.drag_waiting()
    assert gui_thread_sql == []


def test_letting_go_before_the_paths_arrive_drags_nothing(
        qtbot: QtBot, library: Library, make_gallery: Callable, gui_thread_sql: list[str],  # noqa: F811
        drags: Drags) -> None:
    tab, _paths = open_large(library, make_gallery)
    view = tab.view
    tile = view.visualRect(tab.model.index(0)).center()
    with worker_holding_the_lock(tab.model.source()) as let_go:
        view.selectAll()
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=tile)
        view.startDrag(Qt.DropAction.CopyAction)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=tile)
        assert not view.drag_waiting()
        with qtbot.waitSignal(tab.model.dragPathsKnown, timeout=WAIT_MS):
            let_go()
    qtbot.wait(50)  # the answer came, and with the button up no drag follows it
    assert drags == [] and gui_thread_sql == []
