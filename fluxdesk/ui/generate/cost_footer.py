"""The foot of the prompt panel: the live price, credits left, the month against the budget, Generate."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget

from fluxdesk.core.catalog import Model
from fluxdesk.core.pricing import Estimate, credits_phrase, format_credits, format_price, format_usd
from fluxdesk.core.request import reference_name
from fluxdesk.core.wording import plural
from fluxdesk.ui.kit.forms import describe, make_label, row
from fluxdesk.ui.kit.surfaces import AccentButton, Card
from fluxdesk.ui.kit.theme import set_tone


class CostFooter(Card):
    """Shows what the panel computed; it decides nothing itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("costFooter")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(4)

        self.cost_label = make_label(name="costLabel", wrap=True)
        font = self.cost_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.cost_label.setFont(font)
        self.cost_label.setAccessibleName("Estimated cost")
        self.cost_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.credits_label = make_label(tone="muted", name="creditsLabel", wrap=False)
        self.credits_label.setAccessibleName("Estimated credits")
        self.credits_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.elsewhere_button = QToolButton()
        self.elsewhere_button.setObjectName("elsewhereButton")
        self.elsewhere_button.setAutoRaise(True)
        self.elsewhere_button.setCursor(Qt.CursorShape.PointingHandCursor)
        link = self.elsewhere_button.font()
        link.setUnderline(True)  # a link to a list, not a command that changes anything
        self.elsewhere_button.setFont(link)
        self.elsewhere_button.hide()
        layout.addWidget(row(self.cost_label, self.credits_label, self.elsewhere_button))

        self.references_label = make_label(tone="muted", name="referenceCostLabel", small=True)
        self.references_label.setAccessibleName("What the references add")
        self.references_label.hide()
        layout.addWidget(self.references_label)

        self.balance_label = make_label(tone="muted", name="balanceLabel", small=True)
        self.balance_label.setAccessibleName("Credits left")
        self.balance_label.hide()
        layout.addWidget(self.balance_label)
        self.month_label = make_label(tone="muted", name="monthLabel", small=True)
        self.month_label.setAccessibleName("Spend this month")
        self.month_label.hide()
        layout.addWidget(self.month_label)
        self.busy_label = make_label(tone="info", name="busyLabel", small=True)
        self.busy_label.setAccessibleName("Activity")
        self.busy_label.hide()
        layout.addWidget(self.busy_label)
        self.waiting_label = make_label(tone="info", name="waitingLabel", small=True)
        self.waiting_label.setAccessibleName("Generate waits for")
        self.waiting_label.hide()
        layout.addWidget(self.waiting_label)

        layout.addSpacing(6)
        self.generate_button = AccentButton("Generate")
        self.generate_button.setMinimumHeight(36)
        self.generate_button.setCursor(Qt.CursorShape.PointingHandCursor)
        describe(self.generate_button, "Generate", "Generate (Ctrl+Enter)", "generateButton")
        layout.addWidget(self.generate_button)

    def set_elsewhere_action(self, action: QAction) -> None:
        """The button beside the price that lists the same request at other providers."""
        self.elsewhere_button.setDefaultAction(action)
        self.elsewhere_button.show()

    def show_estimate(self, estimate: Estimate | None, model: Model | None = None) -> None:
        if estimate is None:
            self.cost_label.setText("Price: —")
            self.credits_label.setText("")
            self.cost_label.setToolTip("The price shows once every field is valid")
            self.references_label.hide()
            return
        prefix = "" if estimate.exact else "≈ "
        self.cost_label.setText(prefix + estimate.summary())
        self.credits_label.setText(prefix + credits_phrase(estimate.credits_total))
        self.cost_label.setToolTip(self._breakdown(estimate))
        text = self.references_text(estimate, model)
        self.references_label.setText(text)
        self.references_label.setVisible(bool(text))

    @staticmethod
    def references_text(estimate: Estimate, model: Model | None) -> str:
        """``"Per image: output 3 credits · image 1 +1.5 credits · image 2 +1.5 credits"``; on a flat price, that
        the references are included. Empty without references."""
        credits = estimate.reference_credits
        if not credits:
            return ""
        if not any(credits):
            names = ", ".join(reference_name(i) for i in range(len(credits)))
            where = f"{model.name}'s" if model is not None else "the"
            return f"{names}: included in {where} flat price"
        parts = [f"{reference_name(i)} +{credits_phrase(c)}" for i, c in enumerate(credits)]
        return f"Per image: output {credits_phrase(estimate.output_credits)} · " + " · ".join(parts)

    @staticmethod
    def _breakdown(estimate: Estimate) -> str:
        lines = [f"{credits_phrase(estimate.credits_per_image)} per image "
                 f"({format_price(estimate.usd_per_image)})"]
        if estimate.output_megapixels is not None:
            lines.append(f"Billed for {plural(estimate.output_megapixels, 'started megapixel')} of output per image")
        for index, (mp, credits) in enumerate(zip(estimate.reference_megapixels, estimate.reference_credits,
                                                  strict=False)):
            lines.append(f"{reference_name(index)}: {plural(mp, 'started megapixel')}, +{credits_phrase(credits)}")
        lines.append(f"{plural(estimate.count, 'image')}: "
                     f"{credits_phrase(estimate.credits_total)} = {format_price(estimate.usd_total)}")
        lines.append(f"Prices as of {estimate.price_as_of}; BFL's bill is what counts")
        return "\n".join(lines)

    def show_balance(self, credits: Decimal | None, usd_per_credit: Decimal, short: bool) -> None:
        if credits is None:
            self.balance_label.hide()
            return
        text = f"{format_credits(credits)} credits left ({format_usd(credits * usd_per_credit)})"
        if short:
            text += " · not enough for this submission"
        self.balance_label.setText(text)
        set_tone(self.balance_label, "warning" if short else "muted")
        self.balance_label.show()

    def show_month(self, spent: Decimal | None, budget: Decimal | None, after: Decimal | None,
                   crossing: bool, *, team: bool = False) -> None:
        """The month's spend against the budget; ``team``: the studio team's month and budget."""
        if spent is None:
            self.month_label.hide()
            return
        text = f"{'Team this month' if team else 'This month'}: {format_usd(spent)}"
        if budget is not None:
            text += f" of {format_usd(budget)}"
        if crossing and after is not None:
            text += f" · this would bring it to {format_usd(after)}, over the budget"
        self.month_label.setText(text)
        self.month_label.setAccessibleName("Team's spend this month" if team else "Spend this month")
        self.month_label.setToolTip(
            "What the whole studio spent this month, as last read from the studio server (the status bar says how "
            "fresh), against the team's budget" if team else "What this FluxDesk spent this month")
        set_tone(self.month_label, "warning" if crossing else "muted")
        self.month_label.show()

    def set_waiting(self, text: str) -> None:
        """Why Generate waits (references still being prepared); empty hides it."""
        self.waiting_label.setText(text)
        self.waiting_label.setVisible(bool(text))

    def set_busy_hint(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))

    def set_generate(self, enabled: bool, price: str | None, tooltip: str) -> None:
        self.generate_button.setText(f"Generate · {price}" if price else "Generate")
        self.generate_button.setEnabled(enabled)
        self.generate_button.setToolTip(tooltip)
        self.generate_button.setAccessibleDescription(tooltip)
