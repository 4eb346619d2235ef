"""Loading the dated price table: the bundled one, or a newer one the user imported."""

from __future__ import annotations

import json
from pathlib import Path

from fluxdesk.core.pricing import PriceTable, PriceTableError, parse_price_table
from fluxdesk.resources import resource_path

BUNDLED_NAME = "prices.json"
IMPORTED_NAME = "prices.json"
"""The imported table lives in FLUXDESK_HOME under this name."""

MAX_TABLE_BYTES = 1_000_000


def read_price_table(path: Path) -> PriceTable:
    """Parse a price table file; any problem is a ``PriceTableError`` in words."""
    return _parse(path, _read(path))


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise PriceTableError(f"{path.name} is too large to be a price table")
        return path.read_bytes()
    except OSError as exc:
        raise PriceTableError(f"cannot read {path}: {exc.strerror or exc}") from None


def _parse(path: Path, raw: bytes) -> PriceTable:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PriceTableError(f"{path.name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PriceTableError(f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_price_table(data)


def bundled_price_table() -> PriceTable:
    return read_price_table(resource_path(BUNDLED_NAME))


def load_price_table(home: Path | None = None) -> PriceTable:
    """The user's imported table when there is a valid one newer than the bundled; else the bundled."""
    bundled = bundled_price_table()
    if home is None:
        return bundled
    imported_path = home / IMPORTED_NAME
    if not imported_path.is_file():
        return bundled
    try:
        imported = read_price_table(imported_path)
    except PriceTableError:
        return bundled
    return imported if imported.as_of >= bundled.as_of else bundled


def import_price_table(source: Path, home: Path) -> PriceTable:
    """Check ``source`` and copy it into ``home``; refuse a bad table before touching the old one.

    The bytes checked are the bytes written (read once), and the copy is atomic and on disk on return.
    """
    from fluxdesk.storage.files import atomic_write  # its imports (hashlib, socket…) stay off start-up

    raw = _read(source)
    table = _parse(source, raw)
    atomic_write(home / IMPORTED_NAME, raw)
    return table
