"""Files, folders, decoding and thumbnails."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from PIL import Image
from storage_support import make_image

from fluxdesk.storage import files
from fluxdesk.storage.files import (
    atomic_write,
    extension_for,
    image_file_name,
    image_path,
    move_to_trash,
    remove_stale_parts,
    restore_from_trash,
    write_new_file,
)
from fluxdesk.storage.imaging import MAX_IMAGE_PIXELS, ImageDecodeError, decode_check
from fluxdesk.storage.paths import default_library_dir, demo_home, home_dir, thumbnails_dir, trash_dir
from fluxdesk.storage.thumbnails import cache_file, forget_thumbnails

# --- paths ---------------------------------------------------------------------------------------


def test_home_dir_per_platform() -> None:
    assert home_dir({"FLUXDESK_HOME": "/data/fd", "HOME": "/h"}, "linux") == Path("/data/fd")
    assert home_dir({"HOME": "/h"}, "linux") == Path("/h/.local/share/FluxDesk")
    assert home_dir({"HOME": "/h", "XDG_DATA_HOME": "/x"}, "linux") == Path("/x/FluxDesk")
    assert home_dir({"HOME": "/h", "XDG_DATA_HOME": "relative"}, "linux") == Path("/h/.local/share/FluxDesk")
    assert home_dir({"HOME": "/h"}, "darwin") == Path("/h/Library/Application Support/FluxDesk")
    assert home_dir({"HOME": "/h", "APPDATA": "/ad"}, "win32") == Path("/ad/FluxDesk")
    assert home_dir({"HOME": "/h", "FLUXDESK_HOME": "  "}, "linux") == Path("/h/.local/share/FluxDesk")


def test_folders_inside_home() -> None:
    home = Path("/h")
    assert demo_home(home) == Path("/h/demo") and default_library_dir(home) == Path("/h/images")
    assert thumbnails_dir(home) == Path("/h/thumbnails") and trash_dir(home) == Path("/h/trash")


# --- atomic writes and names ---------------------------------------------------------------------

def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["x.bin"]


def test_atomic_write_without_overwrite_keeps_the_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        atomic_write(target, b"new", overwrite=False)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with mock.patch.object(files.os, "fsync", side_effect=OSError(5, "I/O error")), pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_atomic_write_fsyncs_file_and_folder(tmp_path: Path) -> None:
    with mock.patch.object(files.os, "fsync", wraps=os.fsync) as fsync:
        atomic_write(tmp_path / "x", b"data")
    assert fsync.call_count >= 2


def test_image_names_are_dated_and_carry_model_seed_and_job() -> None:
    moment = datetime(2026, 5, 9, 1, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    name = image_file_name(moment, "flux-pro-1.1", 42, "1a2b3c4d-5e6f-7777-8888-999999999999", "jpeg")
    assert name == "20260508-233005-flux-pro-1.1-42-1a2b3c4d.jpg"
    assert image_path(Path("/lib"), moment, "flux-dev", None, "abcd", "png") == \
        Path("/lib/2026/05/20260508-233005-flux-dev-random-abcd.png")
    assert image_file_name(moment, "../../etc", 1, "x/y", "webp").endswith("-etc-1-x-y.webp")


def test_extension_for() -> None:
    assert [extension_for(f) for f in ("jpeg", "JPG", ".png", "webp")] == [".jpg", ".jpg", ".png", ".webp"]
    with pytest.raises(ValueError):
        extension_for("gif")


def test_write_new_file_never_collides_and_reuses_identical_content(tmp_path: Path) -> None:
    target = tmp_path / "2026" / "05" / "a.jpg"
    first, created1 = write_new_file(target, b"one")
    again, created2 = write_new_file(target, b"one")
    other, created3 = write_new_file(target, b"two")
    assert (first, created1) == (target, True)
    assert (again, created2) == (target, False)
    assert (other, created3) == (target.with_name("a-2.jpg"), True)
    assert target.read_bytes() == b"one" and other.read_bytes() == b"two"


def test_stale_part_files_are_removed_but_fresh_ones_kept(tmp_path: Path) -> None:
    old = tmp_path / "2026" / ".x.jpg.1234.part"
    fresh = tmp_path / ".y.jpg.5678.part"
    keep = tmp_path / "image.jpg"
    for path in (old, fresh, keep):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert remove_stale_parts(tmp_path) == 1
    assert not old.exists() and fresh.exists() and keep.exists()
    assert remove_stale_parts(tmp_path, older_than_seconds=0) == 1 and not fresh.exists()
    assert remove_stale_parts(tmp_path / "missing") == 0



def test_a_part_file_whose_writer_is_gone_is_removed_at_once(tmp_path: Path) -> None:
    # Found by the crash drill: a SIGKILL during an image write left its ".part" in the library folder
    # for an hour (the age rule), though the process that wrote it was plainly gone.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(gone.stdout)
    written = files._temp_path(tmp_path / "a.jpg")  # what atomic_write names its temp file
    host = written.name.split(".")[-2].split("-")[0]
    crashed = tmp_path / f".b.jpg.{host}-{dead_pid}-0123abcd.part"
    running = tmp_path / f".c.jpg.{host}-{os.getpid()}-0123abcd.part"
    elsewhere = tmp_path / f".d.jpg.{'0' * 8 if host != '0' * 8 else '1' * 8}-{dead_pid}-0123abcd.part"
    for path in (crashed, running, elsewhere):
        path.write_bytes(b"half an image")
    assert remove_stale_parts(tmp_path) == (1 if os.name == "posix" else 0)
    assert crashed.exists() is (os.name != "posix") and running.exists() and elsewhere.exists()

def test_trash_and_restore_move_files_without_overwriting(tmp_path: Path) -> None:
    library, trash = tmp_path / "lib", tmp_path / "trash"
    library.mkdir()
    first = library / "a.jpg"
    first.write_bytes(b"1")
    trashed = move_to_trash(first, trash)
    assert trashed == trash / "a.jpg" and trashed.read_bytes() == b"1" and not first.exists()
    first.write_bytes(b"2")
    second = move_to_trash(first, trash)
    assert second == trash / "a-2.jpg"
    first.write_bytes(b"3")  # the name was taken again meanwhile
    restored = restore_from_trash(trashed, first)
    assert restored == library / "a-2.jpg" and restored.read_bytes() == b"1" and first.read_bytes() == b"3"


# --- decoding ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_decode_check(fmt: str, name: str) -> None:
    assert decode_check(make_image(fmt, size=(30, 20))) == (30, 20, name)


@pytest.mark.parametrize("data", [b"", b"hello", make_image("GIF"), make_image("BMP"),
                                  make_image("PNG")[:-30], make_image("JPEG")[:200]])
def test_decode_check_refuses_what_is_not_a_whole_image(data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        decode_check(data)


def _bomb(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")  # 1-bit, compresses to almost nothing
    return out.getvalue()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(4097, 4096), (20_000, 20_000)])
def test_decode_check_refuses_decompression_bombs(size: tuple[int, int]) -> None:
    data = _bomb(*size)
    assert len(data) < 2_000_000
    with pytest.raises(ImageDecodeError, match="larger than any BFL image"):
        decode_check(data)


def test_the_largest_allowed_image_decodes() -> None:
    assert MAX_IMAGE_PIXELS == 4096 * 4096
    assert decode_check(_bomb(4096, 4096))[:2] == (4096, 4096)


# --- the thumbnail cache ---------------------------------------------------------------------------

def test_the_thumbnail_cache_names_entries_by_path_size_and_version(tmp_path: Path) -> None:
    cache = tmp_path / "thumbs"
    a = cache_file(cache, "/lib/a.jpg", 256, 1)
    assert a.parent == cache and a.suffix == ".webp"
    assert len({a, cache_file(cache, "/lib/a.jpg", 512, 1), cache_file(cache, "/lib/a.jpg", 256, 2),
                cache_file(cache, "/lib/b.jpg", 256, 1)}) == 4
    assert cache_file(cache, "/lib/a.jpg", 256, 1) == a  # stable: a restart finds it again


def test_forgetting_a_path_removes_all_its_thumbnails_and_no_other(tmp_path: Path) -> None:
    cache = tmp_path / "thumbs"
    cache.mkdir()
    mine = [cache_file(cache, "/lib/a.jpg", size, version) for size, version in ((256, 1), (512, 1), (256, 2))]
    other = cache_file(cache, "/lib/b.jpg", 256, 1)
    for entry in (*mine, other):
        entry.write_bytes(b"thumb")
    forget_thumbnails(cache, Path("/lib/a.jpg"))
    assert sorted(cache.iterdir()) == [other]
    forget_thumbnails(tmp_path / "never-made", "/lib/a.jpg")  # no cache folder yet: nothing to do
