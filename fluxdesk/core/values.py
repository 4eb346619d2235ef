"""What kind of number a value from JSON, a file, a form or the database is, and that number: the one family
of number readings, shared by validation, (de)serialisation, the API client, storage and the UI.

The same rules everywhere: ``bool`` is an ``int`` to Python but never a number here; a float must be finite;
an amount of money or credits is a ``Decimal`` read from the number's text, so 4.5 stays 4.5. ``is_*``
answers whether a value already is such a number; ``as_*`` reads one, or answers ``None``.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TypeGuard

MAX_NUMBER_CHARS = 24
"""Longer text is no number here: a guard against hostile files (no setting, price or size needs more)."""


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[float]:
    """An int or a finite float, not a bool; an int too large to be a float is no number here (1e400 written
    out in full, from a hostile file, would overflow the first float arithmetic on it)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def as_int(value: object, *, text: bool = False, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An int from an int or a float without a fraction (JSON may write 5 as 5.0); with ``text``, also from
    decimal digits with an optional minus ("-12"; not "+12", "1e3", "12.0" or other scripts' digits).

    ``None`` for anything else, and for a number below ``minimum`` or above ``maximum``.
    """
    number: int | None = None
    if is_int(value):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif text and isinstance(value, str):
        digits = value.strip()
        unsigned = digits.removeprefix("-")
        if unsigned and len(unsigned) <= MAX_NUMBER_CHARS and unsigned.isascii() and unsigned.isdigit():
            number = int(digits)
    if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def as_float(value: object, *, text: bool = False) -> float | None:
    """A finite float from an int, a float or a ``Decimal``; with ``text``, also from what ``float`` reads
    ("2.5", " 3 ", "1e3"). ``None`` for anything else: a bool, NaN, an infinity, text over ``MAX_NUMBER_CHARS``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            number = float(value)
        except OverflowError:  # an int past float's range
            return None
    elif text and isinstance(value, str) and len(value.strip()) <= MAX_NUMBER_CHARS:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_decimal(value: object, *, negative: bool = False, maximum: Decimal | None = None,
               max_places: int | None = None) -> Decimal | None:
    """An exact ``Decimal`` from a ``Decimal``, or from the text of an int, a float or a string (so 4.5 stays 4.5).

    ``None`` for anything else: a bool, unreadable text, NaN, an infinity, and a number below 0 unless
    ``negative`` (credits and prices are never below 0; what BFL answers is read as it is).

    For numbers from files of unknown origin, ``maximum`` and ``max_places`` bound the magnitude and the decimals
    (``None`` past them), and text over ``MAX_NUMBER_CHARS`` is refused before it is read: ``"1e999999"`` is a
    valid ``Decimal`` whose arithmetic and formatting take minutes or overflow the context.
    """
    bounded = maximum is not None or max_places is not None
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        try:
            text = str(value).strip()
        except ValueError:  # an int too long to write out
            return None
        if bounded and len(text) > MAX_NUMBER_CHARS:
            return None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    if not number.is_finite() or (number < 0 and not negative):
        return None
    if maximum is not None and abs(number) > maximum:
        return None
    if max_places is not None and number and int(number.normalize().as_tuple().exponent) < -max_places:
        return None  # checked after the magnitude: normalising 1e999999 would be slow
    return number


def as_bool(value: object) -> bool | None:
    """A bool, or "true" / "false" in any case; ``None`` for anything else (1 and 0 are numbers, not flags)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None
