"""The Break-even tab against `fluxdesk breakeven --json`: the same inputs give the same figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCharts import QLogValueAxis
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QScrollArea, QStyle, QStyleOptionComboBox
from window_support import WAIT_MS, ready

from fluxdesk.cli import main as cli_main
from fluxdesk.cli.common import json_number
from fluxdesk.core import breakeven as be
from fluxdesk.core.pricing import PriceTable, estimate
from fluxdesk.core.request import GenerationRequest
from fluxdesk.storage.settings import GpuPresetOverride, Settings, settings_from_dict, settings_to_dict
from fluxdesk.ui.breakeven.model import Column, Roles, table_volumes
from fluxdesk.ui.breakeven.tab import BreakEvenTab
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit import theme

ROLE_OF_FIELD = {
    "api_monthly": Roles.ApiMonthly, "self_hosted_monthly": Roles.SelfHostedMonthly, "saving": Roles.Saving,
    "saving_pct": Roles.SavingPct, "api_annual": Roles.ApiAnnual, "self_hosted_annual": Roles.SelfHostedAnnual,
}


@pytest.fixture
def make_tab(qtbot, price_table: PriceTable) -> Iterator:
    def make(presets: list | None = None) -> BreakEvenTab:
        tab = BreakEvenTab(price_table, presets)
        qtbot.addWidget(tab)
        tab.resize(860, 700)
        return tab

    yield make
    TaskManager.instance().wait()


def set_inputs(tab: BreakEvenTab, price: str, hourly: str, rate: str, overhead: str, mode: str, volume: int) -> None:
    panel = tab.panel
    panel.price_spin.setValue(float(price))
    panel.hourly_spin.setValue(float(hourly))
    panel.rate_spin.setValue(float(rate))
    panel.overhead_spin.setValue(float(overhead))
    (panel.always_on_radio if mode == "always-on" else panel.on_demand_radio).setChecked(True)
    panel.volume_spin.setValue(volume)


def cli_breakeven(capsys: pytest.CaptureFixture[str], price: str, hourly: str, rate: str, overhead: str, mode: str,
                  volumes: list[int]) -> dict:
    code = cli_main(["breakeven", "--api-price", price, "--gpu-hourly", hourly, "--images-per-hour", rate,
                     "--overhead", overhead, "--mode", mode, "--volume", *map(str, volumes), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


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


CASES = [
    pytest.param(("0.04", "0.69", "250", "0", "on-demand", 1_000), id="the source article"),
    pytest.param(("0.04", "0.69", "250", "500", "always-on", 400_000), id="always-on with overhead"),
    pytest.param(("0.03", "0.34", "250", "200", "on-demand", 2_345), id="community cloud, overhead"),
    pytest.param(("0.055", "2.39", "700", "1500", "always-on", 12_345), id="H100 always-on"),
    pytest.param(("0.001", "0.69", "250", "0", "on-demand", 50), id="self-hosting never pays"),
    pytest.param(("0.0125", "1.19", "400", "75.5", "always-on", 0), id="no images"),
]


@pytest.mark.parametrize("case", CASES)
def test_the_table_equals_the_command_line(make_tab, capsys, case) -> None:
    price, hourly, rate, overhead, mode, volume = case
    tab = make_tab()
    set_inputs(tab, *case)
    cli = cli_breakeven(capsys, price, hourly, rate, overhead, mode, table_volumes(volume))
    assert tab.inputs() == be.BreakEvenInputs(Decimal(price), Decimal(hourly), Decimal(rate), Decimal(overhead),
                                              be.Mode(mode))
    assert table_rows(tab) == cli["rows"]
    assert tab.break_even_volumes() == (cli["break_even_volume"], cli["break_even_volume_without_overhead"])
    assert be.describe_break_even(cli["break_even_volume"]) in tab.break_even_label.text()
    assert tab.verdict_label.text() == be.verdict(tab.inputs(), volume)
    assert tab.table_view.isColumnHidden(Column.GPUS) == (mode == "on-demand")
    # What the table says in words is the same money, formatted as money.
    for r, row in enumerate(cli["rows"]):
        shown = tab.model.index(r, Column.API_ANNUAL).data()
        assert shown == tab.model.index(r, Column.API_ANNUAL).data(Qt.ItemDataRole.DisplayRole)
        assert Decimal(shown.replace("$", "").replace(",", "")) == Decimal(str(row["api_annual"]))


def test_the_source_articles_case(make_tab) -> None:
    tab = make_tab()
    set_inputs(tab, "0.04", "0.69", "250", "0", "on-demand", 1_000)
    model = tab.model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(Roles.Volume) == 1_000)
    assert model.index(row, Column.API_MONTHLY).data() == "$40.00"
    assert model.index(row, Column.SELF_MONTHLY).data() == "$2.76"
    assert model.index(row, Column.SAVING_PCT).data() == "93.1%"
    assert "$0.69/h ÷ 250 images/h = $0.0028 per image" in tab.panel.formula_label.text()
    tab.panel.hourly_spin.setValue(0.34)
    assert "$0.34/h ÷ 250 images/h = $0.0014 per image" in tab.panel.formula_label.text()


def test_a_huge_percentage_reads_in_words(make_tab) -> None:
    tab = make_tab()
    set_inputs(tab, "0.01", "10", "1", "0", "on-demand", 1_000)  # the GPU costs $10 an image, the API a cent
    model = tab.model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(Roles.Volume) == 1_000)
    assert model.index(row, Column.SAVING_PCT).data() == "under -999%"
    assert model.index(row, Column.SAVING).data() == "-$9,990.00"


def test_every_change_updates_at_once(make_tab) -> None:
    tab = make_tab()
    set_inputs(tab, "0.04", "0.69", "250", "0", "on-demand", 1_000)
    row = table_volumes(1_000).index(10_000)
    assert tab.model.index(row, Column.API_MONTHLY).data() == "$400.00"
    tab.panel.price_spin.setValue(0.05)
    assert tab.model.index(row, Column.API_MONTHLY).data() == "$500.00"
    tab.panel.overhead_spin.setValue(100)
    assert tab.model.index(row, Column.SELF_MONTHLY).data() == "$127.60"
    assert "without the overhead" in tab.break_even_label.text()
    tab.panel.always_on_radio.setChecked(True)
    assert tab.model.index(row, Column.SELF_MONTHLY).data() == "$603.70"  # 0.69 × 730 + 100
    assert tab.model.index(row, Column.SAVING).data(Qt.ItemDataRole.ForegroundRole) == theme.error_color()
    assert not tab.table_view.isColumnHidden(Column.GPUS)


def test_a_model_sets_the_price_from_the_price_table(make_tab, qtbot, price_table: PriceTable) -> None:
    tab = make_tab()
    combo = tab.panel.model_combo
    for model_id in ("flux-pro-1.1", "flux-2-max", "flux-kontext-max"):
        combo.setCurrentIndex(combo.findData(model_id))
        expected = estimate(GenerationRequest(model_id, "x"), price_table).usd_per_image
        assert tab.inputs().api_price == expected
        assert tab.model.index(table_volumes(tab.volume()).index(1_000), Column.API_MONTHLY).data() == \
            f"${expected * 1000:,.2f}"
    tab.panel.price_spin.setValue(0.0421)
    assert combo.currentData() == "custom"
    assert tab.inputs().api_price == Decimal("0.0421")
    panel = tab.panel
    panel.price_spin.selectAll()
    qtbot.keyClicks(panel.price_spin.lineEdit(), "0.055")
    assert tab.inputs().api_price == Decimal("0.055") and panel.price_spin.text() == "$0.055"
    panel.overhead_spin.selectAll()
    qtbot.keyClicks(panel.overhead_spin.lineEdit(), "1,234.5")
    assert tab.inputs().overhead_monthly == Decimal("1234.5")
    tab.set_api_model("flux-dev")
    assert combo.currentData() == "flux-dev" and tab.inputs().api_price == Decimal("0.025")


def test_the_users_volume_row_is_there_and_highlighted(make_tab) -> None:
    tab = make_tab()
    tab.set_user_volume(1_234)
    assert tab.volume() == 1_234
    model = tab.model
    mine = [r for r in range(model.rowCount()) if model.index(r, 0).data(Roles.IsUserVolume)]
    assert len(mine) == 1 and model.index(mine[0], 0).data(Roles.Volume) == 1_234
    assert [model.index(r, 0).data(Roles.Volume) for r in range(model.rowCount())] == [
        100, 1_000, 1_234, 10_000, 50_000, 100_000]
    assert isinstance(model.index(mine[0], 3).data(Qt.ItemDataRole.BackgroundRole), QColor)
    assert model.index(mine[0], 3).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(0, 3).data(Qt.ItemDataRole.BackgroundRole) is None

    tab.panel.volume_spin.setValue(20_000)  # the user's own figure wins over a later reading
    tab.set_user_volume(1_300)
    assert tab.volume() == 20_000 and tab.panel.use_mine_button.isEnabled()
    tab.panel.use_mine_button.click()
    assert tab.volume() == 1_300 and not tab.panel.use_mine_button.isEnabled()

    tab.set_user_volume(0)
    assert tab.volume() == 1_000
    assert "No images in the last 30 days" in tab.panel.volume_note.text()


def test_the_chart(make_tab) -> None:
    tab = make_tab()
    set_inputs(tab, "0.04", "0.69", "250", "500", "always-on", 400_000)
    chart = tab.chart_view.chart()
    assert {tab.chart_view.api_series, tab.chart_view.self_series} <= set(chart.series())
    x_axes = chart.axes(Qt.Orientation.Horizontal)
    assert len(x_axes) == 1 and isinstance(x_axes[0], QLogValueAxis)
    assert (x_axes[0].min(), x_axes[0].max()) == (10, 1_000_000)
    points = tab.chart_view.self_series.points()
    assert len(points) > 200
    capacity = 250 * 730  # one GPU's month: the first step is drawn upright, one image apart
    edge = next(i for i, p in enumerate(points) if p.x() == capacity)
    assert points[edge + 1].x() == capacity + 1
    assert points[edge + 1].y() - points[edge].y() == pytest.approx(0.69 * 730)
    marked = tab.chart_view.break_even_series.points()
    assert [p.x() for p in marked] == [tab.break_even_volumes()[0]]
    user = tab.chart_view.user_series.points()
    assert {p.x() for p in user} == {400_000}


def test_saving_a_preset(make_tab, qtbot) -> None:
    tab = make_tab([GpuPresetOverride("H100 80 GB", Decimal("2.10"), Decimal(800)),
                    GpuPresetOverride("My 4090", Decimal("0.40"), Decimal(300))])
    panel = tab.panel
    names = [panel.preset_combo.itemData(i) for i in range(panel.preset_combo.count())]
    assert names == ["RTX 4090 (community cloud)", "RTX 4090 (secure cloud)", "A100 80 GB", "H100 80 GB",
                     "My 4090", "custom"]
    panel.preset_combo.setCurrentIndex(names.index("H100 80 GB"))
    assert tab.inputs().gpu_hourly == Decimal("2.1") and tab.inputs().images_per_hour == 800
    assert not panel.save_preset_button.isEnabled()

    panel.preset_combo.setCurrentIndex(names.index("A100 80 GB"))
    panel.hourly_spin.setValue(1.5)
    panel.rate_spin.setValue(420)
    assert panel.save_preset_button.isEnabled()
    with qtbot.waitSignal(tab.presetsChanged, timeout=1000) as saved:
        panel.save_preset_button.click()
    presets = saved.args[0]
    assert presets == [GpuPresetOverride("A100 80 GB", Decimal("1.5"), Decimal(420)),
                       GpuPresetOverride("H100 80 GB", Decimal("2.10"), Decimal(800)),
                       GpuPresetOverride("My 4090", Decimal("0.40"), Decimal(300))]
    settings = replace(Settings(), gpu_presets=tuple(presets))
    assert settings_from_dict(json.loads(json.dumps(settings_to_dict(settings)))).gpu_presets == tuple(presets)
    assert not panel.save_preset_button.isEnabled()

    # The source article's rows are not edited in place: typed figures become a custom GPU.
    panel.preset_combo.setCurrentIndex(0)
    panel.hourly_spin.setValue(0.5)
    assert panel.preset_combo.currentData() == "custom" and not panel.save_preset_button.isEnabled()
    assert tab.inputs().gpu_hourly == Decimal("0.5")


def test_the_chart_follows_the_theme(make_tab, restore_theme) -> None:
    tab = make_tab()
    theme.apply_theme(restore_theme, "light")
    chart = tab.chart_view.chart()
    assert chart.backgroundBrush().color() == QColor(theme.LIGHT.card)
    theme.apply_theme(restore_theme, "dark")
    assert chart.backgroundBrush().color() == QColor(theme.DARK.card)
    assert tab.chart_view.api_series.pen().color() == QColor(theme.DARK.accent)
    assert chart.axes(Qt.Orientation.Vertical)[0].labelsBrush().color() == QColor(theme.DARK.muted)


def test_the_table_model_is_sound(qtmodeltester, make_tab) -> None:
    tab = make_tab()
    set_inputs(tab, "0.04", "0.69", "250", "500", "always-on", 400_000)
    qtmodeltester.check(tab.model)


# --- at 1280 × 800 ----------------------------------------------------------------------------------


def combo_text_width(combo: QComboBox) -> int:
    """The width the closed combo box gives its text."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width()


@pytest.mark.parametrize("mode", ["on-demand", "always-on"])
def test_at_1280_by_800_nothing_is_clipped_and_the_chart_fits(qtbot, make_window, mode: str) -> None:
    window = make_window()
    window.resize(1280, 800)
    ready(qtbot, window)
    window.tabs.setCurrentIndex(next(i for i in range(window.tabs.count())
                                     if window.tabs.tabText(i) == "Break-even"))
    tab: BreakEvenTab = window.breakeven_tab.widget
    qtbot.waitUntil(lambda: tab.panel.user_volume() is not None, timeout=WAIT_MS)  # the window's own read
    tab.set_user_volume(4)  # the table gets the user's row, the verdict its longest wording
    (tab.panel.always_on_radio if mode == "always-on" else tab.panel.on_demand_radio).setChecked(True)
    qtbot.waitUntil(lambda: tab.chart_view.isVisible(), timeout=WAIT_MS)
    qtbot.wait(50)  # the layout settles

    for combo in (tab.panel.model_combo, tab.panel.preset_combo):
        longest = max(range(combo.count()), key=lambda i: combo.fontMetrics().horizontalAdvance(combo.itemText(i)))
        assert combo.fontMetrics().horizontalAdvance(combo.itemText(longest)) <= combo_text_width(combo), (
            combo.itemText(longest), combo.width())
    assert "RTX 4090 (secure cloud) · $0.69/h" in [tab.panel.preset_combo.itemText(i)
                                                   for i in range(tab.panel.preset_combo.count())]

    scroll = tab.findChild(QScrollArea, "breakEvenScroll")
    assert scroll.horizontalScrollBar().maximum() == 0  # nothing sticks out sideways
    viewport = scroll.viewport()
    chart = tab.chart_view
    top = chart.mapTo(viewport, QPoint(0, 0)).y()
    assert top >= 0 and top + chart.height() <= viewport.height(), (top, chart.height(), viewport.height())
    legend = chart.chart().legend()
    assert legend.isVisible()
    assert legend.geometry().bottom() <= chart.height()
    labels = [marker.label() for marker in legend.markers() if marker.isVisible()]
    assert labels[:3] == ["API", f"Self-hosted ({mode.replace('-', ' ')})", "Your volume (4)"]
    # The inputs keep their distance from the window's right edge.
    right = window.width() - tab.panel.mapTo(window, QPoint(tab.panel.width(), 0)).x()
    assert right >= 12
