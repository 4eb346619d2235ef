"""Helpers for the storage tests: real images, and an in-memory keyring backend."""

from __future__ import annotations

import io

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from PIL import Image


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not stored") from None


def make_image(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: object) -> bytes:
    """A small image with some structure (gradients, and alpha for RGBA), encoded as ``fmt``."""
    img = Image.new(mode, size)
    data = [((x * 4) % 256, (y * 5) % 256, (x * y) % 256, 255 if (x + y) % 3 else 100)[:len(mode)]
            for y in range(size[1]) for x in range(size[0])]
    img.putdata(data)  # type: ignore[arg-type]
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    """Decoded mode, size and raw pixel bytes."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.mode, img.size, img.tobytes()
