"""What a drag carries: the MIME type FluxDesk puts on its own drags, so a drop can tell a library image from any
file, and the image files among dropped URLs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

IMAGE_IDS_MIME = "application/x-fluxdesk-image-ids"
"""Library image ids, one per line, in the order of the drag's file URLs."""


def encode_image_ids(ids: list[int]) -> bytes:
    return "\n".join(str(i) for i in ids).encode("ascii")


def decode_image_ids(data: bytes) -> list[int]:
    """The ids of a drag; anything that is not a list of whole numbers is no ids at all."""
    try:
        return [int(line) for line in bytes(data).decode("ascii").split("\n") if line.strip()]
    except (UnicodeDecodeError, ValueError):
        return []


IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


def dropped_images(mime: QMimeData | None) -> list[str]:
    """Local image files among dropped URLs, in order."""
    if mime is None or not mime.hasUrls():
        return []
    paths = []
    for url in mime.urls():
        if url.isLocalFile():
            path = url.toLocalFile()
            if Path(path).suffix.lower() in IMAGE_SUFFIXES:
                paths.append(path)
    return paths


def dropped_library_image(mime: QMimeData | None) -> tuple[str, int | None] | None:
    """One image file dropped (a gallery tile, or a file from elsewhere) and the library image it is, if FluxDesk's
    own drag says so; ``None`` unless exactly one image file was dropped."""
    paths = dropped_images(mime)
    if mime is None or len(paths) != 1:
        return None
    ids = decode_image_ids(bytes(mime.data(IMAGE_IDS_MIME).data())) if mime.hasFormat(IMAGE_IDS_MIME) else []
    return paths[0], ids[0] if len(ids) == 1 else None
