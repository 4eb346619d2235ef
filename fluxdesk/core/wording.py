"""Counts and moments as people read them, in the window and on the command line alike: the one plural rule
(``plural``) and the one way a time is shown (``moment_text``).

Money has its own text (``fluxdesk.core.pricing``: ``format_usd``, ``format_credits``, ``credits_phrase``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fluxdesk.core.serialize import parse_iso
from fluxdesk.core.values import is_number


def plural_word(count: int | Decimal, word: str, words: str | None = None) -> str:
    """The words that go with ``count``: ``word`` for exactly one, else ``words`` (``word`` + "s" unless given).

    ``plural_word(2, "image")`` → ``"images"``; ``plural_word(1, "it was", "they were")`` → ``"it was"``.
    """
    if count == 1:
        return word
    return word + "s" if words is None else words


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` with its thousands grouped, then its word: ``"1 image"``, ``"0 images"``, ``"1,234 images"``."""
    return f"{count:,} {plural_word(count, word, words)}"


def to_moment(value: object) -> datetime | None:
    """``value`` as an aware datetime: ISO 8601 text (UTC where it names no zone), seconds since the epoch, or a
    datetime (UTC where naive); ``None`` for anything else, or a time no calendar holds."""
    try:
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if is_number(value):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return parse_iso(value)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def moment_text(value: object, *, seconds: bool = True, utc: bool = False) -> str:
    """A moment as the app shows it: ``2026-05-09 09:35:25`` in the local time zone; ``seconds=False`` drops the
    seconds (``2026-05-09 09:35``), ``utc=True`` shows UTC and says so (``2026-05-09 07:35:25 UTC``).

    ``value`` is anything ``to_moment`` reads; ``None`` reads as empty text, anything else unreadable as itself.
    """
    moment = to_moment(value)
    try:
        shown = None if moment is None else moment.astimezone(UTC if utc else None)
    except (ValueError, OverflowError):  # a first or last day of the calendar, moved past its end
        shown = None
    if shown is None:
        return "" if value is None else str(value)
    text = f"{shown:%Y-%m-%d %H:%M:%S}" if seconds else f"{shown:%Y-%m-%d %H:%M}"
    return f"{text} UTC" if utc else text
