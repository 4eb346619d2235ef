"""The self-hosting and provider tables on disk: the bundled ones, a newer one imported into the home, and bad
files refused in words before the old copy is touched."""

import json
from pathlib import Path

import pytest

from fluxdesk.core.providers import ProviderTableError
from fluxdesk.core.selfhost import SelfHostTableError
from fluxdesk.resources import resource_path
from fluxdesk.storage import providers, self_hosting

TABLES = [
    pytest.param(self_hosting.bundled_self_host_table, self_hosting.load_self_host_table,
                 self_hosting.import_self_host_table, SelfHostTableError, "self_hosting.json", id="self-hosting"),
    pytest.param(providers.bundled_provider_table, providers.load_provider_table,
                 providers.import_provider_table, ProviderTableError, "providers.json", id="providers"),
]


def _bundled_data(name: str) -> dict:
    return json.loads(resource_path(name).read_text(encoding="utf-8"))


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_bundled_tables_load() -> None:
    hosting = self_hosting.bundled_self_host_table()
    assert hosting.substitute("flux-pro-1.1").name == "FLUX.1 [dev]" and len(hosting.gpus) >= 5
    table = providers.bundled_provider_table()
    assert {r.provider for r in table.rows} >= {"fal.ai", "Replicate", "Together AI"}
    assert self_hosting.load_self_host_table(None) == hosting


@pytest.mark.parametrize(("bundled", "load", "do_import", "error", "name"), TABLES)
def test_a_newer_imported_table_is_used(tmp_path, bundled, load, do_import, error, name) -> None:
    home = tmp_path / "home"
    assert load(home) == bundled()  # nothing imported yet
    data = _bundled_data(name)
    data["as_of"] = "2027-05-01"
    imported = do_import(_write(tmp_path / "newer.json", data), home)
    assert imported.as_of == "2027-05-01" and (home / name).is_file()
    assert load(home).as_of == "2027-05-01"


@pytest.mark.parametrize(("bundled", "load", "do_import", "error", "name"), TABLES)
def test_an_imported_table_older_than_the_bundled_or_damaged_is_not_used(tmp_path, bundled, load, do_import, error,
                                                                         name) -> None:
    home = tmp_path / "home"
    data = _bundled_data(name)
    data["as_of"] = "2020-01-01"
    do_import(_write(tmp_path / "older.json", data), home)
    assert load(home) == bundled()
    (home / name).write_text("{ broken", encoding="utf-8")  # damaged after the import
    assert load(home) == bundled()


@pytest.mark.parametrize(("bundled", "load", "do_import", "error", "name"), TABLES)
def test_a_bad_file_is_refused_in_words_and_the_old_copy_kept(tmp_path, bundled, load, do_import, error,
                                                            name) -> None:
    home = tmp_path / "home"
    data = _bundled_data(name)
    data["as_of"] = "2027-05-01"
    do_import(_write(tmp_path / "good.json", data), home)
    before = (home / name).read_bytes()
    not_json = tmp_path / "notes.json"
    not_json.write_text("as of May: cheaper", encoding="utf-8")
    with pytest.raises(error, match=r"notes\.json is not valid JSON"):
        do_import(not_json, home)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"source": "café"}'.encode("latin-1"))
    with pytest.raises(error, match="is not UTF-8 text"):
        do_import(latin, home)
    with pytest.raises(error, match="as_of: must be a date"):
        do_import(_write(tmp_path / "undated.json", {**data, "as_of": "May"}), home)
    with pytest.raises(error, match="cannot read"):
        do_import(tmp_path / "missing.json", home)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * 1_000_001)
    with pytest.raises(error, match="too large"):
        do_import(huge, home)
    assert (home / name).read_bytes() == before
    assert load(home).as_of == "2027-05-01"
