"""Image files dropped on the prompt panel: which of the dropped files they are, and text fields that hand an
image on to the panel instead of pasting its path as text.

Qt offers a drag to the widget under the pointer and, while that widget does not accept it, to each parent that
accepts drops in turn: a text field that ignores an image drag hands it on to the panel, which takes it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QDragMoveEvent

from fluxdesk.ui.kit.mime import IMAGE_SUFFIXES, dropped_images

REFERENCE_SUFFIXES = IMAGE_SUFFIXES | {".gif", ".bmp"}
"""What a reference may be read from (``storage.references.REFERENCE_FORMATS``)."""


def is_image_paste(mime: QMimeData | None) -> bool:
    """A paste that is a picture (and no text) or image files only: a reference, not words for the prompt."""
    if mime is None:
        return False
    if mime.hasUrls():
        urls = mime.urls()
        return bool(urls) and all(url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in REFERENCE_SUFFIXES
                                  for url in urls)
    return mime.hasImage() and not mime.hasText()


def is_image_drag(event: QDragMoveEvent) -> bool:
    """A drag entering or moving over a widget carries at least one image file (a drag enter is a move too)."""
    return bool(dropped_images(event.mimeData()))


class HandOnImageDrags(QObject):
    """An event filter for a text field (a line edit): image drags pass it by, on to the panel."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QDragMoveEvent) and is_image_drag(event):  # a drag enter is a move too
            event.ignore()
            return True
        return super().eventFilter(watched, event)
