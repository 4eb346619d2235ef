"""Studio mode in the real window, against a real PostgreSQL server and a loopback simulator standing in for BFL: a
home that joined the studio syncs its outbox off the GUI thread, the status bar says so with the team figures' age,
the budget question before Ctrl+Enter uses the team's month and budget and says how fresh they are; with the server
stopped the status bar says it is unreachable and generation goes on. The demo never links."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from studio_support import PgCluster, new_database, queue_jobs
from window_support import WAIT_MS, choose_project, ctrl_enter, gallery_ids, picker, ready, type_project

from fluxdesk.services.studio_link import join_studio, joined_link, leave_studio
from fluxdesk.sim import SimConfig, Simulator
from fluxdesk.storage.paths import settings_path
from fluxdesk.storage.settings import load_settings
from fluxdesk.storage.spend import current_month
from fluxdesk.storage.studio.schema import add_seat, init_schema
from fluxdesk.storage.studio.sync import Syncer
from fluxdesk.storage.studio.team import set_studio
from fluxdesk.ui.gallery.project_chooser import MoveToProjectDialog

KEY = "bfl_studio-window-key-0123456789"


@pytest.fixture
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    with Simulator(SimConfig(latency=0.1, key=KEY, credits=Decimal(500))) as sim:
        monkeypatch.setenv("FLUXDESK_API_BASE", sim.api_base)
        yield sim


@pytest.fixture
def studio(pg_cluster: PgCluster, tmp_path: Path) -> tuple[str, str, dict[str, str]]:
    """A studio with a $0.26 team budget and seats anna and bob; bob already shared 6 jobs ($0.15) this month.
    Answers the admin URL, the seats' URL (no user, no password) and the seats' passwords."""
    admin = new_database(pg_cluster)
    init_schema(admin)
    passwords = {name: add_seat(admin, name).password for name in ("anna", "bob")}
    set_studio(admin, None, team_budget=Decimal("0.26"))
    base = "postgresql://" + admin.split("@", 1)[1]
    bob = tmp_path / "bob"
    join_studio(bob, base, "bob", passwords["bob"])
    queue_jobs(bob, 6, month=current_month())
    link = joined_link(bob)
    assert link is not None
    Syncer(bob, link.url, link.seat, link.password).sync_once()
    return admin, base, passwords


def test_a_joined_window_syncs_shows_the_link_and_asks_with_team_spend(
        qtbot, make_window, key_store, memory_keyring, simulator: Simulator, studio, pg_cluster: PgCluster,
        tmp_path: Path) -> None:
    _admin, base, passwords = studio
    key_store.set(KEY)
    asked: list = []
    window = make_window(demo=False, settings=load_settings(tmp_path),
                         confirm_over_budget=lambda question: asked.append(question) or True)
    window.controller.studio.interval = 0.5
    ready(qtbot, window)
    assert window.engine.mode == "real" and window.studio_label.isHidden()  # no studio yet: nothing shown

    page = join_in_settings(qtbot, window, base, "anna", passwords["anna"])
    dialog = window._settings_dialog
    dialog.tabs.currentWidget().grab().save("/tmp/studioui-studio-page.png")
    dialog.save_button.click()  # Save keeps the link the page made
    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=WAIT_MS)
    settings = load_settings(tmp_path)
    assert (settings.studio_seat, passwords["anna"] in settings_path(tmp_path).read_text()) == ("anna", False)
    assert passwords["anna"] in memory_keyring.passwords.values()
    assert page is not None
    queue_jobs(tmp_path, 4, month=current_month(), start=100)  # anna's 4 jobs ($0.10), queued since she joined
    studio_link = window.controller.studio
    qtbot.waitUntil(lambda: studio_link.team_spend is not None and studio_link.team_spend.jobs == 10, timeout=WAIT_MS)
    label = window.studio_label
    qtbot.waitUntil(lambda: label.text().startswith("Studio: synced "), timeout=WAIT_MS)
    assert label.isVisible() and "team figures" in label.text()
    assert "Seat anna at " in label.toolTip() and passwords["anna"] not in label.toolTip()
    team = studio_link.team_spend
    assert (team.usd, team.budget_usd) == (Decimal("0.25"), Decimal("0.26"))

    window.tabs.setCurrentWidget(window.spend_tab)  # the Spend tab's Team view: the same totals, by seat
    qtbot.waitUntil(lambda: window.spend_tab.widget is not None, timeout=WAIT_MS)
    card = window.spend_tab.widget.team_card
    qtbot.waitUntil(lambda: card.spend is not None and card.spend.jobs == 10, timeout=WAIT_MS)
    assert card.isVisible()
    assert team_rows(card) == [("bob", Decimal("0.15"), 6), ("anna", Decimal("0.10"), 4)]
    assert card.total_label.text().startswith(f"Team, {current_month()}: $0.25 of the $0.26 team budget (96.2")
    assert card.age_label.text().startswith("Figures read ")
    budget = window.spend_tab.widget.budget_card  # the Budget card beside it: the team's month, not anna's
    qtbot.waitUntil(lambda: budget.team, timeout=WAIT_MS)
    assert budget.amount_label.text().startswith("$0.25 of $0.26")
    card.grouping_combo.setCurrentIndex(card.grouping_combo.findData("model"))
    qtbot.waitUntil(lambda: card.spend.by == "model", timeout=WAIT_MS)
    assert team_rows(card) == [("flux-dev", Decimal("0.25"), 10)]
    assert card.model.headerData(0, Qt.Orientation.Horizontal) == "Model"
    card.grouping_combo.setCurrentIndex(card.grouping_combo.findData("seat"))
    qtbot.waitUntil(lambda: card.spend.by == "seat", timeout=WAIT_MS)
    window.resize(1280, 800)
    window.grab().save("/tmp/studioui-team-view.png")
    window.tabs.setCurrentIndex(0)

    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"width": 1024, "height": 1024})  # $0.03: past the team's $0.26
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):
        ctrl_enter(qtbot, window, "a poster for the whole team")
    [question] = asked
    assert question.title() == "Over the team's budget this month"
    assert question.text().startswith("This month the team has spent $0.25 of its $0.26 budget (team spend as of ")
    assert "which takes the team to $0.28." in question.text()

    pg_cluster.stop_server()
    try:
        queue_jobs(tmp_path, 3, month=current_month(), start=200)
        qtbot.waitUntil(lambda: label.text().startswith("Studio: server unreachable — 3 rows wait"), timeout=WAIT_MS)
        assert "cannot be reached" in label.toolTip()
        with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS):  # generation goes on
            ctrl_enter(qtbot, window, "a second poster while the server is away")
    finally:
        pg_cluster.restart_server()
    qtbot.waitUntil(lambda: studio_link.team_spend is not None and studio_link.team_spend.jobs == 13,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: label.text().startswith("Studio: synced "), timeout=WAIT_MS)


def team_rows(card) -> list[tuple]:
    model = card.model
    roles = model.Roles
    return [(model.index(r, 0).data(roles.Key), model.index(r, 0).data(roles.Usd), model.index(r, 0).data(roles.Jobs))
            for r in range(model.rowCount())]


def join_in_settings(qtbot, window, url: str, seat: str, password: str):
    """Ctrl+, → Studio: type the URL, seat and password, click Join; answers the page once it joined."""
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._settings_dialog is not None and window._settings_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = window._settings_dialog
    dialog.select_section("Studio")
    page = dialog.studio_page
    for edit, text in ((page.url_edit, url), (page.seat_edit, seat), (page.password_edit, password)):
        edit.clear()
        qtbot.keyClicks(edit, text)
    page.test_button.click()
    qtbot.waitUntil(lambda: page.result_label.text().startswith("The studio server at "), timeout=WAIT_MS)
    assert page.result_label.text().endswith(f"accepts seat {seat}.")
    page.join_button.click()
    qtbot.waitUntil(lambda: page.result_label.text().startswith("Joined the studio as seat"), timeout=WAIT_MS)
    assert page.password_edit.text() == "" and page.leave_button.isEnabled()
    qtbot.waitUntil(lambda: "synced" in page.state_label.text(), timeout=WAIT_MS)
    return page


def test_a_wrong_password_in_settings_is_a_plain_message(qtbot, make_window, key_store, memory_keyring,
                                                         simulator: Simulator, studio, tmp_path: Path) -> None:
    _admin, base, _passwords = studio
    key_store.set(KEY)
    window = ready(qtbot, make_window(demo=False, settings=load_settings(tmp_path)))
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._settings_dialog is not None, timeout=WAIT_MS)
    page = window._settings_dialog.studio_page
    page.url_edit.setText(base)
    page.seat_edit.setText("anna")
    page.password_edit.setText("not-the-password")
    page.join_button.click()
    qtbot.waitUntil(lambda: "refused this seat's name or password" in page.result_label.text(), timeout=WAIT_MS)
    assert "not-the-password" not in page.result_label.text()
    assert not any("anna@" in name for _service, name in memory_keyring.passwords)
    assert load_settings(tmp_path).studio_url is None and window.studio_label.isHidden()
    window._settings_dialog.reject()


def test_the_demo_and_a_home_in_no_studio_show_no_studio_link(qtbot, make_window, memory_keyring, studio,
                                                              tmp_path: Path) -> None:
    _admin, base, passwords = studio
    join_studio(tmp_path, base, "anna", passwords["anna"])
    window = ready(qtbot, make_window(demo=True, settings=load_settings(tmp_path)))
    qtbot.wait(300)
    assert window.controller.studio.link is None and window.studio_label.isHidden()
    assert leave_studio(tmp_path) and not leave_studio(tmp_path)


def test_a_seat_picks_a_team_project_is_asked_with_its_team_budget_and_a_move_is_re_filed(
        qtbot, make_window, key_store, memory_keyring, simulator: Simulator, studio, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bob shared 2 jobs ($0.05) for Initech, whose studio budget is $0.05. Anna never had Initech: the link copies the
    studio's projects into her picker; her first image for it is asked about with the team's Initech figures; its row
    goes at once (not at the link's 10-minute tick); moving the image to Globex in the gallery re-files it on the
    team's ledger.

    The loopback simulator stands in for BFL itself here: its images go to the real library as real jobs (the app
    would keep a simulator's in the demo library, which never syncs)."""
    monkeypatch.setattr("fluxdesk.services.session.uses_simulator", lambda _api_base: False)
    admin, base, passwords = studio
    bob = tmp_path / "bob"
    queue_jobs(bob, 2, month=current_month(), start=50, project="Initech")
    link = joined_link(bob)
    assert link is not None
    Syncer(bob, link.url, link.seat, link.password).sync_once()
    set_studio(admin, None, project="Initech", project_budget=Decimal("0.05"))
    key_store.set(KEY)
    asked: list = []
    window = make_window(demo=False, settings=load_settings(tmp_path),
                         confirm_over_budget=lambda question: asked.append(question) or True)
    window.controller.studio.interval = 600  # only a wake syncs within this test
    ready(qtbot, window)
    join_in_settings(qtbot, window, base, "anna", passwords["anna"])
    window._settings_dialog.save_button.click()
    studio_link = window.controller.studio
    qtbot.waitUntil(lambda: studio_link.team is not None, timeout=WAIT_MS)
    combo = picker(window)
    qtbot.waitUntil(lambda: combo.findText("Initech") >= 0, timeout=WAIT_MS)  # the studio's project, here now
    month = window.panel.findChild(QLabel, "monthLabel")
    qtbot.waitUntil(lambda: month.text() == "Team this month: $0.20 of $0.26", timeout=WAIT_MS)
    assert "whole studio" in month.toolTip()
    type_project(qtbot, window, "Initech")
    qtbot.waitUntil(lambda: window.panel.project_picker().project_name() == "Initech", timeout=WAIT_MS)
    window.grab().save("/tmp/studioui-team-project.png")
    window.set_theme("dark")
    window.resize(1920, 1080)
    qtbot.wait(200)  # the new size laid out
    window.grab().save("/tmp/studioui-team-project-dark-1920.png")
    window.set_theme("light")

    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"width": 1024, "height": 1024, "seed": 5})  # $0.03: past Initech's $0.05
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "an Initech poster")
    [question] = asked
    assert question.title() == "Over the Initech project's budget"  # the team's month ($0.23 of $0.26) is not
    assert question.text().startswith("This would take the Initech project past its $0.05 budget: the team has "
                                      "spent $0.05 on it this month (team spend as of ")
    qtbot.waitUntil(lambda: studio_link.team_spend is not None and studio_link.team_spend.jobs == 9,
                    timeout=WAIT_MS)  # the job's end woke the link
    assert studio_link.team.project("initech") == (Decimal("0.08"), Decimal("0.05"))
    qtbot.waitUntil(lambda: month.text().startswith("Team this month: $0.23 of $0.26"), timeout=WAIT_MS)

    image_id = shown.args[0]
    window.tabs.setCurrentWidget(window.gallery_tab)
    gallery = window.gallery_tab.widget
    qtbot.waitUntil(lambda: image_id in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([image_id], image_id)
    window.activateWindow()
    gallery.view.setFocus()
    qtbot.waitUntil(gallery.view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(gallery.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    chooser: list[MoveToProjectDialog] = []
    qtbot.waitUntil(lambda: bool(chooser.extend(d for d in window.findChildren(MoveToProjectDialog)
                                                if d.isVisible()) or chooser), timeout=WAIT_MS)
    choose_project(chooser[0], "Globex")
    qtbot.waitUntil(lambda: studio_link.team is not None and studio_link.team.project("Globex")[0] == Decimal("0.03"),
                    timeout=WAIT_MS)  # the move woke the link; its correction re-filed the job
    assert studio_link.team.project("Initech")[0] == Decimal("0.05")
    assert studio_link.team_spend.jobs == 9 and studio_link.team_spend.usd == Decimal("0.23")


def test_leave_in_settings_unlinks_and_a_locked_keyring_is_a_plain_message(
        qtbot, make_window, key_store, memory_keyring, simulator: Simulator, studio, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _admin, base, passwords = studio
    key_store.set(KEY)
    window = ready(qtbot, make_window(demo=False, settings=load_settings(tmp_path)))
    page = join_in_settings(qtbot, window, base, "anna", passwords["anna"])
    qtbot.waitUntil(window.studio_label.isVisible, timeout=WAIT_MS)

    def locked(_service: str, _username: str) -> None:
        raise RuntimeError("the keyring is locked")

    monkeypatch.setattr(memory_keyring, "delete_password", locked)
    page.leave_button.click()
    qtbot.waitUntil(lambda: "could not be removed from the system keyring" in page.result_label.text(),
                    timeout=WAIT_MS)
    assert page.join_button.isEnabled() and page.leave_button.isEnabled()  # nothing stuck: try again
    assert window.controller.studio.joined  # still linked: nothing half-left
    monkeypatch.undo()
    page.leave_button.click()
    qtbot.waitUntil(lambda: page.result_label.text().startswith("Left the studio"), timeout=WAIT_MS)
    assert not page.leave_button.isEnabled() and passwords["anna"] not in memory_keyring.passwords.values()
    window._settings_dialog.save_button.click()
    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=WAIT_MS)
    qtbot.waitUntil(window.studio_label.isHidden, timeout=WAIT_MS)
    assert load_settings(tmp_path).studio_url is None and not window.controller.studio.joined
