"""The Spend tab on a library the real command line filled through the simulator: it shows what
`fluxdesk spend --json` says, and exports what `fluxdesk spend --csv` prints."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog

from fluxdesk.cli.common import json_number
from fluxdesk.core.pricing import format_usd
from fluxdesk.services.library_views import SpendQueries
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.library import Library
from fluxdesk.storage.paths import demo_home
from fluxdesk.storage.price_table import load_price_table
from fluxdesk.storage.spend import current_month
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit import theme
from fluxdesk.ui.spend.by_model import Roles as ByModelRoles
from fluxdesk.ui.spend.cards import budget_state
from fluxdesk.ui.spend.ledger import BillingFilter, Column, Roles
from fluxdesk.ui.spend.snapshot import Projection, ago, days_in_month, projection, shift_month
from fluxdesk.ui.spend.tab import SpendTab

WAIT_MS = 10_000
GENERATIONS = (
    ("a red bicycle", "flux-2-pro", "--count", "2"),
    ("a lighthouse", "flux-dev"),
    ("a quiet street", "flux-kontext-pro"),
    ("a wide poster", "flux-2-klein-4b", "--width", "1536", "--height", "1024"),
    ("a forbidden castle", "flux-2-pro"),  # moderated: not billed
)


@dataclass(frozen=True)
class Filled:
    home: Path
    spend: dict
    csv_text: str


def fluxdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fluxdesk", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    """A library made by `fluxdesk generate` against the simulator, and what `fluxdesk spend` says of it."""
    home = tmp_path_factory.mktemp("spend-home")
    sim = Simulator(SimConfig(latency=0.2, moderation_word="forbidden")).start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("BFL_API_KEY", "PYTHON_KEYRING_BACKEND")}
        env.update(FLUXDESK_HOME=str(home), FLUXDESK_API_BASE=sim.api_base, BFL_API_KEY="bfl_x",
                   PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
        for prompt, model, *extra in GENERATIONS:
            done = fluxdesk(env, "generate", "--prompt", prompt, "--model", model, *extra, "--json")
            statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
            assert statuses == (["moderated"] if "forbidden" in prompt else ["done"] * len(statuses)), done.stderr
        # A simulator's jobs go to the demo library, marked demo: the ledger to read is that one, demo included.
        env.update(FLUXDESK_HOME=str(demo_home(home)))
        spend = fluxdesk(env, "spend", "--json", "--include-demo")
        exported = fluxdesk(env, "spend", "--csv", "--include-demo")
        assert spend.returncode == 0 and exported.returncode == 0, spend.stderr + exported.stderr
    finally:
        sim.stop()
    yield Filled(demo_home(home), json.loads(spend.stdout), exported.stdout)


@pytest.fixture
def library(filled: Filled) -> Iterator[Library]:
    lib = Library.open(filled.home)
    yield lib
    TaskManager.instance().wait()
    lib.close()


def day_of_this_month(day: int) -> datetime:
    return datetime.now(UTC).replace(day=day, hour=12)


@pytest.fixture
def tab(qtbot, filled: Filled, library: Library) -> SpendTab:
    widget = SpendTab(load_price_table(filled.home), clock=lambda: day_of_this_month(10))
    qtbot.addWidget(widget)
    widget.resize(860, 700)
    widget.set_budget(Decimal(50))
    widget.set_queries(SpendQueries(library, demo=True))
    loaded(qtbot, widget)
    return widget


def loaded(qtbot, tab: SpendTab) -> None:
    qtbot.waitUntil(lambda: tab.snapshot() is not None and not tab.is_loading(), timeout=WAIT_MS)


def money(value: float | int) -> Decimal:
    return Decimal(str(value))


def test_the_month_equals_the_command_line(tab: SpendTab, filled: Filled) -> None:
    cli = filled.spend
    assert cli["month"] == current_month() and cli["jobs"] == 5 and cli["unbilled_jobs"] == 1
    summary = tab.snapshot().summary
    assert (json_number(summary.usd), json_number(summary.credits)) == (cli["total_usd"], cli["total_credits"])
    assert (summary.jobs, summary.unbilled_jobs, summary.pending_jobs) == (
        cli["jobs"], cli["unbilled_jobs"], cli["pending_jobs"])
    card = tab.total_card
    assert card.total_label.text() == format_usd(money(cli["total_usd"]))
    assert card.credits_label.text() == f"{cli['total_credits']:,} credits"
    assert card.jobs_label.text() == f"{cli['jobs']} billed jobs · {cli['unbilled_jobs']} job not billed"
    end = day_of_this_month(days_in_month(current_month()))
    projected = format_usd(money(cli["total_usd"]) / 10 * end.day)
    assert card.projection_label.text() == f"Projected {projected} by {end:%b} {end.day} at this pace (from 10 days)"

    by_model = tab.by_model
    shown = {by_model.index(r, 0).data(ByModelRoles.ModelId): (json_number(by_model.index(r, 0).data(
        ByModelRoles.Credits)), json_number(by_model.index(r, 0).data(ByModelRoles.Usd)))
        for r in range(by_model.rowCount())}
    assert shown == {model: (m["credits"], m["usd"]) for model, m in cli["by_model"].items()}
    assert list(shown) == list(cli["by_model"])  # largest first, as the command line orders them
    for r in range(by_model.rowCount()):
        assert by_model.index(r, 2).data() == format_usd(money(cli["by_model"][list(shown)[r]]["usd"]))

    bars = tab.day_chart.values()
    first = datetime.now(UTC).replace(day=1).date()
    by_day = {(first + timedelta(days=i)).isoformat(): v for i, v in enumerate(bars) if v}
    assert by_day == {day: float(money(d["usd"])) for day, d in cli["by_day"].items()}
    assert len(bars) == days_in_month(current_month())

    assert tab.ledger.rowCount() == len(filled.csv_text.splitlines()) - 1
    assert tab.months_chart.values()[-1] == float(money(cli["total_usd"]))


def test_csv_export_round_trips(tab: SpendTab, filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    assert tab.export_csv(out) == 6
    with open(out, encoding="utf-8", newline="") as f:
        exported = csv.DictReader(f)
        fields, rows = exported.fieldnames, list(exported)
    expected = csv.DictReader(io.StringIO(filled.csv_text))
    assert fields == expected.fieldnames == ["time", "job_id", "model", "size", "credits", "usd", "status",
                                             "billed", "demo", "task_id", "estimated", "prompt",
                                             "project"]
    assert sorted(row["prompt"] for row in rows) == sorted(
        [GENERATIONS[0][0]] * 2 + [g[0] for g in GENERATIONS[1:]])
    assert rows == list(expected)
    assert out.read_text(encoding="utf-8") == filled.csv_text


def test_export_saves_what_the_filter_shows(qtbot, tab: SpendTab, tmp_path: Path, monkeypatch) -> None:
    asked: list[tuple[str, str]] = []
    out = tmp_path / "shown.csv"

    def save_dialog(_parent, title, start, _filters):  # the OS dialog: the boundary of the app
        asked.append((title, Path(start).name))  # the folder it starts in: tests/ui/test_file_dialogs.py
        return str(out), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    prompts = [tab.proxy.index(r, Column.PROMPT).data() for r in range(tab.proxy.rowCount())]
    assert "a lighthouse" in prompts and "a red bicycle" in prompts  # the ledger shows the prompt
    qtbot.keyClicks(tab.filter_edit, "bicycle")
    assert tab.count_label.text() == "2 of 6 jobs"
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS) as said:
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    assert asked == [("Export the 2 jobs the filter shows", f"fluxdesk-spend-{current_month()}-filtered.csv")]
    assert "Exported 2 jobs" in said.args[0] and "filtered: 2 of 6" in said.args[0]
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["prompt"] for row in rows] == ["a red bicycle", "a red bicycle"]
    assert {row["model"] for row in rows} == {"flux-2-pro"}

    tab.filter_edit.clear()
    with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS):
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    assert asked[-1] == ("Export the ledger", f"fluxdesk-spend-{current_month()}.csv")
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))) == 6


def test_the_ledger_marks_moderated_jobs_not_billed(tab: SpendTab) -> None:
    model = tab.ledger
    statuses = [model.index(r, 0).data(Roles.Status) for r in range(model.rowCount())]
    assert sorted(statuses) == ["done"] * 5 + ["moderated"]
    row = statuses.index("moderated")
    assert model.index(row, Column.USD).data() == "not billed"
    assert "not billed" in model.index(row, Column.STATUS).data()
    assert model.index(row, 0).data(Roles.Billed) is False
    assert model.index(row, Column.MODEL).data(Qt.ItemDataRole.ForegroundRole) == theme.muted_color()
    assert model.index(row, 0).data(Roles.ImageId) is None
    done = statuses.index("done")
    assert model.index(done, Column.USD).data().startswith("$")
    assert model.index(done, Column.MODEL).data(Qt.ItemDataRole.ForegroundRole) is None

    tab.filter_edit.setText("moderated")
    assert tab.proxy.rowCount() == 1 and tab.count_label.text() == "1 of 6 jobs"
    tab.filter_edit.setText("")
    tab.billing_combo.setCurrentIndex(tab.billing_combo.findData(BillingFilter.BILLED))
    assert tab.proxy.rowCount() == 5
    tab.filter_edit.setText("kontext")
    assert tab.proxy.rowCount() == 1


def test_clicking_a_row_with_an_image_shows_it(qtbot, tab: SpendTab, library: Library) -> None:
    tab.show()
    qtbot.waitExposed(tab)
    view, proxy = tab.ledger_view, tab.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(Roles.ImageId) is not None)
    index = proxy.index(row, Column.MODEL)
    expected = library.image_for_job(index.data(Roles.JobId)).id
    view.scrollTo(index)
    with qtbot.waitSignal(tab.showImageRequested, timeout=1000) as shown:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    assert shown.args == [expected]

    moderated = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(Roles.Status) == "moderated")
    with qtbot.assertNotEmitted(tab.showImageRequested):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.visualRect(proxy.index(moderated, 1)).center())


def test_budget_bar_states(tab: SpendTab) -> None:
    card = tab.budget_card
    total = tab.snapshot().summary.usd  # $0.14 of flux-2-pro ×2, dev, kontext and klein
    tab.set_budget(total * 4)
    assert card.state == "ok" and card.bar_color() == theme.colors().success
    assert card.bar.value() == 250
    tab.set_budget(total / Decimal("0.9"))
    assert card.state == "near" and card.bar_color() == theme.colors().warning
    assert card.state_label.text().startswith("Near the budget")
    tab.set_budget(total - Decimal("0.04"))
    assert card.state == "over" and card.bar_color() == theme.colors().error
    assert card.state_label.text() == "Over budget by $0.04"
    assert card.bar.value() == card.bar.maximum()
    assert "chunk" in card.bar.styleSheet() and theme.colors().error in card.bar.styleSheet()
    tab.set_budget(None)
    assert card.state == "none" and "No monthly budget" in card.state_label.text()


def test_the_bar_turns_amber_when_the_text_warns_of_the_pace(tab: SpendTab) -> None:
    card = tab.budget_card
    tab.set_budget(tab.snapshot().summary.usd * 2)  # half spent on day 10: the month ends at about 3×
    assert card.state == "ok" and "at this pace the month ends over budget" in card.state_label.text()
    assert card.state_label.property("tone") == "warning"
    assert card.bar_color() == theme.colors().warning and theme.colors().warning in card.bar.styleSheet()
    assert tab.total_card.projection_label.property("tone") == "warning"


def test_the_projection_waits_for_a_few_days(qtbot, filled: Filled, library: Library) -> None:
    early = SpendTab(load_price_table(filled.home), clock=lambda: day_of_this_month(2))
    qtbot.addWidget(early)
    early.set_budget(Decimal("0.01"))
    early.set_queries(SpendQueries(library))
    loaded(qtbot, early)
    assert early.total_card.projection_label.text() == "Too early to project the month: 2 days so far"
    assert "at this pace" not in early.budget_card.state_label.text()


def test_budget_state_thresholds() -> None:
    assert budget_state(Decimal("79.99"), Decimal(100)) == "ok"
    assert budget_state(Decimal(80), Decimal(100)) == "near"
    assert budget_state(Decimal(100), Decimal(100)) == "over"
    assert budget_state(Decimal(5), None) == "none"
    assert budget_state(Decimal(5), Decimal(0)) == "none"


def test_projection_and_ago() -> None:
    now = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    assert projection(Decimal(30), "2026-11", now) == Projection(10, Decimal(90))  # $30 in 10 days of 30
    assert projection(Decimal(30), "2026-10", now) is None
    assert projection(Decimal(30), "2026-11", now.replace(day=2)) == Projection(2, None)  # too early to say
    assert projection(Decimal(3), "2026-11", now.replace(day=3)) == Projection(3, Decimal(30))
    assert ago(now - timedelta(minutes=2), now) == "2 min ago"
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(hours=3), now) == "3 h ago"


def test_credits_and_their_refresh(qtbot, tab: SpendTab) -> None:
    card = tab.credits_card
    tab.set_credits(Decimal("1234.5"), datetime.now(UTC) - timedelta(minutes=2))
    assert card.credits_label.text() == "1,234.5"
    assert card.usd_label.text() == "credits left ($12.35)"
    assert card.read_label.text() == "read 2 min ago"
    with qtbot.waitSignal(tab.refreshCreditsRequested, timeout=1000):
        card.refresh_button.click()
    assert card.read_label.text() == "Reading…" and not card.refresh_button.isEnabled()
    tab.set_credits(None, datetime.now(UTC))
    assert card.refresh_button.isEnabled() and "could not be reached" in card.usd_label.text()


def test_another_month_and_back(qtbot, tab: SpendTab) -> None:
    assert tab.month_combo.currentData() == current_month() and not tab.next_button.isEnabled()
    tab.prev_button.click()
    loaded(qtbot, tab)
    assert tab.snapshot().month == shift_month(current_month(), -1)
    assert tab.total_card.total_label.text() == "$0.00" and tab.ledger.rowCount() == 0
    assert not tab.total_card.projection_label.isVisible()
    assert tab.next_button.isEnabled()
    tab.next_button.click()
    loaded(qtbot, tab)
    assert tab.snapshot().month == current_month() and tab.ledger.rowCount() == 6


def test_demo_library(qtbot, tab: SpendTab, library: Library) -> None:
    tab.set_queries(SpendQueries(library, demo=True))
    loaded(qtbot, tab)
    assert not tab.demo_banner.isHidden() and tab.demo_check.isHidden()
    assert tab.demo_label.text().startswith("Demo spend — nothing was charged")
    assert tab.include_demo() and tab.snapshot().include_demo
    tab.set_queries(SpendQueries(library))
    loaded(qtbot, tab)
    assert tab.demo_banner.isHidden() and not tab.demo_check.isHidden() and not tab.include_demo()


def test_no_library(qtbot, tab: SpendTab) -> None:
    tab.set_queries(None)
    assert tab.snapshot() is None and tab.ledger.rowCount() == 0
    assert not tab.export_button.isEnabled()
    assert tab.total_card.credits_label.text() == "No library open"


def test_charts_follow_the_theme(tab: SpendTab, restore_theme) -> None:
    theme.apply_theme(restore_theme, "dark")
    assert tab.day_chart.chart().backgroundBrush().color() == QColor(theme.DARK.card)
    assert tab.budget_card.bar_color() == theme.DARK.success
    theme.apply_theme(restore_theme, "light")
    assert tab.months_chart.chart().backgroundBrush().color() == QColor(theme.LIGHT.card)


def shown_legend(chart) -> list[str]:
    legend = chart.chart().legend()
    assert legend.isVisible() and legend.geometry().height() > 0
    return [marker.label() for marker in legend.markers() if marker.isVisible()]


def line_heights(chart) -> set[float]:
    return {point.y() for point in chart.budget_line.points()}


def test_the_charts_name_their_series_and_draw_the_budget(qtbot, tab: SpendTab) -> None:
    tab.show()
    qtbot.waitExposed(tab)
    days = days_in_month(current_month())
    day_chart, months_chart = tab.day_chart, tab.months_chart
    daily = Decimal(50) / days  # the fixture's $50 budget, shared over the month's days
    assert shown_legend(day_chart) == ["Billed per day", f"Daily share of the budget ({format_usd(daily)})"]
    assert day_chart.budget_line.isVisible() and line_heights(day_chart) == {float(daily)}
    points = day_chart.budget_line.points()
    assert (points[0].x(), points[-1].x()) == (-0.5, days - 0.5)  # across every day's bar
    assert shown_legend(months_chart) == ["Billed per month", "Monthly budget ($50.00)"]
    assert line_heights(months_chart) == {50.0}
    y_axis = months_chart.chart().axes(Qt.Orientation.Vertical)[0]
    assert y_axis.max() >= 50  # the line is inside the plot, not above it

    tab.set_budget(Decimal(20))  # Settings' monthly budget changed
    assert line_heights(months_chart) == {20.0} and line_heights(day_chart) == {float(Decimal(20) / days)}
    assert shown_legend(months_chart) == ["Billed per month", "Monthly budget ($20.00)"]
    assert y_axis.max() < 50

    tab.set_budget(None)
    for chart, bars in ((day_chart, "Billed per day"), (months_chart, "Billed per month")):
        assert not chart.budget_line.isVisible() and chart.budget_line.count() == 0
        assert chart.budget_value() is None
        assert shown_legend(chart) == [bars]


def test_the_legends_follow_the_theme(tab: SpendTab, restore_theme) -> None:
    tab.set_budget(Decimal(50))
    for name, colors in (("dark", theme.DARK), ("light", theme.LIGHT)):
        theme.apply_theme(restore_theme, name)
        for chart in (tab.day_chart, tab.months_chart):
            assert chart.chart().legend().labelColor() == QColor(colors.text)
            assert chart.budget_line.pen().color() == QColor(colors.error)


def ink_columns(image: QImage, left: int, right: int, top: int, bottom: int, background: QColor) -> list[int]:
    """The x of every column between ``left`` and ``right`` with a pixel unlike ``background`` (text)."""
    def inked(x: int) -> bool:
        for y in range(top, bottom):
            pixel = QColor(image.pixel(x, y))
            if max(abs(pixel.red() - background.red()), abs(pixel.green() - background.green()),
                   abs(pixel.blue() - background.blue())) > 60:
                return True
        return False
    return [x for x in range(left, right) if inked(x)]


def test_the_cost_keeps_its_distance_from_the_status(qtbot, tab: SpendTab) -> None:
    tab.resize(1500, 900)  # the ledger as wide as at 1920 × 1080
    tab.show()
    qtbot.waitExposed(tab)
    view, proxy = tab.ledger_view, tab.proxy
    billed = next(r for r in range(proxy.rowCount()) if proxy.index(r, Column.USD).data().startswith("$"))
    cost, status = view.visualRect(proxy.index(billed, Column.USD)), view.visualRect(proxy.index(billed, Column.STATUS))
    image = view.viewport().grab().toImage()
    background = QColor(image.pixel(cost.left() + 1, cost.top() + 1))
    band = (cost.top() + 2, cost.bottom() - 1)
    figures = ink_columns(image, cost.left(), cost.right() + 1, *band, background)
    words = ink_columns(image, status.left(), status.right() + 1, *band, background)
    assert figures and words
    assert words[0] - figures[-1] >= 16, (figures[-1], words[0])
    # The header's "Cost" ends where the figures end.
    header = view.horizontalHeader()
    header_image = header.grab().toImage()
    x0 = header.sectionViewportPosition(Column.USD)
    section = QPoint(x0, 0)
    title_ink = ink_columns(header_image, section.x() + 2, section.x() + header.sectionSize(Column.USD) - 2,
                            3, header.height() - 3, QColor(header_image.pixel(section.x() + 3, 3)))
    assert abs(title_ink[-1] - figures[-1]) <= 3, (title_ink[-1], figures[-1])


def test_the_models_are_sound(qtmodeltester, tab: SpendTab) -> None:
    qtmodeltester.check(tab.ledger)
    qtmodeltester.check(tab.proxy)
    qtmodeltester.check(tab.by_model)
