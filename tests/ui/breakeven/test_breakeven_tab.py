"""The Break-even tab against a real question: which model can be self-hosted at all, at what it costs at the
user's size and steps, with utilisation and overhead; and against `fluxdesk breakeven --model --json`: the same
inputs give the same figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCharts import QLogValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolButton

from fluxdesk.cli import main as cli_main
from fluxdesk.cli.common import json_number
from fluxdesk.core import breakeven as be
from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.providers import ProviderTable
from fluxdesk.core.selfhost import SelfHostTable, substitute_note
from fluxdesk.storage.providers import bundled_provider_table
from fluxdesk.storage.self_hosting import bundled_self_host_table
from fluxdesk.storage.settings import BreakEvenSettings
from fluxdesk.storage.spend import ModelUsage
from fluxdesk.ui.breakeven.model import Column, Roles, table_volumes
from fluxdesk.ui.breakeven.tab import BreakEvenTab
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit import theme

ROLE_OF_FIELD = {
    "api_monthly": Roles.ApiMonthly, "self_hosted_monthly": Roles.SelfHostedMonthly, "saving": Roles.Saving,
    "saving_pct": Roles.SavingPct, "api_annual": Roles.ApiAnnual, "self_hosted_annual": Roles.SelfHostedAnnual,
}


@pytest.fixture
def providers() -> ProviderTable:
    return bundled_provider_table()


@pytest.fixture
def self_host() -> SelfHostTable:
    return bundled_self_host_table()


@pytest.fixture
def make_tab(qtbot, price_table: PriceTable, providers: ProviderTable, self_host: SelfHostTable) -> Iterator:
    def make(settings: BreakEvenSettings | None = None, usage: list[ModelUsage] | None = None) -> BreakEvenTab:
        tab = BreakEvenTab(price_table, providers, self_host, settings)
        qtbot.addWidget(tab)
        tab.resize(860, 900)
        tab.set_usage(usage if usage is not None else [])
        return tab

    yield make
    TaskManager.instance().wait()


def pick(combo, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def table_rows(tab: BreakEvenTab) -> list[dict]:
    model = tab.model
    rows = []
    for r in range(model.rowCount()):
        index = model.index(r, 0)
        item = {"volume": index.data(Roles.Volume)}
        item.update({field: json_number(index.data(role)) for field, role in ROLE_OF_FIELD.items()})
        if tab.inputs().mode is be.Mode.ALWAYS_ON:
            item["gpus_needed"] = index.data(Roles.GpusNeeded)
        rows.append(item)
    return rows


# --- which model can be self-hosted ----------------------------------------------------------------


def test_flux_1_1_pro_cannot_be_self_hosted_and_the_tab_says_what_would_run_instead(make_tab, self_host) -> None:
    tab = make_tab()
    pick(tab.panel.model_combo, "flux-pro-1.1")
    note = tab.substitute_label.text()
    assert note == substitute_note("flux-pro-1.1", self_host)
    assert note.startswith("FLUX1.1 [pro] cannot be self-hosted: its weights are not published.")
    assert "FLUX.1 [dev]" in note and "Non-Commercial" in note and "commercial use needs a licence from BFL" in note
    assert "its images will differ" in note
    assert tab.substitute_label.isVisibleTo(tab)
    assert tab.panel.gpu_card.title_label.text() == "Self-hosted: FLUX.1 [dev]"
    result = tab.result()
    assert result is not None and not result.self_hostable and result.self_hosted_model.id == "flux-dev"
    assert not result.commercial_use
    # The verdict compares the API model with what would run, by name; the GPU is the first with a published
    # FLUX.1 [dev] speed: the article's RTX 4090.
    verdict = tab.verdict_label.text()
    assert "FLUX1.1 [pro] at BFL" in verdict and "self-hosting FLUX.1 [dev]" in verdict
    assert tab.panel.gpu_combo.currentData() == "RTX 4090 (community cloud)"
    assert tab.panel.speed_spin.value() == 11
    for model_id in ("flux-pro-1.1-ultra", "flux-kontext-max", "flux-2-max", "flux-2-flex"):
        pick(tab.panel.model_combo, model_id)
        assert "cannot be self-hosted" in tab.substitute_label.text()


def test_klein_4b_is_self_hostable_under_apache_2(make_tab) -> None:
    tab = make_tab()
    pick(tab.panel.model_combo, "flux-2-klein-4b")
    assert tab.substitute_label.text() == ("FLUX.2 [klein] 4B can be self-hosted (Apache-2.0, commercial use "
                                           "allowed).")
    assert tab.panel.gpu_card.title_label.text() == "Self-hosted: FLUX.2 [klein] 4B"
    result = tab.result()
    assert result.self_hostable and result.commercial_use and result.licence == "Apache-2.0"
    assert "cannot" not in tab.verdict_label.text()
    assert tab.panel.gpu_combo.currentData() == "RTX 5090"  # the first GPU with a published klein 4B speed
    assert tab.panel.speed_spin.value() == pytest.approx(1.2)
    pick(tab.panel.model_combo, "flux-2-klein-9b")
    assert "FLUX.2 [klein] 9B can be self-hosted (FLUX Non-Commercial License" in tab.substitute_label.text()


def test_a_new_user_gets_a_verdict_for_the_articles_model(make_tab) -> None:
    tab = make_tab()  # no images lately: FLUX1.1 [pro], the source article's model, against FLUX.1 [dev]
    assert tab.panel.model_combo.currentData() == "flux-pro-1.1"
    assert tab.substitute_label.text().startswith("FLUX1.1 [pro] cannot be self-hosted")
    result = tab.result()
    assert result is not None and result.self_hosted_model.id == "flux-dev"
    assert tab.panel.gpu_combo.currentData() == "RTX 4090 (community cloud)"
    assert "$3,000–$10,000" in tab.verdict_label.text()
    assert not tab.instead_button.isVisibleTo(tab)


def test_a_gpu_without_a_figure_asks_for_the_speed(make_tab, qtbot) -> None:
    tab = make_tab()
    panel = tab.panel
    pick(panel.model_combo, "flux-2-pro")  # whose open-weights sibling FLUX.2 [dev] has no figure yet
    assert tab.result() is None
    assert tab.verdict_label.text().startswith("No published speed for FLUX.2 [dev] on the RTX 4090 (community "
                                               "cloud): enter its seconds per image at 1024 × 1024 and 50 steps")
    assert panel.speed_spin.text() == "enter a speed"
    assert not tab.table_view.isVisibleTo(tab) and not tab.chart_view.isVisibleTo(tab)
    panel.speed_spin.setFocus()
    panel.speed_spin.lineEdit().selectAll()
    qtbot.keyClicks(panel.speed_spin.lineEdit(), "20")
    result = tab.result()
    assert result is not None and result.base_seconds == 20 and result.seconds_per_image == 20
    assert tab.table_view.isVisibleTo(tab) and tab.chart_view.isVisibleTo(tab)
    assert panel.speed_note.text() == "Your figure, at 1024 × 1024, 50 steps"
    # Another GPU with no figure for FLUX.2 [dev] asks again: the figure typed was for the GPU before.
    pick(panel.gpu_combo, "A100 80 GB")
    assert tab.result() is None and "on the A100 80 GB" in tab.verdict_label.text()


# --- self-hosted cost follows the request ---------------------------------------------------------------


def test_size_and_steps_scale_the_self_hosted_time(make_tab) -> None:
    tab = make_tab()
    panel = tab.panel
    pick(panel.model_combo, "flux-2-klein-4b")
    panel.utilisation_spin.setValue(100)
    assert tab.result().seconds_per_image == Decimal("1.2")
    assert tab.result().api_price == Decimal("0.014")
    panel.width_spin.setValue(2048)
    result = tab.result()
    assert (result.width, result.height) == (2048, 1024)
    assert result.seconds_per_image == Decimal("2.4")  # twice the pixels, twice the time
    assert result.api_price == Decimal("0.015")  # FLUX.2 bills the second megapixel
    panel.steps_spin.setValue(8)
    assert tab.result().seconds_per_image == Decimal("4.8")  # and twice the steps, twice again
    assert "4.8 s an image at 2048 × 1024, 8 steps" in panel.formula_label.text()
    panel.steps_spin.setValue(0)
    assert panel.steps_spin.text() == "default (4)" and tab.result().seconds_per_image == Decimal("2.4")


def test_utilisation_and_overhead_change_the_verdict_and_the_band(make_tab) -> None:
    tab = make_tab()
    panel = tab.panel
    pick(panel.model_combo, "flux-pro-1.1")
    assert panel.utilisation_spin.value() == 60 and panel.overhead_spin.value() == 3000
    result = tab.result()
    assert result.inputs.utilisation == Decimal("0.6") and result.inputs.overhead_monthly == 3000
    low, high = tab.band()
    assert low is not None and high is not None and low < high
    assert tab.band() == be.break_even_band(result.inputs)
    assert f"pays off from {low:,}–{high:,} images a month" in tab.verdict_label.text()
    assert "With $3,000–$10,000 of engineering a month" in tab.verdict_label.text()

    panel.utilisation_spin.setValue(30)  # half the useful GPU time: each image costs twice the GPU time
    assert tab.result().self_hosted_per_image == pytest.approx(2 * result.self_hosted_per_image, rel=Decimal("1e-20"))
    assert tab.band()[1] > high and f"{tab.band()[0]:,}–{tab.band()[1]:,}" in tab.verdict_label.text()

    panel.overhead_spin.setValue(0)
    verdict = tab.verdict_label.text()
    assert "No engineering overhead was entered" in verdict
    assert "(no overhead entered)" in tab.break_even_label.text()
    panel.overhead_spin.setValue(6000)
    assert "With your $6,000 of engineering a month" in tab.verdict_label.text()
    assert tab.break_even_volumes()[0] == be.break_even_volume(tab.inputs())
    assert tab.break_even_label.text().startswith("Break-even with $6,000 of overhead a month: ")

    # Always on rents whole GPUs: utilisation does not apply, and the box says so by being off.
    pick(panel.mode_combo, "always-on")
    assert not panel.utilisation_spin.isEnabled()
    assert tab.inputs().mode is be.Mode.ALWAYS_ON and not tab.table_view.isColumnHidden(Column.GPUS)


def test_the_api_side_can_be_priced_at_another_provider(make_tab) -> None:
    tab = make_tab()
    panel = tab.panel
    pick(panel.model_combo, "flux-2-klein-4b")
    offers = [panel.provider_combo.itemText(i) for i in range(panel.provider_combo.count())]
    assert offers == ["BFL · $0.014", "fal.ai · $0.005", "A price of your own"]
    pick(panel.provider_combo, "fal.ai")
    assert tab.result().api_price == Decimal("0.005") and tab.inputs().api_price == Decimal("0.005")
    assert "FLUX.2 [klein] 4B at fal.ai" in tab.verdict_label.text()
    assert panel.price_note.text() == "fal.ai's price of 2026-06-01, at 1024 × 1024"
    row = table_volumes(tab.volume()).index(1_000)
    assert tab.model.index(row, Column.API_MONTHLY).data() == "$5.00"
    # Replicate bills FLUX.2 [max] per run plus fractional megapixels of 10⁶ pixels.
    pick(panel.model_combo, "flux-2-max")
    pick(panel.provider_combo, "Replicate")
    panel.speed_spin.setValue(9.5)  # FLUX.2 [dev], run instead, has no published speed
    assert tab.result().api_price == Decimal("0.04") + Decimal("0.03") * 1024 * 1024 / 1_000_000
    # A typed price is a price of the user's own.
    panel.price_spin.setValue(0.05)
    assert panel.provider_combo.currentData() == "custom" and tab.inputs().api_price == Decimal("0.05")
    assert "FLUX.2 [max] at your own price" in tab.verdict_label.text()


# --- the table equals the command line ------------------------------------------------------------------

def test_a_provider_in_the_tab_equals_the_command_lines_provider(make_tab, capsys) -> None:
    tab = make_tab()
    case = dict(CLI_CASES[0].values[0])
    set_like_the_cli(tab, case)
    pick(tab.panel.provider_combo, "fal.ai")
    volumes = table_volumes(case["volume"])
    cli = cli_breakeven(capsys, case, volumes, "--provider", "fal.ai")
    result = tab.result()
    assert (result.api_provider, json_number(result.api_price)) == (cli["api_provider"], cli["api_price"]) \
        == ("fal.ai", 0.005)
    assert table_rows(tab) == cli["rows"]
    assert tab.break_even_volumes() == (cli["break_even_volume"], cli["break_even_volume_without_overhead"])



CLI_CASES = [
    pytest.param(dict(model="flux-2-klein-4b", width=1024, height=1024, steps=None, hourly="0.69", seconds="2",
                      utilisation="1", overhead="0", mode="on-demand", volume=1_000), id="the issue's example"),
    pytest.param(dict(model="flux-2-klein-4b", width=2048, height=1024, steps=8, hourly="0.69", seconds="2",
                      utilisation="0.6", overhead="3000", mode="on-demand", volume=250_000), id="2048x1024, 8 steps"),
    pytest.param(dict(model="flux-pro-1.1", width=1024, height=768, steps=None, hourly="0.34", seconds="11",
                      utilisation="0.6", overhead="10000", mode="on-demand", volume=240), id="FLUX1.1 [pro]"),
    pytest.param(dict(model="flux-2-max", width=1440, height=1440, steps=30, hourly="1.99", seconds="9.5",
                      utilisation="0.75", overhead="4500", mode="always-on", volume=400_000), id="always on"),
    pytest.param(dict(model="flux-kontext-pro", width=1024, height=1024, steps=None, hourly="0.34", seconds="11",
                      utilisation="0.5", overhead="0", mode="on-demand", volume=0), id="Kontext, no images"),
]


def set_like_the_cli(tab: BreakEvenTab, case: dict) -> None:
    panel = tab.panel
    pick(panel.model_combo, case["model"])
    pick(panel.gpu_combo, "custom")
    panel.hourly_spin.setValue(float(case["hourly"]))
    panel.speed_spin.setValue(float(case["seconds"]))
    panel.width_spin.setValue(case["width"])
    panel.height_spin.setValue(case["height"])
    panel.steps_spin.setValue(case["steps"] or 0)
    panel.utilisation_spin.setValue(int(Decimal(case["utilisation"]) * 100))
    panel.overhead_spin.setValue(float(case["overhead"]))
    pick(panel.mode_combo, case["mode"])
    panel.volume_spin.setValue(case["volume"])


def cli_breakeven(capsys, case: dict, volumes: list[int], *more: str) -> dict:
    args = ["breakeven", "--model", case["model"], "--width", str(case["width"]), "--height", str(case["height"]),
            "--gpu-hourly", case["hourly"], "--seconds-per-image", case["seconds"],
            "--utilisation", case["utilisation"], "--overhead", case["overhead"], "--mode", case["mode"],
            "--volume", *map(str, volumes), "--json", *more]
    if case["steps"] is not None:
        args += ["--steps", str(case["steps"])]
    code = cli_main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_table_equals_the_command_line(make_tab, capsys, case) -> None:
    tab = make_tab()
    set_like_the_cli(tab, case)
    assert tab.volume() == case["volume"]
    cli = cli_breakeven(capsys, case, table_volumes(case["volume"]))
    result = tab.result()
    assert result is not None
    assert table_rows(tab) == cli["rows"]
    assert tab.break_even_volumes() == (cli["break_even_volume"], cli["break_even_volume_without_overhead"])
    assert list(tab.band()) == cli["break_even_band"]
    assert {"api_model": result.api_model, "api_price": json_number(result.api_price),
            "self_hostable": result.self_hostable, "self_hosted_model": result.self_hosted_model.id,
            "licence": result.licence, "commercial_use": result.commercial_use,
            "seconds_per_image": json_number(result.seconds_per_image),
            "self_hosted_per_image": json_number(result.self_hosted_per_image),
            "utilisation": json_number(result.inputs.utilisation),
            "overhead_monthly": json_number(result.inputs.overhead_monthly),
            "mode": result.inputs.mode.value} == {key: cli[key] for key in (
                "api_model", "api_price", "self_hostable", "self_hosted_model", "licence", "commercial_use",
                "seconds_per_image", "self_hosted_per_image", "utilisation", "overhead_monthly", "mode")}
    assert tab.table_view.isColumnHidden(Column.GPUS) == (case["mode"] == "on-demand")
    # What the table says in words is the same money, formatted as money.
    for r, row in enumerate(cli["rows"]):
        shown = tab.model.index(r, Column.API_ANNUAL).data()
        assert Decimal(shown.replace("$", "").replace(",", "")) == Decimal(str(row["api_annual"]))


def test_the_issues_example_by_hand(make_tab) -> None:
    """`--model flux-2-klein-4b --width 1024 --height 1024 --gpu-hourly 0.69 --seconds-per-image 2 --utilisation 1`:
    an API price of $0.014 and $0.000383… per self-hosted image; at 2048×1024 $0.015 and twice the GPU time."""
    tab = make_tab()
    set_like_the_cli(tab, CLI_CASES[0].values[0])
    result = tab.result()
    assert result.api_price == Decimal("0.014")
    assert str(result.self_hosted_per_image).startswith("0.000383")
    tab.panel.width_spin.setValue(2048)
    assert tab.result().api_price == Decimal("0.015")
    assert tab.result().seconds_per_image == 2 * result.seconds_per_image
    assert tab.result().self_hosted_per_image == pytest.approx(2 * result.self_hosted_per_image, rel=Decimal("1e-20"))


# --- your own usage --------------------------------------------------------------------------------------


def test_the_defaults_are_the_users_last_30_days(make_tab) -> None:
    usage = [ModelUsage("flux-2-flex", 420, 1536, 1024, 28), ModelUsage("flux-pro-1.1", 80, 1024, 768, None)]
    tab = make_tab(usage=usage)
    panel = tab.panel
    assert panel.model_combo.currentData() == "flux-2-flex"  # the model used most
    r = tab.resolved()
    assert (r.width, r.height, r.steps, r.volume) == (1536, 1024, 28, 420)
    assert panel.volume_note.text() == "Your last 30 days with FLUX.2 [flex]"
    pick(panel.model_combo, "flux-pro-1.1")
    r = tab.resolved()
    assert (r.width, r.height, r.steps, r.volume) == (1024, 768, None, 80)
    pick(panel.model_combo, "flux-2-klein-4b")  # never used: every model's images, at the model's default size
    r = tab.resolved()
    assert (r.width, r.height, r.volume) == (1024, 1024, 500)
    assert panel.volume_note.text() == "Your last 30 days, all models (none with FLUX.2 [klein] 4B)"

    panel.volume_spin.setValue(20_000)  # the user's own figure wins over a later reading
    tab.set_usage([ModelUsage("flux-2-klein-4b", 7, 512, 512, None)])
    assert tab.volume() == 20_000 and panel.use_mine_button.isEnabled()
    assert tab.resolved().width == 512  # the size still follows the ledger: it was not typed
    panel.use_mine_button.click()
    assert tab.volume() == 7 and not panel.use_mine_button.isEnabled()

    tab.set_usage([])
    assert tab.volume() == 1_000 and "No images in the last 30 days" in panel.volume_note.text()


def test_the_users_volume_row_is_there_and_highlighted(make_tab) -> None:
    tab = make_tab(usage=[ModelUsage("flux-pro-1.1", 1_234, 1024, 768, None)])
    model = tab.model
    mine = [r for r in range(model.rowCount()) if model.index(r, 0).data(Roles.IsUserVolume)]
    assert len(mine) == 1 and model.index(mine[0], 0).data(Roles.Volume) == 1_234
    assert [model.index(r, 0).data(Roles.Volume) for r in range(model.rowCount())] == [
        100, 1_000, 1_234, 10_000, 50_000, 100_000]
    assert isinstance(model.index(mine[0], 3).data(Qt.ItemDataRole.BackgroundRole), QColor)
    assert model.index(mine[0], 3).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(0, 3).data(Qt.ItemDataRole.BackgroundRole) is None


# --- reset -----------------------------------------------------------------------------------------------


def test_reset_to_defaults_is_one_click(make_tab, qtbot) -> None:
    chosen = BreakEvenSettings(api_model="flux-2-klein-4b", provider="fal.ai", gpu="H100 80 GB",
                               gpu_hourly=Decimal("2.5"), width=2048, height=2048, steps=8, volume=99_000,
                               overhead=Decimal(0), mode="always-on", utilisation=Decimal("0.9"))
    tab = make_tab(settings=chosen, usage=[ModelUsage("flux-pro-1.1", 80, 1024, 768, None)])
    panel = tab.panel
    assert panel.model_combo.currentData() == "flux-2-klein-4b" and panel.provider_combo.currentData() == "fal.ai"
    assert panel.gpu_combo.currentData() == "H100 80 GB" and panel.hourly_spin.value() == 2.5
    assert panel.mode_combo.currentData() == "always-on" and tab.volume() == 99_000
    button = tab.findChild(QToolButton, "resetButton")
    assert button.defaultAction() is tab.reset_action and button.isEnabled()
    with qtbot.waitSignal(tab.settingsChanged, timeout=2000) as saved:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert saved.args == [BreakEvenSettings()]
    assert tab.settings() == BreakEvenSettings()
    assert panel.model_combo.currentData() == "flux-pro-1.1"  # the model used most, again
    assert panel.provider_combo.currentData() == "BFL" and panel.gpu_combo.currentData() == "RTX 4090 (community cloud)"
    assert panel.mode_combo.currentData() == "on-demand" and panel.utilisation_spin.value() == 60
    assert panel.overhead_spin.value() == 3000 and tab.volume() == 80
    assert not tab.reset_action.isEnabled()


# --- the chart ---------------------------------------------------------------------------------------------


def test_the_chart_shades_the_overhead_band(make_tab) -> None:
    tab = make_tab()
    pick(tab.panel.model_combo, "flux-pro-1.1")
    chart = tab.chart_view
    assert chart.band_series in chart.chart().series()
    assert chart.band_series.name() == "Overhead $3,000–$10,000 a month"
    low, high = chart.band_low.points(), chart.band_high.points()
    assert low and len(low) == len(high)
    assert low[0].y() == pytest.approx(3000, rel=0.01) and high[0].y() == pytest.approx(10000, rel=0.01)
    x_axes = chart.chart().axes(Qt.Orientation.Horizontal)
    assert len(x_axes) == 1 and isinstance(x_axes[0], QLogValueAxis)
    assert x_axes[0].max() >= max(v for v in tab.band() if v)  # both ends of the band are on the chart
    marked = chart.break_even_series.points()
    assert [p.x() for p in marked] == [tab.break_even_volumes()[0]]


def test_the_chart_follows_the_theme(make_tab, restore_theme) -> None:
    tab = make_tab()
    pick(tab.panel.model_combo, "flux-2-klein-4b")
    theme.apply_theme(restore_theme, "light")
    chart = tab.chart_view.chart()
    assert chart.backgroundBrush().color() == QColor(theme.LIGHT.card)
    theme.apply_theme(restore_theme, "dark")
    assert chart.backgroundBrush().color() == QColor(theme.DARK.card)
    assert tab.chart_view.api_series.pen().color() == QColor(theme.DARK.accent)
    assert tab.chart_view.band_series.brush().color().rgb() == QColor(theme.DARK.warning).rgb()


def test_the_table_model_is_sound(qtmodeltester, make_tab) -> None:
    tab = make_tab()
    set_like_the_cli(tab, CLI_CASES[3].values[0])
    qtmodeltester.check(tab.model)


def test_with_no_published_speed_an_open_model_with_one_is_a_click_away(make_tab, qtbot) -> None:
    tab = make_tab()
    pick(tab.panel.model_combo, "flux-2-pro")
    button = tab.instead_button
    assert tab.result() is None and button.isVisibleTo(tab)
    # Commercial use allowed comes first: klein 4B (Apache-2.0), not klein 9B.
    assert button.text() == "Compare FLUX.2 [klein] 4B instead (Apache-2.0, published speeds)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert tab.panel.model_combo.currentData() == "flux-2-klein-4b"
    result = tab.result()
    assert result is not None and result.self_hosted_model.id == "flux-2-klein-4b"
    assert "FLUX.2 [klein] 4B" in tab.verdict_label.text() and not button.isVisibleTo(tab)
    # A speed of the user's own is an answer: nothing is offered instead.
    pick(tab.panel.model_combo, "flux-2-pro")
    tab.panel.speed_spin.setValue(20)
    assert tab.result() is not None and not button.isVisibleTo(tab)
