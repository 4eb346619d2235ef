"""`fluxdesk estimate … --compare`: the same request priced at the other providers of the model (never sent),
BFL first, with each row's billing, date and source; references priced by each provider's own rule."""

import json
from decimal import Decimal as D

import pytest
from cli_support import child_env, run_fluxdesk
from PIL import Image

from fluxdesk.cli import main

ROW_FIELDS = {"provider", "usd_per_image", "usd_total", "billing", "as_of", "source"}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_compare_json_lists_bfl_then_the_cheapest_through_the_installed_command(home) -> None:
    out = run_fluxdesk("estimate", "--model", "flux-2-max", "--width", "512", "--height", "512", "--count", "2",
                       "--compare", "--json", env=child_env(home))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["usd_per_image"] == 0.07  # the estimate itself is unchanged
    rows = data["providers"]
    assert all(set(r) == ROW_FIELDS and r["source"] and r["as_of"] for r in rows)
    assert [(r["provider"], r["billing"]) for r in rows] == [
        ("BFL", "per_megapixel"), ("Replicate", "per_run_fractional_megapixel"), ("fal.ai", "per_megapixel")]
    # Replicate: $0.04 a run + $0.03 × 262,144/10^6 MP, not rounded up; BFL and fal bill a whole megapixel
    assert rows[1]["usd_per_image"] == float(D("0.04") + D("0.03") * D("0.262144"))
    assert rows[1]["usd_total"] == float(2 * (D("0.04") + D("0.03") * D("0.262144")))
    assert rows[0]["usd_total"] == rows[2]["usd_total"] == 0.14


def test_references_are_priced_by_each_providers_rule(tmp_path, capsys) -> None:
    photo = tmp_path / "photo.jpg"
    Image.linear_gradient("L").resize((4032, 3024)).convert("RGB").save(photo, "JPEG", quality=85)
    assert main(["estimate", "--model", "flux-2-max", "--width", "1024", "--height", "1024", "--input-image",
                 str(photo), "--compare", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sent = data["references"][0]
    pixels = sent["width"] * sent["height"]  # sent at the output's megapixel, not 12 MP
    rows = {r["provider"]: r for r in data["providers"]}
    assert rows["BFL"]["usd_per_image"] == rows["fal.ai"]["usd_per_image"] == 0.1  # 7 + 3 credits
    expected = D("0.04") + D("0.03") * D(1024 * 1024) / 10**6 + D("0.03") * D(pixels) / 10**6
    assert rows["Replicate"]["usd_per_image"] == float(expected)


def test_without_compare_there_is_no_providers_field(capsys) -> None:
    assert main(["estimate", "--model", "flux-2-pro", "--json"]) == 0
    assert "providers" not in json.loads(capsys.readouterr().out)


def test_compare_text_is_a_compact_list(capsys) -> None:
    assert main(["estimate", "--model", "flux-2-klein-4b", "--count", "10", "--compare"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("The same request elsewhere (priced, not sent: FluxDesk sends to BFL only):")
    listed = lines[start + 1:]
    assert listed[0].split()[:4] == ["BFL", "$0.014", "per", "image"] and "$0.14" in listed[0]
    assert listed[1].split()[:2] == ["fal.ai", "$0.005"] and "per megapixel, as of 2026-06-01" in listed[1]
    assert main(["estimate", "--model", "flux-kontext-max", "--compare"]) == 0
    assert "no other provider's price is known for FLUX.1 Kontext [max]" in capsys.readouterr().out


def test_compare_uses_a_newer_imported_provider_table(tmp_path, home, capsys) -> None:
    from fluxdesk.resources import resource_path
    from fluxdesk.storage.providers import import_provider_table

    data = json.loads(resource_path("providers.json").read_text(encoding="utf-8"))
    data["as_of"] = "2027-01-01"
    data["providers"].append({"provider": "Runware", "model": "flux-kontext-max", "billing": "per_image",
                              "per_image_usd": "0.07", "as_of": "2027-01-01", "source": "a test"})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    import_provider_table(newer, home)
    assert main(["estimate", "--model", "flux-kontext-max", "--compare", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["providers"]
    assert [(r["provider"], r["usd_per_image"]) for r in rows] == [("BFL", 0.08), ("Runware", 0.07)]
