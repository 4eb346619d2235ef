"""reference_add_max_stall_ms: the GUI thread's longest stall while four 24 MP camera JPEGs are dropped on the
reference tray of the real window and made ready to send (read, decoded, oriented, downscaled, encoded and
thumbnailed off the GUI thread), measured by a 5 ms timer's lateness (``bench_support.StallMeter``); and
reference_add_s, from the drop until all four are ready. The window runs the demo (no network); the files are
those of ``references.py``. Last line: one JSON object.

    .venv/bin/python tests/bench/tray.py [--files N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_support import StallMeter  # noqa: E402
from references import camera_jpeg  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fluxdesk-tray-") as tmp:
        home = Path(tmp)
        first = camera_jpeg(home / "photo-1.jpg")
        files = [first]
        for n in range(2, args.files + 1):  # distinct files (the tray keeps each), the same picture
            copy = home / f"photo-{n}.jpg"
            copy.write_bytes(first.read_bytes())
            files.append(copy)

        from PySide6.QtCore import QEventLoop, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
        from PySide6.QtGui import QDragEnterEvent, QDropEvent
        from PySide6.QtWidgets import QApplication

        from fluxdesk.app import build_window, collector_paused_for_start_up
        from fluxdesk.storage.secrets import KeyStore
        from fluxdesk.storage.settings import load_settings
        from fluxdesk.ui.engine.tasks import TaskManager

        app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive for the window
        with collector_paused_for_start_up():  # as app.start_window
            window = build_window(home, load_settings(home), KeyStore(environ={}), demo=True)
            window.resize(1280, 800)
            window.show()

        def pump(condition, timeout: float) -> bool:
            loop = QEventLoop()
            deadline = time.monotonic() + timeout
            check = QTimer(interval=10)
            check.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
            check.start()
            if not condition():
                loop.exec()
            check.stop()
            return condition()

        if not pump(lambda: window.session is not None, 60):
            raise SystemExit("the demo engine did not start")
        pump(lambda: False, 1.0)  # the first screen has settled
        tray = window.panel.references

        def ready() -> bool:
            return tray.count() == len(files) and not tray.waiting_for()

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
        target = tray.view.viewport() if tray.view.isVisible() else tray
        meter = StallMeter()
        meter.start()
        started = time.monotonic()
        QApplication.sendEvent(target, QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                                                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        QApplication.sendEvent(target, QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                                                  Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        if not pump(ready, 120):
            raise SystemExit(f"only {tray.count()} references, waiting for {tray.waiting_for()}")
        elapsed = time.monotonic() - started
        pump(lambda: False, 0.3)  # the cards' last repaint
        meter.stop()
        sizes = [(image.width, image.height) for image in window.panel.current_request().input_images]
        window.controller.begin_closing()
        window.close()
        window.shutdown()
        TaskManager.instance().wait()

    print(json.dumps({"reference_add_files": len(files), "reference_add_sizes": sizes,
                      "reference_add_s": round(elapsed, 2), "reference_add_max_stall_ms": round(meter.worst_ms, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
