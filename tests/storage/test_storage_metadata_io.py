"""Metadata in PNG, JPEG and WebP bytes: round trips, untouched pixels, hostile files."""

from __future__ import annotations

import contextlib
import io
import struct
import time
import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin
from storage_support import make_image, pixels

from fluxdesk.core.metadata import ImageRecord, MetadataError, NotAnImageError
from fluxdesk.storage.metadata_io import (
    MAX_APP_PAYLOAD,
    PNG_SIGNATURE,
    XMP_HEADER,
    embed_metadata,
    image_format,
    read_metadata,
)

HOSTILE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])

FORMATS = {
    "png-rgb": lambda: make_image("PNG"),
    "png-rgba": lambda: make_image("PNG", mode="RGBA"),
    "jpeg": lambda: make_image("JPEG", quality=90),
    "jpeg-progressive": lambda: make_image("JPEG", progressive=True),
    "webp-lossy": lambda: make_image("WEBP", quality=80),
    "webp-lossless-alpha": lambda: make_image("WEBP", mode="RGBA", lossless=True),
    "webp-lossy-alpha": lambda: make_image("WEBP", mode="RGBA", quality=80),
    "webp-extended": lambda: make_image("WEBP", exif=Image.Exif().tobytes() or b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"
                                        b"\x00\x00\x00\x00\x00\x00"),
}


def png_chunks(data: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append(data[pos:pos + 12 + length])
        pos += 12 + length
    return out


def jpeg_segments(data: bytes) -> tuple[list[bytes], bytes]:
    """Header segments (marker included) and everything from SOS on."""
    out, pos = [], 2
    while True:
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker == 0xDA:
            return out, data[pos:]
        out.append(data[pos:pos + 2 + length])
        pos += 2 + length


def riff_chunks(data: bytes) -> list[bytes]:
    out, pos = [], 12
    while pos < len(data):
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        out.append(data[pos:pos + 8 + size + (size & 1)])
        pos += 8 + size + (size & 1)
    return out


@pytest.mark.parametrize("kind", FORMATS)
def test_round_trip_keeps_record_and_pixels(kind: str, record: ImageRecord) -> None:
    original = FORMATS[kind]()
    embedded = embed_metadata(original, record)
    found, a1111 = read_metadata(embedded)
    assert found == record
    assert a1111 is not None and a1111["seed"] == 123 and a1111["steps"] == 28 and a1111["guidance"] == 3.0
    assert a1111["prompt"] == record.prompt and a1111["model"] == "flux-dev"
    assert pixels(embedded) == pixels(original)
    assert read_metadata(original) == (None, None)


@pytest.mark.parametrize("kind", ["png-rgb", "png-rgba"])
def test_png_chunks_are_copied_byte_for_byte(kind: str, record: ImageRecord) -> None:
    original = FORMATS[kind]()
    embedded = embed_metadata(original, record)
    before, after = png_chunks(original), png_chunks(embedded)
    ours = [c for c in after if c not in before]
    assert [c[4:8] for c in ours] == [b"iTXt", b"iTXt", b"iTXt"]  # the prompt has non-Latin-1 text (雪)
    assert ours[2][8:8 + 23] == b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<"  # then XMP, uncompressed
    assert [c for c in after if c not in ours] == before
    assert after[0][4:8] == b"IHDR" and after[1] == ours[0]  # right after IHDR: found without reading the pixels
    idat = b"".join(c for c in before if c[4:8] == b"IDAT")
    assert idat in embedded
    for chunk in ours:  # valid CRCs
        assert struct.unpack(">I", chunk[-4:])[0] == zlib.crc32(chunk[4:-4])


def test_png_latin1_text_uses_text_chunks_that_other_tools_read() -> None:
    record = ImageRecord(model="flux-2-pro", prompt="café au lait", seed=1, width=64, height=48)
    embedded = embed_metadata(make_image("PNG"), record)
    types = [c[4:8] for c in png_chunks(embedded)]
    assert types.count(b"tEXt") == 2 and types.count(b"iTXt") == 1  # the iTXt is XMP's, as XMP specifies
    with Image.open(io.BytesIO(embedded)) as img:
        assert img.text["parameters"].startswith("café au lait\nSteps: 0, Sampler: BFL API")  # type: ignore[attr-defined]


def test_jpeg_scan_data_is_untouched(record: ImageRecord) -> None:
    original = make_image("JPEG", exif=_exif_with_comment("x\nSteps: 1, Seed: 2, Size: 3x4"))
    embedded = embed_metadata(original, record)
    before_segments, before_scan = jpeg_segments(original)
    after_segments, after_scan = jpeg_segments(embedded)
    assert after_scan == before_scan  # every byte from SOS to EOI
    xmp = [s for s in after_segments if s[4:4 + len(XMP_HEADER)] == XMP_HEADER]
    exif = [s for s in after_segments if s[4:10] == b"Exif\x00\x00"]
    assert len(xmp) == 1 and len(exif) == 1
    assert [s for s in after_segments if s not in xmp + exif] == before_segments[:1] + before_segments[2:]
    # JFIF APP0 stays first; the Exif APP1 (merged into: the A1111 text is its UserComment), then XMP.
    assert [s[1] for s in after_segments[:3]] == [0xE0, 0xE1, 0xE1] and after_segments[1:3] == exif + xmp
    assert read_metadata(embedded)[1]["seed"] == 123  # type: ignore[index]


@pytest.mark.parametrize("kind", ["webp-lossy", "webp-lossless-alpha", "webp-lossy-alpha", "webp-extended"])
def test_webp_bitstream_is_untouched_and_container_valid(kind: str, record: ImageRecord) -> None:
    original = FORMATS[kind]()
    embedded = embed_metadata(original, record)
    image_chunks = [c for c in riff_chunks(original) if c[:4] in (b"VP8 ", b"VP8L", b"ALPH")]
    assert image_chunks and all(c in embedded for c in image_chunks)
    after = riff_chunks(embedded)
    assert after[0][:4] == b"VP8X" and after[-1][:4] == b"XMP "
    assert after[0][8] & 0x04  # the XMP flag
    assert struct.unpack("<I", embedded[4:8])[0] == len(embedded) - 8
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(embedded)) as b:
        assert a.mode == b.mode and a.size == b.size


def test_embedding_twice_replaces_instead_of_duplicating(record: ImageRecord) -> None:
    newer = replace(record, seed=999, prompt="second")
    for kind in ("png-rgb", "jpeg", "webp-lossy"):
        once = embed_metadata(FORMATS[kind](), record)
        twice = embed_metadata(once, newer)
        assert read_metadata(twice)[0] == newer
        assert twice.count(b'"job_id"') == once.count(b'"job_id"') <= 2  # PNG: the text chunk and the XMP
        assert abs(len(twice) - len(once)) < 200


def test_jpeg_huge_prompt_is_shortened_to_fit_one_segment(record: ImageRecord) -> None:
    huge = replace(record, prompt="a very long prompt " * 20_000, prompt_used="used " * 20_000)
    embedded = embed_metadata(make_image("JPEG"), huge)
    segments, _ = jpeg_segments(embedded)
    assert all(len(s) - 2 <= MAX_APP_PAYLOAD + 2 for s in segments)
    found, a1111 = read_metadata(embedded)
    assert found is not None and found.truncated and found.seed == 123
    assert huge.prompt.startswith(found.prompt) and len(found.prompt) >= 500
    assert a1111 is not None and a1111["seed"] == 123
    assert pixels(embedded) == pixels(make_image("JPEG"))


def test_png_and_webp_keep_a_huge_prompt_whole(record: ImageRecord) -> None:
    huge = replace(record, prompt="long " * 20_000)
    for kind in ("png-rgb", "webp-lossy"):
        found, _ = read_metadata(embed_metadata(FORMATS[kind](), huge))
        assert found == huge


def _exif_with_comment(text: str, *, little_endian: bool = False) -> bytes:
    exif = Image.Exif()
    codec = "utf-16-le" if little_endian else "utf-16-be"
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode(codec)
    return exif.tobytes()


A1111_TEXT = "a cat\nNegative prompt: dogs\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 64x48"


@pytest.mark.parametrize("little_endian", [False, True])
def test_reads_a1111_from_jpeg_exif_user_comment(little_endian: bool) -> None:
    data = make_image("JPEG", exif=_exif_with_comment(A1111_TEXT, little_endian=little_endian))
    record, a1111 = read_metadata(data)
    assert record is None and a1111 is not None
    assert (a1111["prompt"], a1111["negative_prompt"], a1111["seed"]) == ("a cat", "dogs", 42)


def test_reads_a1111_from_a_jpeg_comment_but_not_a_plain_comment() -> None:
    assert read_metadata(make_image("JPEG", comment=A1111_TEXT))[1]["steps"] == 20  # type: ignore[index]
    assert read_metadata(make_image("JPEG", comment="Created with GIMP")) == (None, None)


def test_reads_a1111_from_webp_exif() -> None:
    _, a1111 = read_metadata(make_image("WEBP", exif=_exif_with_comment(A1111_TEXT)))
    assert a1111 is not None and a1111["seed"] == 42


@pytest.mark.parametrize("how", ["tEXt", "zTXt", "iTXt", "iTXt-zip"])
def test_reads_png_parameters_in_every_text_chunk_kind(how: str) -> None:
    info = PngImagePlugin.PngInfo()
    if how == "tEXt":
        info.add_text("parameters", A1111_TEXT)
    elif how == "zTXt":
        info.add_text("parameters", A1111_TEXT, zip=True)
    else:
        info.add_itxt("parameters", A1111_TEXT + " 猫", zip=how == "iTXt-zip")
    record, a1111 = read_metadata(make_image("PNG", pnginfo=info))
    assert record is None and a1111 is not None and a1111["negative_prompt"] == "dogs"
    types = [c[4:8] for c in png_chunks(make_image("PNG", pnginfo=info))]
    assert how[:4].encode() in types


def _png_with_chunk(ctype: bytes, payload: bytes, *, crc: int | None = None) -> bytes:
    base = make_image("PNG")
    chunks = png_chunks(base)
    crc = zlib.crc32(ctype + payload) if crc is None else crc
    chunk = struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)
    return PNG_SIGNATURE + chunks[0] + chunk + b"".join(chunks[1:])


def test_png_text_bombs_and_oversized_text_are_skipped_quickly() -> None:
    bomb = b"parameters\x00\x00" + zlib.compress(b"A" * 50_000_000, 9)
    huge = b"parameters\x00" + b"x" * 2_000_000
    started = time.perf_counter()
    assert read_metadata(_png_with_chunk(b"zTXt", bomb)) == (None, None)
    assert read_metadata(_png_with_chunk(b"tEXt", huge)) == (None, None)
    assert time.perf_counter() - started < 2


def test_png_text_with_a_bad_crc_or_bad_encoding_is_ignored() -> None:
    good = b"parameters\x00" + A1111_TEXT.encode()
    assert read_metadata(_png_with_chunk(b"tEXt", good))[1] is not None
    assert read_metadata(_png_with_chunk(b"tEXt", good, crc=0)) == (None, None)
    bad_utf8 = b"parameters\x00\x00\x00\x00\x00" + b"\xff\xfe" + A1111_TEXT.encode()
    assert read_metadata(_png_with_chunk(b"iTXt", bad_utf8)) == (None, None)
    broken_json = b"fluxdesk\x00{not json"
    assert read_metadata(_png_with_chunk(b"tEXt", broken_json)) == (None, None)


def test_xmp_with_a_dtd_is_not_parsed(record: ImageRecord) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    payload = XMP_HEADER + bomb
    data = make_image("JPEG")
    with_xmp = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    assert read_metadata(with_xmp) == (None, None)


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\x00" * 50, b"<html>nope</html>", b"\x89PNG", b"RIFF1234WAVE"])
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(NotAnImageError):
        read_metadata(data)
    with pytest.raises(NotAnImageError):
        image_format(data)


@pytest.mark.parametrize("kind", ["png-rgb", "jpeg", "webp-lossy"])
def test_truncated_containers_are_a_metadata_error(kind: str, record: ImageRecord) -> None:
    data = FORMATS[kind]()
    cut = data[:40]
    with pytest.raises(MetadataError):
        read_metadata(cut)
    with pytest.raises(MetadataError):
        embed_metadata(cut, record)


def test_png_cut_before_iend_is_not_embedded_into(record: ImageRecord) -> None:
    data = make_image("PNG")
    with pytest.raises(MetadataError, match="IEND"):
        embed_metadata(data[:-12], record)


def test_jpeg_with_an_impossible_segment_length() -> None:
    data = make_image("JPEG")
    broken = data[:4] + b"\x00\x01" + data[6:]
    with pytest.raises(MetadataError):
        read_metadata(broken)


# --- hostile bytes: only MetadataError may escape ------------------------------------------------

def _only_metadata_errors(data: bytes, record: ImageRecord | None = None) -> None:
    with contextlib.suppress(MetadataError):
        read_metadata(data)
    if record is not None:
        with contextlib.suppress(MetadataError):
            embed_metadata(data, record)


_PREFIXES = [PNG_SIGNATURE, PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10",
             b"RIFF\x40\x00\x00\x00WEBP", b"RIFF\xff\xff\xff\xffWEBPVP8X",
             b"RIFF\x40\x00\x00\x00WEBPVP8 \x20\x00\x00\x00\x00\x00\x00\x9d\x01\x2a",
             b"RIFF\x40\x00\x00\x00WEBPVP8L\x20\x00\x00\x00\x2f"]


@HOSTILE
@given(st.sampled_from(_PREFIXES), st.binary(max_size=400))
def test_random_bytes_after_a_valid_signature(prefix: bytes, tail: bytes) -> None:
    _only_metadata_errors(prefix + tail, ImageRecord(model="m", prompt="p"))


_VALID = {kind: embed_metadata(make(), ImageRecord(model="flux-dev", prompt="p", seed=1))
          for kind, make in FORMATS.items()}


@HOSTILE
@given(st.sampled_from(sorted(_VALID)), st.data())
def test_mutated_and_truncated_real_files(kind: str, data: st.DataObject) -> None:
    original = bytearray(_VALID[kind])
    for _ in range(data.draw(st.integers(1, 8))):
        original[data.draw(st.integers(0, len(original) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    _only_metadata_errors(bytes(original[:cut]), ImageRecord(model="m", prompt="p"))


@HOSTILE
@given(st.sampled_from([b"tEXt", b"zTXt", b"iTXt"]), st.binary(max_size=300),
       st.sampled_from([b"fluxdesk\x00", b"parameters\x00", b"", b"parameters\x00\x01\x00en\x00\x00"]))
def test_crafted_png_text_chunks(ctype: bytes, payload: bytes, key: bytes) -> None:
    _only_metadata_errors(_png_with_chunk(ctype, key + payload))
    if ctype != b"tEXt":
        _only_metadata_errors(_png_with_chunk(ctype, key + b"\x00" + zlib.compress(payload)))


@HOSTILE
@given(st.binary(min_size=0, max_size=200), st.sampled_from([b"Exif\x00\x00MM\x00*", b"Exif\x00\x00II*\x00",
                                                             XMP_HEADER, b""]))
def test_crafted_jpeg_app1_segments(payload: bytes, header: bytes) -> None:
    body = header + payload
    data = make_image("JPEG", size=(8, 8))
    _only_metadata_errors(data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:])


def test_hostile_text_in_record_round_trips_safely() -> None:
    record = ImageRecord(model="flux-dev", prompt="nul\x00 ctrl\x01 lone\ud800 surrogate ]]> <x> &amp;",
                         seed=1, width=64, height=48)
    for kind in ("png-rgb", "jpeg", "webp-lossy"):
        found, a1111 = read_metadata(embed_metadata(FORMATS[kind](), record))
        assert found is not None and found.seed == 1 and "<x> &amp;" in found.prompt
        assert a1111 is not None and a1111["seed"] == 1


def test_webp_with_a_zero_sized_frame_header_is_a_metadata_error(record: ImageRecord) -> None:
    data = bytearray(make_image("WEBP"))
    assert data[12:16] == b"VP8 "
    data[20 + 6:20 + 10] = b"\x00\x00\x00\x00"  # width and height 0 in the VP8 frame header
    with pytest.raises(MetadataError):
        embed_metadata(bytes(data), record)
