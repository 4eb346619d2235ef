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

Reading (``read_image_metadata``) also finds other tools' metadata: A1111 text (PNG ``parameters``, EXIF
``UserComment``, comments, XMP descriptions) and ComfyUI's ``prompt``/``workflow`` graphs (PNG text chunks, read by
``fluxdesk.core.comfyui``). A damaged file is read up to its damage, which the answer reports; what was found
but not used (a chunk over the cap, an invalid record, text without settings) is said in words.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from fluxdesk.core.comfyui import ComfyReading, read_comfyui
from fluxdesk.core.metadata import (
    ImageRecord,
    MetadataError,
    NotAnImageError,
    parse_a1111,
    record_from_json_partly,
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
"""The keyword of the iTXt chunk that holds a PNG's XMP packet."""
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

    ``NotAnImageError`` for bytes that are no PNG/JPEG/WebP, ``MetadataError`` for a damaged container in
    which nothing was found (a damaged one whose metadata is intact is read: ``read_image_metadata`` says so).
    """
    reading = read_image_metadata(data)
    return reading.record, reading.a1111


@dataclass(frozen=True)
class MetadataReading:
    """Everything read from one image's metadata, and what was found but not used, in words."""

    format: str
    """``png``, ``jpeg`` or ``webp``."""
    record: ImageRecord | None = None
    a1111: A1111 | None = None
    comfyui: ComfyReading | None = None
    """What a ComfyUI graph (PNG ``prompt``/``workflow`` text) says, when the file holds one."""
    damage: str | None = None
    """How the file is damaged, when it is (cut off, say) and its metadata could be read all the same."""
    unused: tuple[str, ...] = ()
    """What was found and why it was not used: "a FluxDesk record that could not be used: …"."""

    @property
    def usable(self) -> bool:
        """Whether it holds generation settings FluxDesk can use."""
        return (self.record is not None or self.a1111 is not None
                or (self.comfyui is not None and self.comfyui.usable))

    def unusable_text(self) -> str | None:
        """When nothing is usable, what was found and why it was not used, in words ("ComfyUI workflow found; no
        FLUX parameters FluxDesk can use: …; found a FluxDesk record that could not be used: …"); ``None`` when
        something is usable, or nothing at all was found."""
        if self.usable:
            return None
        parts = [self.comfyui.summary()] if self.comfyui is not None else []
        if self.unused:
            parts.append("found " + "; ".join(self.unused))
        return "; ".join(parts) or None


@dataclass
class _Found:
    """What the container readers collect, before it is interpreted."""

    record_text: str | None = None
    record_in_xmp: bool = False
    """The record came from an XMP packet: a PNG's own ``fluxdesk`` chunk, complete by design, takes its place."""
    params_text: str | None = None
    loose: list[tuple[str, str]] = field(default_factory=list)
    """``(where, text)`` of comments and descriptions that may hold A1111 text, most likely first."""
    comfy_prompt: str | None = None
    comfy_workflow: str | None = None
    damage: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.record_text is not None or self.params_text is not None or self.loose
                    or self.comfy_prompt is not None or self.comfy_workflow is not None or self.unused)

    def add_loose(self, where: str, text: str, *, first: bool = False) -> None:
        if len(self.loose) < _MAX_LOOSE:
            self.loose.insert(0 if first else len(self.loose), (where, text))

    def add_xmp(self, packet: bytes, where: str) -> None:
        record, description, problem = _xmp_fields(packet)
        if problem is not None:
            self.unused.append(f"an XMP packet in {where} that {problem}")
        if self.record_text is None and record is not None:
            self.record_text, self.record_in_xmp = record, True
        if description is not None:
            self.add_loose("the XMP description", description, first=True)


_MAX_LOOSE = 8


def read_image_metadata(data: bytes) -> MetadataReading:
    """What an image's metadata holds: FluxDesk's record, A1111 text, a ComfyUI graph, and what could not be used.

    A damaged file (cut off, a broken chunk) is read up to the damage, which ``damage`` reports. Only
    ``NotAnImageError`` (not a PNG/JPEG/WebP) and ``MetadataError`` (damaged, and nothing found before the damage)
    escape.
    """
    fmt = image_format(data)
    data = bytes(data)
    found = _Found()
    try:
        {"png": _png_read, "jpeg": _jpeg_read, "webp": _webp_read}[fmt](data, found)
    except MetadataError:
        raise
    except Exception as exc:  # a parser bug must not take the caller down with it
        raise MetadataError(f"the {fmt.upper()} file's metadata could not be read ({type(exc).__name__})") \
            from None
    if found.damage and not found.anything:
        raise MetadataError(found.damage[0])
    unused = list(found.unused)
    record = _record_or_none(found.record_text, unused)
    a1111 = _a1111_or_none(found.params_text, found.loose, unused, quiet=record is not None)
    comfy = read_comfyui(found.comfy_prompt, found.comfy_workflow) if (
        found.comfy_prompt is not None or found.comfy_workflow is not None) else None
    damage = None
    if found.damage:
        damage = f"{found.damage[0]}; the metadata before the damage was read"
    return MetadataReading(fmt, record, a1111, comfy, damage, tuple(unused))


def _record_or_none(text: str | None, unused: list[str]) -> ImageRecord | None:
    """The record in ``text``; a field of it that is wrong or out of range is left out (and said in ``unused``)
    rather than losing the whole record."""
    if text is None:
        return None
    try:
        record, left_out = record_from_json_partly(text)
    except MetadataError as exc:
        unused.append(f"a FluxDesk record that could not be used: {_unprefixed(str(exc))}")
        return None
    unused.extend(f"the FluxDesk record's {words}" for words in left_out)
    return record


def _unprefixed(words: str) -> str:
    return words.removeprefix("FluxDesk metadata: ")


def _excerpt(text: str, most: int = 60) -> str:
    line = " ".join(text.split())
    return json.dumps(line if len(line) <= most else line[:most - 1] + "…", ensure_ascii=False)


def _a1111_or_none(text: str | None, loose: list[tuple[str, str]], unused: list[str], *,
                   quiet: bool = False) -> A1111 | None:
    """The ``parameters`` text if any; else the first loose text (comments, descriptions) that has
    an A1111 settings line: a bare comment like "Created with GIMP" is not generation metadata.

    What was not used is added to ``unused``; loose texts only when nothing else was found (``quiet``: a record
    was, and the descriptions FluxDesk writes beside it hold its prompt alone)."""
    if text is not None:
        try:
            parsed = parse_a1111(text)
        except MetadataError as exc:
            unused.append(f"an A1111 parameters text that could not be read: {exc}")
        else:
            if not parsed["extra"]:
                unused.append("the A1111 parameters text has no settings line (Steps:, Seed:, Size: …): only its "
                              "prompt was read")
            return parsed
    skipped: list[str] = []
    for where, candidate in loose:
        try:
            parsed = parse_a1111(candidate)
        except MetadataError:
            continue
        if parsed["extra"]:
            return parsed
        skipped.append(f"{where} without generation settings: {_excerpt(candidate)}")
    if not quiet:
        unused.extend(skipped)
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

def _png_chunks(data: bytes, damage: list[str] | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(type, start, end)`` of each chunk up to and including IEND.

    Damage raises ``MetadataError``; given a ``damage`` list (a reader, which keeps what came before), the walk
    stops there instead and says what it found in that list.
    """
    pos, n = len(PNG_SIGNATURE), len(data)
    while pos < n:
        problem = None
        if pos + 12 > n:
            problem = "damaged PNG: a chunk is cut off", f"the file is cut off after {n:,} bytes, inside a chunk"
        else:
            (length,) = struct.unpack(">I", data[pos:pos + 4])
            ctype = data[pos + 4:pos + 8]
            end = pos + 12 + length
            if length > 0x7FFFFFFF or not ctype.isalpha() or not ctype.isascii():
                problem = ("damaged PNG: a chunk's length or type is impossible",
                           f"a chunk's length or type is impossible at byte {pos:,}")
            elif end > n:
                problem = ("damaged PNG: a chunk's length or type is impossible",
                           f"the file is cut off after {n:,} bytes, inside its {ctype.decode()} chunk")
        if problem is not None:
            if damage is None:
                raise MetadataError(problem[0])
            damage.append(f"damaged PNG: {problem[1]}")
            return
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end
    if damage is not None:
        damage.append(f"damaged PNG: the file ends after {n:,} bytes, before its IEND chunk (it is cut off)")


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
    key, text, _problem = _png_text_or_problem(ctype, payload)
    return None if key is None or text is None else (key, text)


def _png_text_or_problem(ctype: bytes, payload: bytes) -> tuple[str | None, str | None, str | None]:
    """``(keyword, text, None)``, or ``(keyword or None, None, why it cannot be read)``."""
    key_bytes, sep, rest = payload.partition(b"\x00")
    if not sep or not 1 <= len(key_bytes) <= 79:
        return None, None, "has no keyword"
    key = key_bytes.decode("latin-1")
    raw: bytes | None
    if ctype == b"tEXt":
        raw, encoding = rest, "latin-1"
    elif ctype == b"zTXt":
        if not rest or rest[0] != 0:
            return key, None, "is compressed in a way PNG does not define"
        raw, encoding = _inflate(rest[1:]), "latin-1"
    else:
        if len(rest) < 2:
            return key, None, "is cut short"
        flag, method, rest = rest[0], rest[1], rest[2:]
        _lang, sep1, rest = rest.partition(b"\x00")
        _translated, sep2, rest = rest.partition(b"\x00")
        if not (sep1 and sep2) or flag not in (0, 1) or method != 0:
            return key, None, "is malformed"
        raw, encoding = (_inflate(rest) if flag else rest), "utf-8"
    if raw is None:
        return key, None, f"does not decompress, or holds more than the {_size_words(MAX_TEXT_BYTES)} FluxDesk reads"
    if len(raw) > MAX_TEXT_BYTES:
        return key, None, f"holds {_size_words(len(raw))}, over the {_size_words(MAX_TEXT_BYTES)} FluxDesk reads"
    try:
        return key, raw.decode(encoding), None
    except UnicodeDecodeError:
        return key, None, "is not valid UTF-8 text"


def _size_words(size: int) -> str:
    """``"1 MB"``, ``"3.2 MB"``, ``"640 KB"``, ``"12 bytes"``."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
    if size >= 1_000:
        return f"{size // 1_000} KB"
    return f"{size} bytes"


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


_COMFY_KEYS = {"prompt": "comfy_prompt", "workflow": "comfy_workflow"}
_PNG_KEY_WORDS = {RECORD_KEY: "FluxDesk record", PARAMETERS_KEY: "A1111 parameters", "prompt": "ComfyUI prompt",
                  "workflow": "ComfyUI workflow", XMP_PNG_KEY: "XMP", "Comment": "Comment",
                  "Description": "Description"}


def _png_read(data: bytes, found: _Found) -> None:
    for ctype, start, end in _png_chunks(data, found.damage):
        if ctype not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        key_bytes = data[start + 8:min(end - 4, start + 88)].partition(b"\x00")[0]
        words = _PNG_KEY_WORDS.get(key_bytes.decode("latin-1"))
        if end - start - 12 > 4 * MAX_TEXT_BYTES:
            if words is not None:
                found.unused.append(f"a {words} chunk of {_size_words(end - start - 12)}, over the "
                                    f"{_size_words(MAX_TEXT_BYTES)} FluxDesk reads")
            continue
        payload = data[start + 8:end - 4]
        if zlib.crc32(ctype + payload) != struct.unpack(">I", data[end - 4:end])[0]:
            if words is not None:
                found.unused.append(f"a {words} chunk that is damaged (its checksum does not match)")
            continue
        key, text, problem = _png_text_or_problem(ctype, payload)
        if key is None or text is None:
            if words is not None:
                found.unused.append(f"a {words} chunk that {problem}")
            continue
        if key == RECORD_KEY and (found.record_text is None or found.record_in_xmp):
            found.record_text, found.record_in_xmp = text, False
        elif key == PARAMETERS_KEY and found.params_text is None:
            found.params_text = text
        elif key in _COMFY_KEYS and getattr(found, _COMFY_KEYS[key]) is None:
            setattr(found, _COMFY_KEYS[key], text)
        elif key == XMP_PNG_KEY:
            found.add_xmp(text.encode("utf-8"), "an iTXt chunk")
        elif key in ("Comment", "Description"):
            found.add_loose(f"a PNG {key} text", text)


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
    record_text, description, _problem = _xmp_fields(packet)
    return record_text, description


def _xmp_fields(packet: bytes) -> tuple[str | None, str | None, str | None]:
    """``(record JSON, dc:description, None)`` of an XMP packet, or ``(None, None, why it cannot be read)``."""
    if len(packet) > MAX_TEXT_BYTES:
        return None, None, f"holds {_size_words(len(packet))}, over the {_size_words(MAX_TEXT_BYTES)} FluxDesk reads"
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        # no DTDs: entity expansion is how XML bombs work
        return None, None, "declares a DTD or entities, which FluxDesk does not read"
    try:
        root = ElementTree.fromstring(packet.rstrip(b"\x00 \t\r\n"))
    except (ElementTree.ParseError, ValueError, LookupError):
        return None, None, "is not well-formed XML"
    except RecursionError:
        return None, None, "is nested too deeply"
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
    return record_text, description, None


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


def _jpeg_segments(data: bytes, damage: list[str] | None = None) -> Iterator[tuple[int, int, int]]:
    """``(marker, start, end)`` of each segment after SOI, ending with SOS (whose end is its header's).

    Damage raises ``MetadataError``; given a ``damage`` list (a reader), the walk stops there and says so in it.
    """
    pos, n = 2, len(data)
    while True:
        problem = None
        start = pos
        if pos >= n or data[pos] != 0xFF:
            problem = ("damaged JPEG: a segment marker is missing" if pos < n else
                       f"damaged JPEG: the file is cut off after {n:,} bytes, before its image data")
        else:
            while pos < n and data[pos] == 0xFF:  # fill bytes may precede a marker
                pos += 1
            if pos >= n:
                problem = "damaged JPEG: it ends before the image data"
        if problem is None:
            marker = data[pos]
            pos += 1
            if marker in _STANDALONE:
                yield marker, start, pos
                continue
            if marker in (0xD8, 0xD9, 0x00):
                problem = "damaged JPEG: no image data before the end marker"
            elif pos + 2 > n:
                problem = "damaged JPEG: a segment is cut off"
            else:
                (length,) = struct.unpack(">H", data[pos:pos + 2])
                end = pos + length
                if length < 2 or end > n:
                    problem = "damaged JPEG: a segment's length is impossible"
        if problem is not None:
            if damage is None:
                raise MetadataError(problem)
            damage.append(problem)
            return
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


def _jpeg_read(data: bytes, found: _Found) -> None:
    image_data_at = None
    for marker, start, end in _jpeg_segments(data, found.damage):
        if marker == 0xDA:
            image_data_at = end
        payload = _segment_payload(data, start, end)
        if marker == 0xE1 and payload.startswith(XMP_HEADER):
            found.add_xmp(payload[len(XMP_HEADER):], "an APP1 segment")
        elif marker == 0xE1 and payload.startswith(EXIF_HEADER):
            comment = _exif_user_comment(payload)
            if comment is not None:
                found.add_loose("the EXIF UserComment", comment)
        elif marker == 0xFE and payload:
            found.add_loose("a JPEG comment", payload.decode("utf-8", "replace").replace("\x00", ""))
    # In the compressed data a 0xFF byte is followed by 0x00 or a restart marker: 0xFFD9 is its end (other
    # tools may append data after it, so the end marker need not be last).
    if image_data_at is not None and data.find(b"\xff\xd9", image_data_at) < 0:
        found.damage.append(f"damaged JPEG: the file is cut off after {len(data):,} bytes, inside its image data")


# --- WebP --------------------------------------------------------------------------------------

def _riff_chunks(data: bytes, damage: list[str] | None = None) -> tuple[list[tuple[bytes, int, int]], int]:
    """``[(fourcc, start, end)]`` with padding included in ``end``, and where the RIFF data ends.

    Damage raises ``MetadataError``; given a ``damage`` list (a reader), the chunks before it are answered and
    the damage is said in that list.
    """
    (riff_size,) = struct.unpack("<I", data[4:8])
    total = riff_size + 8
    chunks: list[tuple[bytes, int, int]] = []
    problem = None
    if riff_size < 4:
        problem = "damaged WebP: the file is shorter than its header says"
    elif total > len(data):
        if damage is None:
            raise MetadataError("damaged WebP: the file is shorter than its header says")
        damage.append(f"damaged WebP: the file is cut off after {len(data):,} of its {total:,} bytes")
        total = len(data)
    pos = 12
    while problem is None and pos < total:
        if pos + 8 > total:
            problem = "damaged WebP: a chunk is cut off"
            break
        fourcc = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        if pos + 8 + size > total:
            problem = "damaged WebP: a chunk's length is impossible"
            break
        end = min(pos + 8 + size + (size & 1), total)
        chunks.append((fourcc, pos, end))
        pos = end
    if problem is None and not chunks:
        problem = "damaged WebP: no image data"
    if problem is not None:
        if damage is None:
            raise MetadataError(problem)
        if not damage:  # a cut-off file's last chunk is cut off too: once is enough
            damage.append(problem)
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


def _webp_read(data: bytes, found: _Found) -> None:
    chunks, _total = _riff_chunks(data, found.damage)
    for fourcc, start, end in chunks:
        payload = data[start + 8:end]
        if fourcc == b"XMP ":
            found.add_xmp(payload, "an XMP chunk")
        elif fourcc == b"EXIF":
            comment = _exif_user_comment(payload)
            if comment is not None:
                found.add_loose("the EXIF UserComment", comment)
