"""`fluxdesk projects`: the client projects of the library under FLUXDESK_HOME: list, rename, archive, delete.

Totals are all time (every job a project ever had), billed credits in dollars at the price table's rate; demo jobs
live in the demo library (``--demo``). A project is named case-insensitively.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, UsageError, json_number, print_json

if TYPE_CHECKING:
    from fluxdesk.core.projects import Project
    from fluxdesk.storage.library import Library


def _home(demo: bool) -> Any:
    from fluxdesk.storage.paths import demo_home, home_dir

    return demo_home(home_dir()) if demo else home_dir()


def named_project(library: Library, name: str) -> Project:
    """The project called ``name`` (whatever its case); ``UsageError`` in words when there is none."""
    found = library.project_named(name)
    if found is None:
        raise UsageError(f"there is no project called {name.strip()!r} (`fluxdesk projects list --all` lists them)")
    return found


def _run(args: argparse.Namespace, change: Any) -> int:
    """Open the library, run ``change(library)`` (it prints), say a library or project refusal in words."""
    from fluxdesk.core.projects import ProjectError
    from fluxdesk.storage.db import LibraryError
    from fluxdesk.storage.library import Library

    try:
        with Library.open(_home(args.demo), remove_temp_files=False) as library:
            change(library)
    except ProjectError as exc:
        raise UsageError(str(exc)) from None
    except LibraryError as exc:
        print(f"fluxdesk projects: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def project_rows(library: Library, *, include_archived: bool, usd_per_credit: Decimal) -> list[dict[str, Any]]:
    """One object per project, most recently used first, then the jobs with no project (``name`` null) if any."""
    totals = library.project_totals(include_demo=True)  # a demo library holds only demo jobs; the real one none

    def row(project: Project | None) -> dict[str, Any]:
        found = totals.get(project.id if project else None)
        credits = found.credits if found else Decimal(0)
        return {"id": project.id if project else None, "name": project.name if project else None,
                "archived": project.archived if project else False, "jobs": found.jobs if found else 0,
                "billed_jobs": found.billed_jobs if found else 0, "credits": json_number(credits),
                "usd": json_number(credits * usd_per_credit),
                "budget_usd": json_number(project.budget_usd) if project else None,
                "last_used_at": project.last_used_at if project else None}

    rows = [row(project) for project in library.projects(include_archived=include_archived)]
    if None in totals:
        rows.append(row(None))
    return rows


def _list_lines(rows: list[dict[str, Any]], include_archived: bool) -> list[str]:
    from fluxdesk.core.pricing import format_credits, format_usd
    from fluxdesk.core.projects import NO_PROJECT
    from fluxdesk.core.wording import plural

    if not any(row["id"] is not None for row in rows):
        return ["No projects yet: `fluxdesk generate … --project NAME` makes one."]
    names = [(row["name"] or NO_PROJECT) + (" (archived)" if row["archived"] else "") for row in rows]
    width = max(len(name) for name in names)
    lines = [f"Projects ({'archived ones included, ' if include_archived else ''}all time, billed):"]
    for name, row in zip(names, rows, strict=True):
        credits = Decimal(str(row["credits"]))
        lines.append(f"  {name:<{width}}  {plural(row['jobs'], 'job'):>9}  {format_credits(credits):>10} credits  "
                     f"{format_usd(Decimal(str(row['usd']))):>10}")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import database_path
    from fluxdesk.storage.price_table import load_price_table

    rate = load_price_table(_home(False)).usd_per_credit
    rows: list[dict[str, Any]] = []

    def read(library: Library) -> None:
        rows.extend(project_rows(library, include_archived=args.all, usd_per_credit=rate))

    if database_path(_home(args.demo)).exists():  # a read-only question: no library is made to answer it
        code = _run(args, read)
        if code != EXIT_OK:
            return code
    if args.json:
        print_json({"projects": rows, "period": "all time", "usd_per_credit": json_number(rate)})
    else:
        print("\n".join(_list_lines(rows, args.all)))
    return EXIT_OK


def cmd_rename(args: argparse.Namespace) -> int:
    def rename(library: Library) -> None:
        old = named_project(library, args.old)
        new = library.rename_project(old.id, args.new)
        print(f"Renamed {old.name} to {new.name}: its jobs and spend go with it.")

    return _run(args, rename)


def cmd_archive(args: argparse.Namespace) -> int:
    def archive(library: Library) -> None:
        project = library.archive_project(named_project(library, args.name).id, not args.undo)
        print(f"Archived {project.name}: hidden from the prompt panel, its history kept." if project.archived
              else f"{project.name} is back in the prompt panel's list.")

    return _run(args, archive)


def cmd_delete(args: argparse.Namespace) -> int:
    def delete(library: Library) -> None:
        project = named_project(library, args.name)
        library.delete_project(project.id)
        print(f"Deleted the project {project.name} (it had no jobs).")

    return _run(args, delete)


def register(sub: Any) -> None:
    p = sub.add_parser("projects", help="client projects: list, rename, archive, delete")
    commands = p.add_subparsers(dest="projects_command", metavar="ACTION", required=True)
    demo_help = "the demo library's projects"

    q = commands.add_parser("list", help="every project with its jobs and billed spend, all time")
    q.add_argument("--all", action="store_true", help="archived projects too")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--demo", action="store_true", help=demo_help)
    q.set_defaults(func=cmd_list)

    q = commands.add_parser("rename", help="rename a project (its jobs and spend go with it)")
    q.add_argument("old", metavar="OLD")
    q.add_argument("new", metavar="NEW")
    q.add_argument("--demo", action="store_true", help=demo_help)
    q.set_defaults(func=cmd_rename)

    q = commands.add_parser("archive", help="hide a project from the prompt panel, keeping its history")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--undo", action="store_true", help="bring an archived project back")
    q.add_argument("--demo", action="store_true", help=demo_help)
    q.set_defaults(func=cmd_archive)

    q = commands.add_parser("delete", help="delete a project that has no jobs")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--demo", action="store_true", help=demo_help)
    q.set_defaults(func=cmd_delete)
