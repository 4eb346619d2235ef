"""MIME types FluxDesk puts on its own drags, so a drop can tell a library image from any file."""

from __future__ import annotations

IMAGE_IDS_MIME = "application/x-fluxdesk-image-ids"
"""Library image ids, one per line, in the order of the drag's file URLs."""


def encode_image_ids(ids: list[int]) -> bytes:
    return "\n".join(str(i) for i in ids).encode("ascii")


def decode_image_ids(data: bytes) -> list[int]:
    """The ids of a drag; anything that is not a list of whole numbers is no ids at all."""
    try:
        return [int(line) for line in bytes(data).decode("ascii").split("\n") if line.strip()]
    except (UnicodeDecodeError, ValueError):
        return []
