"""The command line: ``fluxdesk`` (the app) and its subcommands, the same engine without the window."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fluxdesk import __version__
from fluxdesk.core import breakeven as be
from fluxdesk.core.catalog import MODELS, UnknownModelError, get_model
from fluxdesk.core.pricing import Estimate, PriceTableError, estimate, format_credits, format_usd
from fluxdesk.core.request import GenerationRequest, validate

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Invalid input: the message is shown and the command exits 2 with nothing sent."""


def _decimal_arg(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _json_number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# --- estimate -----------------------------------------------------------------------------------

def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """The generation parameters shared by ``estimate`` and ``generate``."""
    parser.add_argument("--model", default=None, help="model id (see `fluxdesk estimate --list`)")
    size = parser.add_argument_group("size (width/height or aspect ratio, as the model takes)")
    size.add_argument("--width", type=int)
    size.add_argument("--height", type=int)
    size.add_argument("--aspect-ratio", metavar="W:H")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--count", type=int, default=1, help="number of images (each is a separate job)")


def request_from_args(args: argparse.Namespace, *, prompt: str, model: str,
                      **extra: Any) -> GenerationRequest:
    if (args.width is None) != (args.height is None):
        raise UsageError("width and height: give both, or neither")
    if args.count < 1:
        raise UsageError("count: must be at least 1")
    return GenerationRequest(model=model, prompt=prompt, width=args.width, height=args.height,
                             aspect_ratio=args.aspect_ratio, steps=args.steps, guidance=args.guidance,
                             **extra)


def checked(req: GenerationRequest) -> GenerationRequest:
    """The request, or a ``UsageError`` naming every field that is wrong."""
    result = validate(req)
    if not result.ok:
        raise UsageError(result.message())
    return req


def estimate_json(est: Estimate) -> dict[str, Any]:
    return {
        "model": est.model,
        "count": est.count,
        "credits_per_image": _json_number(est.credits_per_image),
        "usd_per_image": _json_number(est.usd_per_image),
        "credits_total": _json_number(est.credits_total),
        "usd_total": _json_number(est.usd_total),
        "price_as_of": est.price_as_of,
    }


def cmd_estimate(args: argparse.Namespace) -> int:
    from fluxdesk.storage.price_table import load_price_table

    if args.list:
        table = load_price_table(_home_if_set())
        for model in MODELS:
            est = estimate(GenerationRequest(model.id, "x"), table)
            print(f"{model.id:20} {model.name:24} {format_usd(est.usd_per_image):>8} / image"
                  f"{'  (from, by megapixel)' if est.output_megapixels else ''}")
        return EXIT_OK
    if args.model is None:
        raise UsageError("model: give --model (see `fluxdesk estimate --list`)")
    # The prompt does not change the price; validation only needs a non-empty one.
    req = checked(request_from_args(args, prompt="estimate", model=args.model))
    table = load_price_table(_home_if_set())
    est = estimate(req, table, args.count)
    if args.json:
        _print_json(estimate_json(est))
        return EXIT_OK
    model = get_model(req.model)
    print(f"{model.name}: {est.summary()}  ({format_credits(est.credits_total)} credits)")
    if est.output_megapixels is not None:
        print(f"  {est.output_megapixels} MP billed per image"
              + (f", plus {est.input_megapixels} MP of input images" if est.input_megapixels else ""))
    if not est.exact:
        print("  an estimate: BFL bills input images by a rule it does not publish")
    print(f"  prices as of {est.price_as_of}")
    return EXIT_OK


# --- breakeven ----------------------------------------------------------------------------------

def cmd_breakeven(args: argparse.Namespace) -> int:
    try:
        inputs = be.BreakEvenInputs(api_price=args.api_price, gpu_hourly=args.gpu_hourly,
                                    images_per_hour=args.images_per_hour, overhead_monthly=args.overhead,
                                    mode=be.Mode(args.mode))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    volumes = args.volume or list(be.DEFAULT_VOLUMES)
    if any(v < 0 for v in volumes):
        raise UsageError("volume: a monthly volume cannot be negative")
    rows = be.table(inputs, volumes)
    with_overhead = be.break_even_volume(inputs)
    without_overhead = be.break_even_volume(inputs, with_overhead=False)
    if args.json:
        _print_json(breakeven_json(inputs, rows, with_overhead, without_overhead))
        return EXIT_OK
    always_on = inputs.mode is be.Mode.ALWAYS_ON
    header = f"{'images/month':>13} {'API':>12} {'self-hosted':>12} {'saving':>12} {'saving %':>9}"
    header += f" {'API/year':>13} {'self/year':>13}" + (f" {'GPUs':>5}" if always_on else "")
    print(f"Mode: {inputs.mode.value}; GPU ${inputs.gpu_hourly}/h at {inputs.images_per_hour} images/h "
          f"= {format_usd(inputs.gpu_cost_per_image)} per image; overhead "
          f"{format_usd(inputs.overhead_monthly)}/month; API {format_usd(inputs.api_price)} per image")
    print(header)
    for r in rows:
        pct = "–" if r.saving_pct is None else f"{r.saving_pct:.1f}%"
        line = (f"{r.volume:>13,} {format_usd(r.api_monthly):>12} {format_usd(r.self_hosted_monthly):>12} "
                f"{format_usd(r.saving):>12} {pct:>9} {format_usd(r.api_annual):>13} "
                f"{format_usd(r.self_hosted_annual):>13}")
        print(line + (f" {r.gpus_needed:>5}" if always_on else ""))
    print(f"Break-even: {be.describe_break_even(with_overhead)} "
          f"(without overhead: {be.describe_break_even(without_overhead)})")
    print(be.verdict(inputs, volumes[-1]))
    return EXIT_OK


def breakeven_json(inputs: be.BreakEvenInputs, rows: Sequence[be.BreakEvenRow], with_overhead: int | None,
                   without_overhead: int | None) -> dict[str, Any]:
    out_rows = []
    for r in rows:
        item: dict[str, Any] = {
            "volume": r.volume,
            "api_monthly": _json_number(r.api_monthly),
            "self_hosted_monthly": _json_number(r.self_hosted_monthly),
            "saving": _json_number(r.saving),
            "saving_pct": _json_number(r.saving_pct),
            "api_annual": _json_number(r.api_annual),
            "self_hosted_annual": _json_number(r.self_hosted_annual),
        }
        if inputs.mode is be.Mode.ALWAYS_ON:
            item["gpus_needed"] = r.gpus_needed
        out_rows.append(item)
    return {
        "mode": inputs.mode.value,
        "gpu_cost_per_image": _json_number(inputs.gpu_cost_per_image),
        "rows": out_rows,
        "break_even_volume": with_overhead,
        "break_even_volume_without_overhead": without_overhead,
    }


# --- the parser ---------------------------------------------------------------------------------

def _home_if_set() -> Path | None:
    home = os.environ.get("FLUXDESK_HOME")
    return Path(home) if home else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fluxdesk",
        description="Generate images with the Black Forest Labs API: see the cost first, keep everything.")
    parser.add_argument("--version", action="version", version=f"fluxdesk {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the app on the built-in simulator")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("estimate", help="what a generation would cost, before sending it")
    add_request_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--list", action="store_true", help="list every model with its price")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("breakeven", help="API cost against a self-hosted GPU, month by month")
    p.add_argument("--api-price", type=_decimal_arg, required=True, metavar="USD",
                   help="API price per image")
    p.add_argument("--gpu-hourly", type=_decimal_arg, required=True, metavar="USD",
                   help="GPU price per hour")
    p.add_argument("--images-per-hour", type=_decimal_arg, required=True, metavar="N")
    p.add_argument("--overhead", type=_decimal_arg, default=Decimal(0), metavar="USD",
                   help="engineering overhead per month")
    p.add_argument("--mode", choices=[m.value for m in be.Mode], default=be.Mode.ON_DEMAND.value)
    p.add_argument("--volume", type=int, nargs="+", metavar="N", help="monthly volumes to compare")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_breakeven)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[Any], None]]:
    """Subcommands that live beside their layer (imported lazily by their own ``run``)."""
    from fluxdesk import commands

    return commands.REGISTRARS


def run_app(args: argparse.Namespace) -> int:
    from fluxdesk.app import main as app_main

    return app_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        return run_app(args)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"fluxdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UnknownModelError, PriceTableError) as exc:
        print(f"fluxdesk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
