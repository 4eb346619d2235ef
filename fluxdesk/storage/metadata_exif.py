"""The EXIF block FluxDesk writes into JPEG and WebP files: the A1111 text as ``UserComment``.

AUTOMATIC1111 puts its ``parameters`` text there (``piexif.helper.UserComment.dump(text, encoding="unicode")``),
and that is where the A1111 readers look in a JPEG or WebP. The block is built the way piexif builds it and
so that ``exiftool -validate`` finds nothing to warn about:

- big-endian (``MM``), with the comment as ``UNICODE\\0`` and UTF-16BE text without a byte-order mark, exactly
  piexif's bytes. sd-parsers decodes UTF-16BE whatever the container's order; exiftool takes the container's
  order for the text's and warns when they differ;
- the tags EXIF requires of a JPEG (exiftool names each one missing): X/YResolution, ResolutionUnit and
  YCbCrPositioning in IFD0; ExifVersion, ComponentsConfiguration, FlashpixVersion, ColorSpace and
  PixelX/YDimension in the Exif IFD. A WebP gets the same minus the two that only make sense for JPEG;
- IFD0 ``Software`` names FluxDesk and its version (EXIF's counterpart of XMP's ``CreatorTool``).

An EXIF block the file already has is merged: its tags are kept (turned big-endian), the ``UserComment``
replaced, missing required tags added. A block that cannot be rewritten safely (maker notes and other
data whose offsets would break, unknown types, damage) is left as it was and gets no ``UserComment``:
``exif_block`` answers ``None`` and the caller keeps the file's own block.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

USER_COMMENT_PREFIX = b"UNICODE\x00"

Entry = tuple[int, int, bytes]
"""``(type, count, value bytes)`` of one IFD entry, the value big-endian."""
Ifd = dict[int, Entry]

_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _UNDEFINED = 1, 2, 3, 4, 5, 7
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_SWAP_UNIT = {3: 2, 8: 2, 4: 4, 9: 4, 11: 4, 13: 4, 5: 4, 10: 4, 12: 8}
"""How many bytes each value unit has, for turning a little-endian value big-endian (rationals: two units)."""

_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 0x8769, 0x8825, 0xA005
_THUMB_OFFSET, _THUMB_LENGTH = 0x0201, 0x0202
_USER_COMMENT = 0x9286
_SOFTWARE = 0x0131
_UNSAFE_TAGS = frozenset({
    0x927C,  # MakerNote: its own offsets, relative to where it was
    0x0111, 0x0117, 0x0144, 0x0145,  # strips and tiles: image data by offset
    0x014A,  # SubIFDs
})
_ORDER_DEPENDENT_UNDEFINED = frozenset({0x8828, 0xA20C, 0xA302, 0xA40B})
"""UNDEFINED tags that hold numbers in the file's byte order (OECF, SFR, CFA pattern, device settings): a
little-endian block holding one is not turned big-endian."""
_MAX_ENTRIES = 1000


class _Unsafe(Exception):
    """The existing block cannot be rewritten without breaking something in it."""


def user_comment(text: str) -> bytes:
    """``piexif.helper.UserComment.dump(text, encoding="unicode")``: the prefix, then UTF-16BE, no BOM."""
    return USER_COMMENT_PREFIX + text.encode("utf-16-be", "replace")  # a lone surrogate becomes "?"


def _entry_value(tiff: bytes, order: str, pos: int) -> tuple[int, int, int, bytes]:
    """``(tag, type, count, raw value in the file's order)`` of the 12-byte entry at ``pos``."""
    tag, kind, count = struct.unpack(order + "HHI", tiff[pos:pos + 8])
    size = _TYPE_SIZES.get(kind)
    if size is None:
        raise _Unsafe
    total = size * count
    if total <= 4:
        return tag, kind, count, tiff[pos + 8:pos + 8 + total]
    (at,) = struct.unpack(order + "I", tiff[pos + 8:pos + 12])
    if at < 8 or at + total > len(tiff):
        raise _Unsafe
    return tag, kind, count, tiff[at:at + total]


def _big_endian(raw: bytes, kind: int, order: str) -> bytes:
    unit = _SWAP_UNIT.get(kind)
    if order == ">" or unit is None:
        return raw
    return b"".join(raw[i:i + unit][::-1] for i in range(0, len(raw), unit))


def _read_ifd(tiff: bytes, order: str, at: int, pointers: Iterable[int] = ()) -> tuple[Ifd, dict[int, int], int]:
    """An IFD's entries (big-endian), the offsets its ``pointers`` tags point to, and the next IFD's offset."""
    if at < 8 or at + 2 > len(tiff):
        raise _Unsafe
    (count,) = struct.unpack(order + "H", tiff[at:at + 2])
    if count > _MAX_ENTRIES or at + 2 + 12 * count > len(tiff):
        raise _Unsafe
    entries: Ifd = {}
    found: dict[int, int] = {}
    pointer_tags = set(pointers)
    for i in range(count):
        tag, kind, n, raw = _entry_value(tiff, order, at + 2 + 12 * i)
        if tag in _UNSAFE_TAGS or (order == "<" and tag in _ORDER_DEPENDENT_UNDEFINED):
            raise _Unsafe
        if tag in pointer_tags:
            if kind not in (_LONG, 13) or n != 1:
                raise _Unsafe
            (found[tag],) = struct.unpack(order + "I", raw)
            continue
        entries.setdefault(tag, (kind, n, _big_endian(raw, kind, order)))
    tail = at + 2 + 12 * count
    next_at = struct.unpack(order + "I", tiff[tail:tail + 4])[0] if tail + 4 <= len(tiff) else 0
    return entries, found, next_at


class _Block:
    """The IFDs of an EXIF block, big-endian, ready to be laid out again."""

    def __init__(self) -> None:
        self.ifd0: Ifd = {}
        self.exif: Ifd = {}
        self.gps: Ifd = {}
        self.interop: Ifd = {}
        self.ifd1: Ifd = {}
        self.thumbnail = b""

    @classmethod
    def parse(cls, tiff: bytes) -> _Block:
        if len(tiff) < 8 or tiff[:4] not in (b"MM\x00*", b"II*\x00"):
            raise _Unsafe
        order = ">" if tiff[:2] == b"MM" else "<"
        block = cls()
        (ifd0_at,) = struct.unpack(order + "I", tiff[4:8])
        block.ifd0, pointers, ifd1_at = _read_ifd(tiff, order, ifd0_at, (_EXIF_IFD, _GPS_IFD))
        if _EXIF_IFD in pointers:
            block.exif, inner, _ = _read_ifd(tiff, order, pointers[_EXIF_IFD], (_INTEROP_IFD,))
            if _INTEROP_IFD in inner:
                block.interop, _, _ = _read_ifd(tiff, order, inner[_INTEROP_IFD])
        if _GPS_IFD in pointers:
            block.gps, _, _ = _read_ifd(tiff, order, pointers[_GPS_IFD])
        if ifd1_at:
            block.ifd1, thumb, _ = _read_ifd(tiff, order, ifd1_at, (_THUMB_OFFSET, _THUMB_LENGTH))
            if thumb.keys() != {_THUMB_OFFSET, _THUMB_LENGTH} and thumb:
                raise _Unsafe
            if thumb:
                start, length = thumb[_THUMB_OFFSET], thumb[_THUMB_LENGTH]
                if start < 8 or start + length > len(tiff):
                    raise _Unsafe
                block.thumbnail = tiff[start:start + length]
        return block

    def tobytes(self) -> bytes:
        """The TIFF structure: header, IFD0, Exif, GPS, Interop, IFD1 and the thumbnail, each value word-aligned."""
        ifd0, exif = dict(self.ifd0), dict(self.exif)
        placeholder = (_LONG, 1, b"\x00" * 4)
        if self.interop:
            exif[_INTEROP_IFD] = placeholder
        if self.exif or self.interop:
            ifd0[_EXIF_IFD] = placeholder
        if self.gps:
            ifd0[_GPS_IFD] = placeholder
        ifd1 = dict(self.ifd1)
        if self.thumbnail:
            ifd1[_THUMB_OFFSET] = ifd1[_THUMB_LENGTH] = placeholder
        exif_at = 8 + _ifd_size(ifd0)
        gps_at = exif_at + (_ifd_size(exif) if _EXIF_IFD in ifd0 else 0)
        interop_at = gps_at + (_ifd_size(self.gps) if self.gps else 0)
        ifd1_at = interop_at + (_ifd_size(self.interop) if self.interop else 0)
        thumb_at = ifd1_at + (_ifd_size(ifd1) if ifd1 else 0)
        if _EXIF_IFD in ifd0:
            ifd0[_EXIF_IFD] = _long(exif_at)
        if self.gps:
            ifd0[_GPS_IFD] = _long(gps_at)
        if self.interop:
            exif[_INTEROP_IFD] = _long(interop_at)
        if self.thumbnail:
            ifd1[_THUMB_OFFSET], ifd1[_THUMB_LENGTH] = _long(thumb_at), _long(len(self.thumbnail))
        parts = [b"MM\x00*" + struct.pack(">I", 8), _ifd_bytes(ifd0, 8, ifd1_at if ifd1 else 0)]
        if _EXIF_IFD in ifd0:
            parts.append(_ifd_bytes(exif, exif_at, 0))
        if self.gps:
            parts.append(_ifd_bytes(self.gps, gps_at, 0))
        if self.interop:
            parts.append(_ifd_bytes(self.interop, interop_at, 0))
        if ifd1:
            parts.append(_ifd_bytes(ifd1, ifd1_at, 0))
        parts.append(self.thumbnail)
        return b"".join(parts)


def _long(value: int) -> Entry:
    return _LONG, 1, struct.pack(">I", value)


def _padded(size: int) -> int:
    return size + (size & 1)


def _ifd_size(entries: Mapping[int, Entry]) -> int:
    return 2 + 12 * len(entries) + 4 + sum(_padded(len(raw)) for _, _, raw in entries.values() if len(raw) > 4)


def _ifd_bytes(entries: Mapping[int, Entry], at: int, next_at: int) -> bytes:
    """The IFD at offset ``at``: its entries in ascending tag order, then the values that do not fit in one."""
    data_at = at + 2 + 12 * len(entries) + 4
    table, data = [struct.pack(">H", len(entries))], []
    for tag in sorted(entries):
        kind, count, raw = entries[tag]
        if len(raw) <= 4:
            table.append(struct.pack(">HHI", tag, kind, count) + raw.ljust(4, b"\x00"))
        else:
            table.append(struct.pack(">HHII", tag, kind, count, data_at))
            data.append(raw + b"\x00" * (len(raw) & 1))
            data_at += _padded(len(raw))
    table.append(struct.pack(">I", next_at))
    return b"".join(table + data)


def _short(value: int) -> Entry:
    return _SHORT, 1, struct.pack(">H", value)


def _dimension(value: int) -> Entry:
    return _short(value) if value <= 0xFFFF else _long(value)


def _ascii(text: str) -> Entry:
    raw = text.encode("ascii", "replace") + b"\x00"
    return _ASCII, len(raw), raw


def exif_block(existing: bytes | None, comments: Iterable[str], *, software: str, width: int, height: int,
               jpeg: bool, components: int = 3, icc_profile: bool = False, limit: int) -> bytes | None:
    """The TIFF bytes of the EXIF block with the first of ``comments`` that fits in ``limit`` bytes.

    ``existing``: the file's own block (its TIFF structure, without JPEG's ``Exif\\0\\0``), merged into.
    ``None`` when it cannot be merged safely, or no comment fits: the caller keeps the file's own block.
    """
    block = _Block()
    if existing is not None:
        try:
            block = _Block.parse(existing)
        except (_Unsafe, struct.error):
            return None
    block.ifd0.setdefault(0x011A, (_RATIONAL, 1, struct.pack(">II", 72, 1)))  # XResolution: EXIF's default
    block.ifd0.setdefault(0x011B, (_RATIONAL, 1, struct.pack(">II", 72, 1)))  # YResolution
    block.ifd0.setdefault(0x0128, _short(2))  # ResolutionUnit: inches
    current = block.ifd0.get(_SOFTWARE)
    if current is None or current[2].startswith(b"FluxDesk"):
        block.ifd0[_SOFTWARE] = _ascii(software)
    block.exif.setdefault(0x9000, (_UNDEFINED, 4, b"0232"))  # ExifVersion 2.32
    block.exif.setdefault(0xA000, (_UNDEFINED, 4, b"0100"))  # FlashpixVersion 1.0
    block.exif.setdefault(0xA001, _short(0xFFFF if icc_profile else 1))  # ColorSpace: sRGB unless a profile says
    block.exif[0xA002], block.exif[0xA003] = _dimension(width), _dimension(height)  # PixelX/YDimension
    if jpeg:
        block.ifd0.setdefault(0x0213, _short(1))  # YCbCrPositioning: centred, as JFIF has it
        block.exif.setdefault(0x9101, (_UNDEFINED, 4, b"\x01\x02\x03\x00" if components == 3 else b"\x01\x00\x00\x00"))
    for text in comments:
        raw = user_comment(text)
        block.exif[_USER_COMMENT] = (_UNDEFINED, len(raw), raw)
        tiff = block.tobytes()
        if len(tiff) <= limit:
            return tiff
    return None
