"""The ledger as CSV: one row per job that reached BFL, the same for `fluxdesk spend --csv` and the Spend tab; and a
project's billed jobs as an invoice's attachment (``write_invoice_csv``), the same for `fluxdesk spend --project
NAME --csv` and the Spend tab's Export project…"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from fluxdesk.core.pricing import format_credits
from fluxdesk.storage.spend import LedgerRow

CSV_FIELDS = ("time", "job_id", "model", "size", "credits", "usd", "status", "billed", "demo", "task_id",
              "estimated", "prompt", "project")
INVOICE_FIELDS = ("date", "project", "model", "size", "credits", "usd", "prompt", "file_name", "job_id")
"""``date`` is the UTC day BFL accepted the job; ``file_name`` the image's file (empty when none was kept)."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number_text(value: Decimal | None) -> str:
    return "" if value is None else format_credits(value)


def _cell(text: str | None) -> str:
    """Text for a spreadsheet cell: one that would start a formula is quoted with ``'``."""
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: list[LedgerRow], out: Any) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([row.time, _cell(row.job_id), _cell(row.model), _cell(row.size),
                         _number_text(row.credits), _number_text(row.usd), row.status.value,
                         str(row.billed).lower(), str(row.demo).lower(), _cell(row.task_id),
                         str(row.estimated).lower(), _cell(row.prompt), _cell(row.project_name)])


def invoice_rows(rows: list[LedgerRow]) -> list[LedgerRow]:
    """What goes on an invoice: the jobs BFL billed (an expired image was billed too), in the order given."""
    return [row for row in rows if row.billed]


def write_invoice_csv(rows: list[LedgerRow], out: Any) -> int:
    """The billed ``rows`` (``invoice_rows``) as CSV, one per job; answers how many were written."""
    billed = invoice_rows(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(INVOICE_FIELDS)
    for row in billed:
        writer.writerow([row.time[:10], _cell(row.project_name), _cell(row.model), _cell(row.size),
                         _number_text(row.credits), _number_text(row.usd), _cell(row.prompt),
                         _cell(row.file_name), _cell(row.job_id)])
    return len(billed)
