"""`fluxdesk spend`: what a month cost, from the ledger of the library under FLUXDESK_HOME; `--by project` the month
per client project, `--project NAME` one project's jobs over a range of days (``--csv``: the invoice's CSV).

Months and days are UTC; a job counts in the month BFL accepted it. Dollars follow the price
table's rate. Demo jobs are left out unless ``--include-demo`` asks for them.
"""

from __future__ import annotations

import argparse
import calendar
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, json_number, print_json
from fluxdesk.core.wording import plural, plural_word
from fluxdesk.storage.ledger_csv import write_csv, write_invoice_csv

if TYPE_CHECKING:
    from fluxdesk.core.projects import Project
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.project_spend import ProjectSpend
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


def checked_day(text: str, what: str) -> date:
    """``text`` as a UTC day ``YYYY-MM-DD``; else a ``UsageError`` naming ``what`` (``--from``, ``--to``)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise UsageError(f"{what}: write a day as YYYY-MM-DD (for example 2026-05-31), not {text!r}")


def _day_range(args: argparse.Namespace) -> tuple[date, date | None]:
    """``--from``/``--to`` (either may be left out: from the first job, or up to now), else ``--month``'s days."""
    from fluxdesk.storage.spend import current_month

    if args.date_from is None and args.date_to is None:
        month = checked_month(args.month) if args.month is not None else current_month()
        year, mon = int(month[:4]), int(month[5:7])
        return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])
    if args.month is not None:
        raise UsageError("--month and --from/--to each choose the days: give one or the other")
    first = checked_day(args.date_from, "--from") if args.date_from is not None else date.min
    last = checked_day(args.date_to, "--to") if args.date_to is not None else None
    if last is not None and first > last:
        raise UsageError(f"--from {first.isoformat()} is after --to {last.isoformat()}: nothing lies between")
    return first, last


def _refuse_combinations(args: argparse.Namespace) -> None:
    if args.team:
        if args.project is not None or args.csv or args.date_from is not None or args.date_to is not None \
                or args.include_demo:
            raise UsageError("--team is the studio's month (--month, --by seat|project|model|day, --json); "
                             "--project, --from/--to, --csv and --include-demo are this seat's own ledger")
        return
    if args.by not in (None, "project"):
        raise UsageError(f"--by {args.by} is a studio's figure: add --team (this seat's own month is --by project)")
    if args.by is not None:
        if args.project is not None:
            raise UsageError("--by project lists every project; --project NAME shows one: give one or the other")
        if args.csv:
            raise UsageError("--by project prints text or --json; --csv is one project's jobs (--project NAME --csv)")
        if args.date_from is not None or args.date_to is not None:
            raise UsageError("--by project is a month's (--month YYYY-MM); --from/--to go with --project NAME")
    elif args.project is None and (args.date_from is not None or args.date_to is not None):
        raise UsageError("--from/--to choose the days of one project's jobs: add --project NAME "
                         "(a month's spend is --month YYYY-MM)")


def _find_project(library: Library, name: str) -> Project | None:
    """The project called ``name`` (``None``: "No project"); ``UsageError`` when there is none."""
    from fluxdesk.cli.projects import named_project
    from fluxdesk.core.projects import is_no_project

    return None if is_no_project(name) else named_project(library, name)


def by_project_json(month: str, projects: list[ProjectSpend], usd_per_credit: Decimal, *,
                    include_demo: bool) -> dict[str, Any]:
    total = sum((p.credits for p in projects), Decimal(0))
    return {
        "month": month,
        "projects": [{"name": p.name, "credits": json_number(p.credits), "usd": json_number(p.usd), "jobs": p.jobs,
                      "budget_usd": json_number(p.budget_usd), "over_budget": p.over_budget, "archived": p.archived}
                     for p in projects],
        "total_credits": json_number(total),
        "total_usd": json_number(total * usd_per_credit),
        "usd_per_credit": json_number(usd_per_credit),
        "include_demo": include_demo,
    }


def by_project_lines(month: str, projects: list[ProjectSpend], *, include_demo: bool) -> list[str]:
    from fluxdesk.core.pricing import format_credits, format_usd
    from fluxdesk.core.projects import NO_PROJECT

    scope = "demo jobs included" if include_demo else "demo jobs not counted"
    lines = [f"Spend by project in {month} (UTC, {scope}):"]
    if not projects:
        return [*lines, "  nothing spent and no projects"]
    width = max(len(p.name or NO_PROJECT) for p in projects)
    for p in projects:
        budget = "" if p.budget_usd is None else f"  of {format_usd(p.budget_usd)}" + (
            "  OVER BUDGET" if p.over_budget else "")
        lines.append(f"  {p.name or NO_PROJECT:<{width}}  {format_credits(p.credits):>10} credits  "
                     f"{format_usd(p.usd):>10}  {plural(p.jobs, 'billed job'):>16}{budget}")
    return lines


def _row_json(row: LedgerRow) -> dict[str, Any]:
    return {"date": row.time[:10], "time": row.time, "job_id": row.job_id, "model": row.model, "size": row.size,
            "credits": json_number(row.credits), "usd": json_number(row.usd), "status": row.status.value,
            "billed": row.billed, "estimated": row.estimated, "prompt": row.prompt, "file_name": row.file_name}


def project_json(project: Project | None, first: date, last: date | None, rows: list[LedgerRow],
                 usd_per_credit: Decimal, *, include_demo: bool) -> dict[str, Any]:
    billed = [row for row in rows if row.billed]
    credits = sum((row.credits or Decimal(0) for row in billed), Decimal(0))
    return {
        "project": None if project is None else project.name,
        "from": None if first == date.min else first.isoformat(),
        "to": None if last is None else last.isoformat(),
        "credits": json_number(credits),
        "usd": json_number(credits * usd_per_credit),
        "jobs": len(billed),
        "unbilled_jobs": len(rows) - len(billed),
        "budget_usd": None if project is None else json_number(project.budget_usd),
        "usd_per_credit": json_number(usd_per_credit),
        "include_demo": include_demo,
        "rows": [_row_json(row) for row in rows],
    }


def project_lines(data: dict[str, Any]) -> list[str]:
    from fluxdesk.core.pricing import format_usd
    from fluxdesk.core.projects import NO_PROJECT

    days = f"{data['from'] or 'the first job'} to {data['to'] or 'now'}"
    scope = "demo jobs included" if data["include_demo"] else "demo jobs not counted"
    lines = [f"{data['project'] or NO_PROJECT}, {days} (UTC, {scope}): {format_usd(Decimal(str(data['usd'])))} "
             f"({data['credits']:,} credits, {plural(data['jobs'], 'billed job')})"]
    for row in data["rows"]:
        if row["billed"]:
            lines.append(f"  {row['date']}  {row['model']:<20}  {format_usd(Decimal(str(row['usd'] or 0))):>8}  "
                         f"{row['file_name'] or '(no image kept)'}")
    return lines


def _project_report(args: argparse.Namespace, home: Path, rate: Decimal) -> int:
    from fluxdesk.storage.db import LibraryError
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.paths import database_path

    first, last = _day_range(args)
    if not _has_library(database_path(home)):
        raise UsageError(f"there is no project called {args.project!r}: there is no library in {home} yet")
    try:
        with Library.open(home, remove_temp_files=False) as library:
            project = _find_project(library, args.project)
            rows = library.project_ledger_rows(None if project is None else project.id,
                                               first=None if first == date.min else first, last=last,
                                               include_demo=args.include_demo, usd_per_credit=rate)
    except LibraryError as exc:
        print(f"fluxdesk spend: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.csv:
        write_invoice_csv(rows, sys.stdout)
        return EXIT_OK
    data = project_json(project, first, last, rows, rate, include_demo=args.include_demo)
    if args.json:
        print_json(data)
    else:
        print("\n".join(project_lines(data)))
    return EXIT_OK


def cmd_spend(args: argparse.Namespace) -> int:
    from fluxdesk.storage.db import LibraryError
    from fluxdesk.storage.library import Library
    from fluxdesk.storage.paths import database_path, home_dir
    from fluxdesk.storage.price_table import load_price_table
    from fluxdesk.storage.spend import current_month

    _refuse_combinations(args)
    home = home_dir()
    rate = load_price_table(home).usd_per_credit
    if args.project is not None:
        return _project_report(args, home, rate)
    month = checked_month(args.month) if args.month is not None else current_month()
    if args.team:
        from fluxdesk.cli.studio import team_report

        return team_report(args, month)
    rows: list[LedgerRow] = []
    projects: list[ProjectSpend] = []
    summary = empty_summary(month, rate)
    if not _has_library(database_path(home)):  # a read-only question: do not create a library to answer it
        print(f"fluxdesk spend: there is no library in {home} yet: nothing spent", file=sys.stderr)
    else:
        try:
            with Library.open(home, remove_temp_files=False) as library:
                if args.by is not None:
                    projects = library.spend_by_project(month, include_demo=args.include_demo, usd_per_credit=rate)
                elif args.csv:
                    rows = library.ledger_rows(month, include_demo=args.include_demo, usd_per_credit=rate)
                else:
                    summary = library.spend(month, include_demo=args.include_demo, usd_per_credit=rate)
        except LibraryError as exc:
            print(f"fluxdesk spend: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if args.by is not None:
        if args.json:
            print_json(by_project_json(month, projects, rate, include_demo=args.include_demo))
        else:
            print("\n".join(by_project_lines(month, projects, include_demo=args.include_demo)))
    elif args.csv:
        write_csv(rows, sys.stdout)
    elif args.json:
        print_json(summary_json(summary, include_demo=args.include_demo))
    else:
        print("\n".join(summary_lines(summary, include_demo=args.include_demo)))
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("spend", help="what a month cost: total, by model and by day (from the ledger); by project, "
                                     "or one project's jobs for its invoice")
    p.add_argument("--month", metavar="YYYY-MM", help="the UTC month (default: this month)")
    p.add_argument("--by", choices=("project", "seat", "model", "day"),
                   help="the month per client project: credits, dollars, billed jobs and budget (jobs of no project: "
                        "name null); with --team also per seat, model or day")
    p.add_argument("--team", action="store_true", help="the whole studio's month, from its server (studio mode: "
                                                       "`fluxdesk studio join`), with the team budget")
    p.add_argument("--project", metavar="NAME", help='one project\'s jobs and totals ("No project": the jobs sent '
                                                     "for none); with --csv, the CSV to attach to its invoice")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="with --project: from this UTC day (default: its first job; without --from/--to, the month)")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="with --project: up to this UTC day, included")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--csv", action="store_true", help="print the month's ledger as CSV, one row per job "
                                                           "(with --project: its billed jobs, for the invoice)")
    p.add_argument("--include-demo", action="store_true", help="count jobs run on the offline simulator too")
    p.set_defaults(func=cmd_spend)
