"""An exception that nothing caught (in a slot, a timer, a background answer) reaches the log and, in plain
words, the user — never only stderr, where nobody at a desktop ever looks."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("fluxdesk")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def plain_reason(error: BaseException) -> str:
    """One line a designer can read: the error's own words, else its kind."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


class ErrorReporter(QObject):
    """Installed as ``sys.excepthook`` by the app. Errors from any thread are logged at once and shown on the
    GUI thread in one dialog; more while it is open are counted in it instead of stacking dialogs."""

    reported = Signal(str)
    """The plain-words line shown to the user (for the status bar, and for tests)."""
    _arrived = Signal(str, str)  # plain line, traceback text: crosses to the GUI thread

    def __init__(self, window: QWidget | None = None, log_file: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._log_file = log_file
        self._dialog: QMessageBox | None = None
        self._repeats = 0
        self._previous: ExceptHook | None = None
        self._arrived.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self.hook
        # exc_value is typed optional; a thread's uncaught exception always has one
        threading.excepthook = lambda args: self.hook(args.exc_type, args.exc_value, args.exc_traceback)  # type: ignore[arg-type]

    def uninstall(self) -> None:
        if sys.excepthook == self.hook and self._previous is not None:
            sys.excepthook = self._previous
        threading.excepthook = threading.__excepthook__

    def hook(self, exc_type: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            if self._previous is not None:
                self._previous(exc_type, error, tb)
            return
        log.error("Unexpected error", exc_info=(exc_type, error, tb))
        details = "".join(traceback.format_exception(exc_type, error, tb))
        self._arrived.emit(plain_reason(error), details)

    def dialog(self) -> QMessageBox | None:
        """The error dialog on screen, if any."""
        return self._dialog

    def _show(self, reason: str, details: str) -> None:
        self.reported.emit(reason)
        if self._dialog is not None:
            self._repeats += 1
            self._dialog.setInformativeText(self._more_text())
            return
        where = f"The details are in the log: {self._log_file}" if self._log_file else ""
        dialog = QMessageBox(QMessageBox.Icon.Warning, "Something went wrong",
                             f"FluxDesk ran into an unexpected problem and carried on: {reason}.",
                             QMessageBox.StandardButton.Ok, self._window)
        dialog.setObjectName("errorDialog")
        dialog.setInformativeText(where)
        dialog.setDetailedText(details)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._closed)
        self._dialog, self._repeats = dialog, 0
        dialog.open()

    def _more_text(self) -> str:
        where = f"The details are in the log: {self._log_file}. " if self._log_file else ""
        again = "once more" if self._repeats == 1 else f"{self._repeats} more times"
        return f"{where}It happened {again} since this message opened."

    def _closed(self) -> None:
        self._dialog = None


class _LogFile(logging.Handler):
    """A small rotating file, opened with the first record: most runs log nothing, and ``logging.handlers``
    (with the socket and pickle modules it imports) is ~5 ms the window's start-up need not pay."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            from logging.handlers import RotatingFileHandler

            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = RotatingFileHandler(self._path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def configure_logging(log_file: Path) -> None:
    """The app's log: warnings and errors of every FluxDesk module, in a small rotating file."""
    handler = _LogFile(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("fluxdesk")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
