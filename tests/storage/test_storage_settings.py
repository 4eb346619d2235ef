"""settings.json: defaults for bad values, field by field; atomic saves; never a key."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from fluxdesk.storage.paths import settings_path
from fluxdesk.storage.settings import (
    MAX_HISTORY,
    GpuPresetOverride,
    Settings,
    load_settings,
    save_settings,
    settings_from_dict,
)

GOOD = {
    "version": 1, "region": "eu", "library_folder": "/data/images", "default_model": "flux-dev",
    "default_output_format": "png", "monthly_budget_usd": "120.50", "theme": "dark", "key_storage": "session",
    "gpu_presets": [{"name": "My 4090", "hourly_usd": "0.40", "images_per_hour": 300}],
    "window_geometry": "AdnQywADAAA=", "panel_state": {"splitter": [1, 2], "advanced": True},
    "prompt_history": ["a fox", "an owl"], "last_seed": 42,
}


def write(home: Path, data: object) -> None:
    home.mkdir(parents=True, exist_ok=True)
    settings_path(home).write_text(json.dumps(data), encoding="utf-8")


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert (settings.region, settings.theme, settings.key_storage) == ("global", "system", "keyring")
    assert settings.monthly_budget_usd == Decimal(50) and settings.default_model == "flux-2-pro"


def test_good_values_round_trip(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    settings = load_settings(tmp_path)
    assert settings.region == "eu" and settings.library_folder == "/data/images"
    assert settings.monthly_budget_usd == Decimal("120.50")
    assert settings.gpu_presets == (GpuPresetOverride("My 4090", Decimal("0.40"), Decimal(300)),)
    assert settings.panel_state == {"splitter": [1, 2], "advanced": True} and settings.last_seed == 42
    save_settings(tmp_path, settings)
    assert load_settings(tmp_path) == settings
    saved = json.loads(settings_path(tmp_path).read_text())
    assert saved["version"] == 1 and saved["monthly_budget_usd"] == "120.50"


@pytest.mark.parametrize(("field", "bad"), [
    ("region", "mars"), ("region", 5), ("library_folder", "relative/path"), ("library_folder", ""),
    ("library_folder", "/x\x00y"), ("default_model", "sdxl"), ("default_output_format", "gif"),
    ("monthly_budget_usd", "-5"), ("monthly_budget_usd", "lots"), ("monthly_budget_usd", "NaN"),
    ("monthly_budget_usd", True), ("theme", "neon"), ("key_storage", "plaintext"),
    ("gpu_presets", "many"), ("window_geometry", "not base64!"), ("window_geometry", 12),
    ("panel_state", [1, 2]), ("prompt_history", "a fox"), ("last_seed", -1), ("last_seed", "7"),
    ("last_seed", 2**64), ("last_seed", 1.5),
])
def test_each_bad_value_falls_back_alone(tmp_path: Path, field: str, bad: object) -> None:
    write(tmp_path, {**GOOD, field: bad})
    settings = load_settings(tmp_path)
    assert getattr(settings, field) == getattr(Settings(), field)
    good = settings_from_dict(GOOD)
    for other in ("region", "theme", "default_model", "last_seed", "prompt_history"):
        if other != field:
            assert getattr(settings, other) == getattr(good, other)


def test_bad_preset_entries_are_dropped_one_by_one() -> None:
    settings = settings_from_dict({"gpu_presets": [
        {"name": "ok", "hourly_usd": 1, "images_per_hour": 10}, {"name": "", "hourly_usd": 1, "images_per_hour": 1},
        {"name": "zero rate", "hourly_usd": 1, "images_per_hour": 0}, "junk", {"name": "neg", "hourly_usd": -1,
                                                                               "images_per_hour": 1}]})
    assert [p.name for p in settings.gpu_presets] == ["ok"]


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", "null", "\xff", '"text"', "[" * 100_000])
def test_unreadable_files_give_defaults(tmp_path: Path, content: str) -> None:
    settings_path(tmp_path).write_bytes(content.encode("utf-8", "surrogateescape") if content != "\xff"
                                        else b"\xff\xfe")
    assert load_settings(tmp_path) == Settings()


def test_api_keys_in_the_file_are_dropped_not_preserved(tmp_path: Path) -> None:
    secret = "bfl_0123456789abcdefSECRET"
    write(tmp_path, {**GOOD, "api_key": secret, "bfl_api_key": secret, "BFL_API_KEY": secret, "key": secret,
                     "panel_state": {"api_key": secret, "nested": {"x-key": secret, "token": secret, "ok": 1}}})
    settings = load_settings(tmp_path)
    save_settings(tmp_path, settings)
    text = settings_path(tmp_path).read_text()
    assert secret not in text
    assert json.loads(text)["panel_state"] == {"nested": {"ok": 1}}
    assert not any("key" in name and name != "key_storage" for name in Settings.__dataclass_fields__)
    # Even state set in code never carries a key to disk.
    save_settings(tmp_path, replace(settings, panel_state={"apiKey": secret}))
    assert secret not in settings_path(tmp_path).read_text()


def test_prompt_history_is_bounded_and_deduplicated(tmp_path: Path) -> None:
    settings = Settings()
    for i in range(MAX_HISTORY + 20):
        settings = settings.with_prompt(f"prompt {i}")
    settings = settings.with_prompt("prompt 215").with_prompt("   ")
    assert len(settings.prompt_history) == MAX_HISTORY
    assert settings.prompt_history[:2] == ("prompt 215", "prompt 219")
    assert settings.prompt_history.count("prompt 215") == 1
    write(tmp_path, {"prompt_history": ["a", "a", 5, "", *[f"p{i}" for i in range(500)]]})
    loaded = load_settings(tmp_path).prompt_history
    assert loaded[:2] == ("a", "p0") and len(loaded) == MAX_HISTORY


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(tmp_path, Settings(theme="dark"))
    import fluxdesk.storage.files as files

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_settings(tmp_path, Settings(theme="light"))
    monkeypatch.undo()
    assert load_settings(tmp_path).theme == "dark"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_studio_link_is_kept_without_its_password(tmp_path: Path) -> None:
    data = {"studio_url": "postgresql://fd_x_anna:s3cret-pw@db.example.com:5433/fluxdesk?sslmode=require",
            "studio_seat": "anna", "studio_admin_url": "postgresql://admin:adm1n-pw@127.0.0.1/fluxdesk"}
    settings = settings_from_dict(data)
    assert settings.studio_url == "postgresql://fd_x_anna@db.example.com:5433/fluxdesk?sslmode=require"
    assert settings.studio_admin_url == "postgresql://admin@127.0.0.1/fluxdesk" and settings.studio_seat == "anna"
    save_settings(tmp_path, replace(settings, studio_url=data["studio_url"]))  # even one set in code with a password
    text = settings_path(tmp_path).read_text()
    assert "s3cret-pw" not in text and "adm1n-pw" not in text and load_settings(tmp_path) == settings
    assert settings_from_dict({"studio_url": "mysql://x/y", "studio_seat": "Not A Seat"}) == Settings()
