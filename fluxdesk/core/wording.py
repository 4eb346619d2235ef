"""Counts as people read them: the one plural rule of the app, for the window and the command line alike.

Money has its own text (``fluxdesk.core.pricing``: ``format_usd``, ``format_credits``, ``credits_phrase``).
"""

from __future__ import annotations

from decimal import Decimal


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
