"""Thumbnails for views: decoded off the GUI thread, kept in a bounded in-memory LRU and on disk.

A view's delegate calls ``get(path, size)`` while painting. The answer is a pixmap at once when it is
cached; otherwise ``None`` and a load is scheduled on the app's task manager, in its thumbnail lane
(its own workers: a screenful of thumbnails never holds up other background work). The manager is
handed in (``tasks``): the kit sits below the engine that owns it. Workers make only ``QImage``s;
the pixmap is made on the GUI thread, cached, and ``thumbnailReady`` tells the views which rows to
repaint.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from PIL import Image

from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

from fluxdesk.storage.thumbnails import cache_file

DEFAULT_SIZE = 256
"""The longest side views ask for (times the screen's pixel ratio): one size shared by every view,
so an image just generated is decoded once for the queue and the recent strip alike."""
_DISK_QUALITY = 85
_Key = tuple[str, int]


class BackgroundRunner(Protocol):
    """What the loader needs of the app's ``TaskManager``: a call on its thumbnail lane, answered on the GUI thread."""

    def run_in_background(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                          on_error: Callable[[BaseException], None] | None = None, *,
                          parent: QObject | None = None, lane: Literal["thumbnails"]) -> concurrent.futures.Future:
        ...


class ThumbnailLoadError(Exception):
    """A thumbnail that could not be made, said in words."""


def render_thumbnail(path: str, size: int, cache_dir: Path | None = None) -> QImage:
    """Decode ``path`` to a ``QImage`` whose longest side is at most ``size``. Runs on a worker thread."""
    source = Path(path)
    try:
        mtime_ns = source.stat().st_mtime_ns
    except FileNotFoundError:
        raise ThumbnailLoadError(f"{source.name} is missing") from None
    except OSError as exc:
        raise ThumbnailLoadError(f"cannot read {source.name}: {exc.strerror or exc}") from None
    cached = cache_file(cache_dir, path, size, mtime_ns) if cache_dir is not None else None
    if cached is not None:
        image = _read_cached(cached)
        if image is not None:
            return _to_qimage(image)
    thumb = _decode(source, size)
    if cached is not None:
        _write_cached(cached, thumb)
    return _to_qimage(thumb)


def _decode(source: Path, size: int) -> Image.Image:
    # Pillow loads with the first thumbnail, on a worker thread: not with the window.
    from PIL import Image, ImageOps

    from fluxdesk.storage.imaging import DECODE_ERRORS, ImageDecodeError, open_checked

    try:
        with open_checked(source) as img:
            if img.format == "JPEG":
                img.draft("RGB", (size, size))  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size, far faster
            img.load()
            thumb = ImageOps.exif_transpose(img)
            thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
            return thumb.convert("RGBA") if thumb.mode != "RGBA" else thumb
    except FileNotFoundError:
        raise ThumbnailLoadError(f"{source.name} is missing") from None
    except ImageDecodeError as exc:
        raise ThumbnailLoadError(f"{source.name}: {exc}") from None
    except DECODE_ERRORS:
        raise ThumbnailLoadError(f"{source.name}: the image is damaged or incomplete") from None


def _read_cached(cached: Path) -> Image.Image | None:
    """The cached thumbnail, or ``None`` when there is none or it is unreadable (it is then made again)."""
    from fluxdesk.storage.imaging import DECODE_ERRORS, open_checked

    try:
        with open_checked(cached) as img:
            img.load()
            return img.convert("RGBA")
    except DECODE_ERRORS:  # ImageDecodeError is a ValueError
        return None


def _write_cached(cached: Path, thumb: Image.Image) -> None:
    # A cache, not a record: no fsync; a torn file fails to decode next time and is made again.
    # Failing to write it never fails the load.
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        out = io.BytesIO()
        thumb.save(out, "WEBP", quality=_DISK_QUALITY)
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(out.getvalue())
        os.replace(partial, cached)
    except (OSError, ValueError, KeyError):
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _to_qimage(img: Image.Image) -> QImage:
    rgba = img if img.mode == "RGBA" else img.convert("RGBA")
    data = rgba.tobytes("raw", "RGBA")
    # copy(): the QImage must own its pixels, not borrow the Python bytes that are about to go away.
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()


def thumbnail_request_size(widget: QWidget | None) -> int:
    """The size views ask the loader for: one per screen density, so every view shares the cached pixmap."""
    ratio = widget.devicePixelRatioF() if widget is not None else 1.0
    return round(DEFAULT_SIZE * max(1.0, ratio))


def draw_cropped(painter: QPainter, target: QRectF, pixmap: QPixmap) -> None:
    """Fill ``target`` with the middle of ``pixmap`` (cropped, never stretched)."""
    scale = max(target.width() / pixmap.width(), target.height() / pixmap.height())
    w, h = target.width() / scale, target.height() / scale
    source = QRectF((pixmap.width() - w) / 2, (pixmap.height() - h) / 2, w, h)
    painter.drawPixmap(target, pixmap, source)


class ThumbnailLoader(QObject):
    """Thumbnails by ``(path, size)``: ``get`` answers from the cache or schedules a load."""

    thumbnailReady = Signal(str, int)
    """``(path, size)``: ``get(path, size)`` now answers a pixmap."""
    failed = Signal(str, str)
    """``(path, reason)``: the file is missing or broken; it is not tried again until ``forget(path)``."""

    def __init__(self, cache_dir: Path | None = None, *, tasks: BackgroundRunner, max_items: int = 512,
                 max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        if max_items < 1:
            raise ValueError("the thumbnail cache needs room for at least one item")
        self._cache_dir = cache_dir
        self._max_items = max_items
        self._max_threads = max(1, max_threads)
        self._pixmaps: OrderedDict[_Key, QPixmap] = OrderedDict()
        self._errors: dict[str, str] = {}
        self._pending: deque[tuple[_Key, int]] = deque()
        self._in_flight: dict[_Key, int] = {}
        """Requested and not yet answered (pending or running) → the token of the current request."""
        self._running: dict[int, concurrent.futures.Future] = {}
        """Token → its load, started and not yet answered here."""
        self._next_token = 0
        self._closed = False
        self.loads_started = 0
        """How many decodes were started (for tests and diagnostics)."""

    # --- the public face --------------------------------------------------------------------------

    def get(self, path: str, size: int) -> QPixmap | None:
        """The cached pixmap of ``path`` (longest side ``size``), or ``None`` while it loads or if it failed."""
        key = (path, size)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if self._closed or not path or path in self._errors or key in self._in_flight:
            return None
        self._request(key)
        return None

    def set_cache_dir(self, cache_dir: Path | None) -> None:
        """Where thumbnails are kept on disk from now on: the library's own folder, once it is open."""
        self._cache_dir = cache_dir

    def error(self, path: str) -> str | None:
        """Why ``path`` could not be loaded, or ``None``."""
        return self._errors.get(path)

    def forget(self, path: str) -> None:
        """Drop everything known about ``path`` (a replaced or deleted file): the next ``get`` loads it anew."""
        self._errors.pop(path, None)
        for key in [k for k in self._pixmaps if k[0] == path]:
            del self._pixmaps[key]
        for key in [k for k in self._in_flight if k[0] == path]:
            del self._in_flight[key]  # an answer still on its way is now stale and is dropped
        self._pending = deque(item for item in self._pending if item[0][0] != path)

    def cancel_pending(self) -> None:
        """Drop the requests not yet started (rows scrolled away); loads already running finish."""
        for key, _token in self._pending:
            self._in_flight.pop(key, None)
        self._pending.clear()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop taking requests and wait for running loads; ``True`` when none is left running."""
        self._closed = True
        self.cancel_pending()
        return not concurrent.futures.wait(self._running.values(), timeout_ms / 1000).not_done

    @property
    def max_items(self) -> int:
        return self._max_items

    def cached_count(self) -> int:
        return len(self._pixmaps)

    def pending_count(self) -> int:
        """Requests waiting for a free worker."""
        return len(self._pending)

    def in_flight_count(self) -> int:
        """Requests not yet answered, waiting or running."""
        return len(self._in_flight)

    # --- scheduling -------------------------------------------------------------------------------

    def _request(self, key: _Key) -> None:
        self._next_token += 1
        self._in_flight[key] = self._next_token
        # Newest first: the rows painted last are the ones on screen now.
        self._pending.appendleft((key, self._next_token))
        self._start_more()

    def _start_more(self) -> None:
        while len(self._running) < self._max_threads and self._pending and not self._closed:
            key, token = self._pending.popleft()
            self.loads_started += 1
            self._running[token] = self._load(key, token)

    def _load(self, key: _Key, token: int) -> concurrent.futures.Future:
        path, size = key
        cache_dir = self._cache_dir
        return self._tasks.run_in_background(
            lambda: render_thumbnail(path, size, cache_dir),
            lambda image: self._on_loaded(path, size, token, image),
            lambda exc: self._on_failed(path, size, token, _reason(path, exc)), parent=self, lane="thumbnails")

    # --- answers, on the GUI thread ---------------------------------------------------------------

    def _finish(self, key: _Key, token: int) -> bool:
        """Count a worker free again; ``True`` when the answer is still wanted."""
        self._running.pop(token, None)
        wanted = self._in_flight.get(key) == token and not self._closed
        if wanted:
            del self._in_flight[key]
        self._start_more()
        return wanted

    def _on_loaded(self, path: str, size: int, token: int, image: QImage) -> None:
        key = (path, size)
        if not self._finish(key, token):
            return
        self._pixmaps[key] = QPixmap.fromImage(image)
        self._pixmaps.move_to_end(key)
        while len(self._pixmaps) > self._max_items:
            self._pixmaps.popitem(last=False)
        self.thumbnailReady.emit(path, size)

    def _on_failed(self, path: str, size: int, token: int, reason: str) -> None:
        if not self._finish((path, size), token):
            return
        self._errors[path] = reason
        # Other sizes of the same broken file would fail too: stop waiting for them.
        for key in [k for k in self._in_flight if k[0] == path]:
            del self._in_flight[key]
        self._pending = deque(item for item in self._pending if item[0][0] != path)
        self.failed.emit(path, reason)


def _reason(path: str, error: BaseException) -> str:
    """Why a load failed, in words: every failure is answered, or the request would stay in flight forever."""
    return str(error) if isinstance(error, ThumbnailLoadError) else f"{Path(path).name}: {error}"
