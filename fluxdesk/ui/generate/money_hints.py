"""Money hints under the size, where a size wastes money: FLUX.2 bills every started megapixel, at least one.

- Under a megapixel, an image costs what a whole megapixel costs: "512 × 512 costs what 1024 × 1024 costs", with
  the 1 MP size at the same ratio one click away.
- Just over a megapixel boundary (by at most ``JUST_OVER`` of a megapixel), the last megapixel is paid for almost
  nothing: "1.02 MP → billed as 2 MP; 1024 × 1008 is billed as 1 MP and saves $0.015 an image", with the nearest
  size under the boundary one click away.

``money_hint`` decides (no Qt state of its own); ``MoneyHintRow`` shows it and offers the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QWidget

from fluxdesk.core.catalog import MEGAPIXEL, DimensionSize, Model, Pricing, megapixels_text, started_megapixels
from fluxdesk.core.pricing import PriceTable, PriceTableError, estimate, format_price
from fluxdesk.core.request import GenerationRequest
from fluxdesk.ui.generate.size_picker import size_for, size_ok
from fluxdesk.ui.kit.forms import describe, make_label

JUST_OVER = 0.1
"""A size at most this much of a megapixel over a boundary is "just over" it."""
SMALL = 0.9
"""Under this much of a megapixel, the image pays for a megapixel it does not use."""


@dataclass(frozen=True)
class MoneyHint:
    kind: str
    """``"minimum"`` (under one megapixel) or ``"boundary"`` (just over a megapixel boundary)."""
    text: str
    fix: tuple[int, int]
    """The size the one-click fix sets."""
    fix_text: str
    """What the fix's button says."""


def _size(width: int, height: int) -> str:
    return f"{width} × {height}"


def money_hint(model: Model, request: GenerationRequest, table: PriceTable) -> MoneyHint | None:
    """The hint for ``request``'s output size on ``model``; ``None`` when the size wastes nothing (or the model is
    not billed by the megapixel, or has no size of its own)."""
    size = model.size
    if model.pricing is not Pricing.MEGAPIXEL or not isinstance(size, DimensionSize):
        return None
    if request.width is None or request.height is None:
        return None
    width, height = request.width, request.height
    pixels = width * height
    ratio = Fraction(width, height)
    family = model.family
    if pixels < SMALL * MEGAPIXEL:
        fix = size_for(ratio, 1.0, size)
        if not size_ok(*fix, size) or started_megapixels(fix[0] * fix[1]) != 1:
            return None
        text = (f"{family} bills at least one megapixel: {_size(width, height)} costs what "
                f"{_size(*fix)} costs.")
        return MoneyHint("minimum", text, fix, f"Use {_size(*fix)}, same price")
    billed = started_megapixels(pixels)
    if billed < 2 or pixels - (billed - 1) * MEGAPIXEL > JUST_OVER * MEGAPIXEL:
        return None
    fix = size_for(ratio, float(billed - 1), size)
    if not size_ok(*fix, size) or started_megapixels(fix[0] * fix[1]) != billed - 1:
        return None
    text = (f"{megapixels_text(width, height)} → billed as {billed} MP; {_size(*fix)} is billed as "
            f"{billed - 1} MP")
    saving = _saving(request, fix, table)
    text += f" and saves {format_price(saving)} an image." if saving else "."
    return MoneyHint("boundary", text, fix, f"Use {_size(*fix)}")


def _saving(request: GenerationRequest, fix: tuple[int, int], table: PriceTable) -> Decimal | None:
    try:
        now = estimate(request, table).usd_per_image
        then = estimate(replace(request, width=fix[0], height=fix[1]), table).usd_per_image
    except (PriceTableError, ValueError):
        return None
    return now - then if now > then else None


class MoneyHintRow(QWidget):
    """The hint's words and its one-click fix; hidden while there is no hint. ``fixRequested(width, height)``."""

    fixRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moneyHint")
        self._hint: MoneyHint | None = None
        self.label = make_label(tone="info", name="moneyHintLabel", small=True)
        self.label.setAccessibleName("Money hint")
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.fix_button = QPushButton()
        describe(self.fix_button, "Use the cheaper size", "Set the size the hint suggests", "moneyHintFix")
        self.fix_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.fix_button.clicked.connect(self._fix)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def hint(self) -> MoneyHint | None:
        return self._hint

    def show_hint(self, hint: MoneyHint | None) -> None:
        self._hint = hint
        if hint is None:
            self.hide()
            return
        self.label.setText(hint.text)
        self.fix_button.setText(hint.fix_text)
        self.fix_button.setToolTip(f"Set the size to {_size(*hint.fix)} px")
        self.show()

    def _fix(self) -> None:
        if self._hint is not None:
            self.fixRequested.emit(*self._hint.fix)
