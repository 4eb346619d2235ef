"""Loading the dated self-hosting table (open-weights substitutes, licences, GPU speeds): the bundled one, or a
newer one the user imported, exactly as the price table."""

from __future__ import annotations

from pathlib import Path

from fluxdesk.core.selfhost import SelfHostTable, SelfHostTableError, parse_self_host_table
from fluxdesk.storage.dated_tables import TableFile

BUNDLED_NAME = "self_hosting.json"
IMPORTED_NAME = "self_hosting.json"
"""The imported table lives in FLUXDESK_HOME under this name."""

_FILE = TableFile(BUNDLED_NAME, "self-hosting table", parse_self_host_table, SelfHostTableError)


def read_self_host_table(path: Path) -> SelfHostTable:
    """Parse a self-hosting table file; any problem is a ``SelfHostTableError`` in words."""
    return _FILE.read(path)


def bundled_self_host_table() -> SelfHostTable:
    return _FILE.bundled()


def load_self_host_table(home: Path | None = None) -> SelfHostTable:
    """The user's imported table when there is a valid one not older than the bundled; else the bundled."""
    return _FILE.load(home)


def import_self_host_table(source: Path, home: Path) -> SelfHostTable:
    """Check ``source`` and copy it into ``home``; a bad table is refused before the old one is touched."""
    return _FILE.import_(source, home)
