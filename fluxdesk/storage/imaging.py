"""Decoding images safely: the one place Pillow's limits are set.

BFL sends at most about 4 MP (FLUX.2 caps at 4 × 1024²; Ultra is ~4 MP). The pixel limit leaves
room for that four times over and refuses decompression bombs long before they eat the memory.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_PIXELS = 16_777_216
"""4096 × 4096: nothing larger is ever decoded."""
FORMATS = ("PNG", "JPEG", "WEBP")
"""Only these decoders are ever used on files FluxDesk reads."""

MAX_REFERENCE_PIXELS = 120_000_000
"""The largest reference image decoded (a 108 MP phone photo fits); larger ones are refused as bombs."""

# Pillow warns above this and raises above twice it. ``open_checked`` refuses anything above
# ``MAX_IMAGE_PIXELS`` and the references module anything above this, each from the header alone.
Image.MAX_IMAGE_PIXELS = MAX_REFERENCE_PIXELS


class ImageDecodeError(ValueError):
    """An image that cannot be decoded: not an image, truncated, or too large to be one of BFL's."""


DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
                  Image.DecompressionBombError, MemoryError, UnidentifiedImageError)
"""What Pillow raises for bytes that are not a decodable image: every decode catches all of them."""


def open_checked(source: bytes | Path) -> Image.Image:
    """Open (not yet decode) an image, refusing formats other than PNG/JPEG/WebP and oversized ones."""
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        img = Image.open(handle, formats=FORMATS)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError:
        raise ImageDecodeError("the image is far larger than any BFL image; refusing to decode it") from None
    except DECODE_ERRORS:
        raise ImageDecodeError("this is not a PNG, JPEG or WebP image FluxDesk can read") from None
    width, height = img.size
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        img.close()
        raise ImageDecodeError(f"the image is {width}×{height} pixels, larger than any BFL image; "
                               "refusing to decode it")
    return img


def decode_check(data: bytes) -> tuple[int, int, str]:
    """Fully decode ``data``; answer ``(width, height, format)`` with format ``png``/``jpeg``/``webp``."""
    img = open_checked(data)
    try:
        with img:
            img.load()
            fmt = (img.format or "").lower()
            return img.size[0], img.size[1], fmt
    except DECODE_ERRORS:
        raise ImageDecodeError("the image is damaged or incomplete (it does not decode to the end)") from None
