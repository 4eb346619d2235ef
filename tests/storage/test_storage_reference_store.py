"""The library's reference store: every reference kept once by the SHA-256 of the bytes sent, read back checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from storage_support import make_image

from fluxdesk.storage.library import Library, MissingReferenceError


def test_storing_the_same_bytes_twice_keeps_one_file(library: Library) -> None:
    data = make_image("JPEG", size=(320, 240))
    sha256, path = library.store_reference(data, "jpg")
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert path == library.references_dir / sha256[:2] / f"{sha256}.jpg" and path.read_bytes() == data
    again, again_path = library.store_reference(data, "jpg")
    assert (again, again_path) == (sha256, path)
    assert [p for p in library.references_dir.rglob("*") if p.is_file()] == [path]
    assert library.reference_path(sha256) == path
    assert library.reference_data(sha256) == data


def test_png_and_jpeg_references_live_side_by_side(library: Library) -> None:
    jpeg, png = make_image("JPEG"), make_image("PNG", mode="RGBA")
    (a, a_path), (b, b_path) = library.store_reference(jpeg, "jpg"), library.store_reference(png, "png")
    assert a_path.suffix == ".jpg" and b_path.suffix == ".png" and a != b
    assert library.reference_data(a) == jpeg and library.reference_data(b) == png


def test_only_jpeg_and_png_are_stored(library: Library) -> None:
    with pytest.raises(ValueError, match="jpg, png"):
        library.store_reference(b"GIF89a", "gif")


def test_references_survive_reopening_the_library(home: Path) -> None:
    data = make_image("PNG")
    with Library.open(home) as first:
        sha256, _path = first.store_reference(data, "png")
    with Library.open(home) as second:
        assert second.reference_data(sha256) == data


def test_a_deleted_reference_is_missing_and_named(library: Library) -> None:
    sha256, path = library.store_reference(make_image("JPEG"), "jpg")
    path.unlink()
    assert library.reference_path(sha256) is None
    with pytest.raises(MissingReferenceError) as err:
        library.reference_data(sha256)
    assert err.value.sha256 == sha256
    assert str(err.value) == f"the reference image {sha256[:12]}… is no longer in the library"


def test_a_changed_reference_is_not_sent_as_if_it_were_the_same(library: Library) -> None:
    sha256, path = library.store_reference(make_image("JPEG"), "jpg")
    path.write_bytes(make_image("JPEG", size=(65, 48)))  # another picture under the same name
    with pytest.raises(MissingReferenceError) as err:
        library.reference_data(sha256)
    assert str(err.value) == f"the reference image {sha256[:12]}… was changed on disk"


@pytest.mark.parametrize("name", ["", "abc", "A" * 64, "../" + "a" * 61, "g" * 64])
def test_a_name_that_is_no_sha256_finds_nothing(library: Library, name: str) -> None:
    assert library.reference_path(name) is None
    with pytest.raises(MissingReferenceError):
        library.reference_data(name)
