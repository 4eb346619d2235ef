"""Loading the dated table of other providers' prices: the bundled one, or a newer one the user imported,
exactly as the price table."""

from __future__ import annotations

from pathlib import Path

from fluxdesk.core.providers import ProviderTable, ProviderTableError, parse_provider_table
from fluxdesk.storage.dated_tables import TableFile

BUNDLED_NAME = "providers.json"
IMPORTED_NAME = "providers.json"
"""The imported table lives in FLUXDESK_HOME under this name."""

_FILE = TableFile(BUNDLED_NAME, "provider table", parse_provider_table, ProviderTableError)


def read_provider_table(path: Path) -> ProviderTable:
    """Parse a provider table file; any problem is a ``ProviderTableError`` in words."""
    return _FILE.read(path)


def bundled_provider_table() -> ProviderTable:
    return _FILE.bundled()


def load_provider_table(home: Path | None = None) -> ProviderTable:
    """The user's imported table when there is a valid one not older than the bundled; else the bundled."""
    return _FILE.load(home)


def import_provider_table(source: Path, home: Path) -> ProviderTable:
    """Check ``source`` and copy it into ``home``; a bad table is refused before the old one is touched."""
    return _FILE.import_(source, home)
