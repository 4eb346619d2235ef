"""`fluxdesk breakeven`: API cost against a self-hosted GPU, month by month."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fluxdesk.cli.common import EXIT_OK, UsageError, decimal_arg, json_number, print_json
from fluxdesk.core import breakeven as be
from fluxdesk.core.pricing import format_percent, format_price, format_usd


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
        print_json(breakeven_json(inputs, rows, with_overhead, without_overhead))
        return EXIT_OK
    always_on = inputs.mode is be.Mode.ALWAYS_ON
    header = f"{'images/month':>13} {'API':>12} {'self-hosted':>12} {'saving':>12} {'saving %':>11}"
    header += f" {'API/year':>13} {'self/year':>13}" + (f" {'GPUs':>5}" if always_on else "")
    print(f"Mode: {inputs.mode.value}; GPU {format_price(inputs.gpu_hourly)}/h at {inputs.images_per_hour} images/h "
          f"= {format_price(inputs.gpu_cost_per_image)} per image; overhead "
          f"{format_usd(inputs.overhead_monthly)}/month; API {format_price(inputs.api_price)} per image")
    print(header)
    for r in rows:
        pct = "–" if r.saving_pct is None else format_percent(r.saving_pct)
        line = (f"{r.volume:>13,} {format_usd(r.api_monthly):>12} {format_usd(r.self_hosted_monthly):>12} "
                f"{format_usd(r.saving):>12} {pct:>11} {format_usd(r.api_annual):>13} "
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
        "break_even_volume": with_overhead,
        "break_even_volume_without_overhead": without_overhead,
    }




def register(sub: Any) -> None:
    p = sub.add_parser("breakeven", help="API cost against a self-hosted GPU, month by month")
    p.add_argument("--api-price", type=decimal_arg, required=True, metavar="USD", help="API price per image")
    p.add_argument("--gpu-hourly", type=decimal_arg, required=True, metavar="USD", help="GPU price per hour")
    p.add_argument("--images-per-hour", type=decimal_arg, required=True, metavar="N")
    p.add_argument("--overhead", type=decimal_arg, default=Decimal(0), metavar="USD",
                   help="engineering overhead per month")
    p.add_argument("--mode", choices=[m.value for m in be.Mode], default=be.Mode.ON_DEMAND.value)
    p.add_argument("--volume", type=int, nargs="+", metavar="N", help="monthly volumes to compare")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_breakeven)
