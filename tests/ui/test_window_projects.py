"""Projects in the real window on the demo simulator: a project typed in the prompt panel's picker is made, Ctrl+Enter
records it in the job, the ledger and the image's metadata (and `fluxdesk info` shows it); the pick outlives a
restart; Reproduce keeps the original's project; "No project" sends none."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QWidget
from window_support import WAIT_MS, ctrl_enter, picker, ready, type_project

from fluxdesk.cli import main as cli_main
from fluxdesk.storage.metadata_io import read_metadata


def test_a_typed_project_is_made_recorded_by_ctrl_enter_and_remembered(qtbot, make_window, tmp_path,
                                                                      capsys) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-pro")
    window.panel.load_settings({"seed": 321, "width": 512, "height": 512})
    qtbot.waitUntil(lambda: window.panel.project_picker().busy() is None, timeout=WAIT_MS)
    assert picker(window).currentText() == "No project" and window.panel.project_id() is None

    type_project(qtbot, window, "Acme Campaign")
    qtbot.waitUntil(lambda: window.panel.project_id() is not None, timeout=WAIT_MS)
    assert picker(window).currentText() == "Acme Campaign"
    assert window.controller.settings.current_project == "Acme Campaign"
    library = window.session.library
    project = library.project_named("acme campaign")
    assert project is not None and window.panel.project_id() == project.id

    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        ctrl_enter(qtbot, window, "a poster for the spring campaign")
    image_id, path = shown.args
    image = library.get_image(image_id)
    job = library.get_job(image.job_id)
    assert (job.project_id, job.project_name, image.project_name) == (project.id, "Acme Campaign", "Acme Campaign")
    assert [row.project_name for row in library.ledger_rows(None, include_demo=True)] == ["Acme Campaign"]
    record, _a1111 = read_metadata(image.path.read_bytes())
    assert record is not None and record.project == "Acme Campaign"
    assert cli_main(["info", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["project"] == "Acme Campaign"

    # Reproduce keeps the original's project, whatever the picker says now.
    combo = picker(window)
    combo.setCurrentIndex(0)
    combo.activated.emit(0)
    assert window.panel.project_id() is None and window.controller.settings.current_project is None
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as again:
        window.controller.reproduce(image_id)
    assert library.get_image(again.args[0]).project_id == project.id
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as plain:
        ctrl_enter(qtbot, window, "a poster for nobody")
    assert library.get_image(plain.args[0]).project_id is None

    # The pick outlives a restart: saved by name, found again in the library.
    type_project(qtbot, window, "ACME CAMPAIGN")  # an existing project, whatever the case: none made
    qtbot.waitUntil(lambda: window.panel.project_id() == project.id, timeout=WAIT_MS)
    assert [p.name for p in library.projects()] == ["Acme Campaign"]
    window.controller.begin_closing()
    window.close()
    window.shutdown()
    second = ready(qtbot, make_window())
    qtbot.waitUntil(lambda: second.panel.project_id() is not None, timeout=WAIT_MS)
    assert picker(second).currentText() == "Acme Campaign"


def test_a_refused_name_says_why_and_keeps_the_project(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    qtbot.waitUntil(lambda: window.panel.project_picker().busy() is None, timeout=WAIT_MS)
    archived = window.session.library.ensure_project("Old client")
    window.session.library.archive_project(archived.id)
    type_project(qtbot, window, "old CLIENT")
    banner = window.panel.findChild(QWidget, "messageBanner")
    qtbot.waitUntil(lambda: "Old client is archived" in banner.text(), timeout=WAIT_MS)
    assert banner.kind() == "warning" and banner.text().startswith("Project not changed: the project Old client")
    assert window.panel.project_id() is None and picker(window).currentText() == "No project"
    assert window.controller.settings.current_project is None and window.session.library.projects() == []
    type_project(qtbot, window, "x" * 81)
    qtbot.waitUntil(lambda: "at most 80 characters" in banner.text(), timeout=WAIT_MS)
    assert picker(window).currentText() == "No project"
