"""Image files on disk: atomic writes, names that never collide, leftovers, the trash folder."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

PART_SUFFIX = ".part"
STALE_PART_SECONDS = 3600
"""A ``.part`` file younger than this may belong to another FluxDesk process (the app and the
command line share a library), so only older ones are removed — unless its name says which process
on this machine wrote it and that process is gone (a crash mid-write): then it goes at once."""
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_OWNED_PART = re.compile(r"\.([0-9a-f]{8})-(\d+)-[0-9a-f]{8}" + re.escape(PART_SUFFIX) + "$")

_EXTENSIONS = {"jpeg": ".jpg", "jpg": ".jpg", "png": ".png", "webp": ".webp"}


class FileStoreError(OSError):
    """A file operation that failed, said in words."""


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents, durably (each new entry's parent is fsynced)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
        _fsync_dir(path.parent)


def _temp_path(path: Path) -> Path:
    """``.<name>.<host>-<pid>-<random>.part``: names the writer, so a crash's leftover is known as one."""
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}{PART_SUFFIX}")


def _writer_gone(part: Path) -> bool:
    """The ``.part`` was written by a process on this machine that no longer runs."""
    match = _OWNED_PART.search(part.name)
    if match is None or match.group(1) != _HOST or os.name != "posix":  # os.kill(pid, 0) kills on Windows
        return False
    try:
        os.kill(int(match.group(2)), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False  # alive under another user, or not a pid at all: leave it to the age rule
    return False


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the whole new one.

    Temp file in the same folder, write, flush, fsync, rename, fsync the folder. With
    ``overwrite=False`` an existing ``path`` is a ``FileExistsError`` and is left untouched.
    """
    ensure_dir(path.parent)
    tmp = _temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_into_place(tmp, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _link_into_place(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # fails if ``path`` exists: no check-then-rename race
    except FileExistsError:
        raise
    except OSError:
        # File systems without hard links (FAT, some network shares): check, then rename.
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def extension_for(fmt: str) -> str:
    """``"jpeg"`` → ``".jpg"``; accepts a format name or an extension with or without its dot."""
    key = fmt.lower().lstrip(".")
    try:
        return _EXTENSIONS[key]
    except KeyError:
        raise ValueError(f"FluxDesk stores JPEG, PNG and WebP images, not {fmt!r}") from None


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.")
    return slug[:limit] or "image"


def image_file_name(created_at: datetime, model: str, seed: int | None, job_id: str, fmt: str) -> str:
    """``20260509-073525-flux-dev-123-1a2b3c4d.jpg`` (UTC time)."""
    stamp = created_at.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    seed_part = str(seed) if seed is not None else "random"
    short_id = _slug(job_id.replace("-", ""), 8)
    return f"{stamp}-{_slug(model)}-{seed_part}-{short_id}{extension_for(fmt)}"


def image_path(library: Path, created_at: datetime, model: str, seed: int | None, job_id: str,
               fmt: str) -> Path:
    """``library/YYYY/MM/<image_file_name>``."""
    utc = created_at.astimezone(UTC)
    return library / f"{utc:%Y}" / f"{utc:%m}" / image_file_name(created_at, model, seed, job_id, fmt)


def numbered(path: Path, n: int) -> Path:
    """``a.jpg`` → ``a-2.jpg`` for ``n == 2``; ``n <= 1`` is ``path`` itself."""
    return path if n <= 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")


def write_new_file(path: Path, data: bytes, *, max_tries: int = 1000) -> tuple[Path, bool]:
    """Write ``data`` atomically at ``path``, or ``a-2.jpg``, ``a-3.jpg`` … if taken. Never overwrites.

    Answers the path and whether a file was created. If ``path`` (or a numbered variant) already
    holds exactly ``data`` (a retry after a crash between writing the file and recording it), that
    file is answered instead of writing a duplicate.
    """
    for n in range(1, max_tries + 1):
        candidate = numbered(path, n)
        try:
            atomic_write(candidate, data, overwrite=False)
            return candidate, True
        except FileExistsError:
            if _same_content(candidate, data):
                return candidate, False
    raise FileStoreError(f"could not find a free file name next to {path}")


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def remove_stale_parts(folder: Path, older_than_seconds: float = STALE_PART_SECONDS,
                       now: float | None = None) -> int:
    """Delete leftover ``*.part`` temp files under ``folder`` (old ones, and those whose writer is gone);
    answer how many were removed."""
    if not folder.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for part in folder.rglob(f"*{PART_SUFFIX}"):
        try:
            if part.is_file() and (now - part.stat().st_mtime >= older_than_seconds or _writer_gone(part)):
                part.unlink()
                removed += 1
        except OSError:
            continue  # gone already, or not ours to delete: leave it
    return removed


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # another file system: the library folder on an external disk
            raise
        shutil.copy2(source, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
        source.unlink()
    _fsync_dir(target.parent)


def move_unique(source: Path, folder: Path) -> Path:
    """Move ``source`` into ``folder`` under its own name, numbered if that is taken; answer the new path."""
    ensure_dir(folder)
    for n in range(1, 10_000):
        target = numbered(folder / source.name, n)
        if not target.exists():
            _move(source, target)
            return target
    raise FileStoreError(f"could not find a free name for {source.name} in {folder}")


def move_to_trash(path: Path, trash: Path) -> Path:
    """Move an image file into the trash folder; answer where it went."""
    try:
        return move_unique(path, trash)
    except OSError as exc:
        raise FileStoreError(f"could not move {path.name} to the trash: {exc.strerror or exc}") from None


def restore_from_trash(trashed: Path, original: Path) -> Path:
    """Move a trashed file back to its original folder (numbered if the name was taken meanwhile)."""
    try:
        ensure_dir(original.parent)
        for n in range(1, 10_000):
            target = numbered(original, n)
            if not target.exists():
                _move(trashed, target)
                return target
    except OSError as exc:
        raise FileStoreError(f"could not restore {original.name}: {exc.strerror or exc}") from None
    raise FileStoreError(f"could not find a free name for {original.name}")
