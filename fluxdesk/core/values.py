"""What kind of number a value from JSON or a form is: shared by validation and (de)serialisation.

``bool`` is an ``int`` to Python but never a number here; a float must be finite.
"""

from __future__ import annotations

import math
from typing import TypeGuard


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
