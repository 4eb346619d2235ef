"""The picture under a mask or an expanded canvas: read off the GUI thread, with a reason in words when it cannot be.

Both widgets of this package show a whole image (not a thumbnail), so the read makes what painting at any zoom
needs: the image in the format the raster engine draws fastest, and halved copies down to a small size
(``Picture.levels``), from which a zoomed-out view is drawn without scaling a 4 MP image on every repaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from fluxdesk.ui.engine.tasks import TaskManager

_SMALLEST_LEVEL = 96
"""Halving stops once the next copy's longer side would be under this (in pixels)."""


class PictureError(Exception):
    """An image that cannot be shown, said in words a designer understands."""


@dataclass(frozen=True)
class Picture:
    """A decoded image, ``levels[0]`` at full size and each next level half the one before."""

    path: str
    levels: tuple[QImage, ...]

    @property
    def image(self) -> QImage:
        return self.levels[0]

    def size(self) -> QSize:
        return self.levels[0].size()


def picture_from_image(image: QImage, path: str = "") -> Picture:
    """A ``Picture`` of an image already in memory (any thread: ``QImage`` only)."""
    if image.isNull():
        raise PictureError("The image is empty")
    full = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    levels = [full]
    while max(levels[-1].width(), levels[-1].height()) // 2 >= _SMALLEST_LEVEL:
        last = levels[-1]
        levels.append(last.scaled(max(1, last.width() // 2), max(1, last.height() // 2),
                                  Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))
    return Picture(path, tuple(levels))


def read_picture(path: str) -> Picture:
    """Decode ``path`` (its EXIF orientation applied, as every viewer shows it). Runs on a worker thread."""
    source = Path(path)
    if not source.exists():
        raise PictureError(f"{source.name} is missing (it was moved or deleted)")
    if source.is_dir():
        raise PictureError(f"{source.name} is a folder, not an image")
    reader = QImageReader(str(source))
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        reason = reader.errorString() or "unknown error"
        if reader.error() == QImageReader.ImageReaderError.UnsupportedFormatError:
            reason = "it is not an image FluxDesk can read, or it is damaged"
        raise PictureError(f"{source.name} cannot be opened: {reason}")
    return picture_from_image(image, str(source))


class PictureSource(QObject):
    """The picture a widget shows: read from a file off the GUI thread (``load``) or handed in (``use``). A newer
    ``load`` or ``use`` makes the answer of an older load go unheard. ``loaded`` or ``failed`` follows each."""

    loaded = Signal(object)  # Picture
    failed = Signal(str)  # the reason in words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._pending: str | None = None
        self._picture: Picture | None = None
        self._failure: str | None = None

    def load(self, path: str | Path) -> None:
        self._generation += 1
        generation = self._generation
        self._pending, self._picture, self._failure = str(path), None, None
        TaskManager.instance().run_in_background(
            lambda: read_picture(str(path)),
            lambda picture: self._answer(generation, picture, None),
            lambda error: self._answer(generation, None, error),
            parent=self)

    def use(self, image: QImage) -> None:
        """Show an image already in memory (its smaller copies made on this thread)."""
        self._generation += 1
        self._pending = None
        try:
            picture = picture_from_image(image)
        except PictureError as error:
            self._fail(str(error))
            return
        self._succeed(picture)

    def picture(self) -> Picture | None:
        return self._picture

    def size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the picture, ``None`` without one."""
        picture = self._picture
        return None if picture is None else (picture.size().width(), picture.size().height())

    def pending(self) -> str | None:
        """The path being read, if any."""
        return self._pending

    def failure(self) -> str | None:
        """Why the last picture could not be had, in words."""
        return self._failure

    def missing(self, none_yet: str) -> str | None:
        """Why there is no picture to work on, in words (``none_yet`` when nothing was asked for); ``None`` when
        there is one."""
        if self._pending is not None:
            return "The image is still opening"
        if self._failure is not None:
            return self._failure
        return none_yet if self._picture is None else None

    def _answer(self, generation: int, picture: Picture | None, error: BaseException | None) -> None:
        if generation != self._generation:
            return
        path, self._pending = self._pending or "", None
        if picture is not None:
            self._succeed(picture)
        elif isinstance(error, PictureError):
            self._fail(str(error))
        elif isinstance(error, (OSError, MemoryError)):
            self._fail(f"{Path(path).name} cannot be opened: {error}")
        elif error is not None:
            raise error

    def _succeed(self, picture: Picture) -> None:
        self._picture, self._failure = picture, None
        self.loaded.emit(picture)

    def _fail(self, reason: str) -> None:
        self._picture, self._failure = None, reason
        self.failed.emit(reason)
