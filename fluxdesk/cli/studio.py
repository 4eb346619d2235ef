"""`fluxdesk studio`: studio mode (issue #21), one ledger, budget and project list for a team on PostgreSQL.

``init URL`` (an admin creates or migrates the schema), ``add-seat NAME`` (a seat's role and one-time password),
``set`` (team budget, shared prompts, a project's budget), ``join URL --seat NAME`` (this home joins as that seat:
the URL without its password goes to the settings, the password to the keyring), ``status``, ``sync``, ``leave``.
Nothing here is needed to generate: the local library stays the seat's source of truth.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, decimal_arg, json_number, print_json

if TYPE_CHECKING:
    from fluxdesk.services.studio_link import JoinedLink


def _fail(command: str, message: object) -> int:
    print(f"fluxdesk studio {command}: {message}", file=sys.stderr)
    return EXIT_FAILED


def _checked(url: str) -> str:
    from fluxdesk.storage.studio.link import StudioError, checked_url

    try:
        return checked_url(url)
    except StudioError as exc:
        raise UsageError(str(exc)) from None


def _admin_url(args: argparse.Namespace, home: Path) -> str:
    from fluxdesk.storage.settings import load_settings

    url = args.url or load_settings(home).studio_admin_url
    if not url:
        raise UsageError("no admin URL: give --url postgresql://ADMIN@HOST/DB (or run `fluxdesk studio init URL` "
                         "here first)")
    return _checked(url)


def cmd_init(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.settings import load_settings, save_settings
    from fluxdesk.storage.studio.link import StudioError, url_without_password
    from fluxdesk.storage.studio.schema import init_schema

    url = _checked(args.url)
    try:
        version = init_schema(url)
    except StudioError as exc:
        return _fail("init", exc)
    home = home_dir()
    save_settings(home, replace(load_settings(home), studio_admin_url=url_without_password(url)))
    if args.json:
        print_json({"schema_version": version, "url": url_without_password(url)})
    else:
        print(f"The studio schema is ready (version {version}) at {url_without_password(url)}. "
              "Next: `fluxdesk studio add-seat NAME` for each designer.")
    return EXIT_OK


def cmd_add_seat(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError
    from fluxdesk.storage.studio.schema import add_seat, seat_name

    url = _admin_url(args, home_dir())
    try:
        seat_name(args.name)
    except StudioError as exc:
        raise UsageError(str(exc)) from None
    try:
        seat = add_seat(url, args.name)
    except StudioError as exc:
        return _fail("add-seat", exc)
    if args.json:
        print_json({"seat": seat.seat, "user": seat.user, "password": seat.password})
    else:
        print(f"Seat {seat.seat}: database user {seat.user}, password {seat.password}\n"
              "The password is shown once and kept nowhere: give it to the designer, who runs "
              f"`fluxdesk studio join URL --seat {seat.seat}`.")
    return EXIT_OK


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError("write on or off")
    return text == "on"


def _budget(text: str) -> Decimal | None:
    if text == "none":
        return None
    value = decimal_arg(text)
    if value < 0:
        raise argparse.ArgumentTypeError("a budget is 0 or more (none: no budget)")
    return value


def cmd_set(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError
    from fluxdesk.storage.studio.team import set_studio

    project_change = args.budget is not False or args.archived is not None
    if args.project is None and project_change:
        raise UsageError("--budget, --archive and --unarchive go with --project NAME")
    if args.team_budget is False and args.share_prompts is None and args.project is None:
        raise UsageError("nothing to set: give --team-budget, --share-prompts, or --project NAME with --budget USD "
                         "or --archive")
    if args.project is not None and not project_change:
        raise UsageError("--project NAME: give --budget USD|none, --archive or --unarchive")
    url = _admin_url(args, home_dir())
    try:
        set_studio(url, None, team_budget=args.team_budget, share_prompts=args.share_prompts, project=args.project,
                   project_budget=args.budget, archived=args.archived)
    except StudioError as exc:
        return _fail("set", exc)
    print("The studio's settings are saved.")
    return EXIT_OK


def _password_for_join(url: str) -> str:
    from fluxdesk.storage.studio.link import password_in

    password = password_in(url) or os.environ.get("PGPASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError("no password: put it in the URL, in PGPASSWORD, or run this in a terminal to be asked")
    password = getpass.getpass("Studio database password (not shown): ")
    if not password:
        raise UsageError("no password given")
    return password


def cmd_join(args: argparse.Namespace) -> int:
    from fluxdesk.services.studio_link import join_studio
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError
    from fluxdesk.storage.studio.schema import seat_name

    url = _checked(args.url)
    try:
        seat = seat_name(args.seat)
    except StudioError as exc:
        raise UsageError(str(exc)) from None
    password = _password_for_join(url)
    try:
        stored_url, seat = join_studio(home_dir(), url, seat, password)
    except StudioError as exc:
        return _fail("join", exc)
    print(f"This FluxDesk joined the studio at {stored_url} as seat {seat}. From now on every billed or failed "
          "job is shared with the team (`fluxdesk studio sync` sends them; `fluxdesk studio status` shows the link).")
    return EXIT_OK


def _not_joined(home: Path) -> UsageError:
    return UsageError(f"this FluxDesk ({home}) has joined no studio: run `fluxdesk studio join URL --seat NAME`")


def syncer_for(home: Path, link: JoinedLink | None = None) -> Any:
    """A ``Syncer`` for ``home``'s studio (``link``: as already read from the settings and keyring)."""
    from fluxdesk.services.studio_link import joined_link
    from fluxdesk.storage.price_table import load_price_table
    from fluxdesk.storage.studio.sync import Syncer

    link = link or joined_link(home)
    if link is None:
        raise _not_joined(home)
    return Syncer(home, link.url, link.seat, link.password, usd_per_credit=load_price_table(home).usd_per_credit)


def sync_after_jobs() -> None:
    """After ``fluxdesk generate``: send what is queued when this home is in a studio. A server that cannot take
    it is one plain line on stderr; the jobs' outcome and exit code stay as they were."""
    from fluxdesk.services.studio_link import joined_link
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError

    home = home_dir()
    link = joined_link(home)
    if link is None:
        return
    try:
        syncer_for(home, link).sync_once()
    except StudioError as exc:
        print(f"fluxdesk: the studio was not updated ({exc}); the ledger rows stay queued for "
              "`fluxdesk studio sync`.", file=sys.stderr)


def cmd_sync(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError

    syncer = syncer_for(home_dir())
    try:
        if args.resend:
            syncer.requeue_all()
        result = syncer.sync_once()
    except StudioError as exc:
        return _fail("sync", f"{exc}. Nothing was lost: the rows stay queued here until the server takes them.")
    if args.json:
        print_json({"sent": result.sent, "queued": result.remaining, "at": result.at.isoformat(),
                    "projects_added": list(result.adopted), "waiting": result.waiting})
    else:
        print(f"Sent {result.sent} ledger row(s) to the studio; {result.remaining} queued.")
        if result.waiting:
            print(f"Some rows wait: {result.waiting}.")
        if result.adopted:
            print(f"From the studio's project list: {', '.join(result.adopted)}.")
    return EXIT_OK


def studio_status(home: Path) -> dict[str, Any]:
    from fluxdesk.services.studio_link import joined_link
    from fluxdesk.storage.paths import database_path
    from fluxdesk.storage.studio import outbox
    from fluxdesk.storage.studio.link import StudioError, connect

    link = joined_link(home)
    data: dict[str, Any] = {"joined": link is not None, "seat": None, "url": None, "reachable": None,
                            "error": None, "queued": 0, "last_sync": None, "team_figures_age_s": None}
    if database_path(home).exists():
        with outbox.library_db(home) as conn:
            data["queued"] = outbox.queued(conn)
            last = outbox.last_sync(conn)
        if last is not None:
            data["last_sync"] = last.isoformat()
            data["team_figures_age_s"] = round((datetime.now(UTC) - last).total_seconds())
    if link is None:
        return data
    data.update(seat=link.seat, url=link.url)
    try:
        connect(link.url, link.password, timeout=3).close()
        data["reachable"] = True
    except StudioError as exc:
        data.update(reachable=False, error=str(exc))
    return data


def cmd_status(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir

    data = studio_status(home_dir())
    if args.json:
        print_json(data)
        return EXIT_OK
    if not data["joined"]:
        print("Not in a studio (`fluxdesk studio join URL --seat NAME` joins one).")
        return EXIT_OK
    link = "reachable" if data["reachable"] else f"NOT reachable: {data['error']}"
    last = data["last_sync"] or "never"
    print(f"Seat {data['seat']} at {data['url']}: server {link}\n"
          f"{data['queued']} ledger row(s) queued; last sync {last}")
    return EXIT_OK


def cmd_leave(args: argparse.Namespace) -> int:
    from fluxdesk.services.studio_link import leave_studio
    from fluxdesk.storage.paths import home_dir

    home = home_dir()
    if not leave_studio(home):
        raise _not_joined(home)
    print("This FluxDesk left the studio; its password is removed from the keyring. Rows already sent stay in the "
          "team's ledger.")
    return EXIT_OK


def team_json(spend: Any) -> dict[str, Any]:
    return {"month": spend.month, "by": spend.by, "credits": json_number(spend.credits), "usd": json_number(spend.usd),
            "jobs": spend.jobs, "unbilled_jobs": spend.unbilled_jobs,
            "budget_usd": json_number(spend.budget_usd), "budget_used_percent": json_number(
                None if spend.budget_used is None else spend.budget_used.quantize(Decimal("0.1"))),
            "fetched_at": spend.fetched_at.isoformat(),
            "groups": [{spend.by: g.key, "credits": json_number(g.credits), "usd": json_number(g.usd), "jobs": g.jobs,
                        "unbilled_jobs": g.unbilled_jobs,
                        **({"budget_usd": json_number(g.budget_usd)} if spend.by == "project" else {})}
                       for g in spend.groups]}


def team_report(args: argparse.Namespace, month: str) -> int:
    """`fluxdesk spend --team`: the month of the whole studio, from its server."""
    from fluxdesk.services.studio_link import joined_link
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.studio.link import StudioError
    from fluxdesk.storage.studio.team import fetch_team_spend

    home = home_dir()
    link = joined_link(home)
    if link is None:
        raise _not_joined(home)
    try:
        spend = fetch_team_spend(link.url, link.password, month, args.by or "seat")
    except StudioError as exc:
        print(f"fluxdesk spend: the team's figures cannot be read: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print_json(team_json(spend))
        return EXIT_OK
    budget = "no team budget" if spend.budget_usd is None else f"of ${spend.budget_usd:,.2f} team budget"
    print(f"Team, {month}: ${spend.usd:,.2f} ({spend.credits} credits, {spend.jobs} billed jobs) {budget}")
    for g in spend.groups:
        print(f"  {g.key or '(no project)':<30} ${g.usd:>12,.2f}  {g.jobs:>7} jobs")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("studio", help="studio mode: share the ledger, budget and projects of a team on PostgreSQL")
    commands = p.add_subparsers(dest="studio_command", metavar="STUDIO_COMMAND", required=True)
    q = commands.add_parser("init", help="(admin) create or migrate the studio schema at URL")
    q.add_argument("url", metavar="URL", help="postgresql://ADMIN[:PASSWORD]@HOST[:PORT]/DB (PGPASSWORD works too)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_init)
    q = commands.add_parser("add-seat", help="(admin) create a seat's database role and print its one-time password")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--url", metavar="ADMIN_URL", help="the admin URL (default: the one `studio init` used here)")
    q.add_argument("--json", action="store_true", help='print {"seat", "user", "password"}')
    q.set_defaults(func=cmd_add_seat)
    q = commands.add_parser("set", help="(admin) the team budget, shared prompts, a project's budget or archiving")
    q.add_argument("--url", metavar="ADMIN_URL", help="the admin URL (default: the one `studio init` used here)")
    q.add_argument("--team-budget", type=_budget, default=False, metavar="USD|none")
    q.add_argument("--share-prompts", type=_on_off, metavar="on|off")
    q.add_argument("--project", metavar="NAME")
    q.add_argument("--budget", type=_budget, default=False, metavar="USD|none", help="with --project")
    archive = q.add_mutually_exclusive_group()
    archive.add_argument("--archive", dest="archived", action="store_const", const=True,
                         help="with --project: seats no longer get it on their project lists")
    archive.add_argument("--unarchive", dest="archived", action="store_const", const=False, help="with --project")
    q.set_defaults(func=cmd_set)
    q = commands.add_parser("join", help="join the studio at URL as seat NAME (the password goes to the keyring)")
    q.add_argument("url", metavar="URL")
    q.add_argument("--seat", required=True, metavar="NAME")
    q.set_defaults(func=cmd_join)
    q = commands.add_parser("status", help="the studio link: seat, server reachable, rows queued, last sync")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_status)
    q = commands.add_parser("sync", help="send the queued ledger rows to the studio now")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--resend", action="store_true", help="send every row shared before again (after the server was "
                                                         "restored from a backup: it keeps what it has)")
    q.set_defaults(func=cmd_sync)
    q = commands.add_parser("leave", help="stop sharing: forget the studio and its password here")
    q.set_defaults(func=cmd_leave)
