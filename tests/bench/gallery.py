"""Gallery benchmark: open, search and scroll a library of N images; peak memory.

    .venv/bin/python tests/bench/gallery.py [--images 100000] [--quick]

Builds the library in a temporary FLUXDESK_HOME (real schema, bulk inserts, real JPEG files: distinct ones
for the first screens, hard links after), then, in this process, on the offscreen platform:

- ``open_ms``: from creating the ``GalleryTab`` (then ``set_store`` and ``show``) until every tile on the
  first screen has its row data and its thumbnail, and the grid has painted them. Thumbnails start cold
  (an empty disk cache), so this includes decoding them.
- ``search_ms``: from sending a prompt search (no debounce) until the model holds the matching rows and the
  first screen of them has its data, painted (thumbnails not included: they stream in).
- ``project_open_ms``: with a quarter of the images in four client projects (a sixteenth each), from picking one
  project in the filter until the first screen of its images has its row data and its thumbnails, painted;
  ``project_search_ms``: the prompt search within that project, as ``search_ms``. ``no_project_open_ms`` and
  ``no_project_search_ms``: the same for "No project" (three quarters of the library).
- ``scroll_max_stall_ms``: scrolling top to bottom one page at a time, the longest time the GUI thread was
  busy, measured as the lateness of a 5 ms timer.
- ``rss_mb``: the peak resident memory of this process (building the library included, which is small).

The last line printed is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench_support import build_library
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from fluxdesk.services.library_views import GalleryStore
from fluxdesk.storage.gallery_queries import NO_PROJECT_FILTER
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import thumbnails_dir
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.gallery.tab import GalleryTab
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

WINDOW = (1280, 800)
SEARCH_WORD = "lighthouse"
TIMEOUT_S = 60.0
PROJECTS = ("Acme", "Globex", "Initech", "Umbrella")
PROJECT_SHARE = 4
"""Of every 16 images, this many are in a project (one each, in turn): a quarter of the library."""


def log(text: str) -> None:
    print(text, flush=True)


def rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def spin_until(app: QApplication, done: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the gallery did not get there in time")
        app.processEvents()
        time.sleep(0.0005)


def idle(app: QApplication, seconds: float) -> None:
    """Run the event loop for a while."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


class Painted(QObject):
    """Watches the grid's paint events and the thumbnails' arrivals: a screen is drawn once a paint came after
    the last thumbnail it shows."""

    def __init__(self, tab: GalleryTab, loader: ThumbnailLoader) -> None:
        super().__init__(tab)
        self.count = 0
        self.last_paint = 0.0
        self.last_thumbnail = 0.0
        tab.view.viewport().installEventFilter(self)
        loader.thumbnailReady.connect(self._thumbnail)

    def _thumbnail(self, _path: str, _size: int) -> None:
        self.last_thumbnail = time.perf_counter()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.last_paint = time.perf_counter()
        return False

    def drawn_since_last_thumbnail(self) -> bool:
        return self.last_paint > self.last_thumbnail


def screen_has_data(tab: GalleryTab) -> bool:
    model = tab.model
    if model.is_loading() or model.rowCount() == 0:
        return False
    rows = tab.view.visible_rows()
    return len(rows) > 0 and all(model.item(row) is not None for row in rows)


def screen_has_thumbnails(tab: GalleryTab, loader: ThumbnailLoader) -> bool:
    if not screen_has_data(tab):
        return False
    size = tab.view.thumbnail_size()
    for row in tab.view.visible_rows():
        item = tab.model.item(row)
        if item is None or (not item.missing and loader.error(item.path) is None
                            and loader.get(item.path, size) is None):
            return False
    return True


def paint_once(app: QApplication, painted: Painted) -> None:
    before = painted.count
    spin_until(app, lambda: painted.count > before, 5)


class StallMeter:
    """The longest gap between ticks of a 5 ms timer, beyond the 5 ms."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms
        self.worst = 0.0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        late = (now - self._last) / 1e6 - self.interval
        self.worst = max(self.worst, late)
        self._last = now


def run(images: int, quick: bool) -> dict[str, float | int]:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="fluxdesk-bench-gallery-") as tmp:
        home = Path(tmp) / "home"
        os.environ["FLUXDESK_HOME"] = str(home)
        started = time.perf_counter()
        build_library(home, images, unique_files=min(images, 600), trashed=min(50, images // 100))
        log(f"built a library of {images:,} images in {time.perf_counter() - started:.1f} s")
        library = Library.open(home)
        put_in_projects(library)
        loader = ThumbnailLoader(thumbnails_dir(home), tasks=TaskManager.instance())
        try:
            return measure(app, library, loader, images, quick)
        finally:
            loader.shutdown()
            TaskManager.instance().wait()
            library.close()


def put_in_projects(library: Library) -> None:
    """A quarter of the jobs (so of the images) in the four projects, spread over the whole library."""
    ids = [library.ensure_project(name).id for name in PROJECTS]
    whens = " ".join(f"WHEN {n} THEN {project_id}" for n, project_id in enumerate(ids[:PROJECT_SHARE]))
    with sqlite3.connect(library.database_path, isolation_level=None) as conn:
        conn.execute(f"UPDATE jobs SET project_id = CASE rowid % 16 {whens} END")
    conn.close()


def measure(app: QApplication, library: Library, loader: ThumbnailLoader, images: int,
            quick: bool) -> dict[str, float | int]:
    t0 = time.perf_counter()
    tab = GalleryTab(loader)
    tab.resize(*WINDOW)
    painted = Painted(tab, loader)
    store = GalleryStore(library)
    tab.set_store(store)
    tab.show()
    spin_until(app, lambda: screen_has_thumbnails(tab, loader) and painted.drawn_since_last_thumbnail())
    open_ms = (time.perf_counter() - t0) * 1000
    log(f"open: {open_ms:.0f} ms ({tab.model.rowCount():,} rows, {len(tab.view.visible_rows())} tiles on screen)")
    idle(app, 0.2)  # let the batched layout finish

    t0 = time.perf_counter()
    tab.filters.search.setText(SEARCH_WORD)
    tab.filters.apply_now()
    spin_until(app, lambda: tab.model.query().text == SEARCH_WORD and screen_has_data(tab))
    paint_once(app, painted)
    search_ms = (time.perf_counter() - t0) * 1000
    log(f"search '{SEARCH_WORD}': {search_ms:.0f} ms ({tab.model.rowCount():,} matches)")

    tab.filters.search.clear()
    tab.filters.apply_now()
    spin_until(app, lambda: tab.model.query().text == "" and screen_has_data(tab))
    idle(app, 0.3)
    stall = scroll(app, tab, quick)
    result = {"images": images, "open_ms": round(open_ms, 1), "search_ms": round(search_ms, 1),
              "scroll_max_stall_ms": round(stall, 1)}
    acme = library.project_named(PROJECTS[0])
    assert acme is not None
    for name, project in (("project", acme.id), ("no_project", NO_PROJECT_FILTER)):
        result.update(filtered(app, tab, loader, painted, name, project))
    result["rss_mb"] = round(rss_mb(), 1)
    tab.set_store(None)
    store.close()
    tab.deleteLater()
    return result


def filtered(app: QApplication, tab: GalleryTab, loader: ThumbnailLoader, painted: Painted, name: str,
             project: int | str) -> dict[str, float]:
    """``<name>_open_ms`` and ``<name>_search_ms`` with the project filter on ``project``, from the top of the grid."""
    filters = tab.filters
    filters.search.clear()
    filters.select_project(None)
    spin_until(app, lambda: tab.model.query().project is None and screen_has_data(tab)
               and filters.project_combo.findData(project) >= 0)
    tab.view.scrollToTop()
    idle(app, 0.3)

    t0 = time.perf_counter()
    filters.select_project(project)
    spin_until(app, lambda: tab.model.query().project == project and screen_has_thumbnails(tab, loader)
               and painted.drawn_since_last_thumbnail())
    open_ms = (time.perf_counter() - t0) * 1000
    log(f"{name} filter: {open_ms:.0f} ms ({tab.model.rowCount():,} images)")
    idle(app, 0.2)

    t0 = time.perf_counter()
    filters.search.setText(SEARCH_WORD)
    filters.apply_now()
    spin_until(app, lambda: tab.model.query().text == SEARCH_WORD and screen_has_data(tab))
    paint_once(app, painted)
    search_ms = (time.perf_counter() - t0) * 1000
    log(f"{name} filter, search '{SEARCH_WORD}': {search_ms:.0f} ms ({tab.model.rowCount():,} matches)")
    return {f"{name}_open_ms": round(open_ms, 1), f"{name}_search_ms": round(search_ms, 1)}


def scroll(app: QApplication, tab: GalleryTab, quick: bool) -> float:
    bar = tab.view.verticalScrollBar()
    step = max(1, bar.pageStep())
    meter = StallMeter()
    steps = 0
    started = time.perf_counter()
    meter.start()
    value = 0
    while value < bar.maximum():
        value = min(bar.maximum(), value + step)
        bar.setValue(value)
        settle = time.perf_counter() + (0.004 if not quick else 0.002)
        while time.perf_counter() < settle:
            app.processEvents()
        steps += 1
        if steps % 1000 == 0:
            log(f"  scrolled {steps:,} pages, worst stall so far {meter.worst:.1f} ms, "
                f"rss {rss_mb():.0f} MB")
    spin_until(app, lambda: screen_has_data(tab))
    meter.stop()
    log(f"scroll: {steps:,} pages in {time.perf_counter() - started:.1f} s, worst stall {meter.worst:.1f} ms")
    return meter.worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="a smoke run (use with --images 2000)")
    args = parser.parse_args()
    result = run(args.images, args.quick)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
