"""ThumbnailLoader: off-thread decoding, the in-memory LRU, failures, and the disk cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from fluxdesk.storage.thumbnails import cache_file
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit import thumbnails as thumbnail_loader
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

SIZE = 64


def make_image(folder: Path, name: str, size: tuple[int, int] = (400, 300), color: tuple[int, ...] = (200, 40, 40),
               mode: str = "RGB") -> str:
    path = folder / name
    Image.new(mode, size, color).save(path)
    return str(path)


@pytest.fixture
def loader(tmp_path: Path) -> Iterator[ThumbnailLoader]:
    loader = ThumbnailLoader(tasks=TaskManager.instance())
    yield loader
    assert loader.shutdown(), "a thumbnail load was still running after shutdown"


def load(qtbot: QtBot, loader: ThumbnailLoader, path: str, size: int = SIZE) -> None:
    with qtbot.waitSignal(loader.thumbnailReady, timeout=5000,
                          check_params_cb=lambda p, s: (p, s) == (path, size)) as blocker:
        assert loader.get(path, size) is None
    assert blocker.args == [path, size]


def test_loads_off_thread_then_answers_from_the_cache(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    path = make_image(tmp_path, "a.jpg", (800, 600))
    load(qtbot, loader, path)
    pixmap = loader.get(path, SIZE)
    assert pixmap is not None and (pixmap.width(), pixmap.height()) == (64, 48)
    assert loader.get(path, SIZE).cacheKey() == pixmap.cacheKey()
    assert loader.loads_started == 1
    assert loader.in_flight_count() == 0


def test_a_png_keeps_its_transparency(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    path = make_image(tmp_path, "a.png", (100, 200), (0, 0, 255, 0), mode="RGBA")
    load(qtbot, loader, path)
    pixmap = loader.get(path, SIZE)
    assert pixmap is not None and (pixmap.width(), pixmap.height()) == (32, 64)
    assert pixmap.hasAlphaChannel()


def test_requests_in_flight_are_not_duplicated(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    path = make_image(tmp_path, "a.jpg")
    with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
        for _ in range(5):
            assert loader.get(path, SIZE) is None
    assert loader.loads_started == 1
    assert loader.get(path, SIZE) is not None


def test_a_broken_file_fails_once_and_is_not_retried(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n but not really")
    with qtbot.waitSignal(loader.failed, timeout=5000) as blocker:
        assert loader.get(str(broken), SIZE) is None
    assert blocker.args[0] == str(broken)
    assert "broken.png" in blocker.args[1]
    assert loader.error(str(broken)) == blocker.args[1]
    for _ in range(3):
        assert loader.get(str(broken), SIZE) is None
        assert loader.get(str(broken), SIZE * 2) is None
    assert loader.loads_started == 1

    Image.new("RGB", (10, 10)).save(broken, "PNG")  # the file is repaired; the owner says so
    loader.forget(str(broken))
    assert loader.error(str(broken)) is None
    load(qtbot, loader, str(broken))


def test_a_missing_file_fails_in_words(qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path) -> None:
    with qtbot.waitSignal(loader.failed, timeout=5000) as blocker:
        loader.get(str(tmp_path / "gone.jpg"), SIZE)
    assert blocker.args[1] == "gone.jpg is missing"


def test_a_jpeg_is_decoded_scaled_down_not_at_full_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import JpegImagePlugin

    path = make_image(tmp_path, "big.jpg", size=(2048, 1024))
    decoded: list[tuple[int, int]] = []
    original_load = JpegImagePlugin.JpegImageFile.load

    def spy_load(self: JpegImagePlugin.JpegImageFile) -> object:
        result = original_load(self)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy_load)
    image = thumbnail_loader.render_thumbnail(path, 256)
    assert decoded and decoded[0] == (512, 256)  # DCT-scaled by 1/4 while decoding, not 2048×1024
    assert (image.width(), image.height()) == (256, 128)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("content", ["not an image", "truncated", "bomb"])
def test_broken_images_fail_in_words_and_leave_no_cache_entry(tmp_path: Path, content: str) -> None:
    import io

    good = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(good, "PNG")
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, "PNG")  # 1-bit, compresses to almost nothing
    data = {"not an image": b"not an image", "truncated": good.getvalue()[:-40], "bomb": bomb.getvalue()}[content]
    source = tmp_path / "broken.png"
    source.write_bytes(data)
    cache = tmp_path / "thumbs"
    with pytest.raises(thumbnail_loader.ThumbnailLoadError, match=r"broken\.png"):
        thumbnail_loader.render_thumbnail(str(source), SIZE, cache)
    assert not cache.exists() or not list(cache.iterdir())


@pytest.mark.parametrize("error", [TypeError, IndexError, MemoryError])
def test_any_decode_error_pillow_raises_is_a_failure_in_words(error: type[Exception], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow raises these on some malformed files (a bad EXIF block, a huge bogus header): never a crash.
    from PIL import ImageOps

    def broken(_img: object) -> None:
        raise error("malformed")

    monkeypatch.setattr(ImageOps, "exif_transpose", broken)
    path = make_image(tmp_path, "odd.jpg")
    with pytest.raises(thumbnail_loader.ThumbnailLoadError, match=r"odd\.jpg: the image is damaged or incomplete"):
        thumbnail_loader.render_thumbnail(path, SIZE)


def test_the_memory_cache_is_bounded_least_recently_used_first(qtbot: QtBot, tmp_path: Path) -> None:
    loader = ThumbnailLoader(tasks=TaskManager.instance(), max_items=2)
    try:
        a, b, c = (make_image(tmp_path, f"{name}.jpg") for name in "abc")
        load(qtbot, loader, a)
        load(qtbot, loader, b)
        assert loader.get(a, SIZE) is not None  # a is now the most recently used
        load(qtbot, loader, c)
        assert loader.cached_count() == 2
        assert loader.get(a, SIZE) is not None and loader.get(c, SIZE) is not None
        with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
            assert loader.get(b, SIZE) is None  # evicted: loaded again
        assert loader.cached_count() == 2
    finally:
        assert loader.shutdown()


def test_the_disk_cache_serves_a_new_loader(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    path = make_image(tmp_path, "a.jpg", (640, 480))
    first = ThumbnailLoader(cache_dir, tasks=TaskManager.instance())
    try:
        load(qtbot, first, path)
    finally:
        assert first.shutdown()
    cached = cache_file(cache_dir, path, SIZE, Path(path).stat().st_mtime_ns)
    assert cached.is_file()
    assert list(cache_dir.iterdir()) == [cached]

    def no_decoding(*_args: object) -> None:
        raise AssertionError("the source image was decoded although the disk cache had it")

    monkeypatch.setattr(thumbnail_loader, "_decode", no_decoding)
    second = ThumbnailLoader(cache_dir, tasks=TaskManager.instance())
    try:
        load(qtbot, second, path)
        pixmap = second.get(path, SIZE)
        assert pixmap is not None and (pixmap.width(), pixmap.height()) == (64, 48)
    finally:
        assert second.shutdown()


def test_a_changed_file_gets_a_new_disk_cache_entry(qtbot: QtBot, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    path = make_image(tmp_path, "a.jpg")
    loader = ThumbnailLoader(cache_dir, tasks=TaskManager.instance())
    try:
        load(qtbot, loader, path)
        old = Path(path).stat().st_mtime_ns
        make_image(tmp_path, "a.jpg", (300, 300), (0, 200, 0))
        os.utime(path, ns=(old + 5_000_000_000, old + 5_000_000_000))
        loader.forget(path)
        load(qtbot, loader, path)
        assert loader.get(path, SIZE).width() == 64 and loader.get(path, SIZE).height() == 64
        assert len(list(cache_dir.iterdir())) == 2
    finally:
        assert loader.shutdown()


def test_a_corrupt_disk_cache_entry_is_made_again(qtbot: QtBot, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    path = make_image(tmp_path, "a.jpg")
    cached = cache_file(cache_dir, path, SIZE, Path(path).stat().st_mtime_ns)
    cached.write_bytes(b"torn")
    loader = ThumbnailLoader(cache_dir, tasks=TaskManager.instance())
    try:
        load(qtbot, loader, path)
        with Image.open(cached) as img:
            assert img.format == "WEBP"
    finally:
        assert loader.shutdown()


def test_at_most_two_loads_run_and_pending_ones_can_be_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    loader = ThumbnailLoader(tasks=TaskManager.instance(), max_threads=2)
    try:
        paths = [make_image(tmp_path, f"{i}.jpg") for i in range(6)]
        for path in paths:
            loader.get(path, SIZE)
        assert loader.loads_started == 2
        assert loader.pending_count() == 4
        loader.cancel_pending()
        assert loader.pending_count() == 0
        qtbot.waitUntil(lambda: loader.in_flight_count() == 0, timeout=5000)
        assert loader.loads_started == 2
        assert loader.cached_count() == 2
        # Dropped requests are asked again the next time a row is painted.
        with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
            assert loader.get(paths[-1], SIZE) is None
        assert loader.loads_started == 3
    finally:
        assert loader.shutdown()


def test_after_shutdown_nothing_is_scheduled(tmp_path: Path) -> None:
    loader = ThumbnailLoader(tasks=TaskManager.instance())
    assert loader.shutdown()
    assert loader.get(make_image(tmp_path, "a.jpg"), SIZE) is None
    assert loader.loads_started == 0
