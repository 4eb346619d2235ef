"""What a request will cost, in credits and US dollars, from a dated price table.

All arithmetic is ``Decimal``: money never drifts. The table itself is data (``resources/prices.json``),
parsed here from plain values and loaded from disk elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fluxdesk.core.catalog import (
    MEGAPIXEL,
    MODELS,
    TOOL_MODELS,
    DimensionSize,
    Pricing,
    get_model,
    started_megapixels,
)
from fluxdesk.core.request import GenerationRequest, effective_size, sent_reference_pixels
from fluxdesk.core.wording import plural_word

USD_PER_CREDIT = Decimal("0.01")


class PriceTableError(ValueError):
    """A price table that cannot be used, with what is wrong in words."""


@dataclass(frozen=True)
class ModelPrice:
    per_image: Decimal | None = None
    """Flat models: credits per image."""
    first_mp: Decimal | None = None
    """Megapixel models: credits for the first output megapixel."""
    extra_mp: Decimal | None = None
    """Megapixel models: credits for each further started megapixel, output or input."""
    source: str = ""
    """Where this row's figure comes from (the table's own ``source`` covers rows without one)."""
    note: str = ""
    """What a reader of this price must know, said wherever it is shown: ``"not on BFL's price page"``."""


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    source: str
    usd_per_credit: Decimal
    prices: Mapping[str, ModelPrice]

    def price(self, model_id: str) -> ModelPrice:
        try:
            return self.prices[model_id]
        except KeyError:
            raise PriceTableError(f"the price table of {self.as_of} has no price for {model_id}") from None


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PriceTableError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PriceTableError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise PriceTableError(f"{where}: {value!r} must be a number of at least 0")
    return number


def _is_date(text: str) -> bool:
    """A real calendar date: "2026-13-45" has the shape but would sort after every real table."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_price_table(data: Any) -> PriceTable:
    """Build a table from decoded JSON; refuse anything incomplete with a plain message."""
    if not isinstance(data, Mapping):
        raise PriceTableError("a price table must be a JSON object")
    as_of = data.get("as_of")
    if not isinstance(as_of, str) or len(as_of) != 10 or as_of[4] != "-" or as_of[7] != "-" or not _is_date(as_of):
        raise PriceTableError("as_of: must be a date written YYYY-MM-DD")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise PriceTableError("source: must be text")
    usd_per_credit = _decimal(data.get("usd_per_credit", "0.01"), "usd_per_credit")
    models = data.get("models")
    if not isinstance(models, Mapping):
        raise PriceTableError("models: must be an object of model id → price")
    prices: dict[str, ModelPrice] = {}
    # A table without the editing tools still prices every model of the pickers (one imported before FluxDesk knew
    # them); a tool it does not price is never given a figure: its estimate says there is none.
    for model in MODELS:
        entry = models.get(model.id)
        if not isinstance(entry, Mapping):
            raise PriceTableError(f"models: no price for {model.id}")
        prices[model.id] = _model_price(model.id, model.pricing, entry)
    for model in TOOL_MODELS:
        entry = models.get(model.id)
        if entry is not None:
            if not isinstance(entry, Mapping):
                raise PriceTableError(f"models.{model.id}: must be an object")
            prices[model.id] = _model_price(model.id, model.pricing, entry)
    return PriceTable(as_of=as_of, source=source, usd_per_credit=usd_per_credit, prices=prices)


def _row_text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or len(value) > MAX_ROW_TEXT:
        raise PriceTableError(f"{where}.{key}: must be text of at most {MAX_ROW_TEXT} characters")
    return value.strip()


def _model_price(model_id: str, pricing: Pricing, entry: Mapping[str, Any]) -> ModelPrice:
    source, note = _row_text(entry, "source", model_id), _row_text(entry, "note", model_id)
    if pricing is Pricing.FLAT:
        return ModelPrice(per_image=_decimal(entry.get("per_image"), f"{model_id}.per_image"), source=source,
                          note=note)
    return ModelPrice(first_mp=_decimal(entry.get("first_mp"), f"{model_id}.first_mp"),
                      extra_mp=_decimal(entry.get("extra_mp"), f"{model_id}.extra_mp"), source=source, note=note)


MAX_ROW_TEXT = 2_000
"""Longer text is no source or note: a guard against hostile files."""


DEFAULT_INPUT_IMAGE_PIXELS = MEGAPIXEL
"""How large an input image of unknown size is assumed to be: an estimate, never the bill."""


@dataclass(frozen=True)
class Estimate:
    model: str
    count: int
    credits_per_image: Decimal
    usd_per_credit: Decimal
    price_as_of: str
    output_megapixels: int | None
    input_megapixels: int
    exact: bool
    """False when the figure rests on a guess (input images of unknown size)."""
    reference_megapixels: tuple[int, ...] = ()
    """Each reference's billed megapixels, in order (empty for models that take references free)."""
    reference_credits: tuple[Decimal, ...] = ()
    """What each reference adds to the price of one image, in order (0 on the flat models)."""
    note: str = ""
    """The price row's note (``ModelPrice.note``), to be shown with the figure wherever it is: ``"5 credits per
    ComfyUI's published badge; not on BFL's price page"``."""

    @property
    def output_credits(self) -> Decimal:
        """The price of one image without what its references add."""
        return self.credits_per_image - sum(self.reference_credits, Decimal(0))

    @property
    def usd_per_image(self) -> Decimal:
        return self.credits_per_image * self.usd_per_credit

    @property
    def credits_total(self) -> Decimal:
        return self.credits_per_image * self.count

    @property
    def usd_total(self) -> Decimal:
        return self.credits_total * self.usd_per_credit

    def summary(self) -> str:
        """``4 × $0.045 = $0.18``: the price of an image, and of the request; its note after it, when it has one
        (``1 × $0.05 = $0.05 (5 credits per ComfyUI's published badge; not on BFL's price page)``)."""
        text = f"{self.count} × {format_price(self.usd_per_image)} = {format_price(self.usd_total)}"
        return f"{text} ({self.note})" if self.note else text


def estimate(req: GenerationRequest, table: PriceTable, count: int = 1) -> Estimate:
    """The price of ``count`` images like ``req``. The request must already be valid."""
    if count < 1:
        raise ValueError("count must be at least 1")
    model = get_model(req.model)
    price = table.price(model.id)
    if model.pricing is Pricing.FLAT:
        assert price.per_image is not None
        free = tuple(Decimal(0) for _ in req.input_images)
        return Estimate(model.id, count, price.per_image, table.usd_per_credit, table.as_of,
                        None, 0, True, reference_credits=free, note=price.note)
    assert price.first_mp is not None and price.extra_mp is not None
    assert isinstance(model.size, DimensionSize)
    w, h = effective_size(req, model)
    out_mp = started_megapixels(w * h)
    exact = True
    reference_mp = []
    for pixels in sent_reference_pixels(req, model):  # a local edit: its crop, not the image it was cut from
        if pixels is None:
            pixels, exact = DEFAULT_INPUT_IMAGE_PIXELS, False
        # BFL's pricing page: "rounded up to the next megapixel, separately for each reference image".
        reference_mp.append(started_megapixels(pixels))
    reference_credits = tuple(price.extra_mp * mp for mp in reference_mp)
    credits = price.first_mp + price.extra_mp * (out_mp - 1) + sum(reference_credits, Decimal(0))
    return Estimate(model.id, count, credits, table.usd_per_credit, table.as_of, out_mp, sum(reference_mp), exact,
                    reference_megapixels=tuple(reference_mp), reference_credits=reference_credits, note=price.note)


def reference_credits(model_id: str, width: int, height: int, table: PriceTable) -> Decimal:
    """What one reference of ``width`` × ``height`` adds to an image's price on ``model_id`` (0 where free)."""
    model = get_model(model_id)
    if not model.references_priced:
        return Decimal(0)
    extra = table.price(model.id).extra_mp
    assert extra is not None
    return extra * started_megapixels(width * height)


def credits_to_usd(credits: Decimal, usd_per_credit: Decimal = USD_PER_CREDIT) -> Decimal:
    return credits * usd_per_credit


CENT = Decimal("0.01")
PRICE_STEP = Decimal("0.0001")
PERCENT_LIMIT = Decimal(999)
"""Beyond ±999 % a percentage says so in words instead of printing its digits."""


def format_usd(amount: Decimal) -> str:
    """An amount billed or budgeted (a total, a month's spend, a budget, a balance): whole cents.

    ``$1,234.50``, ``$0.18``, ``-$3.50``; half a cent rounds up. The price of one image or one request
    has its own formatter, ``format_price``.
    """
    shown = abs(amount).quantize(CENT, ROUND_HALF_UP)
    sign = "-" if amount < 0 and shown else ""
    return f"{sign}${shown:,.2f}"


def format_price(amount: Decimal) -> str:
    """The price of an image or of one request: cents, or up to four decimals where it has fractions of a cent.

    ``$0.04``, ``$0.045`` (4.5 credits), ``$0.0028`` (a GPU's cost per image): BFL bills credits of a cent,
    and a half-credit price rounded to cents would no longer equal what is billed.
    """
    shown = abs(amount).quantize(PRICE_STEP, ROUND_HALF_UP)
    sign = "-" if amount < 0 and shown else ""
    whole, _, frac = f"{shown:f}".partition(".")
    return f"{sign}${int(whole):,}.{frac.rstrip('0').ljust(2, '0')}"


def format_percent(value: Decimal, decimals: int = 1) -> str:
    """``93.1%``; beyond ±999 % in words (``over 999%``, ``under -999%``) rather than ``-186,455.6%``."""
    # Far beyond the bound, quantizing could overflow the decimal context: compare as is.
    shown = value if abs(value) > PERCENT_LIMIT * 2 else value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if shown == 0:
        shown = abs(shown)  # never "-0.0%"
    if shown > PERCENT_LIMIT:
        return f"over {PERCENT_LIMIT}%"
    if shown < -PERCENT_LIMIT:
        return f"under -{PERCENT_LIMIT}%"
    return f"{shown:,.{decimals}f}%"


def format_credits(credits: Decimal) -> str:
    """``Decimal("1234")`` → ``"1,234"``; ``Decimal("4.50")`` → ``"4.5"``."""
    value = credits.normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def credits_phrase(credits: Decimal) -> str:
    """``"1 credit"``, ``"4.5 credits"``."""
    return f"{format_credits(credits)} {plural_word(credits, 'credit')}"
