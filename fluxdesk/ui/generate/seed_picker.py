"""The seed: random or fixed, a dice, "reuse last seed", and the seeds N images will use."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QVBoxLayout, QWidget

from fluxdesk.core.request import SEED_MAX, FieldError
from fluxdesk.ui.generate.drops import HandOnImageDrags
from fluxdesk.ui.kit.forms import (
    FieldSlot,
    Form,
    IconButton,
    WheelGuard,
    describe,
    make_label,
    paint_dice,
    row,
)

RANDOM, FIXED = "random", "fixed"

DICE_LIMIT = 2**32
"""Dice seeds stay below 2³², the range most FLUX tools show, so they are easy to read and share."""


def roll_seed() -> int:
    import secrets  # on the first roll: the module pulls in hmac and random

    return secrets.randbelow(DICE_LIMIT)


class SeedPicker(QWidget):
    changed = Signal()

    def __init__(self, guard: WheelGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count = 1
        self._last_seed: int | None = None
        self._fixed_text = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = Form()
        layout.addLayout(form)

        self._mode = QComboBox()
        self._mode.addItem("Random", RANDOM)
        self._mode.addItem("Fixed", FIXED)
        describe(self._mode, "Seed mode",
                 "Random: a new seed for every image. Fixed: the same seed gives the same image again",
                 "seedModeCombo")
        guard.guard(self._mode)
        self._mode.currentIndexChanged.connect(self._on_mode_changed)

        self._edit = QLineEdit()
        self._edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,19}"), self._edit))
        self._edit.setMaxLength(19)
        self._edit.setClearButtonEnabled(False)
        describe(self._edit, "Seed", f"A whole number from 0 to {SEED_MAX}", "seedEdit")
        self._edit.textEdited.connect(self._on_text_edited)
        self._edit.setMinimumWidth(96)
        self._edit.installEventFilter(HandOnImageDrags(self._edit))

        self._dice = IconButton(paint_dice)
        describe(self._dice, "Roll a new seed", "Roll a new random seed and fix it", "diceButton")
        self._dice.clicked.connect(self.roll)

        self._slot = FieldSlot(row(self._mode, self._edit, self._dice), "seed")
        self._slot.add_field("seed", self._edit, "Seed")
        form.add_row("Seed", self._slot)

        self._reuse = QPushButton("Reuse last seed")
        describe(self._reuse, "Reuse last seed", "No image has been generated yet", "reuseSeedButton")
        self._reuse.setEnabled(False)
        self._reuse.clicked.connect(self.reuse_last)
        form.add_row("", row(self._reuse, 1))

        self._info = make_label(tone="muted", name="seedInfoLabel", small=True)
        self._info.setAccessibleName("Seeds used")
        form.add_row("", self._info)
        self._apply_mode(RANDOM)

    # -- API ----------------------------------------------------------------------------------------

    def slot(self) -> FieldSlot:
        return self._slot

    def is_fixed(self) -> bool:
        return self._mode.currentData() == FIXED

    def seed(self) -> int | None:
        """The fixed seed; ``None`` when random (or when Fixed has no number yet: see ``problems``)."""
        if not self.is_fixed() or not self._edit.text():
            return None
        return int(self._edit.text())

    def set_seed(self, seed: int | None) -> None:
        """Fix ``seed``, or go back to random with ``None``."""
        if seed is None:
            self._set_mode(RANDOM)
            return
        self._fixed_text = str(seed)
        self._set_mode(FIXED)
        self._edit.setText(self._fixed_text)
        self._refresh_info()
        self.changed.emit()

    def roll(self) -> int:
        seed = roll_seed()
        self.set_seed(seed)
        return seed

    def set_last_seed(self, seed: int) -> None:
        self._last_seed = seed
        self._reuse.setEnabled(True)
        self._reuse.setToolTip(f"Fix the seed of the last image: {seed}")

    def reuse_last(self) -> None:
        if self._last_seed is not None:
            self.set_seed(self._last_seed)

    def set_count(self, count: int) -> None:
        self._count = max(1, count)
        self._refresh_info()

    def problems(self) -> list[FieldError]:
        """What ``validate`` cannot see: an empty fixed seed, or N images running past the largest seed."""
        if not self.is_fixed():
            return []
        if not self._edit.text():
            return [FieldError("seed", "is empty: type a number, roll the dice, or choose Random")]
        seed = int(self._edit.text())
        highest = SEED_MAX - self._count + 1
        if self._count > 1 and highest < seed <= SEED_MAX:
            return [FieldError("seed", f"must be at most {highest} for {self._count} images "
                                       "(each image uses the next seed)")]
        return []

    # -- reactions ----------------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        index = self._mode.findData(mode)
        if index != self._mode.currentIndex():
            self._mode.setCurrentIndex(index)

    def _on_mode_changed(self, _index: int) -> None:
        mode = self._mode.currentData()
        if mode == FIXED and not self._fixed_text:
            # Fixed with nothing in it would only be an error: start from a fresh seed to keep or overwrite.
            self._fixed_text = str(roll_seed())
        self._apply_mode(mode)
        self.changed.emit()

    def _apply_mode(self, mode: str) -> None:
        fixed = mode == FIXED
        with QSignalBlocker(self._edit):
            self._edit.setText(self._fixed_text if fixed else "")
        self._edit.setEnabled(fixed)
        self._edit.setPlaceholderText("type a seed" if fixed else "new each time")
        self._refresh_info()

    def _on_text_edited(self, text: str) -> None:
        self._fixed_text = text
        self._refresh_info()
        self.changed.emit()

    def _refresh_info(self) -> None:
        seed = self.seed()
        n = self._count
        if not self.is_fixed():
            text = "A new random seed for each image" if n > 1 else "A random seed, chosen by BFL"
        elif seed is None:
            text = ""
        elif n == 1:
            text = f"Seed {seed}"
        else:
            text = f"Seeds {seed} … {seed + n - 1}, one per image"
        self._info.setText(text)
        self._info.setVisible(bool(text))
