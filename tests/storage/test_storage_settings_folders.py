"""settings.json's ``dialog_folders``: the folder each file dialog last used, each entry checked on its own."""

from __future__ import annotations

import json
from pathlib import Path

from fluxdesk.storage.paths import settings_path
from fluxdesk.storage.settings import FOLDER_PURPOSES, Settings, load_settings, save_settings


def test_the_folders_round_trip(tmp_path: Path) -> None:
    folders = {purpose: f"/work/{purpose}" for purpose in FOLDER_PURPOSES}
    save_settings(tmp_path, Settings(dialog_folders=folders))
    assert load_settings(tmp_path).dialog_folders == folders
    assert json.loads(settings_path(tmp_path).read_text(encoding="utf-8"))["dialog_folders"] == folders


def test_a_bad_entry_is_dropped_alone(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text(json.dumps({"dialog_folders": {
        "export-images": "/pictures/clients", "export-ledger": "relative/folder", "library-folder": 7,
        "import-prices": "/x\x00y", "somebody-elses": "/tmp"}}), encoding="utf-8")
    assert load_settings(tmp_path).dialog_folders == {"export-images": "/pictures/clients"}


def test_not_a_mapping_gives_none(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text(json.dumps({"dialog_folders": ["/a", "/b"], "theme": "dark"}),
                                       encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.dialog_folders == {} and settings.theme == "dark"
