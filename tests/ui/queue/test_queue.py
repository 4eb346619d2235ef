"""The job queue: JobQueueModel fed by pipeline events, and QueueView with its delegate and actions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication
from pytestqt.qtbot import QtBot
from window_support import ready

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.pricing import credits_phrase
from fluxdesk.services.events import (
    CreditsChanged,
    JobDone,
    JobDownloading,
    JobFailed,
    JobProgress,
    JobQueued,
    JobSending,
    JobSubmitted,
    QueueStopped,
)
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader
from fluxdesk.ui.queue.model import JobQueueModel, Roles, format_elapsed
from fluxdesk.ui.queue.view import ROW_HEIGHT, QueueView, model_initials


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def model(qapp: object, clock: FakeClock) -> JobQueueModel:
    return JobQueueModel(clock=clock)


@pytest.fixture
def loader() -> Iterator[ThumbnailLoader]:
    loader = ThumbnailLoader(tasks=TaskManager.instance())
    yield loader
    assert loader.shutdown()


def queued(job_id: str, seed: int | None = 42, model: str = "flux-2-pro") -> JobQueued:
    return JobQueued(job_id, model, f"prompt of {job_id}", seed, "batch")


def failed(job_id: str, status: JobStatus, reason: str = "It went wrong.", billed: bool = False) -> JobFailed:
    return JobFailed(job_id, status, reason, billed)


def value(model: JobQueueModel, job_id: str, role: Roles) -> object:
    return model.index(model.row_for(job_id)).data(role)


def feed_mixed_queue(model: JobQueueModel, image_path: str = "/library/a.jpg") -> None:
    """queued ×5; then: a submitted, b generating, c done, d failed, e cancelled."""
    for job_id in "abcde":
        model.apply(queued(job_id))
    model.apply(JobSubmitted("a", "task-a", Decimal("4.5")))
    model.apply(JobSubmitted("b", "task-b", Decimal("3")))
    model.apply(JobProgress("b", 0.42))
    model.apply(JobSubmitted("c", "task-c", Decimal("4.5")))
    model.apply(JobDownloading("c"))
    model.apply(JobDone("c", 7, image_path, 42, Decimal("4.5")))
    model.apply(failed("d", JobStatus.FAILED, "BFL refused the request."))
    model.apply(failed("e", JobStatus.CANCELLED, "Cancelled before it was sent."))


# --- the model ------------------------------------------------------------------------------------


def test_model_passes_the_model_tester_through_a_whole_life(qtmodeltester, model: JobQueueModel) -> None:
    qtmodeltester.check(model)
    for job_id in ("j1", "j2", "j3"):
        model.apply(queued(job_id))
    qtmodeltester.check(model)
    model.apply(JobSubmitted("j1", "task", Decimal("4.5")))
    model.apply(JobProgress("j1", 0.5))
    model.apply(JobDone("j1", 1, "/lib/a.jpg", 42, Decimal("4.5")))
    model.apply(failed("j2", JobStatus.FAILED))
    model.apply(failed("j3", JobStatus.CANCELLED))
    qtmodeltester.check(model)
    model.clear_finished()
    qtmodeltester.check(model)


def test_new_jobs_go_on_top(model: JobQueueModel) -> None:
    for job_id in ("j1", "j2", "j3"):
        model.apply(queued(job_id))
    assert model.job_ids() == ["j3", "j2", "j1"]
    assert model.row_for("j1") == 2 and model.row_for("nope") == -1
    model.apply(queued("j2"))  # reported twice: still one row
    assert model.rowCount() == 3


def test_events_that_are_not_about_jobs_are_ignored(model: JobQueueModel) -> None:
    model.apply(CreditsChanged(Decimal(100)))
    model.apply(QueueStopped("Out of credits.", needs_credits=True))
    assert model.rowCount() == 0


@pytest.mark.parametrize(("events", "text", "tone"), [
    ([], "Waiting", "waiting"),
    ([JobSending("j")], "Sending…", "running"),
    ([JobSubmitted("j", "t", Decimal(3))], "Generating…", "running"),
    ([JobSubmitted("j", "t", Decimal(3)), JobProgress("j", 0.42)], "Generating 42%", "running"),
    ([JobSubmitted("j", "t", Decimal(3)), JobDownloading("j")], "Downloading…", "running"),
    ([JobDone("j", 1, "/lib/a.png", 42, Decimal(3))], "Done", "done"),
    ([failed("j", JobStatus.FAILED, "BFL refused the request.")], "Failed: BFL refused the request.", "failed"),
    ([failed("j", JobStatus.MODERATED)], "Blocked by BFL's safety filter — not billed", "failed"),
    ([failed("j", JobStatus.EXPIRED, billed=True)], "Link expired — billed, image lost", "warning"),
    ([failed("j", JobStatus.UNKNOWN)], "Outcome unknown — may be billed", "warning"),
    ([failed("j", JobStatus.CANCELLED)], "Cancelled", "cancelled"),
    ([failed("j", JobStatus.DOWNLOADING, billed=True)], "Billed, download failed — retried on resume", "warning"),
])
def test_status_text_in_plain_words(model: JobQueueModel, events: list[object], text: str, tone: str) -> None:
    model.apply(queued("j"))
    for event in events:
        model.apply(event)
    assert value(model, "j", Roles.StatusText) == text
    assert value(model, "j", Roles.Tone) == tone
    assert text in value(model, "j", Qt.ItemDataRole.ToolTipRole)


def test_roles_follow_a_job_to_done(model: JobQueueModel) -> None:
    model.apply(queued("j", seed=None))
    assert value(model, "j", Roles.Status) == "queued"
    assert value(model, "j", Roles.Prompt) == "prompt of j"
    assert value(model, "j", Roles.Model) == "flux-2-pro"
    assert value(model, "j", Roles.Cost) is None and value(model, "j", Roles.Billed) is None
    assert value(model, "j", Roles.Progress) is None
    model.apply(JobSubmitted("j", "task", Decimal("4.5")))
    assert value(model, "j", Roles.Status) == "submitted"
    assert value(model, "j", Roles.Cost) == Decimal("4.5")
    model.apply(JobProgress("j", 0.25))
    assert value(model, "j", Roles.Progress) == 0.25
    model.apply(JobDone("j", 9, "/lib/j.jpg", 1234, Decimal("4.5")))
    assert value(model, "j", Roles.Status) == "done"
    assert value(model, "j", Roles.ImagePath) == "/lib/j.jpg"
    assert value(model, "j", Roles.ImageId) == 9
    assert value(model, "j", Roles.Seed) == 1234  # the server's seed when none was asked for
    assert value(model, "j", Roles.Billed) is True
    assert value(model, "j", Roles.IsActive) is False
    assert value(model, "j", Roles.Error) == ""


def test_billing_is_told_honestly(model: JobQueueModel) -> None:
    for job_id in ("moderated", "unknown", "download"):
        model.apply(queued(job_id))
    model.apply(failed("moderated", JobStatus.MODERATED))
    model.apply(failed("unknown", JobStatus.UNKNOWN))
    model.apply(JobSubmitted("download", "t", Decimal(3)))
    model.apply(failed("download", JobStatus.DOWNLOADING, "Network error.", billed=True))
    assert value(model, "moderated", Roles.Billed) is False
    assert value(model, "unknown", Roles.Billed) is None  # nobody knows yet
    assert value(model, "download", Roles.Billed) is True
    assert value(model, "download", Roles.Status) == "downloading"
    assert value(model, "download", Roles.IsActive) is False
    assert value(model, "download", Roles.Error) == "Network error."


def test_a_failed_download_taken_up_again_by_resume_can_still_finish(model: JobQueueModel) -> None:
    model.apply(queued("j"))
    model.apply(failed("j", JobStatus.DOWNLOADING, billed=True))
    model.apply(JobDownloading("j"))
    assert value(model, "j", Roles.StatusText) == "Downloading…"
    assert value(model, "j", Roles.IsActive) is True
    model.apply(JobDone("j", 1, "/lib/j.jpg", 1, None))
    assert value(model, "j", Roles.StatusText) == "Done"


def test_a_late_report_does_not_revive_a_finished_job(model: JobQueueModel) -> None:
    model.apply(queued("j"))
    model.apply(failed("j", JobStatus.CANCELLED))
    model.apply(JobProgress("j", 0.5))
    assert value(model, "j", Roles.StatusText) == "Cancelled"


def test_jobs_of_an_earlier_session_appear_when_resume_reports_them(model: JobQueueModel) -> None:
    model.apply(JobProgress("old", 0.5))
    assert model.job_ids() == ["old"]
    assert value(model, "old", Roles.StatusText) == "Generating 50%"
    model.apply(failed("never-sent", JobStatus.CANCELLED))  # nothing happened to it: not shown
    model.apply(failed("sending", JobStatus.UNKNOWN))
    assert model.job_ids() == ["sending", "old"]


def test_data_changed_names_only_the_changed_roles(qtbot: QtBot, model: JobQueueModel, clock: FakeClock) -> None:
    model.apply(queued("j1"))
    model.apply(queued("j2"))
    model.apply(JobSubmitted("j1", "task", Decimal(3)))
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.apply(JobProgress("j1", 0.3))
    top, bottom, roles = blocker.args
    assert top.row() == bottom.row() == model.row_for("j1")
    assert {Roles.Progress, Roles.StatusText} <= set(roles)
    assert not {Roles.Prompt, Roles.Model, Roles.Seed, Roles.Cost, Roles.Cancellable} & set(roles)
    with qtbot.assertNotEmitted(model.dataChanged):
        model.apply(JobProgress("j1", 0.3))  # nothing new: no repaint


def test_cancellable_only_while_waiting(model: JobQueueModel) -> None:
    feed_mixed_queue(model)
    model.apply(queued("w"))
    model.apply(queued("taken"))
    model.apply(JobSending("taken"))  # its turn came: the POST is under way
    cancellable = {job_id for job_id in model.job_ids() if value(model, job_id, Roles.Cancellable)}
    assert cancellable == {"w"}
    assert model.waiting_count() == 1 and value(model, "taken", Roles.StatusText) == "Sending…"


def test_a_late_sending_report_does_not_undo_what_bfl_said(model: JobQueueModel) -> None:
    model.apply(queued("j"))
    model.apply(JobSubmitted("j", "task", Decimal(3)))
    model.apply(JobSending("j"))
    assert value(model, "j", Roles.Status) == "submitted"
    model.apply(JobDone("j", 1, "/lib/a.jpg", 1, None))
    model.apply(JobSending("j"))
    assert value(model, "j", Roles.Status) == "done"


def test_elapsed_ticks_for_active_rows_only(qtbot: QtBot, model: JobQueueModel, clock: FakeClock) -> None:
    model.apply(queued("waiting"))
    model.apply(queued("running"))
    model.apply(queued("done"))
    model.apply(JobSubmitted("running", "t", None))
    clock.now += 3
    model.apply(JobDone("done", 1, "/lib/a.jpg", 1, None))
    assert model.ticking
    before = {job_id: value(model, job_id, Roles.Elapsed) for job_id in model.job_ids()}
    clock.now += 2
    rows: set[int] = set()
    model.dataChanged.connect(lambda top, bottom, roles: rows.update(range(top.row(), bottom.row() + 1))
                              if list(roles) == [Roles.Elapsed] else None)
    model.refresh_elapsed()
    assert rows == {model.row_for("waiting"), model.row_for("running")}
    after = {job_id: value(model, job_id, Roles.Elapsed) for job_id in model.job_ids()}
    assert after["waiting"] > before["waiting"] and after["running"] > before["running"]
    assert after["done"] == before["done"] == 3
    assert model.active_count() == 2


def test_the_timer_runs_only_while_something_is_active(qtbot: QtBot, model: JobQueueModel) -> None:
    assert not model.ticking
    model.apply(queued("j"))
    assert model.ticking
    model.apply(failed("j", JobStatus.CANCELLED))
    assert not model.ticking


def test_the_timer_refreshes_elapsed_by_itself(qtbot: QtBot, model: JobQueueModel, clock: FakeClock) -> None:
    model.apply(queued("j"))
    model._timer.setInterval(10)
    clock.now += 1
    with qtbot.waitSignal(model.dataChanged, timeout=2000) as blocker:
        pass
    assert list(blocker.args[2]) == [Roles.Elapsed]
    assert value(model, "j", Roles.Elapsed) == 1


def test_clear_finished_keeps_what_is_still_going(model: JobQueueModel) -> None:
    feed_mixed_queue(model)
    assert model.finished_count() == 3
    assert model.clear_finished() == 3
    assert sorted(model.job_ids()) == ["a", "b"]
    assert model.running_count() == 2 and model.waiting_count() == 0


def test_formatting_helpers() -> None:
    assert format_elapsed(7.9) == "0:07"
    assert format_elapsed(3723) == "1:02:03"
    assert credits_phrase(Decimal("4.50")) == "4.5 credits"
    assert credits_phrase(Decimal("1")) == "1 credit"
    assert credits_phrase(Decimal("1500")) == "1,500 credits"
    assert model_initials("flux-2-pro") == "2P"
    assert model_initials("flux-kontext-max") == "KM"
    assert model_initials("") == "?"


# --- the view -------------------------------------------------------------------------------------


@pytest.fixture
def view(qtbot: QtBot, model: JobQueueModel, loader: ThumbnailLoader) -> QueueView:
    view = QueueView(model, loader)
    qtbot.addWidget(view)
    view.resize(520, 520)
    view.show()
    qtbot.waitExposed(view)
    return view


def select(view: QueueView, *job_ids: str) -> None:
    selection = view.list_view.selectionModel()
    selection.clearSelection()
    for job_id in job_ids:
        selection.select(view.list_view.model().index(view.list_view.model().row_for(job_id)),
                         QItemSelectionModel.SelectionFlag.Select)


def test_cancel_button_follows_the_selection(qtbot: QtBot, view: QueueView, model: JobQueueModel) -> None:
    feed_mixed_queue(model)
    model.apply(queued("w1"))
    model.apply(queued("w2"))
    assert not view.cancel_button.isEnabled()
    select(view, "a", "c")
    assert not view.cancel_button.isEnabled()
    select(view, "a", "w1", "w2")
    assert view.cancel_button.isEnabled()
    emitted: list[str] = []
    view.cancelRequested.connect(emitted.append)
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert emitted == ["w2", "w1"]  # the waiting ones only, top first
    # The pipeline answers; the rows say so and the button goes grey.
    model.apply(failed("w1", JobStatus.CANCELLED))
    model.apply(failed("w2", JobStatus.CANCELLED))
    assert value(model, "w1", Roles.StatusText) == "Cancelled"
    assert not view.cancel_button.isEnabled()


def test_a_waiting_job_sent_meanwhile_cannot_be_cancelled(view: QueueView, model: JobQueueModel) -> None:
    model.apply(queued("w"))
    select(view, "w")
    assert view.cancel_button.isEnabled() and not view.note.isVisibleTo(view)
    model.apply(JobSubmitted("w", "task", Decimal(3)))
    assert not view.cancel_button.isEnabled()
    assert view.note.isVisibleTo(view)
    assert "cannot be cancelled" in view.note_label.text()


def test_the_note_shows_for_a_sent_job_only(view: QueueView, model: JobQueueModel) -> None:
    feed_mixed_queue(model)
    select(view, "c", "d")
    assert not view.note.isVisibleTo(view)
    select(view, "a")
    assert view.note.isVisibleTo(view)
    select(view)
    assert not view.note.isVisibleTo(view)


def test_delete_cancels_the_selected_waiting_jobs(qtbot: QtBot, view: QueueView, model: JobQueueModel) -> None:
    feed_mixed_queue(model)
    model.apply(queued("w"))
    select(view, "w", "a")
    view.list_view.setFocus()
    with qtbot.waitSignal(view.cancelRequested) as blocker:
        qtbot.keyClick(view.list_view, Qt.Key.Key_Delete)
    assert blocker.args == ["w"]


def test_double_click_and_enter_on_a_done_row_open_its_image(qtbot: QtBot, view: QueueView,
                                                             model: JobQueueModel) -> None:
    feed_mixed_queue(model, "/library/c.jpg")
    index = model.index(model.row_for("c"))
    center = view.list_view.visualRect(index).center()
    with qtbot.waitSignal(view.openImage) as blocker:
        # A real double-click: the item view only accepts one on the row the first press hit.
        qtbot.mouseClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert blocker.args == ["/library/c.jpg"]
    view.list_view.setCurrentIndex(index)
    with qtbot.waitSignal(view.openImage) as blocker:
        qtbot.keyClick(view.list_view, Qt.Key.Key_Return)
    assert blocker.args == ["/library/c.jpg"]
    view.list_view.setCurrentIndex(model.index(model.row_for("d")))
    with qtbot.assertNotEmitted(view.openImage):
        qtbot.keyClick(view.list_view, Qt.Key.Key_Return)


def test_header_counts_and_clear_finished(qtbot: QtBot, view: QueueView, model: JobQueueModel) -> None:
    assert view.counts_label.text() == ""
    assert not view.clear_button.isEnabled()
    for job_id in ("w1", "w2"):
        model.apply(queued(job_id))
    assert view.counts_label.text() == "2 waiting"
    assert not view.clear_button.isEnabled()
    feed_mixed_queue(model)
    assert view.counts_label.text() == "2 running · 2 waiting"
    assert view.clear_button.isEnabled()
    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    assert sorted(model.job_ids()) == ["a", "b", "w1", "w2"]
    assert not view.clear_button.isEnabled()


def test_context_menu_actions(qtbot: QtBot, view: QueueView, model: JobQueueModel) -> None:
    feed_mixed_queue(model, "/library/c.jpg")
    model.apply(queued("w", seed=77))
    actions = {a.text(): a for a in view.build_context_menu(model.index(model.row_for("w"))).actions() if a.text()}
    assert set(actions) == {"Cancel", "Open image", "Use as reference", "Copy error", "Copy seed"}
    assert actions["Cancel"].isEnabled() and not actions["Open image"].isEnabled()
    assert not actions["Use as reference"].isEnabled()  # no image yet
    assert not actions["Copy error"].isEnabled()
    with qtbot.waitSignal(view.cancelRequested) as blocker:
        actions["Cancel"].trigger()
    assert blocker.args == ["w"]
    actions["Copy seed"].trigger()
    assert QGuiApplication.clipboard().text() == "77"

    actions = {a.text(): a for a in view.build_context_menu(model.index(model.row_for("d"))).actions() if a.text()}
    assert not actions["Cancel"].isEnabled()
    actions["Copy error"].trigger()
    assert QGuiApplication.clipboard().text() == "BFL refused the request."

    actions = {a.text(): a for a in view.build_context_menu(model.index(model.row_for("c"))).actions() if a.text()}
    with qtbot.waitSignal(view.openImage) as blocker:
        actions["Open image"].trigger()
    assert blocker.args == ["/library/c.jpg"]
    with qtbot.waitSignal(view.referenceRequested) as blocker:
        actions["Use as reference"].trigger()
    assert blocker.args == ["/library/c.jpg", 7]  # the file, and the library image it is (for lineage)


def test_rows_are_72_pixels_and_a_done_row_shows_its_thumbnail(qtbot: QtBot, view: QueueView, model: JobQueueModel,
                                                               loader: ThumbnailLoader, tmp_path: Path) -> None:
    image = tmp_path / "red.png"
    Image.new("RGB", (300, 200), (230, 20, 20)).save(image)
    model.apply(queued("j"))
    index = model.index(0)
    assert view.list_view.visualRect(index).height() == ROW_HEIGHT
    with qtbot.waitSignal(loader.thumbnailReady, timeout=5000):
        model.apply(JobDone("j", 1, str(image), 42, Decimal(3)))
        view.list_view.viewport().repaint()  # the delegate asks the loader while painting
    qtbot.wait(20)
    rect = view.list_view.visualRect(index)
    shot = view.list_view.viewport().grab().toImage()
    tile_center = shot.pixelColor(rect.left() + 8 + 28, rect.center().y())
    assert tile_center.red() > 200 and tile_center.green() < 60, tile_center.name()


def test_the_empty_queue_paints_its_hint(view: QueueView) -> None:
    blank = QColor(view.list_view.viewport().palette().color(view.list_view.viewport().backgroundRole()))
    shot = view.list_view.viewport().grab().toImage()
    colours = {shot.pixelColor(x, y).rgb() for x in range(0, shot.width(), 3)
               for y in range(shot.height() // 2 - 10, shot.height() // 2 + 10)}
    assert colours - {blank.rgb()}, "the empty-state text was not painted"


def test_invalid_index_opens_nothing(view: QueueView, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(view.openImage):
        view.list_view.doubleClicked.emit(QModelIndex())


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_header_buttons_keep_off_the_window_edge(qtbot: QtBot, make_window, size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    ready(qtbot, window)
    window.tabs.setCurrentIndex(0)
    queue = window.queue
    qtbot.waitUntil(queue.cancel_button.isVisible)
    qtbot.wait(20)  # the layout settles
    edge = window.width()
    for button in (queue.cancel_button, queue.clear_button):
        right = button.mapTo(window, QPoint(button.width(), 0)).x()
        assert edge - right >= 12, (button.text(), edge - right)
    # ... lined up with the rows' status column, inside the list.
    list_right = queue.list_view.mapTo(window, QPoint(queue.list_view.width(), 0)).x()
    cancel_right = queue.cancel_button.mapTo(window, QPoint(queue.cancel_button.width(), 0)).x()
    assert list_right - cancel_right == queue.list_view.frameWidth() + 12
    strip_right = window.recent.mapTo(window, QPoint(window.recent.width(), 0)).x()
    assert edge - list_right >= 8 and edge - strip_right >= 8  # the list and the strip keep off the edge too
