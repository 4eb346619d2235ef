"""Loading a dated data table from ``resources/``: the bundled one, or a newer one the user imported.

The price table (``price_table.py``), the self-hosting table and the provider table work alike: a bad file is
an error in words, never a crash; an imported table is used only while it is valid and not older than the
bundled one; an import checks the file before replacing the old copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from fluxdesk.resources import resource_path

MAX_TABLE_BYTES = 1_000_000


class Dated(Protocol):
    """A dated table: the day its figures are of, and where they come from."""

    @property
    def as_of(self) -> str: ...

    @property
    def source(self) -> str: ...


T = TypeVar("T", bound=Dated)


@dataclass(frozen=True)
class TableFile(Generic[T]):
    name: str
    """The file's name, in ``resources/`` and (imported) in FLUXDESK_HOME."""
    what: str
    """What the table is called in messages: ``"self-hosting table"``."""
    parse: Callable[[object], T]
    error: type[ValueError]

    def read(self, path: Path) -> T:
        """Parse a table file; any problem is ``self.error`` in words."""
        return self._parse(path, self._read(path))

    def _read(self, path: Path) -> bytes:
        try:
            if path.stat().st_size > MAX_TABLE_BYTES:
                raise self.error(f"{path.name} is too large to be a {self.what}")
            return path.read_bytes()
        except OSError as exc:
            raise self.error(f"cannot read {path}: {exc.strerror or exc}") from None

    def _parse(self, path: Path, raw: bytes) -> T:
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise self.error(f"{path.name} is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise self.error(f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        except RecursionError:
            raise self.error(f"{path.name} is nested too deeply to be a {self.what}") from None
        return self.parse(data)

    def bundled(self) -> T:
        return self.read(resource_path(self.name))

    def load(self, home: Path | None = None) -> T:
        """The user's imported table when there is a valid one not older than the bundled; else the bundled."""
        bundled = self.bundled()
        if home is None:
            return bundled
        imported_path = home / self.name
        if not imported_path.is_file():
            return bundled
        try:
            imported = self.read(imported_path)
        except self.error:
            return bundled
        return imported if imported.as_of >= bundled.as_of else bundled

    def import_(self, source: Path, home: Path) -> T:
        """Check ``source`` and copy it into ``home``; refuse a bad table before touching the old one.

        The bytes checked are the bytes written (read once), and the copy is atomic and on disk on return.
        """
        from fluxdesk.storage.files import atomic_write  # its imports (hashlib, socket…) stay off start-up

        raw = self._read(source)
        table = self._parse(source, raw)
        atomic_write(home / self.name, raw)
        return table
