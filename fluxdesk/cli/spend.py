"""`fluxdesk spend`: what a month cost, from the ledger of the library under FLUXDESK_HOME.

Months and days are UTC; a job counts in the month BFL accepted it. Dollars follow the price
table's rate. Demo jobs are left out unless ``--include-demo`` asks for them.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, json_number, print_json
from fluxdesk.core.wording import plural, plural_word
from fluxdesk.storage.ledger_csv import write_csv

if TYPE_CHECKING:
    from fluxdesk.storage.spend import LedgerRow, SpendSummary


def checked_month(text: str) -> str:
    """``text`` if it is a month ``YYYY-MM``; else a ``UsageError``."""
    from fluxdesk.storage.spend import month_bounds

    try:
        month_bounds(text)
    except ValueError:
        raise UsageError(f"month: write it as YYYY-MM (for example 2026-05), not {text!r}") from None
    return text


def _money(credits: Decimal, usd_per_credit: Decimal) -> dict[str, Any]:
    return {"credits": json_number(credits), "usd": json_number(credits * usd_per_credit)}


def summary_json(summary: SpendSummary, *, include_demo: bool) -> dict[str, Any]:
    rate = summary.usd_per_credit
    return {
        "month": summary.month,
        "total_credits": json_number(summary.credits),
        "total_usd": json_number(summary.usd),
        "by_model": {model: _money(credits, rate) for model, credits in summary.by_model.items()},
        "by_day": {day: _money(credits, rate) for day, credits in summary.by_day.items()},
        "jobs": summary.jobs,
        "unbilled_jobs": summary.unbilled_jobs,
        "pending_jobs": summary.pending_jobs,
        "pending_credits": json_number(summary.pending_credits),
        "pending_usd": json_number(summary.usd_for(summary.pending_credits)),
        "usd_per_credit": json_number(rate),
        "include_demo": include_demo,
    }


def summary_lines(summary: SpendSummary, *, include_demo: bool) -> list[str]:
    from fluxdesk.core.pricing import format_credits, format_usd

    def amount(credits: Decimal) -> str:
        return f"{format_credits(credits):>10} credits  {format_usd(summary.usd_for(credits)):>10}"

    scope = "demo jobs included" if include_demo else "demo jobs not counted"
    lines = [f"Spend in {summary.month} (UTC, {scope}): {format_usd(summary.usd)} "
             f"({format_credits(summary.credits)} credits, {plural(summary.jobs, 'billed job')})"]
    if summary.unbilled_jobs:
        lines.append(f"  not billed: {plural(summary.unbilled_jobs, 'job')} (moderated or failed)")
    if summary.pending_jobs:
        lines.append(f"  still running at BFL: {plural(summary.pending_jobs, 'job')}, "
                     f"{format_credits(summary.pending_credits)} credits "
                     f"({format_usd(summary.usd_for(summary.pending_credits))}), billed if "
                     + plural_word(summary.pending_jobs, "it finishes", "they finish"))
    if not summary.by_model:
        return lines
    width = max(len(key) for key in (*summary.by_model, *summary.by_day))
    lines.append("By model:")
    lines += [f"  {model:<{width}}  {amount(credits)}" for model, credits in summary.by_model.items()]
    lines.append("By day:")
    lines += [f"  {day:<{width}}  {amount(credits)}" for day, credits in summary.by_day.items()]
    return lines


def empty_summary(month: str, usd_per_credit: Decimal) -> SpendSummary:
    from fluxdesk.storage.spend import SpendSummary

    zero = Decimal(0)
    return SpendSummary(month=month, credits=zero, usd=zero, by_model={}, by_day={}, jobs=0, unbilled_jobs=0,
                        pending_jobs=0, pending_credits=zero, usd_per_credit=usd_per_credit)


def _has_library(database: Path) -> bool:
    try:
        return database.exists()
    except OSError:
        return True  # cannot look: let opening it say what is wrong, in words


def cmd_spend(args: argparse.Namespace) -> int:
    from fluxdesk.storage.db import LibraryError
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.paths import database_path, home_dir
    from fluxdesk.storage.price_table import load_price_table
    from fluxdesk.storage.spend import current_month

    month = checked_month(args.month) if args.month is not None else current_month()
    home = home_dir()
    rate = load_price_table(home).usd_per_credit
    rows: list[LedgerRow] = []
    summary = empty_summary(month, rate)
    if not _has_library(database_path(home)):  # a read-only question: do not create a library to answer it
        print(f"fluxdesk spend: there is no library in {home} yet: nothing spent", file=sys.stderr)
    else:
        try:
            with Library.open(home, remove_temp_files=False) as library:
                if args.csv:
                    rows = library.ledger_rows(month, include_demo=args.include_demo, usd_per_credit=rate)
                else:
                    summary = library.spend(month, include_demo=args.include_demo, usd_per_credit=rate)
        except LibraryError as exc:
            print(f"fluxdesk spend: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if args.csv:
        write_csv(rows, sys.stdout)
    elif args.json:
        print_json(summary_json(summary, include_demo=args.include_demo))
    else:
        print("\n".join(summary_lines(summary, include_demo=args.include_demo)))
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("spend", help="what a month cost: total, by model and by day (from the ledger)")
    p.add_argument("--month", metavar="YYYY-MM", help="the UTC month (default: this month)")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--csv", action="store_true", help="print the month's ledger as CSV, one row per job")
    p.add_argument("--include-demo", action="store_true", help="count jobs run on the offline simulator too")
    p.set_defaults(func=cmd_spend)
