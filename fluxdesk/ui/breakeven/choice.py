"""What the Break-even tab's inputs say, every default filled in: no Qt, no I/O.

The user's own values are kept as ``BreakEvenSettings`` (``None``: not set); the rest comes from
- the user's last 30 days (``ModelUsage`` per model): the model used most, its volume, size and steps;
- the self-hosting table: the first GPU with a published speed for the model one would run instead;
- the price table (BFL) and the provider table (the others), at the request's size;
- the article's defaults: $3,000 of overhead a month, on demand at 60 % utilisation.

``resolve`` fills them in; ``compute`` prices both sides with ``core.breakeven.model_inputs``, as
``fluxdesk breakeven --model`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core import breakeven as be
from fluxdesk.core.catalog import DimensionSize, UnknownModelError, get_model, model_ids
from fluxdesk.core.pricing import PriceTable, PriceTableError
from fluxdesk.core.providers import BFL, ProviderTable, bfl_quote, quote
from fluxdesk.core.selfhost import GpuSpeed, SelfHostModel, SelfHostTable
from fluxdesk.storage.settings import BreakEvenSettings
from fluxdesk.storage.spend import ModelUsage

CUSTOM = "custom"
"""A provider or GPU of the user's own: a typed price, a typed GPU."""
FALLBACK_MODEL = "flux-pro-1.1"
"""The API model priced when the user has made no images lately: the source article's, whose open-weights
stand-in (FLUX.1 [dev]) has published speeds, so a new user's first answer is a verdict."""
DEFAULT_VOLUME = 1_000
"""The volume shown when the user has made no images lately."""
USAGE_DAYS = 30


@dataclass(frozen=True)
class ProviderOffer:
    provider: str
    usd_per_image: Decimal
    billing: str
    as_of: str
    source: str


@dataclass(frozen=True)
class Resolved:
    """Every input as the calculator uses it."""

    api_model: str
    provider: str
    """``BFL``, another provider's name, or ``CUSTOM``."""
    offers: tuple[ProviderOffer, ...]
    """What each provider of the model charges for one image at this size, BFL first."""
    api_price: Decimal
    substitute: SelfHostModel
    self_hostable: bool
    gpu: GpuSpeed | None
    """``None``: a GPU of the user's own."""
    gpu_hourly: Decimal
    base_seconds: Decimal | None
    """Seconds per image at 1024 × 1024 and the substitute's default steps; ``None``: not known (asked for)."""
    speed_typed: bool
    width: int
    height: int
    size_from_usage: bool
    steps: int | None
    """``None``: the substitute's default."""
    volume: int
    volume_from: str
    """Where the volume comes from: ``"model"`` (this model's last 30 days), ``"all"`` (every model's),
    ``"default"`` (no images lately), ``"unknown"`` (not read yet), ``"user"`` (typed)."""
    overhead: Decimal
    mode: be.Mode
    utilisation: Decimal

    @property
    def default_steps(self) -> int:
        return self.substitute.default_steps


def default_model(usage: Sequence[ModelUsage] | None) -> str:
    """The model used most in the last 30 days, else FLUX1.1 [pro]."""
    for item in usage or ():
        if item.model in model_ids():
            return item.model
    return FALLBACK_MODEL


def usage_of(usage: Sequence[ModelUsage] | None, model_id: str) -> ModelUsage | None:
    return next((u for u in usage or () if u.model == model_id), None)


def fit_size(model_id: str, width: int, height: int) -> tuple[int, int]:
    """A size the API model takes (snapped to its step and pixel cap); any size for a model sized by ratio,
    whose size only sets the self-hosted time."""
    size = get_model(model_id).size
    if isinstance(size, DimensionSize):
        return size.snap_size(width, height)
    return max(1, width), max(1, height)


def offers_for(model_id: str, width: int, height: int, prices: PriceTable,
               providers: ProviderTable) -> tuple[ProviderOffer, ...]:
    """BFL's price and every other provider's for one image at this size, BFL first, then cheapest first."""
    request = be.priced_request(model_id, width, height)
    out: list[ProviderOffer] = []
    try:
        q = bfl_quote(request, 1, prices)
        out.append(ProviderOffer(BFL, q.usd_per_image, q.billing, q.as_of, q.source))
    except (PriceTableError, ValueError):
        pass
    others = []
    for row in providers.for_model(model_id):
        try:
            q = quote(row, request)
        except ValueError:
            continue
        others.append(ProviderOffer(q.provider, q.usd_per_image, q.billing, q.as_of, q.source))
    return (*out, *sorted(others, key=lambda o: o.usd_per_image))


def first_gpu_with_speed(table: SelfHostTable, substitute_id: str) -> GpuSpeed:
    """The first GPU of the table with a published speed for ``substitute_id``, else the first GPU."""
    return next((g for g in table.gpus if g.seconds_for(substitute_id) is not None), table.gpus[0])


def resolve(chosen: BreakEvenSettings, usage: Sequence[ModelUsage] | None, prices: PriceTable,
            providers: ProviderTable, self_host: SelfHostTable) -> Resolved:
    model_id = chosen.api_model if chosen.api_model in model_ids() else default_model(usage)
    assert model_id is not None
    mine = usage_of(usage, model_id)
    substitute = self_host.substitute(model_id)

    if chosen.width is not None and chosen.height is not None:
        width, height = fit_size(model_id, chosen.width, chosen.height)
        from_usage = False
    elif mine is not None and mine.width and mine.height:
        width, height = fit_size(model_id, mine.width, mine.height)
        from_usage = True
    else:
        width, height = be.default_size(model_id)
        from_usage = False
    if chosen.steps is not None:
        steps: int | None = chosen.steps
    else:
        steps = mine.steps if mine is not None and get_model(model_id).steps is not None else None

    offers = offers_for(model_id, width, height, prices, providers)
    by_name = {o.provider: o for o in offers}
    if chosen.provider == CUSTOM and chosen.api_price is not None:
        provider, api_price = CUSTOM, chosen.api_price
    else:
        provider = chosen.provider if chosen.provider in by_name else BFL
        if provider not in by_name:  # no price for the model at all: a price of the user's own, from nothing
            provider = CUSTOM
        api_price = by_name[provider].usd_per_image if provider in by_name else (chosen.api_price or Decimal(0))

    gpu: GpuSpeed | None
    if chosen.gpu == CUSTOM:
        gpu = None
    else:
        gpu = next((g for g in self_host.gpus if chosen.gpu is not None and g.name == chosen.gpu), None)
        if gpu is None:
            gpu = first_gpu_with_speed(self_host, substitute.id)
    hourly = chosen.gpu_hourly if chosen.gpu_hourly is not None else (
        gpu.hourly_usd if gpu is not None else self_host.gpus[0].hourly_usd)
    if chosen.seconds_per_image is not None:
        base: Decimal | None = chosen.seconds_per_image
        typed = True
    else:
        base = gpu.seconds_for(substitute.id) if gpu is not None else None
        typed = False

    if chosen.volume is not None:
        volume, volume_from = chosen.volume, "user"
    elif usage is None:
        volume, volume_from = DEFAULT_VOLUME, "unknown"
    elif mine is not None and mine.images:
        volume, volume_from = mine.images, "model"
    elif sum(u.images for u in usage):
        volume, volume_from = sum(u.images for u in usage), "all"
    else:
        volume, volume_from = DEFAULT_VOLUME, "default"

    return Resolved(
        api_model=model_id, provider=provider, offers=offers, api_price=api_price, substitute=substitute,
        self_hostable=self_host.self_hostable(model_id), gpu=gpu, gpu_hourly=hourly, base_seconds=base,
        speed_typed=typed, width=width, height=height, size_from_usage=from_usage, steps=steps, volume=volume,
        volume_from=volume_from,
        overhead=chosen.overhead if chosen.overhead is not None else be.OVERHEAD_LOW,
        mode=be.Mode(chosen.mode) if chosen.mode is not None else be.Mode.ON_DEMAND,
        utilisation=chosen.utilisation if chosen.utilisation is not None else be.DEFAULT_UTILISATION,
    )


class SpeedUnknown(ValueError):
    """No speed for the self-hosted model on this GPU: the user is asked for one."""


def compute(r: Resolved, prices: PriceTable, self_host: SelfHostTable) -> be.ModelBreakEven:
    """Both sides priced, as ``fluxdesk breakeven --model`` prices them; the API side at the chosen provider.

    Raises ``SpeedUnknown`` when the GPU's speed for the self-hosted model is not known, ``ValueError`` in words
    for anything else the calculator refuses."""
    if r.base_seconds is None:
        where = f"the {r.gpu.name}" if r.gpu is not None else "your GPU"
        raise SpeedUnknown(f"No published speed for {r.substitute.name} on {where}: enter its seconds per image "
                           f"at 1024 × 1024 and {r.default_steps} steps.")
    try:
        result = be.model_inputs(r.api_model, r.width, r.height, r.steps, r.gpu, r.gpu_hourly, r.base_seconds,
                                 prices, self_host, r.utilisation, r.overhead, r.mode)
    except (PriceTableError, UnknownModelError) as exc:
        raise ValueError(str(exc)) from exc
    return result if r.provider == BFL else result.at_provider(r.provider, r.api_price)
