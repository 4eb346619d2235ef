"""Helpers for the storage tests: real images, an in-memory keyring backend, the gallery's view of a library."""

from __future__ import annotations

import io
from typing import Any

from keyring_support import MemoryKeyring  # noqa: F401 - the helpers' keyring, one copy for all tests
from PIL import Image

from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery
from fluxdesk.storage.library import Library


def make_image(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: object) -> bytes:
    """A small image with some structure (gradients, and alpha for RGBA), encoded as ``fmt``."""
    img = Image.new(mode, size)
    data = [((x * 4) % 256, (y * 5) % 256, (x * y) % 256, 255 if (x + y) % 3 else 100)[:len(mode)]
            for y in range(size[1]) for x in range(size[0])]
    img.putdata(data)  # type: ignore[arg-type]
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    """Decoded mode, size and raw pixel bytes."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.mode, img.size, img.tobytes()


def shown_ids(library: Library, **query: Any) -> list[int]:
    """The ids the gallery lists for ``GalleryQuery(**query)``, in its order, read by its own queries."""
    queries = GalleryQueries.for_library(library)
    try:
        return list(queries.ids(GalleryQuery(**query)))
    finally:
        queries.close()
