"""Would our own GPU be cheaper? API cost against self-hosted cost, month by month.

Two ways to self-host:
- ``on-demand``: pay only for the GPU hours the images take (the source article's assumption);
- ``always-on``: rent GPUs for the whole month (730 h); each one's capacity caps the volume it can
  serve, so a volume needs ``ceil(volume / capacity)`` of them, and at least one while you self-host.

Everything is ``Decimal``; percentages are ``None`` where they would divide by zero.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from fluxdesk.core.pricing import format_usd
from fluxdesk.core.wording import plural

HOURS_PER_MONTH = Decimal(730)
MONTHS_PER_YEAR = 12
DEFAULT_VOLUMES = (100, 1_000, 10_000, 50_000, 100_000)


class Mode(enum.Enum):
    ON_DEMAND = "on-demand"
    ALWAYS_ON = "always-on"


@dataclass(frozen=True)
class GpuPreset:
    name: str
    hourly_usd: Decimal
    images_per_hour: Decimal


GPU_PRESETS: tuple[GpuPreset, ...] = (
    GpuPreset("RTX 4090 (community cloud)", Decimal("0.34"), Decimal(250)),
    GpuPreset("RTX 4090 (secure cloud)", Decimal("0.69"), Decimal(250)),
    GpuPreset("A100 80 GB", Decimal("1.19"), Decimal(400)),
    GpuPreset("H100 80 GB", Decimal("2.39"), Decimal(700)),
)
"""The RTX 4090 rows are the source article's; A100 and H100 are starting points the user edits."""


@dataclass(frozen=True)
class BreakEvenInputs:
    api_price: Decimal
    """US dollars per image at the API."""
    gpu_hourly: Decimal
    images_per_hour: Decimal
    overhead_monthly: Decimal = Decimal(0)
    """Engineering time and the rest, in US dollars per month."""
    mode: Mode = Mode.ON_DEMAND

    def __post_init__(self) -> None:
        if self.api_price < 0:
            raise ValueError("the API price per image cannot be negative")
        if self.gpu_hourly < 0:
            raise ValueError("the GPU's hourly price cannot be negative")
        if self.images_per_hour <= 0:
            raise ValueError("images per hour must be more than 0")
        if self.overhead_monthly < 0:
            raise ValueError("the monthly overhead cannot be negative")

    @property
    def gpu_cost_per_image(self) -> Decimal:
        """On-demand GPU cost of one image: hourly price ÷ images per hour."""
        return self.gpu_hourly / self.images_per_hour

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
        return inputs.gpu_hourly * volume / inputs.images_per_hour + overhead
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
        margin = price - hourly / rate
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


def verdict(inputs: BreakEvenInputs, volume: int) -> str:
    """One plain sentence: which is cheaper at ``volume``, by how much, and where the line is."""
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


def describe_break_even(volume: int | None) -> str:
    if volume is None:
        return "never"
    return f"{plural(volume, 'image')} a month"
