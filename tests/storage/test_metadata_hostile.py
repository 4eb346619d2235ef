"""Hostile metadata: a clear message or a partial result in well under a second, never a traceback.

Crafted records go through the reader (``from_json``, and the PNG chunk) and through ``fluxdesk info``'s
formatting, text and JSON, each case under a time bound; damaged files keep what was read before the damage."""

from __future__ import annotations

import io
import json
import math
import struct
import tempfile
import time
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from storage_support import make_image

from fluxdesk.cli import main
from fluxdesk.core.metadata import ImageRecord, MetadataError, from_json, record_from_json_partly, to_json
from fluxdesk.storage.metadata_io import MAX_TEXT_BYTES, embed_metadata, read_image_metadata, read_metadata

HOSTILE = settings(max_examples=120, deadline=1000,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
"""Each example must finish within a second: hypothesis's deadline (ms) fails any that takes longer."""

RECORD = ImageRecord(model="flux-dev", prompt="a red fox in the snow", seed=42, width=64, height=48, steps=28,
                     guidance=3.0, cost_credits=Decimal("2.5"), created_at="2026-05-09T07:35:25.000000Z",
                     start_time=1778311000.5, end_time=1778311004.0, duration=3.5, parameters={"steps": 28})
BASE = json.loads(to_json(RECORD))

_hostile_numbers = st.sampled_from([
    10**400, -(10**400), 2**63, 2**64, -1, -(2**63) - 1, 1e308, -1e308, 5e-324, -0.0,
    float("nan"), float("inf"), float("-inf"),
    "1e30", "1e999999", "-1e999999", "1e-999999", "NaN", "Infinity", "-0", "9" * 100, "0x10", "1_000", " 7 ", "",
    "٣", "1e", "1.5e400",
])
_deep = st.integers(50, 600).map(lambda depth: json.loads("[" * depth + "]" * depth))
_values = (_hostile_numbers | st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=30) | st.just("x" * 200_000) | _deep
           | st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
_fields = st.sampled_from(["seed", "width", "height", "steps", "guidance", "cost_credits", "created_at",
                           "start_time", "end_time", "duration", "input_images", "format_version", "parameters",
                           "references", "demo", "truncated", "prompt", "model", "prompt_used", "aspect_ratio",
                           "fluxdesk_version", "job_id", "sample_sha256"])


def hostile_text(changes: dict[str, Any]) -> str:
    data = {**BASE, **changes}
    return json.dumps(data, allow_nan=True)  # NaN and Infinity as some JSON writers emit them


def png_with_record(text: str) -> bytes:
    info = PngInfo()
    info.add_text("fluxdesk", text)  # Pillow writes iTXt where the text is not Latin-1
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def run_info(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["info", str(path), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@HOSTILE
@given(st.dictionaries(_fields, _values, min_size=1, max_size=4))
def test_hostile_records_are_read_or_refused_in_words_quickly(changes: dict[str, Any]) -> None:
    text = hostile_text(changes)
    try:
        record = from_json(text)
    except MetadataError as exc:
        assert str(exc)
    else:
        assert from_json(to_json(record)) == record  # whatever is accepted can be written again
    try:
        partial, left_out = record_from_json_partly(text)
    except MetadataError:  # only a record without its model or prompt is no record at all
        data = {**BASE, **changes}
        assert not (isinstance(data["model"], str) and isinstance(data["prompt"], str))
    else:
        assert all(isinstance(words, str) and words for words in left_out)
        assert partial.model == ({**BASE, **changes})["model"]


@HOSTILE
@given(changes=st.dictionaries(_fields, _values, min_size=1, max_size=4))
def test_info_formats_any_hostile_record_in_text_and_json(changes: dict[str, Any],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crafted.png"
        path.write_bytes(png_with_record(hostile_text(changes)))
        started = time.perf_counter()
        code, out, err = run_info(capsys, path)
        assert code in (0, 1) and (out if code == 0 else err)
        code_json, out_json, _ = run_info(capsys, path, "--json")
        answer = json.loads(out_json)
        assert isinstance(answer, dict) and code_json == code and ("error" in answer) == (code == 1)
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("value", "shown"), [
    ("1e30", None), ("1e999999", None), ("-1e999999", None), ("1e-999999", None), (10**400, None),
    (float("nan"), None), ("2.5", "  cost         2.5 credits ($0.025)"),
])
def test_a_crafted_cost_costs_the_cost_not_the_record(value: object, shown: str | None, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "crafted.png"
    path.write_bytes(png_with_record(hostile_text({"cost_credits": value})))
    started = time.perf_counter()
    code, out, _ = run_info(capsys, path)
    assert time.perf_counter() - started < 1.0  # "1e999999" once took ~50 s, then crashed
    assert code == 0 and "  prompt       a red fox in the snow" in out.splitlines()
    if shown is None:
        assert "  cost" not in out
        assert ("  not used     the FluxDesk record's cost_credits, which must be a number of credits from 0 to "
                "1,000,000 with at most 12 decimals") in out.splitlines()
    else:
        assert shown in out.splitlines() and "not used" not in out
    code, out, _ = run_info(capsys, path, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["seed"] == 42
    assert (answer["cost_credits"] is None) == (shown is None)


# --- damaged files: what was read before the damage is kept, and the damage is said ------------------------

def noisy_image(fmt: str, size: tuple[int, int] = (256, 192)) -> bytes:
    """An image whose compressed data is large (noise does not compress), so a cut lands inside it."""
    noise = bytes((i * 7919 + (i >> 5) * 104729) % 251 for i in range(size[0] * size[1] * 3))
    img = Image.frombytes("RGB", size, noise)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_file_cut_off_in_its_image_data_is_read_and_the_damage_said(fmt: str, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    whole = embed_metadata(noisy_image(fmt), RECORD)
    cut = whole[:len(whole) * 2 // 3]
    with pytest.raises(OSError):  # Pillow refuses it: the image itself is damaged
        Image.open(io.BytesIO(cut)).load()
    reading = read_image_metadata(cut)
    assert reading.record == RECORD and reading.a1111 is not None and reading.a1111["seed"] == 42
    kind = "PNG" if fmt == "PNG" else "JPEG"
    assert reading.damage == (f"damaged {kind}: the file is cut off after {len(cut):,} bytes, inside its "
                              f"{'IDAT chunk' if fmt == 'PNG' else 'image data'}; the metadata before the damage "
                              "was read")
    assert read_metadata(cut) == (RECORD, reading.a1111)  # the drag-in path reads it too
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(cut)
    code, out, _ = run_info(capsys, path)
    assert code == 0 and "  prompt       a red fox in the snow" in out.splitlines()
    assert f"  damage       {reading.damage}" in out.splitlines()
    code, out, _ = run_info(capsys, path, "--json")
    assert code == 0 and json.loads(out)["damage"] == reading.damage and json.loads(out)["seed"] == 42


def test_a_png_cut_between_chunks_is_read_and_said_to_end_early() -> None:
    whole = embed_metadata(make_image("PNG"), RECORD)
    reading = read_image_metadata(whole[:-12])  # IEND gone
    assert reading.record == RECORD
    assert reading.damage is not None and "before its IEND chunk (it is cut off)" in reading.damage


def riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WEBP" + b"".join(fourcc + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)
                              for fourcc, payload in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_a_cut_off_webp_keeps_what_came_before_its_image_data() -> None:
    plain = make_image("WEBP", size=(128, 96))
    frame = plain[12:]  # the simple file's VP8 chunk, header included
    assert frame[:4] == b"VP8 "
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "a kite\nSteps: 20, Seed: 7, Size: 128x96".encode("utf-16-be")
    vp8x = bytes([0x08, 0, 0, 0]) + (127).to_bytes(3, "little") + (95).to_bytes(3, "little")  # EXIF flag
    whole = riff((b"VP8X", vp8x), (b"EXIF", exif.tobytes()), (frame[:4], frame[8:]))
    assert read_image_metadata(whole).damage is None
    cut = whole[:len(whole) - 40]
    reading = read_image_metadata(cut)
    assert reading.a1111 is not None and reading.a1111["seed"] == 7
    assert reading.damage == (f"damaged WebP: the file is cut off after {len(cut):,} of its {len(whole):,} bytes; "
                              "the metadata before the damage was read")
    with pytest.raises(MetadataError, match=r"damaged WebP: the file is cut off after [\d,]+ of its [\d,]+ bytes"):
        read_image_metadata(plain[:-40])  # nothing before the damage: refused, in words


def test_a_damaged_file_with_nothing_before_the_damage_is_still_refused() -> None:
    with pytest.raises(MetadataError, match="damaged PNG"):
        read_metadata(make_image("PNG")[:40])


# --- "nothing usable" says what was found and why it was not used -------------------------------------------

def png_with_chunks(*chunks: tuple[bytes, bytes], bad_crc: bool = False) -> bytes:
    data = make_image("PNG", size=(8, 8))
    body = b""
    for ctype, payload in chunks:
        crc = zlib.crc32(ctype + payload) ^ (1 if bad_crc else 0)
        body += struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)
    return data[:33] + body + data[33:]


def text_png(**texts: str) -> bytes:
    info = PngInfo()
    for key, text in texts.items():
        info.add_text(key, text)
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(("data", "found"), [
    (png_with_chunks((b"tEXt", b"fluxdesk\x00" + b"x" * (MAX_TEXT_BYTES + 10))),
     "a FluxDesk record chunk that holds 1 MB, over the 1 MB FluxDesk reads"),
    (png_with_chunks((b"tEXt", b"fluxdesk\x00" + b"x" * (4 * MAX_TEXT_BYTES + 10))),
     "a FluxDesk record chunk of 4 MB, over the 1 MB FluxDesk reads"),
    (png_with_chunks((b"zTXt", b"parameters\x00\x00" + zlib.compress(b"a" * (MAX_TEXT_BYTES * 3)))),
     "a A1111 parameters chunk that does not decompress, or holds more than the 1 MB FluxDesk reads"),
    (png_with_chunks((b"tEXt", b"fluxdesk\x00" + to_json(RECORD).encode()), bad_crc=True),
     "a FluxDesk record chunk that is damaged (its checksum does not match)"),
    (text_png(fluxdesk='{"model": "flux-dev"}'), "a FluxDesk record that could not be used: prompt must be text"),
    (text_png(fluxdesk="{not json"), "a FluxDesk record that could not be used: FluxDesk metadata is not valid JSON"),
    (text_png(Comment="Created with GIMP"), 'a PNG Comment text without generation settings: "Created with GIMP"'),
    (png_with_chunks((b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00"
                               b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')),
     "an XMP packet in an iTXt chunk that declares a DTD or entities, which FluxDesk does not read"),
])
def test_nothing_usable_says_what_was_found_and_why(data: bytes, found: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odd.png"
    path.write_bytes(data)
    started = time.perf_counter()
    code, out, err = run_info(capsys, path)
    assert code == 1 and out == ""
    assert err.startswith(f"fluxdesk info: no generation parameters FluxDesk can use in {path}: found ")
    assert found in err
    code, out, _ = run_info(capsys, path, "--json")
    answer = json.loads(out)
    assert code == 1 and any(found in words for words in answer["found"]) and found in answer["error"]
    assert time.perf_counter() - started < 1.0


def test_an_a1111_text_without_settings_gives_its_prompt_and_says_so(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prompt-only.png"
    path.write_bytes(text_png(parameters="a castle at dawn"))
    code, out, _ = run_info(capsys, path)
    assert code == 0 and "  prompt       a castle at dawn" in out.splitlines()
    assert ("  not used     the A1111 parameters text has no settings line (Steps:, Seed:, Size: …): only its prompt "
            "was read") in out.splitlines()


def test_an_invalid_record_beside_a1111_text_says_why_the_record_was_not_used(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "both.png"
    path.write_bytes(text_png(fluxdesk='{"model": 5, "prompt": "x"}',
                              parameters="a fox\nSteps: 20, Seed: 7, Size: 64x48, Model: flux-dev"))
    code, out, _ = run_info(capsys, path, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["source"] == "a1111" and answer["seed"] == 7
    assert answer["not_used"] == ["a FluxDesk record that could not be used: model must be text"]


def test_numbers_in_a1111_text_are_range_checked() -> None:
    info = text_png(parameters="p\nSteps: 99999999999, Seed: 5, CFG scale: 1e300, Size: 99999999999x5")
    _record, a1111 = read_metadata(info)
    assert a1111 is not None and a1111["seed"] == 5
    assert (a1111["steps"], a1111["guidance"], a1111["width"], a1111["height"]) == (None, None, None, None)


def test_a_record_with_every_number_at_its_edge_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edge = {**BASE, "seed": 2**63 - 1, "width": 100_000, "height": 1, "steps": 1000, "guidance": 100.0,
            "cost_credits": "1000000", "start_time": 253_402_300_799.0, "end_time": 0.0, "duration": 1e7,
            "created_at": "9999-12-31T23:59:59Z", "parameters": {"huge": 2**63 - 1, "tiny": 5e-324, "neg": -1e308}}
    path = tmp_path / "edge.png"
    path.write_bytes(png_with_record(json.dumps(edge)))
    code, out, _ = run_info(capsys, path)
    assert code == 0 and "  cost         1,000,000 credits" in out and "9999-12-31 23:59:59 UTC" in out
    code, out, _ = run_info(capsys, path, "--json")
    assert code == 0 and json.loads(out)["seed"] == 2**63 - 1 and not math.isnan(json.loads(out)["duration"])
