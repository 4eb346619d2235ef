"""Would our own GPU be cheaper? API cost against self-hosted cost, month by month.

Two ways to self-host:
- ``on-demand``: pay for the GPU hours the images take (the source article's assumption), divided by the
  utilisation: idle time, cold starts and minimum billing are paid for too;
- ``always-on``: rent GPUs for the whole month (730 h); each one's capacity caps the volume it can
  serve, so a volume needs ``ceil(volume / capacity)`` of them, and at least one while you self-host.

``model_inputs`` builds the inputs for an API model: its price at the request's size from the price table,
and the open-weights model one would run instead (``fluxdesk.core.selfhost``), at that size and steps.

Everything is ``Decimal``; percentages are ``None`` where they would divide by zero.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from fluxdesk.core.catalog import AspectRatioSize, DimensionSize, display_name, get_model
from fluxdesk.core.pricing import PriceTable, estimate, format_usd
from fluxdesk.core.providers import BFL
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.core.selfhost import GpuSpeed, SelfHostModel, SelfHostTable, scaled_seconds
from fluxdesk.core.wording import plural

HOURS_PER_MONTH = Decimal(730)
MONTHS_PER_YEAR = 12
DEFAULT_VOLUMES = (100, 1_000, 10_000, 50_000, 100_000)
SECONDS_PER_HOUR = Decimal(3600)

OVERHEAD_LOW = Decimal(3000)
OVERHEAD_HIGH = Decimal(10000)
"""The source article's engineering overhead of a small team, in US dollars a month: it decides the answer
below ~50,000-100,000 images a month. The app's default is the low figure; the band is shown."""
DEFAULT_UTILISATION = Decimal("0.6")
"""Of the on-demand GPU time paid for, the share that makes images (the rest: idle, cold starts, minimums)."""


class Mode(enum.Enum):
    ON_DEMAND = "on-demand"
    ALWAYS_ON = "always-on"


@dataclass(frozen=True)
class BreakEvenInputs:
    api_price: Decimal
    """US dollars per image at the API."""
    gpu_hourly: Decimal
    images_per_hour: Decimal
    overhead_monthly: Decimal = Decimal(0)
    """Engineering time and the rest, in US dollars per month."""
    mode: Mode = Mode.ON_DEMAND
    utilisation: Decimal = Decimal(1)
    """On demand, the share of the GPU time paid for that makes images (0 < u ≤ 1): the cost is divided by it.
    Always-on rents whole GPUs for the month, and is not affected."""

    def __post_init__(self) -> None:
        if self.api_price < 0:
            raise ValueError("the API price per image cannot be negative")
        if self.gpu_hourly < 0:
            raise ValueError("the GPU's hourly price cannot be negative")
        if self.images_per_hour <= 0:
            raise ValueError("images per hour must be more than 0")
        if self.overhead_monthly < 0:
            raise ValueError("the monthly overhead cannot be negative")
        if not 0 < self.utilisation <= 1:
            raise ValueError("utilisation must be more than 0 and at most 1 (a fraction: 0.6 is 60%)")

    @property
    def effective_images_per_hour(self) -> Decimal:
        """Images per hour paid for: on demand, the GPU's rate × utilisation; always-on, its rate."""
        if self.mode is Mode.ON_DEMAND:
            return self.images_per_hour * self.utilisation
        return self.images_per_hour

    @property
    def gpu_cost_per_image(self) -> Decimal:
        """GPU cost of one image: hourly price ÷ images per hour (÷ utilisation on demand)."""
        return self.gpu_hourly / self.effective_images_per_hour

    @property
    def capacity_per_gpu(self) -> Decimal:
        """Images one always-on GPU can make in a month."""
        return self.images_per_hour * HOURS_PER_MONTH

    @property
    def gpu_monthly(self) -> Decimal:
        """What one always-on GPU costs for the month."""
        return self.gpu_hourly * HOURS_PER_MONTH


@dataclass(frozen=True)
class BreakEvenRow:
    volume: int
    api_monthly: Decimal
    self_hosted_monthly: Decimal
    gpus_needed: int | None
    """Always-on mode only."""

    @property
    def saving(self) -> Decimal:
        """What self-hosting saves per month; negative when it costs more."""
        return self.api_monthly - self.self_hosted_monthly

    @property
    def saving_pct(self) -> Decimal | None:
        if self.api_monthly == 0:
            return None
        return self.saving / self.api_monthly * 100

    @property
    def api_annual(self) -> Decimal:
        return self.api_monthly * MONTHS_PER_YEAR

    @property
    def self_hosted_annual(self) -> Decimal:
        return self.self_hosted_monthly * MONTHS_PER_YEAR

    @property
    def saving_annual(self) -> Decimal:
        return self.saving * MONTHS_PER_YEAR


def gpus_needed(inputs: BreakEvenInputs, volume: int) -> int:
    """Always-on GPUs a monthly volume needs; one at least, since self-hosting means renting one."""
    return max(1, math.ceil(Decimal(volume) / inputs.capacity_per_gpu))


def api_cost(inputs: BreakEvenInputs, volume: int) -> Decimal:
    return inputs.api_price * volume


def self_hosted_cost(inputs: BreakEvenInputs, volume: int, *, with_overhead: bool = True) -> Decimal:
    overhead = inputs.overhead_monthly if with_overhead else Decimal(0)
    if inputs.mode is Mode.ON_DEMAND:
        # hourly × volume ÷ rate, multiplied first: a third of a cent per image must not round away
        return inputs.gpu_hourly * volume / inputs.effective_images_per_hour + overhead
    return inputs.gpu_monthly * gpus_needed(inputs, volume) + overhead


def row(inputs: BreakEvenInputs, volume: int) -> BreakEvenRow:
    if volume < 0:
        raise ValueError("a monthly volume cannot be negative")
    return BreakEvenRow(
        volume=volume,
        api_monthly=api_cost(inputs, volume),
        self_hosted_monthly=self_hosted_cost(inputs, volume),
        gpus_needed=gpus_needed(inputs, volume) if inputs.mode is Mode.ALWAYS_ON else None,
    )


def table(inputs: BreakEvenInputs, volumes: Sequence[int] = DEFAULT_VOLUMES) -> list[BreakEvenRow]:
    return [row(inputs, v) for v in volumes]


def break_even_volume(inputs: BreakEvenInputs, *, with_overhead: bool = True) -> int | None:
    """The smallest monthly volume (≥ 1 image) at which self-hosting costs no more than the API.

    ``None`` when self-hosting is never cheaper at any volume.
    """
    # Exact rational arithmetic: a Decimal quotient rounded at the 28th digit can push a tie one image late.
    overhead = Fraction(inputs.overhead_monthly) if with_overhead else Fraction(0)
    price = Fraction(inputs.api_price)
    hourly, rate = Fraction(inputs.gpu_hourly), Fraction(inputs.images_per_hour)
    if inputs.mode is Mode.ON_DEMAND:
        margin = price - hourly / (rate * Fraction(inputs.utilisation))
        if margin <= 0:
            # Self-hosting costs as much or more per image: it only ties when there is nothing to pay off.
            return 1 if margin == 0 and overhead == 0 else None
        return max(1, math.ceil(overhead / margin))
    # Always-on: with k GPUs the cost is k·C + O for volumes in ((k-1)·cap, k·cap]. The API overtakes
    # it inside that step when price·k·cap ≥ k·C + O, i.e. from k ≥ O / (price·cap − C).
    cap = rate * int(HOURS_PER_MONTH)
    per_gpu = hourly * int(HOURS_PER_MONTH)
    margin = price * cap - per_gpu
    if margin < 0 or (margin == 0 and overhead > 0):
        return None
    k = 1 if margin == 0 else max(1, math.ceil(overhead / margin))
    if price == 0:
        return 1 if per_gpu + overhead == 0 else None
    # Volumes are whole images: when a step's last whole volume falls short, the next step has it.
    for steps in range(k, k + 3):
        lowest = math.floor((steps - 1) * cap) + 1
        volume = max(lowest, math.ceil((steps * per_gpu + overhead) / price))
        if volume <= math.floor(steps * cap):
            return volume
    return None  # pragma: no cover - unreachable: each further step gains `margin` on the API


def break_even_band(inputs: BreakEvenInputs, low: Decimal = OVERHEAD_LOW,
                    high: Decimal = OVERHEAD_HIGH) -> tuple[int | None, int | None]:
    """The break-even volume with an overhead of ``low`` a month, and with ``high`` (the inputs' own overhead
    aside): the article's band of engineering costs, $3,000-$10,000, by default."""
    return (break_even_volume(replace(inputs, overhead_monthly=low)),
            break_even_volume(replace(inputs, overhead_monthly=high)))


def verdict(inputs: BreakEvenInputs, volume: int, *, api_model: str | None = None,
            self_hosted: SelfHostModel | None = None, self_hostable: bool = True, provider: str = "BFL") -> str:
    """Plain sentences: which is cheaper at ``volume``, by how much, and where the line is.

    Given the models (``api_model``, ``self_hosted``), it names them, says when the API model cannot be
    self-hosted (what runs instead is another model), names the ``provider`` that prices the API side, and names
    the break-even volume across the band of engineering overhead ($3,000-$10,000 a month), or says that no
    overhead was entered. Without them (a typed
    API price), it is the one sentence of the source article's comparison.
    """
    if api_model is None and self_hosted is None:
        return _price_verdict(inputs, volume)
    name = display_name(api_model) if api_model is not None else "the API model"
    api = f"{name} at {provider}"
    own = f"self-hosting {self_hosted.name}" if self_hosted is not None else "self-hosting"
    sentences = []
    if not self_hostable:
        instead = f"{self_hosted.name}, whose images will differ" if self_hosted is not None else "another model"
        sentences.append(f"{name} cannot be self-hosted: its weights are not published, so this prices {instead}.")
    r = row(inputs, volume)
    if volume == 0:
        sentences.append(f"With no images a month, {api} costs nothing.")
    elif r.saving > 0:
        sentences.append(f"At {volume:,} images a month, {own} is cheaper than {api} by {format_usd(r.saving)} a "
                         f"month ({format_usd(r.saving_annual)} a year).")
    elif r.saving == 0:
        sentences.append(f"At {volume:,} images a month, {own} costs the same as {api}.")
    else:
        sentences.append(f"At {volume:,} images a month, {api} is cheaper than {own} by {format_usd(-r.saving)} a "
                         f"month ({format_usd(-r.saving_annual)} a year).")
    sentences.append(_overhead_sentence(inputs, own))
    return " ".join(sentences)


def _price_verdict(inputs: BreakEvenInputs, volume: int) -> str:
    r = row(inputs, volume)
    be = break_even_volume(inputs)
    if be is None:
        where = "Self-hosting never pays off at these prices."
    elif be == 1:
        where = "Self-hosting is cheaper from the very first image."
    else:
        where = f"Self-hosting pays off from {be:,} images a month."
    if volume == 0:
        return f"With no images a month, the API costs nothing. {where}"
    if r.saving > 0:
        return (f"At {volume:,} images a month, your own GPU is cheaper by {format_usd(r.saving)} a month "
                f"({format_usd(r.saving_annual)} a year). {where}")
    if r.saving == 0:
        return f"At {volume:,} images a month, both cost the same. {where}"
    return (f"At {volume:,} images a month, the API is cheaper by {format_usd(-r.saving)} a month "
            f"({format_usd(-r.saving_annual)} a year). {where}")


def dollars(amount: Decimal) -> str:
    """``$3,000`` for whole dollars, else ``$3,000.50``."""
    if amount == amount.to_integral_value():
        return f"${int(amount):,}"
    return format_usd(amount)


def band_text(low: Decimal = OVERHEAD_LOW, high: Decimal = OVERHEAD_HIGH) -> str:
    """``"$3,000–$10,000"``."""
    return f"{dollars(low)}–{dollars(high)}"


def _pays_off(volume: int | None) -> str:
    if volume is None:
        return "never pays off at these prices"
    if volume == 1:
        return "pays off from the very first image"
    return f"pays off from {volume:,} images a month"


def _pays_off_band(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "never pays off at these prices"
    if low == high:
        return _pays_off(low)
    if low is None or high is None:  # a higher overhead never pays off sooner: only the high end can be never
        return f"{_pays_off(low)} at the low end, and never at the high end"
    return f"pays off from {low:,}–{high:,} images a month"


def _overhead_sentence(inputs: BreakEvenInputs, own: str) -> str:
    band = _pays_off_band(*break_even_band(inputs))
    overhead = inputs.overhead_monthly
    if overhead == 0:
        alone = _pays_off(break_even_volume(inputs))
        return (f"No engineering overhead was entered: on GPU time alone, {own} {alone}; "
                f"with {band_text()} of engineering a month, it {band}.")
    if overhead in (OVERHEAD_LOW, OVERHEAD_HIGH):
        return f"With {band_text()} of engineering a month, {own} {band}."
    return (f"With your {dollars(overhead)} of engineering a month, {own} {_pays_off(break_even_volume(inputs))}; "
            f"with {band_text()}, it {band}.")


def describe_break_even(volume: int | None) -> str:
    if volume is None:
        return "never"
    return f"{plural(volume, 'image')} a month"


def default_size(api_model_id: str) -> tuple[int, int]:
    """The output size a request to ``api_model_id`` has when none is given: its default width and height, or
    for a model sized by aspect ratio, a square of its approximate megapixels (Ultra ~4 MP: 2048×2048)."""
    model = get_model(api_model_id)
    if isinstance(model.size, DimensionSize):
        return model.size.default_width, model.size.default_height
    if not isinstance(model.size, AspectRatioSize):
        raise ValueError(f"{model.name} edits an image: its output has the image's size")
    side = int((model.size.approx_megapixels * 1024 * 1024).sqrt())
    return side, side


@dataclass(frozen=True)
class ModelBreakEven:
    """An API model against the open-weights model one would self-host instead, at one size and steps."""

    api_model: str
    api_price: Decimal
    """US dollars per image at ``api_provider`` (BFL: from the price table at this size and references)."""
    self_hostable: bool
    """Whether the API model itself has open weights."""
    self_hosted_model: SelfHostModel
    licence: str
    commercial_use: bool
    seconds_per_image: Decimal
    """GPU seconds per image after scaling to this size and steps."""
    self_hosted_per_image: Decimal
    """US dollars of GPU time per image: hourly × seconds ÷ 3600, ÷ utilisation on demand."""
    inputs: BreakEvenInputs
    width: int
    height: int
    steps: int
    """The self-hosted model's steps (its default when none was given)."""
    base_seconds: Decimal
    """Seconds per image at 1024×1024 and the default steps, as the GPU row or the user gave them."""
    gpu_name: str | None = None
    api_provider: str = BFL
    """Who the API side is bought from: BFL, another provider of the same model, or a price of the user's own."""

    def at_provider(self, provider: str, api_price: Decimal) -> ModelBreakEven:
        """The same comparison with the API side bought from ``provider`` at ``api_price`` dollars an image."""
        return replace(self, api_provider=provider, api_price=api_price,
                       inputs=replace(self.inputs, api_price=api_price))

    def verdict(self, volume: int) -> str:
        return verdict(self.inputs, volume, api_model=self.api_model, self_hosted=self.self_hosted_model,
                       self_hostable=self.self_hostable)

    def band(self) -> tuple[int | None, int | None]:
        return break_even_band(self.inputs)


def model_inputs(api_model_id: str, width: int | None, height: int | None, steps: int | None,
                 gpu: GpuSpeed | None, gpu_hourly: Decimal | None, seconds_per_image: Decimal | None,
                 price_table: PriceTable, self_host: SelfHostTable, utilisation: Decimal = DEFAULT_UTILISATION,
                 overhead: Decimal = OVERHEAD_LOW, mode: Mode = Mode.ON_DEMAND,
                 references: Sequence[tuple[int, int]] = ()) -> ModelBreakEven:
    """The break-even of ``api_model_id`` at ``width`` × ``height`` (its default size when ``None``).

    The GPU's hourly price is ``gpu_hourly`` or the ``gpu`` row's; its speed is ``seconds_per_image`` (at
    1024×1024 and the self-hosted model's default steps) or the ``gpu`` row's figure for that model. Both are
    scaled to the size and ``steps``. ``references`` are the reference images' (width, height), priced at the
    API as BFL bills them (they do not change the self-hosted time here: an approximation).

    Raises ``ValueError`` in words: an unknown GPU speed for the model, a size the model refuses, bad numbers.
    """
    model = get_model(api_model_id)
    substitute = self_host.substitute(model.id)
    if gpu_hourly is None:
        if gpu is None:
            raise ValueError("give a GPU, or its hourly price")
        gpu_hourly = gpu.hourly_usd
    if seconds_per_image is None:
        if gpu is None:
            raise ValueError("give the GPU's speed: seconds per image, or images per hour")
        seconds_per_image = gpu.seconds_for(substitute.id)
        if seconds_per_image is None:
            raise ValueError(f"no published speed for {substitute.name} on the {gpu.name}: give seconds per image "
                             "or images per hour")
    if seconds_per_image <= 0:
        raise ValueError("seconds per image must be more than 0")
    if (width is None) != (height is None):
        raise ValueError("width and height: give both, or neither")
    if width is None or height is None:
        width, height = default_size(model.id)
    api_price = _api_price(model.id, width, height, references, price_table)
    seconds = scaled_seconds(seconds_per_image, width, height, steps, substitute.default_steps)
    inputs = BreakEvenInputs(api_price=api_price, gpu_hourly=gpu_hourly, images_per_hour=SECONDS_PER_HOUR / seconds,
                             overhead_monthly=overhead, mode=mode, utilisation=utilisation)
    per_image = gpu_hourly * seconds / SECONDS_PER_HOUR
    if mode is Mode.ON_DEMAND:
        per_image /= utilisation
    return ModelBreakEven(api_model=model.id, api_price=api_price, self_hostable=self_host.self_hostable(model.id),
                          self_hosted_model=substitute, licence=substitute.licence,
                          commercial_use=substitute.commercial_use, seconds_per_image=seconds,
                          self_hosted_per_image=per_image, inputs=inputs, width=width, height=height,
                          steps=substitute.default_steps if steps is None else steps, base_seconds=seconds_per_image,
                          gpu_name=None if gpu is None else gpu.name)


def priced_request(model_id: str, width: int, height: int) -> GenerationRequest:
    """The request one image at ``width`` × ``height`` is priced as (a model sized by aspect ratio takes neither)."""
    model = get_model(model_id)
    sized = isinstance(model.size, DimensionSize)
    return GenerationRequest(model.id, "break-even", width=width if sized else None, height=height if sized else None)


def _api_price(model_id: str, width: int, height: int, references: Sequence[tuple[int, int]],
               table: PriceTable) -> Decimal:
    """BFL's price of one image at this size with these references; a size the model refuses is a ``ValueError``."""
    model = get_model(model_id)
    req = priced_request(model_id, width, height)
    result = validate(req)
    if not result.ok:
        raise ValueError(result.message())
    if len(references) > model.max_input_images:
        raise ValueError(f"{model.name} takes {plural(model.max_input_images, 'reference image')}, "
                         f"not {len(references)}")
    for w, h in references:
        if w <= 0 or h <= 0:
            raise ValueError("a reference image's width and height must be more than 0")
    images = tuple(InputImage(width=w, height=h) for w, h in references)
    return estimate(req.with_input_images(images), table).usd_per_image
