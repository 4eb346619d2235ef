"""What kind of number a value from JSON or a form is: shared by validation and (de)serialisation.

``bool`` is an ``int`` to Python but never a number here; a float must be finite.
"""

from __future__ import annotations

import math


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
