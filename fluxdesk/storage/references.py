"""Preparing a reference image for sending: decode, orient, convert, downscale, encode — the bytes BFL gets.

What comes out is what is sent, stored (by its SHA-256) and priced. Files come from anywhere: every way an
image can be wrong ends in a ``ReferenceImageError`` that says what is wrong in plain words.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from fluxdesk.core.references import sent_size
from fluxdesk.core.request import InputImage
from fluxdesk.storage.imaging import DECODE_ERRORS, MAX_REFERENCE_PIXELS

REFERENCE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
"""What a reference may be read from; it is always sent as PNG or JPEG."""
JPEG_QUALITY = 95
PNG_COMPRESSION = 3
"""Fast: a 4 MP reference with alpha encodes in well under a second; the size hardly matters on the way up."""


class ReferenceImageError(ValueError):
    """A file that cannot be a reference, with why in words."""


@dataclass(frozen=True)
class PreparedReference:
    """A reference ready to send."""

    data: bytes
    sha256: str
    width: int
    height: int
    """As sent."""
    original_width: int
    original_height: int
    """As the file shows it (orientation applied)."""
    format: str
    """``jpeg`` or ``png``."""
    source: str
    notes: tuple[str, ...] = ()
    """What was changed beyond the size, in words ("converted from CMYK", "first frame of an animated GIF")."""

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else "png"

    @property
    def downscaled(self) -> bool:
        return (self.width, self.height) != (self.original_width, self.original_height)

    def input_image(self, from_image_id: int | None = None) -> InputImage:
        return InputImage(base64.b64encode(self.data).decode("ascii"), self.width, self.height, self.sha256,
                          self.source, from_image_id)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(source: Path | bytes, name: str) -> bytes:
    """The bytes of a file (or the bytes given); ``ReferenceImageError`` in words when they cannot be read."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise ReferenceImageError(f"{name} is no longer there (moved or deleted?)") from None
    except IsADirectoryError:
        raise ReferenceImageError(f"{name} is a folder, not an image") from None
    except OSError as exc:
        raise ReferenceImageError(f"{name} cannot be read: {exc.strerror or exc}") from None


_ORIENTATION_SWAPS = {5, 6, 7, 8}
"""EXIF orientations that turn the picture a quarter: width and height trade places."""


def open_image(data: bytes, name: str) -> Image.Image:
    """Open (not yet decode) image bytes of any format a reference may be; refuses bombs from the header."""
    try:
        image = Image.open(io.BytesIO(data), formats=REFERENCE_FORMATS)
    except Image.DecompressionBombError:
        raise ReferenceImageError(f"{name} claims to be far larger than any photograph; "
                                  "refusing to decode it") from None
    except DECODE_ERRORS:
        raise ReferenceImageError(f"{name} is not an image FluxDesk can read (PNG, JPEG, WebP, GIF or BMP)") from None
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > MAX_REFERENCE_PIXELS:
        image.close()
        raise ReferenceImageError(f"{name} is {width}×{height} pixels, more than FluxDesk decodes "
                                  f"({MAX_REFERENCE_PIXELS // 1_000_000} million); refusing to decode it")
    return image


def _to_sendable_mode(image: Image.Image, notes: list[str]) -> Image.Image:
    """RGB, or RGBA where the alpha channel is used; 16-bit, CMYK, greyscale and palettes converted."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        notes.append("16-bit image reduced to 8 bits")
        scaled = image.convert("I").point(lambda v: v * (1 / 256)) if mode.startswith("I;16") else image
        return scaled.convert("L").convert("RGB")
    if mode == "CMYK":
        notes.append("converted from CMYK to RGB")
        return image.convert("RGB")
    if mode in ("L", "1"):
        notes.append("greyscale sent as RGB")
        return image.convert("RGB")
    if mode in ("P", "PA", "LA", "La", "RGBa") or (mode == "RGB" and "transparency" in image.info):
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    if image.mode == "RGBA":
        low, _high = image.getchannel("A").getextrema()
        if low == 255:
            return image.convert("RGB")  # an alpha channel nobody uses: a JPEG costs a tenth of a PNG
        notes.append("transparency kept (sent as PNG)")
    return image


def _png_bit_depth(data: bytes) -> int | None:
    """The bit depth in a PNG's IHDR chunk (the first, at a fixed place)."""
    return data[24] if len(data) > 24 and data[12:16] == b"IHDR" else None


_PIXELS_ONLY_INFO = frozenset({
    "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression", "adobe",
    "adobe_transform", "icc_profile", "gamma", "srgb", "chromaticity", "aspect", "interlace",
})
"""What Pillow reads from a JPEG or PNG that says how to show its pixels, not where, when or by whom it was made."""


def _encode(image: Image.Image, icc_profile: bytes | None, lossless: bool) -> tuple[bytes, str]:
    """PNG where transparency is used (or ``lossless``), JPEG otherwise; with the colour profile and no other
    metadata."""
    image.info = {}  # Pillow writes some of what it read (EXIF, XMP) back unless told otherwise
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    buffer = io.BytesIO()
    if image.mode == "RGBA" or lossless:
        image.save(buffer, "PNG", compress_level=PNG_COMPRESSION, **extra)
        return buffer.getvalue(), "png"
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, **extra)
    return buffer.getvalue(), "jpeg"


def prepare_reference(source: Path | bytes, *, max_pixels: int, name: str | None = None,
                      lossless: bool = False) -> PreparedReference:
    """Read ``source`` and make it ready to send at no more than ``max_pixels`` pixels.

    ``lossless``: never re-encoded as JPEG (PNG where it must be re-encoded), for the image a masked edit changes
    part of: the pixels it keeps stay exactly the file's."""
    label = name or (Path(source).name if isinstance(source, Path | str) else "the image")
    raw = read_source(source, label)
    image = open_image(raw, label)
    notes: list[str] = []
    try:
        fmt = (image.format or "").upper()
        if getattr(image, "n_frames", 1) > 1:
            notes.append(f"first frame of an animated {fmt if fmt != 'WEBP' else 'WebP'}")
            image.seek(0)
        orientation = image.getexif().get(0x0112, 1)
        swap = orientation in _ORIENTATION_SWAPS
        width, height = (image.height, image.width) if swap else image.size
        target = sent_size(width, height, max_pixels)
        if fmt == "JPEG" and target != (width, height):
            # Decode at the smallest power-of-two scale that is still larger than needed: a 24 MP photo
            # decodes in a fraction of the time.
            draft = (target[1], target[0]) if swap else target
            image.draft(image.mode if image.mode in ("RGB", "L") else None, draft)
        image.load()
        oriented = ImageOps.exif_transpose(image) if orientation != 1 else image
        converted = _to_sendable_mode(oriented, notes)
        if fmt == "PNG" and _png_bit_depth(raw) == 16 and not notes:
            # Pillow reads a 16-bit colour PNG as 8-bit RGB(A); the bytes, unchanged, would still be 16-bit.
            notes.append("16-bit image reduced to 8 bits")
        resized = converted if converted.size == target else converted.resize(
            target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        # Sent as it is only when nothing about it changes and it carries nothing but pixels: EXIF (GPS, camera),
        # XMP and text chunks (a FluxDesk image's prompt) never leave the machine.
        if resized is image and fmt in ("JPEG", "PNG") and not notes and set(image.info) <= _PIXELS_ONLY_INFO:
            data, out_format = raw, fmt.lower()
        else:
            icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
            data, out_format = _encode(resized, icc, lossless)
    except ReferenceImageError:
        raise
    except DECODE_ERRORS:
        raise ReferenceImageError(f"{label} is damaged or incomplete (it does not decode to the end)") from None
    finally:
        image.close()
    return PreparedReference(data, sha256_of(data), resized.size[0], resized.size[1], width, height, out_format,
                             str(source) if isinstance(source, Path | str) else label, tuple(notes))


def decode_size(source: Path | bytes, name: str | None = None) -> tuple[int, int]:
    """The size a file shows (orientation applied), read from its header only."""
    label = name or (Path(source).name if isinstance(source, Path | str) else "the image")
    image = open_image(read_source(source, label), label)
    with image:
        orientation = image.getexif().get(0x0112, 1)
        return (image.height, image.width) if orientation in _ORIENTATION_SWAPS else image.size
