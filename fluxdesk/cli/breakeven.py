"""`fluxdesk breakeven`: API cost against a self-hosted GPU, month by month.

Two forms:
- ``--model MODEL``: the API side is the model's price at the size and references (the price table); the
  self-hosted side is the open-weights model one would run instead (the self-hosting table), its GPU time
  scaled to the size and steps, divided by the utilisation on demand, with the article's $3,000 of
  engineering a month unless ``--overhead`` says otherwise;
- ``--api-price USD``: the source article's comparison from typed figures, exactly as before.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from fluxdesk.cli.common import EXIT_OK, UsageError, decimal_arg, json_number, print_json
from fluxdesk.core import breakeven as be
from fluxdesk.core.pricing import format_percent, format_price, format_usd
from fluxdesk.core.providers import BFL

MODEL_ONLY = ("width", "height", "steps", "gpu", "seconds_per_image", "provider")
"""Options that describe an API model's request: they mean nothing beside a typed ``--api-price``."""


def cmd_breakeven(args: argparse.Namespace) -> int:
    if args.model is not None and args.api_price is not None:
        raise UsageError("give --model (priced from the price table) or --api-price, not both")
    if args.model is None and args.api_price is None:
        raise UsageError("give --model MODEL (see `fluxdesk estimate --list`), or --api-price USD")
    if args.seconds_per_image is not None and args.images_per_hour is not None:
        raise UsageError("give the GPU's speed as --seconds-per-image or as --images-per-hour, not both")
    if args.volume is not None and any(v < 0 for v in args.volume):
        raise UsageError("volume: a monthly volume cannot be negative")
    if args.model is not None:
        return _model_form(args)
    given = [f"--{name.replace('_', '-')}" for name in MODEL_ONLY if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: only with --model (a typed --api-price has no model to scale)")
    if args.gpu_hourly is None or args.images_per_hour is None:
        raise UsageError("with --api-price, give --gpu-hourly and --images-per-hour")
    try:
        inputs = be.BreakEvenInputs(api_price=args.api_price, gpu_hourly=args.gpu_hourly,
                                    images_per_hour=args.images_per_hour,
                                    overhead_monthly=Decimal(0) if args.overhead is None else args.overhead,
                                    mode=be.Mode(args.mode),
                                    utilisation=Decimal(1) if args.utilisation is None else args.utilisation)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    volumes = args.volume or list(be.DEFAULT_VOLUMES)
    if args.json:
        print_json(breakeven_json(inputs, volumes))
        return EXIT_OK
    print(f"Mode: {inputs.mode.value}; GPU {format_price(inputs.gpu_hourly)}/h at {inputs.images_per_hour} images/h "
          f"= {format_price(inputs.gpu_cost_per_image)} per image; overhead "
          f"{format_usd(inputs.overhead_monthly)}/month; API {format_price(inputs.api_price)} per image")
    _print_table(inputs, volumes)
    print(be.verdict(inputs, volumes[-1]))
    return EXIT_OK


def _model_form(args: argparse.Namespace) -> int:
    from fluxdesk.core.selfhost import substitute_note
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.price_table import load_price_table
    from fluxdesk.storage.self_hosting import load_self_host_table

    home = home_dir()
    hosting = load_self_host_table(home)
    gpu = None
    if args.gpu is not None:
        try:
            gpu = hosting.gpu(args.gpu)
        except KeyError as exc:
            raise UsageError(f"gpu: {exc.args[0]}") from None
    if gpu is None and args.gpu_hourly is None:
        raise UsageError("give --gpu PRESET, or --gpu-hourly USD with --seconds-per-image or --images-per-hour")
    if gpu is None and args.seconds_per_image is None and args.images_per_hour is None:
        raise UsageError("give the GPU's speed: --seconds-per-image S or --images-per-hour N (or a --gpu preset)")
    seconds = args.seconds_per_image
    if args.images_per_hour is not None:
        if args.images_per_hour <= 0:
            raise UsageError("images per hour must be more than 0")
        seconds = be.SECONDS_PER_HOUR / args.images_per_hour
    try:
        result = be.model_inputs(
            args.model, args.width, args.height, args.steps, gpu, args.gpu_hourly, seconds, load_price_table(home),
            hosting, utilisation=be.DEFAULT_UTILISATION if args.utilisation is None else args.utilisation,
            overhead=be.OVERHEAD_LOW if args.overhead is None else args.overhead, mode=be.Mode(args.mode))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    as_of = load_price_table(home).as_of
    if args.provider is not None and args.provider.strip().casefold() != BFL.casefold():
        result, as_of = _at_provider(result, args.provider, home)
    volumes = args.volume or list(be.DEFAULT_VOLUMES)
    if args.json:
        print_json(model_json(result, volumes))
        return EXIT_OK
    inputs = result.inputs
    sub = result.self_hosted_model
    size = f"{result.width}×{result.height}"
    print(f"{_model_name(result.api_model)} at {size}: {format_price(result.api_price)} per image at "
          f"{result.api_provider} (prices as of {as_of})")
    print(substitute_note(result.api_model, hosting))
    on = f"the {result.gpu_name}" if result.gpu_name else "a GPU"
    usage = f", {format_percent(inputs.utilisation * 100, 0)} utilised" if inputs.mode is be.Mode.ON_DEMAND else ""
    print(f"Self-hosted: {sub.name} on {on} at {format_price(inputs.gpu_hourly)}/h: "
          f"{seconds_text(result.seconds_per_image)} per image at {size} and {result.steps} steps "
          f"({seconds_text(result.base_seconds)} at 1024×1024 and {sub.default_steps} steps, scaled linearly)"
          f"{usage} = {small_price(result.self_hosted_per_image)} per image")
    print(f"Mode: {inputs.mode.value}; overhead {format_usd(inputs.overhead_monthly)}/month")
    _print_table(inputs, volumes)
    low, high = result.band()
    print(f"With {be.band_text()} of engineering a month: {_band_words(low, high)}")
    print(result.verdict(volumes[-1]))
    return EXIT_OK


def _at_provider(result: be.ModelBreakEven, name: str, home: Path) -> tuple[be.ModelBreakEven, str]:
    """``result`` with the API side bought from provider ``name`` (whatever its case), as the Break-even tab prices
    it; the provider table's date."""
    from fluxdesk.core.providers import quote
    from fluxdesk.storage.providers import load_provider_table

    table = load_provider_table(home)
    rows = table.for_model(result.api_model)
    row = next((r for r in rows if r.provider.casefold() == name.strip().casefold()), None)
    if row is None:
        offered = ", ".join([BFL, *(r.provider for r in rows)])
        raise UsageError(f"provider: nobody called {name!r} sells {_model_name(result.api_model)} in the provider "
                         f"table of {table.as_of} (it is sold by: {offered})")
    try:
        each = quote(row, be.priced_request(result.api_model, result.width, result.height)).usd_per_image
    except ValueError as exc:
        raise UsageError(f"provider: {exc}") from None
    return result.at_provider(row.provider, each), row.as_of


def _model_name(model_id: str) -> str:
    from fluxdesk.core.catalog import display_name

    return display_name(model_id)


def _band_words(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return f"{be.describe_break_even(low)} to {be.describe_break_even(high)}"
    return f"{low:,}–{high:,} images a month"


def seconds_text(seconds: Decimal) -> str:
    """``"2 s"``, ``"8.25 s"``, ``"0.57 s"``: to a hundredth of a second."""
    shown = seconds.quantize(Decimal("0.01")).normalize()
    return f"{shown:f} s"


def small_price(amount: Decimal) -> str:
    """A price under a cent to three significant digits (``$0.000383``), else as ``format_price``."""
    if amount == 0 or abs(amount) >= Decimal("0.01"):
        return format_price(amount)
    shown = amount.quantize(Decimal(1).scaleb(amount.adjusted() - 2))
    return f"${shown:f}"


def _print_table(inputs: be.BreakEvenInputs, volumes: Sequence[int]) -> None:
    always_on = inputs.mode is be.Mode.ALWAYS_ON
    header = f"{'images/month':>13} {'API':>12} {'self-hosted':>12} {'saving':>12} {'saving %':>11}"
    header += f" {'API/year':>13} {'self/year':>13}" + (f" {'GPUs':>5}" if always_on else "")
    print(header)
    for r in be.table(inputs, volumes):
        pct = "–" if r.saving_pct is None else format_percent(r.saving_pct)
        line = (f"{r.volume:>13,} {format_usd(r.api_monthly):>12} {format_usd(r.self_hosted_monthly):>12} "
                f"{format_usd(r.saving):>12} {pct:>11} {format_usd(r.api_annual):>13} "
                f"{format_usd(r.self_hosted_annual):>13}")
        print(line + (f" {r.gpus_needed:>5}" if always_on else ""))
    print(f"Break-even: {be.describe_break_even(be.break_even_volume(inputs))} "
          f"(without overhead: {be.describe_break_even(be.break_even_volume(inputs, with_overhead=False))})")


def breakeven_json(inputs: be.BreakEvenInputs, volumes: Sequence[int]) -> dict[str, Any]:
    out_rows = []
    for r in be.table(inputs, volumes):
        item: dict[str, Any] = {
            "volume": r.volume,
            "api_monthly": json_number(r.api_monthly),
            "self_hosted_monthly": json_number(r.self_hosted_monthly),
            "saving": json_number(r.saving),
            "saving_pct": json_number(r.saving_pct),
            "api_annual": json_number(r.api_annual),
            "self_hosted_annual": json_number(r.self_hosted_annual),
        }
        if inputs.mode is be.Mode.ALWAYS_ON:
            item["gpus_needed"] = r.gpus_needed
        out_rows.append(item)
    return {
        "mode": inputs.mode.value,
        "gpu_cost_per_image": json_number(inputs.gpu_cost_per_image),
        "rows": out_rows,
        "break_even_volume": be.break_even_volume(inputs),
        "break_even_volume_without_overhead": be.break_even_volume(inputs, with_overhead=False),
    }


def model_json(result: be.ModelBreakEven, volumes: Sequence[int]) -> dict[str, Any]:
    """Today's JSON, and the model behind each side (the Break-even tab shows the same figures)."""
    data = breakeven_json(result.inputs, volumes)
    low, high = result.band()
    data.update({
        "api_model": result.api_model,
        "api_provider": result.api_provider,
        "api_price": json_number(result.api_price),
        "self_hostable": result.self_hostable,
        "self_hosted_model": result.self_hosted_model.id,
        "licence": result.licence,
        "commercial_use": result.commercial_use,
        "seconds_per_image": json_number(result.seconds_per_image),
        "self_hosted_per_image": json_number(result.self_hosted_per_image),
        "utilisation": json_number(result.inputs.utilisation),
        "overhead_monthly": json_number(result.inputs.overhead_monthly),
        "break_even_band": [low, high],
    })
    return data


def register(sub: Any) -> None:
    p = sub.add_parser("breakeven", help="API cost against a self-hosted GPU, month by month",
                       description="Compare an API model (--model, priced from the price table) or a typed API "
                                   "price (--api-price) with a self-hosted GPU, month by month.")
    p.add_argument("--model", metavar="MODEL", help="API model id (see `fluxdesk estimate --list`)")
    p.add_argument("--api-price", type=decimal_arg, metavar="USD", help="a typed API price per image, instead")
    p.add_argument("--provider", metavar="NAME",
                   help='buy the API side from another provider of the model, e.g. "fal.ai" (default: BFL)')
    p.add_argument("--width", type=int, help="output width (with --model; its default when left out)")
    p.add_argument("--height", type=int, help="output height (with --model)")
    p.add_argument("--steps", type=int, help="steps of the self-hosted model (with --model; its default)")
    p.add_argument("--gpu", metavar="PRESET", help='a GPU of the self-hosting table, e.g. "RTX 5090"')
    p.add_argument("--gpu-hourly", type=decimal_arg, metavar="USD", help="GPU price per hour")
    p.add_argument("--seconds-per-image", type=decimal_arg, metavar="S",
                   help="GPU seconds per image at 1024×1024 and the model's default steps (with --model)")
    p.add_argument("--images-per-hour", type=decimal_arg, metavar="N",
                   help="GPU images per hour (with --model: at 1024×1024 and the default steps)")
    p.add_argument("--utilisation", type=decimal_arg, metavar="U",
                   help="on demand, the share of paid GPU time that makes images, 0 < U ≤ 1 "
                        "(with --model 0.6 unless given; with --api-price 1)")
    p.add_argument("--overhead", type=decimal_arg, metavar="USD",
                   help="engineering overhead per month (with --model $3,000 unless given; with --api-price 0)")
    p.add_argument("--mode", choices=[m.value for m in be.Mode], default=be.Mode.ON_DEMAND.value)
    p.add_argument("--volume", type=int, nargs="+", metavar="N", help="monthly volumes to compare")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_breakeven)
