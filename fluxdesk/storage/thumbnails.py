"""The thumbnail cache on disk: small WebP copies of library images, named after the image's path.

The window's thumbnail loader fills and reads it; the library removes an image's entries
when it deletes the image for good, so no copy of a deleted image stays behind.
"""

from __future__ import annotations

import contextlib
from pathlib import Path


def _path_key(path: str) -> str:
    import hashlib  # here, not at the top: OpenSSL loads in ~2 ms, after the window's start-up

    return hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()


def cache_file(cache_dir: Path, path: str, size: int, mtime_ns: int) -> Path:
    """Where the cache keeps ``path``'s thumbnail of ``size``; a changed file (new mtime) gets a new name."""
    return cache_dir / f"{_path_key(path)}-{size}-{mtime_ns}.webp"


def forget_thumbnails(cache_dir: Path, path: str | Path) -> None:
    """Remove every cached thumbnail of ``path``, at any size and of any version of the file."""
    for entry in cache_dir.glob(f"{_path_key(str(path))}-*.webp"):
        with contextlib.suppress(OSError):
            entry.unlink()
