"""Settings → Prices: the three dated tables (BFL's prices, other providers' prices, self-hosting figures), each
with "Import newer table…". Driven through the button with the OS file dialog answered by a real JSON file made
from the bundled table; a newer table is used at once (by the dialog's signal, by the Break-even tab and by the
prompt panel's Elsewhere list), an older or broken one is refused in words and the table in use stays."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from keyring_support import MemoryKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QToolButton
from window_support import WAIT_MS, open_settings_at, ready

from fluxdesk.core.pricing import PriceTable
from fluxdesk.core.providers import BFL, ProviderTable
from fluxdesk.core.selfhost import SelfHostTable
from fluxdesk.resources import resource_path
from fluxdesk.storage.price_table import bundled_price_table, load_price_table
from fluxdesk.storage.providers import bundled_provider_table, load_provider_table
from fluxdesk.storage.self_hosting import bundled_self_host_table, load_self_host_table
from fluxdesk.storage.settings import Settings
from fluxdesk.ui.breakeven.tab import BreakEvenTab
from fluxdesk.ui.dialogs.settings import SIZE, SettingsDialog
from fluxdesk.ui.dialogs.table_row import TableRow
from fluxdesk.ui.generate.elsewhere import Roles
from fluxdesk.ui.main_window import MainWindow

NEWER = "2099-01-15"


@dataclass(frozen=True)
class Case:
    """One of the three tables as the test drives it."""

    file: str
    """Its name in resources/ and in the home folder."""
    row: str
    """The dialog's attribute for its section."""
    signal: str
    """The dialog's signal that carries an imported table."""
    table_type: type
    bundled: Callable[[], Any]
    load: Callable[[Path], Any]
    purpose: str
    """The file dialog's remembered folder."""
    what: str


CASES = [
    Case("prices.json", "price_row", "priceTableImported", PriceTable, bundled_price_table, load_price_table,
         "import-prices", "price table"),
    Case("providers.json", "provider_row", "providerTableImported", ProviderTable, bundled_provider_table,
         load_provider_table, "import-providers", "provider table"),
    Case("self_hosting.json", "self_host_row", "selfHostTableImported", SelfHostTable, bundled_self_host_table,
         load_self_host_table, "import-self-hosting", "self-hosting table"),
]
IDS = ["prices", "providers", "self-hosting"]


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


def table_file(folder: Path, case: Case, as_of: str, change: Callable[[dict], None] | None = None,
               name: str | None = None) -> Path:
    """The bundled table with another date (and ``change`` made to it), written where a user keeps downloads."""
    data = json.loads(resource_path(case.file).read_text(encoding="utf-8"))
    data["as_of"] = as_of
    if change is not None:
        change(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"newer-{case.file}")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def answer_file_dialog(monkeypatch, path: Path) -> list[str]:
    """The OS file dialog answers ``path``; the list collects where it was asked to start."""
    starts: list[str] = []

    def open_file(_parent, _title, start, *_args, **_kwargs) -> tuple[str, str]:
        starts.append(start)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    return starts


def ready_dialog(qtbot, make_dialog, **kwargs) -> SettingsDialog:
    dialog = make_dialog(**kwargs)
    dialog.select_section("Prices")
    for row in dialog.table_rows():
        qtbot.waitUntil(lambda row=row: row.import_button.isEnabled() and row.kind_label.text() != "")
    return dialog


def signals(dialog: SettingsDialog) -> dict[str, list[object]]:
    """Every table the dialog announces, by signal."""
    seen: dict[str, list[object]] = {case.signal: [] for case in CASES}
    for name, tables in seen.items():
        getattr(dialog, name).connect(tables.append)
    return seen


def click_import(qtbot, row: TableRow) -> None:
    qtbot.mouseClick(row.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.import_button.isEnabled() and not row.busy.isVisible())


# --- what each section shows ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_table_shows_its_date_kind_and_source(qtbot, make_dialog, case: Case) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    row = getattr(dialog, case.row)
    bundled = case.bundled()
    assert row.as_of_label.text() == bundled.as_of and row.source_label.text() == bundled.source
    assert row.kind_label.text() == "bundled with FluxDesk"
    assert row.import_button.text() == "Import newer table…" and row.import_button.isVisibleTo(dialog)
    assert row.table() == bundled and not row.result_label.isVisibleTo(dialog)


def test_the_three_tables_are_on_the_prices_page_in_order(qtbot, make_dialog) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    titles = [row.title_label.text() for row in dialog.table_rows()]
    assert titles == ["BFL's prices", "Other providers' prices", "Self-hosting figures"]
    page = dialog.tabs.currentWidget()
    assert all(page.isAncestorOf(row) for row in dialog.table_rows())


def test_a_table_imported_earlier_shows_as_imported(qtbot, make_dialog, home, tmp_path) -> None:
    for case in CASES[1:]:  # the price table in use is the window's; the others are read from the home folder
        table_file(home, case, NEWER, name=case.file)
    dialog = ready_dialog(qtbot, make_dialog)
    for row in (dialog.provider_row, dialog.self_host_row):
        assert row.as_of_label.text() == NEWER and row.kind_label.text() == "imported by you"
        assert row.table().as_of == NEWER


def test_the_prices_page_fits_without_a_scroll_bar(qtbot, make_dialog, tmp_path, monkeypatch) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    assert (dialog.width(), dialog.height()) == SIZE and SIZE[1] <= 800 - 100  # a 1280 × 800 screen, a title bar
    page = dialog.tabs.currentWidget()
    qtbot.waitUntil(lambda: page.verticalScrollBar().maximum() == 0)
    # A refusal in words under one of the tables still fits.
    broken = tmp_path / "broken.json"
    broken.write_text('{"as_of": "2099-01-01", "gpus": []}', encoding="utf-8")
    answer_file_dialog(monkeypatch, broken)
    click_import(qtbot, dialog.self_host_row)
    assert dialog.self_host_row.result_label.isVisible()
    qtbot.wait(50)
    assert page.verticalScrollBar().maximum() == 0


# --- importing ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_newer_table_is_imported_and_used_at_once(qtbot, monkeypatch, make_dialog, home, tmp_path,
                                                    case: Case) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    row = getattr(dialog, case.row)
    seen = signals(dialog)
    downloads = tmp_path / "downloads"
    starts = answer_file_dialog(monkeypatch, table_file(downloads, case, NEWER))
    with qtbot.waitSignal(getattr(dialog, case.signal)) as imported:
        qtbot.mouseClick(row.import_button, Qt.MouseButton.LeftButton)
        assert not row.import_button.isEnabled() and row.busy.isVisible()  # the answer comes off the GUI thread
        assert row.result_label.text() == f"Reading newer-{case.file}…"
    table = imported.args[0]
    assert isinstance(table, case.table_type) and table.as_of == NEWER
    assert {name: len(tables) for name, tables in seen.items()} == {c.signal: int(c is case) for c in CASES}
    assert row.table() is table
    assert row.as_of_label.text() == NEWER and row.kind_label.text() == "imported by you"
    assert row.result_label.text() == f"Imported: the {case.what} of {NEWER} is used from now on."
    assert row.import_button.isEnabled() and not row.busy.isVisible()
    assert case.load(home) == table  # copied into the home folder: the next start uses it too
    if case.row == "price_row":
        assert dialog.price_table() is table  # the key test's dollars use it
    # The file dialog remembers the folder, for this table alone: the next import of it starts there.
    assert dialog.current_settings().dialog_folders == {case.purpose: str(downloads)}
    again = answer_file_dialog(monkeypatch, table_file(tmp_path, case, "2099-02-01"))
    click_import(qtbot, row)
    assert Path(starts[0]) != downloads and again == [str(downloads)]
    assert row.as_of_label.text() == "2099-02-01"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_an_older_table_is_refused(qtbot, monkeypatch, make_dialog, home, tmp_path, case: Case) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    row = getattr(dialog, case.row)
    seen = signals(dialog)
    answer_file_dialog(monkeypatch, table_file(tmp_path, case, "2001-01-01"))
    click_import(qtbot, row)
    bundled = case.bundled()
    assert row.result_label.text() == (f"That {case.what} cannot be used: its figures are of 2001-01-01, older than "
                                       f"the table in use ({bundled.as_of}). The table in use is unchanged.")
    assert not (home / case.file).exists() and row.table() == bundled
    assert row.as_of_label.text() == bundled.as_of and all(tables == [] for tables in seen.values())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_after_an_import_the_imported_table_is_the_one_to_beat(qtbot, monkeypatch, make_dialog, home, tmp_path,
                                                               case: Case) -> None:
    dialog = ready_dialog(qtbot, make_dialog)
    row = getattr(dialog, case.row)
    answer_file_dialog(monkeypatch, table_file(tmp_path, case, NEWER))
    click_import(qtbot, row)
    answer_file_dialog(monkeypatch, table_file(tmp_path, case, "2098-12-31", name="between.json"))
    click_import(qtbot, row)
    assert f"older than the table in use ({NEWER})" in row.result_label.text()
    assert case.load(home).as_of == NEWER and row.as_of_label.text() == NEWER


def _break_providers(data: dict) -> None:
    data["providers"][0]["billing"] = "per_minute"


def _break_self_hosting(data: dict) -> None:
    del data["substitutes"]["flux-pro-1.1"]


def _break_prices(data: dict) -> None:
    data["usd_per_credit"] = "a lot"


BROKEN = {"price_row": (_break_prices, "usd_per_credit"),
          "provider_row": (_break_providers, "'per_minute' is not one of"),
          "self_host_row": (_break_self_hosting, "does not say what would run instead of flux-pro-1.1")}


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("broken", ["not json", "wrong inside"])
def test_a_broken_table_is_refused_in_words_and_the_old_one_kept(qtbot, monkeypatch, make_dialog, home, tmp_path,
                                                                 case: Case, broken: str) -> None:
    if broken == "not json":
        path = tmp_path / "broken.json"
        path.write_text('{"as_of": "2099-01-01", ', encoding="utf-8")
        words = "broken.json is not valid JSON (line 1"
    else:
        change, words = BROKEN[case.row]
        path = table_file(tmp_path, case, NEWER, change, name="broken.json")
    # An earlier import is in use: a broken file must not touch it.
    table_file(home, case, "2098-06-01", name=case.file)
    in_use = case.load(home)
    dialog = ready_dialog(qtbot, make_dialog, table=in_use if case.row == "price_row" else None)
    row = getattr(dialog, case.row)
    seen = signals(dialog)
    answer_file_dialog(monkeypatch, path)
    click_import(qtbot, row)
    text = row.result_label.text()
    assert text.startswith(f"That {case.what} cannot be used: ") and words in text
    assert text.endswith("The table in use is unchanged.")
    assert all(tables == [] for tables in seen.values())
    assert case.load(home) == in_use and row.table() == in_use and row.as_of_label.text() == "2098-06-01"


def test_a_table_that_cannot_be_copied_is_reported_and_nothing_changes(qtbot, monkeypatch, store, tester, writer,
                                                                        tmp_path, price_table) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the home folder should be", encoding="utf-8")  # the copy cannot be written
    dialog = SettingsDialog(Settings(), store, tester, writer=writer, home=blocked, price_table=price_table)
    qtbot.addWidget(dialog)
    dialog.show()
    row = dialog.provider_row
    qtbot.waitUntil(row.import_button.isEnabled)
    answer_file_dialog(monkeypatch, table_file(tmp_path, CASES[1], NEWER))
    click_import(qtbot, row)
    assert row.result_label.text().startswith("newer-providers.json could not be copied (")
    assert row.result_label.text().endswith("). Nothing changed.")
    assert row.as_of_label.text() == bundled_provider_table().as_of


# --- through the window: the Break-even tab and the Elsewhere list use the new figures ---------------------------

def open_settings_prices(qtbot, window: MainWindow) -> SettingsDialog:
    dialog = open_settings_at(qtbot, window, "Prices")
    for row in dialog.table_rows():
        qtbot.waitUntil(row.import_button.isEnabled, timeout=WAIT_MS)
    return dialog


def import_in_window(qtbot, monkeypatch, window: MainWindow, case: Case, path: Path) -> None:
    dialog = open_settings_prices(qtbot, window)
    answer_file_dialog(monkeypatch, path)
    with qtbot.waitSignal(getattr(dialog, case.signal), timeout=WAIT_MS):
        qtbot.mouseClick(getattr(dialog, case.row).import_button, Qt.MouseButton.LeftButton)
    dialog.reject()  # Cancel: an import is not a setting, it stays
    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=WAIT_MS)


def open_breakeven(qtbot, window: MainWindow) -> BreakEvenTab:
    window.tabs.setCurrentWidget(window.breakeven_tab)
    tab = window.breakeven_tab.widget
    assert isinstance(tab, BreakEvenTab)
    qtbot.waitUntil(lambda: tab.panel.usage() is not None, timeout=WAIT_MS)
    return tab


def pick(combo, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def dearer_klein(data: dict) -> None:
    """BFL: FLUX.2 [klein] 4B's first megapixel 1.4 → 1.6 credits."""
    data["models"]["flux-2-klein-4b"]["first_mp"] = "1.6"


def dearer_fal(data: dict) -> None:
    """fal.ai: FLUX.2 [klein] 4B $0.005 → $0.007 a megapixel."""
    row = next(r for r in data["providers"] if r["provider"] == "fal.ai" and r["model"] == "flux-2-klein-4b")
    row["first_mp_usd"] = row["extra_mp_usd"] = "0.007"


def dearer_5090(data: dict) -> None:
    """The RTX 5090 at $0.79 an hour (was $0.69), FLUX.2 [klein] 4B in 1.5 s (was 1.2 s)."""
    gpu = next(g for g in data["gpus"] if g["name"] == "RTX 5090")
    gpu["hourly_usd"] = "0.79"
    gpu["seconds"]["flux-2-klein-4b"] = "1.5"


def elsewhere_rows(qtbot, window: MainWindow) -> dict[str, Decimal]:
    panel = window.panel
    button = panel.findChild(QToolButton, "elsewhereButton")
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    popup = panel.elsewhere_popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible)
    model = popup.model
    found = {model.index(r, 0).data(Roles.Provider): model.index(r, 0).data(Roles.UsdPerImage)
             for r in range(model.rowCount())}
    popup.close()
    return found


def test_imports_reach_the_open_breakeven_tab_and_the_elsewhere_list(qtbot, monkeypatch, make_window,
                                                                     tmp_path) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-klein-4b")
    assert elsewhere_rows(qtbot, window) == {BFL: Decimal("0.014"), "fal.ai": Decimal("0.005")}
    tab = open_breakeven(qtbot, window)
    panel = tab.panel
    pick(panel.model_combo, "flux-2-klein-4b")
    assert panel.provider_combo.itemText(0) == "BFL · $0.014" and panel.provider_combo.itemText(1) == "fal.ai · $0.005"
    assert panel.gpu_combo.currentData() == "RTX 5090" and panel.hourly_spin.value() == pytest.approx(0.69)
    downloads = tmp_path / "downloads"

    prices, providers, self_hosting = CASES
    import_in_window(qtbot, monkeypatch, window, prices, table_file(downloads, prices, NEWER, dearer_klein))
    assert panel.provider_combo.itemText(0) == "BFL · $0.016" and tab.result().api_price == Decimal("0.016")

    import_in_window(qtbot, monkeypatch, window, providers, table_file(downloads, providers, NEWER, dearer_fal))
    assert panel.provider_combo.itemText(1) == "fal.ai · $0.007"
    pick(panel.provider_combo, "fal.ai")
    assert tab.result().api_price == Decimal("0.007") and "fal.ai's price of 2026-06-01" in panel.price_note.text()

    import_in_window(qtbot, monkeypatch, window, self_hosting,
                     table_file(downloads, self_hosting, NEWER, dearer_5090))
    assert panel.gpu_combo.currentData() == "RTX 5090"
    assert panel.hourly_spin.value() == pytest.approx(0.79) and panel.speed_spin.value() == pytest.approx(1.5)
    result = tab.result()
    assert float(result.self_hosted_per_image) == pytest.approx(0.79 / 3600 * 1.5 / 0.6)  # at 60% utilisation

    # The prompt panel prices the request with the new BFL table, and the Elsewhere list reads the new providers.
    assert elsewhere_rows(qtbot, window) == {BFL: Decimal("0.016"), "fal.ai": Decimal("0.007")}
    assert window.folder_memory.folders() == {case.purpose: str(downloads) for case in CASES}


def test_imports_before_the_breakeven_tab_is_built_are_used_when_it_is(qtbot, monkeypatch, make_window,
                                                                       tmp_path) -> None:
    window = ready(qtbot, make_window())
    assert window.breakeven_tab.widget is None
    _prices, providers, self_hosting = CASES
    import_in_window(qtbot, monkeypatch, window, providers, table_file(tmp_path, providers, NEWER, dearer_fal))
    import_in_window(qtbot, monkeypatch, window, self_hosting,
                     table_file(tmp_path, self_hosting, NEWER, dearer_5090))
    tab = open_breakeven(qtbot, window)
    pick(tab.panel.model_combo, "flux-2-klein-4b")
    assert tab.panel.provider_combo.itemText(1) == "fal.ai · $0.007"
    assert tab.panel.hourly_spin.value() == pytest.approx(0.79) and tab.panel.speed_spin.value() == pytest.approx(1.5)
