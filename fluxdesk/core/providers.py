"""What the same request would cost at other providers of the same model: priced, never called.

FluxDesk sends to BFL only. Other providers sell the same models with their own billing mechanics, kept as
dated data (``resources/providers.json``, one source per row) and parsed here from plain values:

- ``per_image``: a flat price per image;
- ``per_megapixel``: as BFL bills FLUX.2 — a first megapixel, then each further started megapixel of the
  output and of every reference (1 MP = 1024 × 1024 px, rounded up per image, at least one);
- ``per_run_fractional_megapixel``: a price per run plus output and input megapixels counted as fractions of
  10^6 pixels (Replicate's FLUX.2 [max]).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core.catalog import DimensionSize, UnknownModelError, get_model, started_megapixels
from fluxdesk.core.dated_table import read_date, read_decimal, read_list, read_mapping, read_text
from fluxdesk.core.pricing import DEFAULT_INPUT_IMAGE_PIXELS, PriceTable, estimate
from fluxdesk.core.request import GenerationRequest, effective_size, sent_reference_pixels

DECIMAL_MEGAPIXEL = 1_000_000
"""Fractional-megapixel providers count 10^6 pixels as one megapixel (BFL counts 1024 × 1024)."""

BFL = "BFL"


class ProviderTableError(ValueError):
    """A provider table that cannot be used, with what is wrong in words."""


class ProviderBilling(enum.Enum):
    PER_IMAGE = "per_image"
    PER_MEGAPIXEL = "per_megapixel"
    PER_RUN_FRACTIONAL_MEGAPIXEL = "per_run_fractional_megapixel"


_FIELDS: dict[ProviderBilling, tuple[str, ...]] = {
    ProviderBilling.PER_IMAGE: ("per_image_usd",),
    ProviderBilling.PER_MEGAPIXEL: ("first_mp_usd", "extra_mp_usd"),
    ProviderBilling.PER_RUN_FRACTIONAL_MEGAPIXEL: ("per_run_usd", "per_output_mp_usd", "per_input_mp_usd"),
}
"""The prices each billing needs (and the only ones its row may carry)."""

_ALL_FIELDS = tuple(f for fields in _FIELDS.values() for f in fields)


@dataclass(frozen=True)
class ProviderPrice:
    """One provider's price of one model."""

    provider: str
    model: str
    """A catalog model id."""
    billing: ProviderBilling
    as_of: str
    source: str
    per_image_usd: Decimal | None = None
    first_mp_usd: Decimal | None = None
    extra_mp_usd: Decimal | None = None
    per_run_usd: Decimal | None = None
    per_output_mp_usd: Decimal | None = None
    per_input_mp_usd: Decimal | None = None


@dataclass(frozen=True)
class ProviderTable:
    as_of: str
    source: str
    rows: tuple[ProviderPrice, ...]

    def for_model(self, model_id: str) -> tuple[ProviderPrice, ...]:
        return tuple(r for r in self.rows if r.model == model_id)


@dataclass(frozen=True)
class ProviderQuote:
    provider: str
    model: str
    usd_per_image: Decimal
    usd_total: Decimal
    billing: str
    """A ``ProviderBilling`` value."""
    as_of: str
    source: str


def _parse_row(index: int, entry: object) -> ProviderPrice:
    where = f"providers[{index}]."
    data = read_mapping(entry, where.rstrip("."), ProviderTableError, "an object")
    provider = read_text(data, "provider", where, ProviderTableError)
    model_id = read_text(data, "model", where, ProviderTableError)
    try:
        model = get_model(model_id)
    except UnknownModelError:
        raise ProviderTableError(f"{where}model: {model_id!r} is not a model FluxDesk knows") from None
    billing_text = data.get("billing")
    try:
        billing = ProviderBilling(billing_text)
    except ValueError:
        known = ", ".join(b.value for b in ProviderBilling)
        raise ProviderTableError(f"{where}billing: {billing_text!r} is not one of {known}") from None
    if billing is not ProviderBilling.PER_IMAGE and not isinstance(model.size, DimensionSize):
        raise ProviderTableError(f"{where}billing: {model.name} is sized by aspect ratio; only a price per "
                                 "image can be used for it")
    wanted = _FIELDS[billing]
    stray = [f for f in _ALL_FIELDS if f not in wanted and f in data]
    if stray:
        raise ProviderTableError(f"{where}{stray[0]}: does not belong to {billing.value} billing")
    prices = {f: read_decimal(data.get(f), f"{where}{f}", ProviderTableError) for f in wanted}
    return ProviderPrice(provider=provider, model=model.id, billing=billing,
                         as_of=read_date(data, "as_of", where, ProviderTableError),
                         source=read_text(data, "source", where, ProviderTableError), **prices)


def parse_provider_table(data: object) -> ProviderTable:
    """Build a table from decoded JSON; refuse anything incomplete with a plain message."""
    table = read_mapping(data, "the provider table", ProviderTableError, "a JSON object")
    as_of = read_date(table, "as_of", "", ProviderTableError)
    source = read_text(table, "source", "", ProviderTableError, required=False)
    rows_data = read_list(table.get("providers"), "providers", ProviderTableError, "a list of prices")
    rows = tuple(_parse_row(i, entry) for i, entry in enumerate(rows_data))
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.provider.casefold(), row.model)
        if key in seen:
            raise ProviderTableError(f"providers: {row.provider} is listed twice for {row.model}")
        seen.add(key)
    return ProviderTable(as_of=as_of, source=source, rows=rows)


def _reference_pixels(request: GenerationRequest) -> list[int]:
    """Each reference's pixels as sent (a local edit's crop, not the whole image); one of unknown size counts as a
    megapixel, as BFL's estimate does."""
    return [DEFAULT_INPUT_IMAGE_PIXELS if pixels is None else pixels for pixels in sent_reference_pixels(request)]


def usd_per_image(row: ProviderPrice, request: GenerationRequest) -> Decimal:
    """What one image like ``request`` costs at ``row``'s provider. The request must be valid."""
    if request.model != row.model:
        raise ValueError(f"{row.provider}'s price is for {row.model}, not {request.model}")
    if row.billing is ProviderBilling.PER_IMAGE:
        assert row.per_image_usd is not None
        return row.per_image_usd
    model = get_model(row.model)
    width, height = effective_size(request, model)
    if row.billing is ProviderBilling.PER_MEGAPIXEL:
        assert row.first_mp_usd is not None and row.extra_mp_usd is not None
        output = row.first_mp_usd + row.extra_mp_usd * (started_megapixels(width * height) - 1)
        if not model.references_priced:
            return output
        return output + sum((row.extra_mp_usd * started_megapixels(p) for p in _reference_pixels(request)),
                            Decimal(0))
    assert row.per_run_usd is not None and row.per_output_mp_usd is not None and row.per_input_mp_usd is not None
    input_pixels = sum(_reference_pixels(request))
    return (row.per_run_usd + row.per_output_mp_usd * width * height / DECIMAL_MEGAPIXEL
            + row.per_input_mp_usd * input_pixels / DECIMAL_MEGAPIXEL)


def quote(row: ProviderPrice, request: GenerationRequest, count: int = 1) -> ProviderQuote:
    """``row``'s provider's price for ``count`` images like ``request`` (its output and references' sizes)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    each = usd_per_image(row, request)
    return ProviderQuote(provider=row.provider, model=row.model, usd_per_image=each, usd_total=each * count,
                         billing=row.billing.value, as_of=row.as_of, source=row.source)


def bfl_quote(request: GenerationRequest, count: int, bfl: PriceTable) -> ProviderQuote:
    """BFL's own price, from the price table, in the same shape as the other providers'."""
    est = estimate(request, bfl, count)
    billing = ProviderBilling.PER_IMAGE if est.output_megapixels is None else ProviderBilling.PER_MEGAPIXEL
    return ProviderQuote(provider=BFL, model=est.model, usd_per_image=est.usd_per_image, usd_total=est.usd_total,
                         billing=billing.value, as_of=bfl.as_of, source=bfl.source)


def compare(request: GenerationRequest, count: int, providers: ProviderTable,
            bfl: PriceTable) -> list[ProviderQuote]:
    """BFL first, then every provider of the same model, cheapest first (ties in the table's order)."""
    others = [quote(row, request, count) for row in providers.for_model(request.model)]
    return [bfl_quote(request, count, bfl), *sorted(others, key=lambda q: q.usd_per_image)]


def billing_words(billing: str) -> str:
    """How a quote's billing reads: ``"per image"``, ``"per megapixel"``, ``"per run + fractional MP"``."""
    return {ProviderBilling.PER_IMAGE.value: "per image",
            ProviderBilling.PER_MEGAPIXEL.value: "per megapixel",
            ProviderBilling.PER_RUN_FRACTIONAL_MEGAPIXEL.value: "per run + fractional MP"}.get(billing, billing)

