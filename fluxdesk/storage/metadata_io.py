"""Metadata inside image files, written and read without touching the pixels.

What is written, in every format, is what the rest of the ecosystem reads:
- the A1111 ``parameters`` text (``to_a1111``), where AUTOMATIC1111 puts it: a PNG text chunk, the EXIF
  ``UserComment`` of a JPEG or WebP (``metadata_exif``);
- an XMP packet: the IPTC digital source type that marks AI-generated media (``trainedAlgorithmicMedia``,
  or ``compositeWithTrainedAlgorithmicMedia`` for an edit made from references), ``xmp:CreatorTool``
  (FluxDesk and its version), the prompt as ``dc:description``, and FluxDesk's JSON record in a FluxDesk
  property. The marker and the creator tool are always written, whatever else must give way.

- PNG: right after ``IHDR``, ``tEXt`` chunks (``iTXt`` when the text is not Latin-1): key ``fluxdesk``
  holds the JSON record, key ``parameters`` the A1111 text; then the XMP packet as an uncompressed
  ``iTXt`` chunk, key ``XML:com.adobe.xmp``. Another tool's XMP chunk is kept (after ours); an earlier
  FluxDesk one is replaced.
- JPEG: after SOI and any JFIF APP0, an APP1 Exif segment, then an APP1 XMP segment. A segment holds at
  most 64 KiB, so a record with an enormous prompt is shortened (and marked ``truncated``). An existing
  EXIF block is merged into (``metadata_exif``); another tool's XMP segment is kept (after ours); an
  earlier FluxDesk one is replaced.
- WebP: RIFF ``EXIF`` and ``XMP `` chunks, last, with their ``VP8X`` flags; a simple (VP8/VP8L) file
  gains the ``VP8X`` header the extended format requires. WebP allows a single XMP chunk, so an existing
  one is replaced.

Every other byte (the compressed pixel streams above all) is copied as it was. Readers here see
files of unknown origin: lengths are checked, text sizes capped, and nothing but ``MetadataError``
(``NotAnImageError`` for a file that is no image) escapes.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from fluxdesk.core.metadata import (
    ImageRecord,
    MetadataError,
    NotAnImageError,
    from_json,
    parse_a1111,
    shortened,
    to_a1111,
    to_json,
)
from fluxdesk.storage.metadata_exif import exif_block

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_HEADER = b"Exif\x00\x00"
FLUXDESK_NS = "urn:fluxdesk:image:1.0/"
RECORD_KEY = "fluxdesk"
PARAMETERS_KEY = "parameters"
XMP_PNG_KEY = "XML:com.adobe.xmp"
AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
"""IPTC's digital source type for media made by a trained model from a prompt."""
AI_COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
"""IPTC's digital source type for media a trained model made from other media (an edit of references)."""
MAX_TEXT_BYTES = 1_000_000
"""Text chunks (after decompression) and XMP packets larger than this are skipped unread."""
MAX_APP_PAYLOAD = 65533
"""A JPEG segment's 16-bit length counts its own two bytes."""

_DC_NS = "http://purl.org/dc/elements/1.1/"
_XMP_NS = "http://ns.adobe.com/xap/1.0/"
_IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

A1111 = dict[str, Any]


def image_format(data: bytes) -> str:
    """``png``, ``jpeg`` or ``webp`` from the first bytes; ``NotAnImageError`` otherwise."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise NotAnImageError("image data must be bytes")
    head = bytes(data[:12])
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    raise NotAnImageError("this file is not a PNG, JPEG or WebP image")


def embed_metadata(data: bytes, record: ImageRecord) -> bytes:
    """``data`` with ``record`` (and its A1111 text) embedded; the pixel streams are untouched."""
    fmt = image_format(data)
    data = bytes(data)
    if fmt == "png":
        return _png_embed(data, record)
    if fmt == "jpeg":
        return _jpeg_embed(data, record)
    return _webp_embed(data, record)


def read_metadata(data: bytes) -> tuple[ImageRecord | None, A1111 | None]:
    """The FluxDesk record and the A1111 settings found in an image; ``None`` for what is absent or unreadable.

    ``NotAnImageError`` for bytes that are no PNG/JPEG/WebP, ``MetadataError`` for a damaged container.
    """
    fmt = image_format(data)
    data = bytes(data)
    try:
        if fmt == "png":
            record_text, params_text, loose = _png_read(data)
        elif fmt == "jpeg":
            record_text, params_text, loose = _jpeg_read(data)
        else:
            record_text, params_text, loose = _webp_read(data)
    except MetadataError:
        raise
    except Exception as exc:  # a parser bug must not take the caller down with it
        raise MetadataError(f"the {fmt.upper()} file's metadata could not be read ({type(exc).__name__})") \
            from None
    return _record_or_none(record_text), _a1111_or_none(params_text, loose)


def _record_or_none(text: str | None) -> ImageRecord | None:
    if text is None:
        return None
    try:
        return from_json(text)
    except MetadataError:
        return None


def _a1111_or_none(text: str | None, loose: list[str]) -> A1111 | None:
    """The ``parameters`` text if any; else the first loose text (comments, descriptions) that has
    an A1111 settings line: a bare comment like "Created with GIMP" is not generation metadata."""
    if text is not None:
        try:
            return parse_a1111(text)
        except MetadataError:
            pass
    for candidate in loose:
        try:
            parsed = parse_a1111(candidate)
        except MetadataError:
            continue
        if parsed["extra"]:
            return parsed
    return None


def _clean(text: str, *, xml: bool = False) -> str:
    """Text safe to store: no NULs, no lone surrogates, and for XML no characters XML forbids."""
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text
    return _XML_INVALID.sub("\ufffd", text) if xml else text.replace("\x00", "")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- PNG ---------------------------------------------------------------------------------------

def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """``(type, start, end)`` of each chunk up to and including IEND."""
    pos, n = len(PNG_SIGNATURE), len(data)
    while pos < n:
        if pos + 12 > n:
            raise MetadataError("damaged PNG: a chunk is cut off")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n or not ctype.isalpha() or not ctype.isascii():
            raise MetadataError("damaged PNG: a chunk's length or type is impossible")
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end


def _png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def _png_text_chunk(key: str, text: str) -> bytes:
    text = _clean(text)
    try:
        return _png_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt: keyword, compression flag 0, method 0, empty language tag, empty translated keyword.
        payload = key.encode("latin-1") + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
        return _png_chunk(b"iTXt", payload)


def _inflate(compressed: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, MAX_TEXT_BYTES + 1)
    except zlib.error:
        return None
    return None if len(out) > MAX_TEXT_BYTES else out


def _png_text(ctype: bytes, payload: bytes) -> tuple[str, str] | None:
    """``(keyword, text)`` of a tEXt/zTXt/iTXt payload; ``None`` when it is malformed or too large."""
    key_bytes, sep, rest = payload.partition(b"\x00")
    if not sep or not 1 <= len(key_bytes) <= 79:
        return None
    key = key_bytes.decode("latin-1")
    raw: bytes | None
    if ctype == b"tEXt":
        raw, encoding = rest, "latin-1"
    elif ctype == b"zTXt":
        if not rest or rest[0] != 0:
            return None
        raw, encoding = _inflate(rest[1:]), "latin-1"
    else:
        if len(rest) < 2:
            return None
        flag, method, rest = rest[0], rest[1], rest[2:]
        _lang, sep1, rest = rest.partition(b"\x00")
        _translated, sep2, rest = rest.partition(b"\x00")
        if not (sep1 and sep2) or flag not in (0, 1) or method != 0:
            return None
        raw, encoding = (_inflate(rest) if flag else rest), "utf-8"
    if raw is None or len(raw) > MAX_TEXT_BYTES:
        return None
    try:
        return key, raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _png_xmp_chunk(packet: bytes) -> bytes:
    """An uncompressed ``iTXt`` chunk with the XMP packet, as the XMP specification puts it in a PNG."""
    return _png_chunk(b"iTXt", XMP_PNG_KEY.encode("latin-1") + b"\x00\x00\x00\x00\x00" + packet)


def _is_our_text_chunk(ctype: bytes, payload: bytes) -> bool:
    if ctype not in (b"tEXt", b"zTXt", b"iTXt"):
        return False
    key = payload.partition(b"\x00")[0]
    if key == XMP_PNG_KEY.encode():
        return FLUXDESK_NS.encode() in payload
    return key in (RECORD_KEY.encode(), PARAMETERS_KEY.encode())


def _png_embed(data: bytes, record: ImageRecord) -> bytes:
    chunks = list(_png_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR":
        raise MetadataError("damaged PNG: it does not start with IHDR")
    if chunks[-1][0] != b"IEND":
        raise MetadataError("damaged PNG: it is cut off before IEND")
    ours = (_png_text_chunk(RECORD_KEY, to_json(record)) + _png_text_chunk(PARAMETERS_KEY, to_a1111(record))
            + _png_xmp_chunk(_fitting_xmp(record, MAX_TEXT_BYTES)))
    parts = [PNG_SIGNATURE, data[chunks[0][1]:chunks[0][2]], ours]
    for ctype, start, end in chunks[1:]:
        if not _is_our_text_chunk(ctype, data[start + 8:end - 4]):  # replaced, not duplicated
            parts.append(data[start:end])
    parts.append(data[chunks[-1][2]:])
    return b"".join(parts)


def _png_read(data: bytes) -> tuple[str | None, str | None, list[str]]:
    record_text = params_text = None
    loose: list[str] = []
    for ctype, start, end in _png_chunks(data):
        if ctype not in (b"tEXt", b"zTXt", b"iTXt") or end - start - 12 > 4 * MAX_TEXT_BYTES:
            continue
        payload = data[start + 8:end - 4]
        if zlib.crc32(ctype + payload) != struct.unpack(">I", data[end - 4:end])[0]:
            continue
        found = _png_text(ctype, payload)
        if found is None:
            continue
        key, text = found
        if key == RECORD_KEY and record_text is None:
            record_text = text
        elif key == PARAMETERS_KEY and params_text is None:
            params_text = text
        elif key in ("Comment", "Description") and len(loose) < 4:
            loose.append(text)
    return record_text, params_text, loose


# --- XMP (all three formats) -------------------------------------------------------------------

def digital_source_type(record: ImageRecord) -> str:
    """The IPTC digital source type of an image FluxDesk made: an edit of references is a composite."""
    return AI_COMPOSITE if record.references or record.input_images > 0 else AI_GENERATED


def creator_tool(record: ImageRecord) -> str:
    """``FluxDesk 0.1.0``: XMP's ``CreatorTool`` and EXIF's ``Software``."""
    return f"FluxDesk {record.fluxdesk_version[:64]}"


def _xmp_packet(record: ImageRecord, record_json: str | None, description: str | None) -> bytes:
    """The XMP packet: the AI marker and the creator tool always; the prompt and the record when given."""
    props = [f"<Iptc4xmpExt:DigitalSourceType>{digital_source_type(record)}</Iptc4xmpExt:DigitalSourceType>",
             f"<xmp:CreatorTool>{escape(_clean(creator_tool(record), xml=True))}</xmp:CreatorTool>"]
    if description:
        props.append('<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
                     f"{escape(_clean(description, xml=True))}</rdf:li></rdf:Alt></dc:description>")
    if record_json is not None:
        props.append(f"<fluxdesk:record>{escape(_clean(record_json, xml=True))}</fluxdesk:record>")
    body = "".join(props)
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{_RDF_NS}">'
        f'<rdf:Description rdf:about="" xmlns:dc="{_DC_NS}" xmlns:xmp="{_XMP_NS}" '
        f'xmlns:Iptc4xmpExt="{_IPTC_EXT_NS}" xmlns:fluxdesk="{FLUXDESK_NS}">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


_SHORTENED_PROMPTS = (8000, 2000, 500)
"""Prompt lengths tried, in turn, when the record does not fit its container."""


def _fitting_xmp(record: ImageRecord, limit: int) -> bytes:
    """The XMP packet of ``record``, shortened step by step until it fits in ``limit`` bytes; at the
    least the AI marker and the creator tool."""
    for attempt in (record, *(shortened(record, n) for n in _SHORTENED_PROMPTS)):
        packet = _xmp_packet(attempt, to_json(attempt), attempt.prompt)
        if len(packet) <= limit:
            return packet
    essentials = replace(shortened(record, 500), parameters={})
    for packet in (_xmp_packet(essentials, to_json(essentials), essentials.prompt),
                   _xmp_packet(record, None, None)):
        if len(packet) <= limit:
            return packet
    raise MetadataError("the generation record is too large to embed")


def _a1111_texts(record: ImageRecord) -> Iterator[str]:
    """The A1111 text of ``record``, then of ever shorter versions of it: for containers with a size limit."""
    yield _clean(to_a1111(record))
    for n in _SHORTENED_PROMPTS:
        yield _clean(to_a1111(shortened(record, n)))


def _parse_xmp(packet: bytes) -> tuple[str | None, str | None]:
    """``(record JSON, dc:description)`` of an XMP packet; ``(None, None)`` if unreadable."""
    if len(packet) > MAX_TEXT_BYTES or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return None, None  # no DTDs: entity expansion is how XML bombs work
    try:
        root = ElementTree.fromstring(packet.rstrip(b"\x00 \t\r\n"))
    except (ElementTree.ParseError, ValueError, LookupError):
        return None, None
    record_tag = f"{{{FLUXDESK_NS}}}record"
    record_text = description = None
    for element in root.iter():
        if record_text is None:
            if element.tag == record_tag:
                record_text = element.text or ""
            elif record_tag in element.attrib:
                record_text = element.attrib[record_tag]
        if description is None and element.tag == f"{{{_DC_NS}}}description":
            texts = [li.text for li in element.iter(f"{{{_RDF_NS}}}li") if li.text]
            description = texts[0] if texts else (element.text or "").strip() or None
    return record_text, description


# --- EXIF UserComment (how A1111 writes its parameters into JPEG and WebP) ---------------------

def _ifd_entry(tiff: bytes, order: str, ifd: int, tag: int) -> tuple[int, int, int] | None:
    """``(type, count, value offset)`` of ``tag`` in the IFD at ``ifd``."""
    if ifd < 8 or ifd + 2 > len(tiff):
        return None
    (count,) = struct.unpack(order + "H", tiff[ifd:ifd + 2])
    for i in range(min(count, 512)):
        pos = ifd + 2 + 12 * i
        if pos + 12 > len(tiff):
            return None
        entry_tag, entry_type, entry_count = struct.unpack(order + "HHI", tiff[pos:pos + 8])
        if entry_tag == tag:
            return entry_type, entry_count, pos + 8
    return None


def _exif_user_comment(tiff: bytes) -> str | None:
    if tiff.startswith(EXIF_HEADER):
        tiff = tiff[len(EXIF_HEADER):]
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    pointer = _ifd_entry(tiff, order, ifd0, 0x8769)
    if pointer is None:
        return None
    (exif_ifd,) = struct.unpack(order + "I", tiff[pointer[2]:pointer[2] + 4])
    entry = _ifd_entry(tiff, order, exif_ifd, 0x9286)
    if entry is None or entry[0] not in (1, 2, 7) or entry[1] > MAX_TEXT_BYTES:  # BYTE, ASCII, UNDEFINED
        return None
    _type, count, value_at = entry
    if count > 4:
        (value_at,) = struct.unpack(order + "I", tiff[value_at:value_at + 4])
    raw = tiff[value_at:value_at + count]
    if len(raw) != count:
        return None
    return _decode_user_comment(raw)


def _decode_user_comment(raw: bytes) -> str | None:
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\x00":
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            codec = "utf-16"
        else:  # no BOM: ASCII-heavy text has its zero bytes first in big-endian UTF-16
            codec = "utf-16-be" if body[0::2].count(0) >= body[1::2].count(0) else "utf-16-le"
        text = body.decode(codec, "replace")
    elif prefix in (b"ASCII\x00\x00\x00", b"\x00" * 8):
        text = body.decode("utf-8", "replace")
    else:
        text = raw.decode("utf-8", "replace")
    text = text.replace("\x00", "").strip()
    return text or None


# --- JPEG --------------------------------------------------------------------------------------

_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """``(marker, start, end)`` of each segment after SOI, ending with SOS (whose end is its header's)."""
    pos, n = 2, len(data)
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise MetadataError("damaged JPEG: a segment marker is missing")
        start = pos
        while pos < n and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= n:
            raise MetadataError("damaged JPEG: it ends before the image data")
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            yield marker, start, pos
            continue
        if marker in (0xD8, 0xD9, 0x00):
            raise MetadataError("damaged JPEG: no image data before the end marker")
        if pos + 2 > n:
            raise MetadataError("damaged JPEG: a segment is cut off")
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        end = pos + length
        if length < 2 or end > n:
            raise MetadataError("damaged JPEG: a segment's length is impossible")
        yield marker, start, end
        if marker == 0xDA:
            return
        pos = end


def _segment_payload(data: bytes, marker_start: int, end: int) -> bytes:
    """A segment's bytes after its marker and length (fill bytes allowed before the marker)."""
    pos = marker_start
    while data[pos] == 0xFF:
        pos += 1
    return data[pos + 3:end]


def _is_our_xmp(payload: bytes) -> bool:
    return payload.startswith(XMP_HEADER) and FLUXDESK_NS.encode() in payload


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""Start-of-frame markers (every coding process); C4, C8 and CC are DHT, JPG and DAC."""
_ICC_HEADER = b"ICC_PROFILE\x00"


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_frame(payloads: list[tuple[int, bytes]]) -> tuple[int, int, int]:
    """``(width, height, components)`` from the frame header."""
    for marker, payload in payloads:
        if marker in _SOF_MARKERS and len(payload) >= 6:
            height, width = struct.unpack(">HH", payload[1:5])
            return width, height, payload[5]
    raise MetadataError("damaged JPEG: it has no frame header")


def _jpeg_embed(data: bytes, record: ImageRecord) -> bytes:
    segments = list(_jpeg_segments(data))
    payloads = [(marker, _segment_payload(data, start, end)) for marker, start, end in segments]
    width, height, components = _jpeg_frame(payloads)
    exif_at = next((i for i, (marker, payload) in enumerate(payloads)
                    if marker == 0xE1 and payload.startswith(EXIF_HEADER)), None)
    existing = None if exif_at is None else payloads[exif_at][1][len(EXIF_HEADER):]
    tiff = exif_block(existing, _a1111_texts(record), software=creator_tool(record), width=width, height=height,
                      jpeg=True, components=components,
                      icc_profile=any(m == 0xE2 and p.startswith(_ICC_HEADER) for m, p in payloads),
                      limit=MAX_APP_PAYLOAD - len(EXIF_HEADER))
    if tiff is not None:
        exif = _app1(EXIF_HEADER + tiff)
    else:  # a block that cannot be merged safely stays as it was
        exif = b"" if exif_at is None else data[segments[exif_at][1]:segments[exif_at][2]]
    xmp = _app1(XMP_HEADER + _fitting_xmp(record, MAX_APP_PAYLOAD - len(XMP_HEADER)))
    parts = [data[:2]]
    inserted = False
    for i, (marker, start, end) in enumerate(segments):
        if i == exif_at or (marker == 0xE1 and _is_our_xmp(payloads[i][1])):
            continue
        if not inserted and marker != 0xE0:  # after JFIF's APP0, which must come first
            parts += [exif, xmp]
            inserted = True
        parts.append(data[start:end])
    sos_end = segments[-1][2]
    parts.append(data[sos_end:])
    return b"".join(parts)


def _jpeg_read(data: bytes) -> tuple[str | None, str | None, list[str]]:
    record_text = None
    loose: list[str] = []
    for marker, start, end in _jpeg_segments(data):
        payload = _segment_payload(data, start, end)
        if marker == 0xE1 and payload.startswith(XMP_HEADER):
            found_record, description = _parse_xmp(payload[len(XMP_HEADER):])
            if record_text is None and found_record is not None:
                record_text = found_record
            if description is not None:
                loose.insert(0, description)
        elif marker == 0xE1 and payload.startswith(EXIF_HEADER):
            comment = _exif_user_comment(payload)
            if comment is not None:
                loose.append(comment)
        elif marker == 0xFE and payload:
            loose.append(payload.decode("utf-8", "replace").replace("\x00", ""))
    return record_text, None, loose


# --- WebP --------------------------------------------------------------------------------------

def _riff_chunks(data: bytes) -> tuple[list[tuple[bytes, int, int]], int]:
    """``[(fourcc, start, end)]`` with padding included in ``end``, and where the RIFF data ends."""
    (riff_size,) = struct.unpack("<I", data[4:8])
    total = riff_size + 8
    if total > len(data) or riff_size < 4:
        raise MetadataError("damaged WebP: the file is shorter than its header says")
    chunks = []
    pos = 12
    while pos < total:
        if pos + 8 > total:
            raise MetadataError("damaged WebP: a chunk is cut off")
        fourcc = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        if pos + 8 + size > total:
            raise MetadataError("damaged WebP: a chunk's length is impossible")
        end = min(pos + 8 + size + (size & 1), total)
        chunks.append((fourcc, pos, end))
        pos = end
    if not chunks:
        raise MetadataError("damaged WebP: no image data")
    return chunks, total


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) & 1 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def _webp_canvas(fourcc: bytes, payload: bytes) -> tuple[int, int, bool]:
    """``(width, height, has alpha)`` from a VP8 or VP8L bitstream header."""
    if fourcc == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", payload[6:10])
        if width & 0x3FFF and height & 0x3FFF:
            return width & 0x3FFF, height & 0x3FFF, False
    if fourcc == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        (bits,) = struct.unpack("<I", payload[1:5])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise MetadataError("damaged WebP: its image header cannot be read")


_VP8X_XMP = 0x04
_VP8X_EXIF = 0x08
_VP8X_ALPHA = 0x10


def _webp_embed(data: bytes, record: ImageRecord) -> bytes:
    chunks, total = _riff_chunks(data)
    first, start, end = chunks[0]
    if first == b"VP8X":
        if end - start < 18:
            raise MetadataError("damaged WebP: its VP8X header is too short")
        header = bytearray(data[start:end])
        width = int.from_bytes(header[12:15], "little") + 1
        height = int.from_bytes(header[15:18], "little") + 1
        rest = chunks[1:]
    elif first in (b"VP8 ", b"VP8L"):
        width, height, alpha = _webp_canvas(first, data[start + 8:end])
        payload = bytes([_VP8X_ALPHA if alpha else 0, 0, 0, 0]) + (width - 1).to_bytes(3, "little") \
            + (height - 1).to_bytes(3, "little")
        header = bytearray(_riff_chunk(b"VP8X", payload))
        rest = chunks
    else:
        raise MetadataError("damaged WebP: it does not start with an image chunk")
    exif_at = next((c for c in rest if c[0] == b"EXIF"), None)
    existing = None if exif_at is None else data[exif_at[1] + 8:exif_at[2]]
    if existing is not None and existing.startswith(EXIF_HEADER):
        existing = existing[len(EXIF_HEADER):]
    tiff = exif_block(existing, _a1111_texts(record), software=creator_tool(record), width=width, height=height,
                      jpeg=False, icc_profile=any(c[0] == b"ICCP" for c in rest), limit=MAX_TEXT_BYTES)
    header[8] |= _VP8X_XMP | (_VP8X_EXIF if tiff is not None or exif_at is not None else 0)
    # EXIF then XMP, last (the order the WebP container specifies). A block that cannot be merged safely
    # stays where it was. WebP allows one XMP chunk: an earlier one (ours or another tool's) gives way.
    parts = [bytes(header)]
    parts += [data[s:e] for fourcc, s, e in rest
              if fourcc != b"XMP " and not (fourcc == b"EXIF" and tiff is not None)]
    if tiff is not None:
        parts.append(_riff_chunk(b"EXIF", tiff))
    parts.append(_riff_chunk(b"XMP ", _fitting_xmp(record, MAX_TEXT_BYTES)))
    body = b"".join(parts)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body + data[total:]


def _webp_read(data: bytes) -> tuple[str | None, str | None, list[str]]:
    record_text = None
    loose: list[str] = []
    chunks, _total = _riff_chunks(data)
    for fourcc, start, end in chunks:
        payload = data[start + 8:end]
        if fourcc == b"XMP ":
            found_record, description = _parse_xmp(payload)
            if record_text is None and found_record is not None:
                record_text = found_record
            if description is not None:
                loose.insert(0, description)
        elif fourcc == b"EXIF":
            comment = _exif_user_comment(payload)
            if comment is not None:
                loose.append(comment)
    return record_text, None, loose
