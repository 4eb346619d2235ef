"""Composition root: builds the services, starts the window. Also the app's self-checks:
``--smoke-test`` (one real generation through the window, on the simulator) and ``--screenshots DIR``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # types only: nothing may load Qt before main()'s display check
    import argparse

    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication

    from fluxdesk.storage.secrets import KeyStore
    from fluxdesk.storage.settings import Settings
    from fluxdesk.ui.engine.controller import ConfirmOverBudget
    from fluxdesk.ui.kit.error_report import ErrorReporter
    from fluxdesk.ui.main_window import MainWindow

APP_ID = "io.github.fluxdesk.FluxDesk"
"""The desktop file's name (``io.github.fluxdesk.FluxDesk.desktop``, as in packaging/linux): on Wayland the
window is matched to its menu entry and icon through it."""

SMOKE_TIMEOUT_S = 90.0
SCREENSHOT_SIZES = ((1280, 800), (1920, 1080))
SCREENSHOT_PROMPTS = (
    "a ceramic teapot on a linen cloth, soft window light",
    "a lighthouse on a basalt cliff at dawn, long exposure",
    "isometric city block made of paper, pastel colours",
    "a red fox in fresh snow, telephoto, shallow depth of field",
)
SCREENSHOT_PROJECTS = ("Acme spring campaign", "Globex rebrand")
"""The demo batch is sent for these client projects in turn (the edit for none), so the Spend tab has projects to show;
the first has a budget it goes past."""
SCREENSHOT_PROJECT_BUDGET = "0.05"
SCREENSHOT_EDIT = "the teapot of image 1 in the snow of image 2, same light"
"""Made from the first and last of the prompts above: the tray holds them, the gallery shows what it was made from."""
SCREENSHOT_LOCAL_EDIT = "a brass lid with a small bird on top"
SCREENSHOT_STROKE = ((0.36, 0.28), (0.46, 0.24), (0.56, 0.27), (0.62, 0.33))
"""Where the mask editor's screenshot paints, as shares of the picture's width and height."""


def _application() -> QApplication:
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    app = cast("QApplication | None", QApplication.instance())  # the app makes no other kind
    if app is None:
        QGuiApplication.setApplicationName("FluxDesk")
        QGuiApplication.setOrganizationName("FluxDesk")
        QGuiApplication.setDesktopFileName(APP_ID)
        app = QApplication(sys.argv[:1])
    from fluxdesk.resources import resource_dir

    icon = resource_dir() / "icons" / "fluxdesk.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def build_window(home: Path, settings: Settings, key_store: KeyStore, *, demo: bool = False,
                 demo_latency: float | None = None, confirm_over_budget: ConfirmOverBudget | None = None) -> MainWindow:
    """The window with everything it is handed: the controller (its engine, price table and settings writer), the
    session switch (which engine runs: ``demo`` starts in the demo) and the thumbnail loader. The app and the
    tests build it here alike."""
    from fluxdesk.ui.engine.controller import AppController, ask_over_budget
    from fluxdesk.ui.engine.session_switch import SessionSwitch
    from fluxdesk.ui.engine.tasks import TaskManager
    from fluxdesk.ui.kit.thumbnails import ThumbnailLoader
    from fluxdesk.ui.main_window import MainWindow

    # The GUI thread shares the GIL with the network thread, storage writes and thumbnail decoders: a
    # 1 ms switch interval (Python's default is 5 ms) keeps its waits for the GIL short.
    sys.setswitchinterval(0.001)
    controller = AppController.create(home, settings, demo_latency=demo_latency,
                                      confirm_over_budget=confirm_over_budget or ask_over_budget)
    switch = SessionSwitch(controller, key_store, demo=demo, parent=controller)
    return MainWindow(controller, switch, ThumbnailLoader(tasks=TaskManager.instance()))


def _window(home: Path, *, demo: bool, demo_latency: float | None = None) -> MainWindow:
    from fluxdesk.storage.secrets import KeyStore
    from fluxdesk.storage.settings import load_settings
    from fluxdesk.ui.kit.theme import apply_theme

    settings = load_settings(home)
    apply_theme(_application(), settings.theme)
    return build_window(home, settings, KeyStore(), demo=demo, demo_latency=demo_latency)


@contextlib.contextmanager
def collector_paused_for_start_up() -> Iterator[None]:
    """Start-up makes tens of thousands of objects that live as long as the app, and next to no garbage: the
    collector would walk them again and again for nothing (~4 ms of the first screen). Afterwards they are
    frozen, so the collections that run while images arrive skip them too; each full collection would
    otherwise walk them all with every thread waiting (the longest stalls of the window in a batch)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def start_window(home: Path, *, demo: bool, demo_latency: float | None = None
                 ) -> tuple[QApplication, MainWindow, ErrorReporter]:
    """Everything the app does before its event loop: the log, the application, the window with its error
    reporter, shown. Returns ``(application, window, reporter)``. The start-up benchmark and the smoke test
    run exactly this."""
    from fluxdesk.storage.paths import log_path
    from fluxdesk.ui.kit.error_report import ErrorReporter, configure_logging

    with collector_paused_for_start_up():
        configure_logging(log_path(home))
        app = _application()
        window = _window(home, demo=demo, demo_latency=demo_latency)
        reporter = ErrorReporter(window, log_path(home), parent=window)
        reporter.reported.connect(
            lambda reason: window.statusBar().showMessage(f"Unexpected error: {reason}", 10000))
        reporter.install()
        window.show()
    return app, window, reporter


def run_window(*, demo: bool) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.ui.engine.tasks import TaskManager

    app, window, reporter = start_window(home_dir(), demo=demo)
    try:
        return app.exec()
    finally:
        reporter.uninstall()
        window.shutdown()
        TaskManager.instance().shutdown()  # the application's background work ends with it


# --- self-checks --------------------------------------------------------------------------------

def _wait_until(app: QApplication, condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def _submit_with_keyboard(window: MainWindow, prompt: str) -> None:
    """Type the prompt and press Ctrl+Enter, as a designer would."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.panel.set_prompt(prompt)
    QTest.keyClick(window.panel.focus_target(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def smoke_test() -> int:
    """Start the real app on the simulator in a temporary home, generate one image through the prompt
    panel, wait until it is shown, and exit 0; non-zero with the reason otherwise."""
    with tempfile.TemporaryDirectory(prefix="fluxdesk-smoke-") as tmp:
        app, window, reporter = start_window(Path(tmp), demo=True, demo_latency=0.3)
        errors: list[str] = []
        reporter.reported.connect(errors.append)
        shown: list[tuple[int, str]] = []
        window.imageShown.connect(lambda image_id, path: shown.append((image_id, path)))
        try:
            if not _wait_until(app, lambda: window.session is not None or bool(errors), 30) or errors:
                return _smoke_fail(f"an unexpected error was reported{_errors_text(errors)}" if errors
                                   else "the engine did not start within 30 s")
            _submit_with_keyboard(window, "smoke test: a lighthouse at dawn")
            if not _wait_until(app, lambda: bool(shown) or bool(errors), SMOKE_TIMEOUT_S) or errors:
                return _smoke_fail(f"an unexpected error was reported{_errors_text(errors)}" if errors
                                   else f"no image arrived within {SMOKE_TIMEOUT_S:.0f} s")
            image_id, path = shown[0]
            if not _wait_until(app, lambda: window.thumbnails.get(path, 120) is not None, 30):
                return _smoke_fail("the image arrived but its thumbnail never showed")
            if errors:
                return _smoke_fail(f"an unexpected error was reported{_errors_text(errors)}")
            print(f"smoke test passed: image {image_id} at {path}")
            return 0
        finally:
            reporter.uninstall()
            window.controller.begin_closing()  # a failed run may leave a job going: nobody is asked about it
            window.close()
            window.shutdown()
            log = logging.getLogger("fluxdesk")
            for handler in list(log.handlers):  # the log was the temporary home's
                log.removeHandler(handler)
                handler.close()


def _errors_text(errors: list[str]) -> str:
    return f": {errors[0]}" if errors else ""


def _smoke_fail(reason: str) -> int:
    print(f"smoke test FAILED: {reason}", file=sys.stderr)
    return 1


def screenshots(out_dir: Path) -> int:
    """Generate a few demo images, then save a PNG of every tab and dialog, light and dark, at 1280×800
    (``generate.png``) and 1920×1080 (``generate-1920x1080.png``; dark ones end in ``-dark``)."""
    from fluxdesk.ui.kit.theme import apply_theme

    out_dir.mkdir(parents=True, exist_ok=True)
    app = _application()
    with tempfile.TemporaryDirectory(prefix="fluxdesk-shots-") as tmp:
        window = _window(Path(tmp), demo=True, demo_latency=0.4)
        shown: list[str] = []
        ids: list[int] = []

        def on_shown(image_id: int, path: str) -> None:
            ids.append(image_id)
            shown.append(path)

        window.imageShown.connect(on_shown)
        window.resize(*SCREENSHOT_SIZES[0])
        window.show()
        try:
            if not _wait_until(app, lambda: window.session is not None, 30):
                return _smoke_fail("the demo engine did not start")
            library = window.session.library  # type: ignore[union-attr]  # started above
            first = library.ensure_project(SCREENSHOT_PROJECTS[0])
            library.set_project_budget(first.id, Decimal(SCREENSHOT_PROJECT_BUDGET))
            for name in SCREENSHOT_PROJECTS[1:]:
                library.ensure_project(name)
            window.panel.reload_projects()
            for number, prompt in enumerate(SCREENSHOT_PROMPTS):
                project = SCREENSHOT_PROJECTS[number % len(SCREENSHOT_PROJECTS)]
                window.panel.set_project(project)
                # mypy cannot type a lambda whose parameter has a default (python/mypy#15459)
                _wait_until(app, lambda project=project: window.panel.project_picker().project_name() == project,  # type: ignore[misc]
                            10)
                before = len(shown)
                _submit_with_keyboard(window, prompt)
                # mypy cannot type a lambda whose parameter has a default (python/mypy#15459)
                _wait_until(app, lambda before=before: len(shown) > before, 60)  # type: ignore[misc]
            for index in (0, len(SCREENSHOT_PROMPTS) - 1):
                window.use_as_reference(shown[index], ids[index])
            _wait_until(app, lambda: not window.panel.references.waiting_for(), 30)
            window.panel.set_project(None)
            before = len(shown)
            _submit_with_keyboard(window, SCREENSHOT_EDIT)
            _wait_until(app, lambda: len(shown) > before, 60)
            _wait_until(app, lambda: all(window.thumbnails.get(p, 120) is not None for p in shown), 30)
            window.panel.set_prompt(SCREENSHOT_EDIT)
            window.controller.refresh_money()  # the credits and month figures as they stand after the batch
            # The demo's images are FLUX.2 [pro], whose stand-in has no published speed: the Break-even tab is shown
            # for the source article's FLUX1.1 [pro], picked as a user would, so it shows a verdict.
            window.breakeven_tab.when_built(lambda tab: tab.set_api_model("flux-pro-1.1"))
            _wait_until(app, lambda: False, 1.5)
            saved = []
            for theme in ("light", "dark"):
                apply_theme(app, theme)
                for width, height in SCREENSHOT_SIZES:
                    suffix = ("" if (width, height) == SCREENSHOT_SIZES[0] else f"-{width}x{height}")
                    suffix += "" if theme == "light" else "-dark"
                    saved += _grab_everything(app, window, out_dir, suffix, (width, height))
            apply_theme(app, "light")
            saved += _local_edit_shots(app, window, shown[0], ids[0], out_dir)
            for path in saved:
                print(path)
            return 0
        finally:
            window.close()
            window.shutdown()


def _grab_everything(app: QApplication, window: MainWindow, out_dir: Path, suffix: str,
                     size: tuple[int, int]) -> list[Path]:
    window.resize(*size)
    saved = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        _settle(app)
        tab = window.tabs.widget(index)
        widget: Any = getattr(tab, "widget", None) or tab  # a lazy tab's page, or the tab: probed by name
        if hasattr(widget, "prepare_screenshot"):
            widget.prepare_screenshot()
        if hasattr(widget, "is_loading"):
            # mypy cannot type a lambda whose parameter has a default (python/mypy#15459)
            _wait_until(app, lambda w=widget: not w.is_loading(), 15)  # type: ignore[misc]
        _wait_until(app, lambda: False, 0.4)  # charts animate in; thumbnails arrive
        name = window.tabs.tabText(index).lower().replace("-", "").replace(" ", "").replace("&", "")
        saved.append(_save(window.grab(), out_dir / f"{name}{suffix}.png"))
        if hasattr(widget, "show_by_project"):  # the Spend tab: the month by project, with the budgets
            widget.show_by_project()
            _wait_until(app, lambda: False, 0.4)
            saved.append(_save(window.grab(), out_dir / f"{name}-projects{suffix}.png"))
            widget.chart_tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(0)
    from fluxdesk.ui.engine.tasks import TaskManager

    for name, dialog in window.dialogs_for_screenshots():
        dialog.show()
        TaskManager.instance().wait(5)  # what the dialog reads in the background (the keyring's state) has come
        _settle(app)
        _settle(app)  # …and the layout has taken its words in
        saved.append(_save(dialog.grab(), out_dir / f"{name}{suffix}.png"))
        dialog.close()
        dialog.deleteLater()
    return saved


def _local_edit_shots(app: QApplication, window: MainWindow, path: str, image_id: int, out_dir: Path) -> list[Path]:
    """The mask editor with a stroke painted for a FLUX.2 local edit (light and dark, both sizes), then the edit
    sent and its result beside the original (``local-edit-before-after.png``)."""
    from fluxdesk.ui.kit.theme import apply_theme
    from fluxdesk.ui.mask.editor import LOCAL_EDIT
    from fluxdesk.ui.mask.kinds import REGION

    window.resize(*SCREENSHOT_SIZES[0])
    dialog = window.edit_image(REGION, path, image_id)
    editor = dialog.editor
    assert editor is not None
    if not _wait_until(app, lambda: editor.image_size() is not None, 15):
        raise RuntimeError("the mask editor did not open the demo image")
    editor.mode_combo.setCurrentText(LOCAL_EDIT)
    dialog.prompt_edit.setPlainText(SCREENSHOT_LOCAL_EDIT)
    saved = []
    for theme in ("light", "dark"):
        apply_theme(app, theme)
        for width, height in SCREENSHOT_SIZES:
            dialog.resize(width * 7 // 8, height * 7 // 8)
            _settle(app)
            if not editor.has_paint():
                _paint_stroke(app, editor, SCREENSHOT_STROKE)
            editor.canvas.fit()
            _settle(app)
            suffix = ("" if (width, height) == SCREENSHOT_SIZES[0] else f"-{width}x{height}")
            suffix += "" if theme == "light" else "-dark"
            saved.append(_save(dialog.grab(), out_dir / f"edit-region{suffix}.png"))
    apply_theme(app, "light")
    arrived: list[str] = []
    window.imageShown.connect(lambda _id, result: arrived.append(result))
    dialog.send()
    if not _wait_until(app, lambda: bool(arrived), 60):
        raise RuntimeError("the local edit did not arrive")
    saved.append(_save(_side_by_side(path, arrived[0]), out_dir / "local-edit-before-after.png"))
    return saved


def _paint_stroke(app: QApplication, editor: Any, shares: tuple[tuple[float, float], ...]) -> None:
    """A brush stroke as the mouse makes one, through picture points given as shares of its size."""
    from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
    from PySide6.QtGui import QMouseEvent

    canvas = editor.canvas
    width, height = editor.image_size()
    points = [canvas.to_canvas(QRectF(x * width, y * height, 1, 1)).center() for x, y in shares]
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for index, point in enumerate(points):
        kind = QEvent.Type.MouseButtonPress if index == 0 else QEvent.Type.MouseMove
        event = QMouseEvent(kind, QPointF(point), canvas.mapToGlobal(QPointF(point)), left, left,
                            Qt.KeyboardModifier.NoModifier)
        app.sendEvent(canvas, event)
    last = QPointF(points[-1])
    app.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseButtonRelease, last, canvas.mapToGlobal(last), left, none,
                                      Qt.KeyboardModifier.NoModifier))


def _side_by_side(before: str, after: str) -> QPixmap:
    """The original and the local edit, each 640 px wide, with a caption above each."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap

    images = [QImage(before), QImage(after)]
    width, gap, caption = 640, 16, 36
    scaled = [image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation) for image in images]
    height = max(image.height() for image in scaled)
    canvas = QPixmap(2 * width + 3 * gap, height + caption + 2 * gap)
    canvas.fill(QColor("#f4f4f6"))
    painter = QPainter(canvas)
    font = QFont()
    font.setPointSize(13)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#202124"))
    for index, (image, text) in enumerate(zip(scaled, ("Before", "After: FLUX.2 local edit"), strict=True)):
        x = gap + index * (width + gap)
        painter.drawText(QRect(x, gap, width, caption), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         text)
        painter.drawImage(x, gap + caption, image)
    painter.end()
    return canvas


def _settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)


def _save(pixmap: QPixmap, path: Path) -> Path:
    if not pixmap.save(str(path)):
        raise OSError(f"could not write {path}")
    return path


def main(args: argparse.Namespace | None) -> int:
    from fluxdesk.display_check import display_problem

    problem = display_problem()  # before Qt: its X11 plugin aborts the process on a missing library
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    if getattr(args, "smoke_test", False):
        return smoke_test()
    shots_dir = getattr(args, "screenshots", None)
    if shots_dir:
        return screenshots(Path(shots_dir))
    return run_window(demo=bool(getattr(args, "demo", False)))
