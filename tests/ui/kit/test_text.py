"""Prompt tooltips: one limit, escaped, wrapped as rich text, the same in every list that shows a prompt."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from fluxdesk.core.jobs import JobStatus
from fluxdesk.services.events import JobFailed, JobQueued
from fluxdesk.storage.spend import LedgerRow
from fluxdesk.ui.kit.text import PROMPT_TIP_CHARS, prompt_html, rich_tooltip
from fluxdesk.ui.queue.model import JobQueueModel
from fluxdesk.ui.queue.recent import RecentImagesModel
from fluxdesk.ui.spend.ledger import LedgerModel
from fluxdesk.ui.spend.snapshot import LedgerEntry

LONG = "a <castle> " * 100


def test_a_long_prompt_is_cut_at_one_limit_and_escaped() -> None:
    assert prompt_html(LONG) == LONG[:PROMPT_TIP_CHARS].rstrip().replace("<", "&lt;").replace(">", "&gt;") + "…"
    assert prompt_html("short & sweet") == "short &amp; sweet"
    assert prompt_html("") == "<i>No prompt</i>"
    assert rich_tooltip("one", "", "<b>two</b>") == "<qt>one<br><b>two</b></qt>"


def test_every_list_cuts_the_prompt_the_same_way(qtbot) -> None:
    expected = prompt_html(LONG)
    queue = JobQueueModel()
    queue.apply(JobQueued("j", "flux-dev", LONG, 1, None))
    queue.apply(JobFailed("j", JobStatus.MODERATED, "blocked", False))
    recent = RecentImagesModel()
    recent.add(1, "/a.png", LONG, 3)
    row = LedgerRow(job_id="j", time="2026-12-01T10:00:00", model="flux-dev", size="1024x1024",
                    credits=Decimal(3), estimated=False, usd=None, status=JobStatus.MODERATED, billed=False, demo=False,
                    task_id="t", prompt=LONG)
    ledger = LedgerModel()
    ledger.set_entries([LedgerEntry(row, None)])
    for model in (queue, recent, ledger):
        tip = model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
        assert tip.startswith("<qt>") and expected in tip and LONG.replace("<", "&lt;") not in tip
