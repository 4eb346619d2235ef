"""Reading the fields of a dated data table (``resources/*.json``) that a user may also import.

Every reader takes the error class to raise, so each table refuses bad input with its own kind of error and
with the field named: ``gpus[2].hourly_usd: "cheap" is not a number``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from fluxdesk.core.values import MAX_NUMBER_CHARS

MAX_TEXT_CHARS = 2_000
"""Longer text is no name or source: a guard against hostile files."""


def is_date(text: object) -> bool:
    """``YYYY-MM-DD`` and a real calendar date: "2026-13-45" has the shape but would sort after every real table."""
    if not isinstance(text, str) or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def read_date(data: Mapping[str, object], key: str, where: str, error: type[ValueError]) -> str:
    value = data.get(key)
    if not is_date(value):
        raise error(f"{where}{key}: must be a date written YYYY-MM-DD")
    assert isinstance(value, str)
    return value


def read_text(data: Mapping[str, object], key: str, where: str, error: type[ValueError], *,
              required: bool = True) -> str:
    value = data.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise error(f"{where}{key}: must be {'some ' if required else ''}text")
    if len(value) > MAX_TEXT_CHARS:
        raise error(f"{where}{key}: is too long")
    return value.strip()


def read_decimal(value: object, where: str, error: type[ValueError], *, positive: bool = False) -> Decimal:
    """A number of at least 0 (more than 0 with ``positive``), written as JSON number or as text ("0.69")."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(value)) > MAX_NUMBER_CHARS:
        raise error(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise error(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise error(f"{where}: {value!r} must be a number {'more than' if positive else 'of at least'} 0")
    return number


def read_mapping(value: object, where: str, error: type[ValueError], what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise error(f"{where}: must be {what}")
    return value


def read_list(value: object, where: str, error: type[ValueError], what: str) -> Sequence[object]:
    if not isinstance(value, list):
        raise error(f"{where}: must be {what}")
    return value
