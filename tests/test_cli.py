"""The first subcommands, run as a designer would: the installed console script and `python -m`."""

import json
import subprocess
import sys

import pytest

from fluxdesk import __version__
from fluxdesk.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fluxdesk", *args], capture_output=True, text=True,
                          timeout=60)


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"fluxdesk {__version__}"
    assert __version__ != "0.0.0+source"  # the package is installed, its metadata is read


def test_estimate_json_has_the_contract_fields() -> None:
    out = run("estimate", "--model", "flux-2-pro", "--width", "1920", "--height", "1088", "--count", "4",
              "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data == {"model": "flux-2-pro", "count": 4, "credits_per_image": 4.5, "usd_per_image": 0.045,
                     "credits_total": 18, "usd_total": 0.18, "price_as_of": "2026-11-01"}


@pytest.mark.parametrize(("args", "expected_credits"), [
    (["--model", "flux-2-pro", "--width", "1024", "--height", "1024"], 3),
    (["--model", "flux-pro-1.1-ultra", "--aspect-ratio", "21:9"], 6),
    (["--model", "flux-dev", "--steps", "28", "--guidance", "3"], 2.5),
    (["--model", "flux-kontext-max"], 8),
])
def test_estimate_per_model(args, expected_credits, capsys) -> None:
    assert main(["estimate", *args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["credits_per_image"] == expected_credits


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "flux-2-pro", "--width", "1920", "--height", "1080"], "height: must be a multiple of 16"),
    (["--model", "flux-pro-1.1", "--width", "1000", "--height", "768"],
     "width: must be a multiple of 32 between 256 and 1440 for FLUX1.1 [pro]"),
    (["--model", "flux-pro-1.1", "--steps", "20"], "steps: is not accepted by FLUX1.1 [pro]"),
    (["--model", "flux-pro-1.1-ultra", "--aspect-ratio", "3:1"], "aspect_ratio"),
    (["--model", "flux-9"], "unknown model"),
    (["--model", "flux-dev", "--width", "1024"], "give both"),
    (["--model", "flux-dev", "--count", "0"], "count"),
    ([], "give --model"),
])
def test_estimate_refuses_invalid_input_with_exit_2(args, words, capsys) -> None:
    assert main(["estimate", *args]) == 2
    assert words in capsys.readouterr().err


def test_estimate_readable_output() -> None:
    out = run("estimate", "--model", "flux-2-pro", "--width", "1920", "--height", "1088", "--count", "4")
    assert out.returncode == 0
    assert "4 × $0.045 = $0.18" in out.stdout and "2026-11-01" in out.stdout


def test_estimate_list_names_every_model(capsys) -> None:
    assert main(["estimate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "FLUX1.1 [pro] Ultra" in out and "$0.06" in out
    listed = out.strip().splitlines()
    tools = listed.index("Editing tools (--image with --mask or --expand):")
    assert tools == 11 and len(listed) == 14  # the pickers' 11 models, then the two tools
    assert listed[12].split()[:2] == ["flux-pro-1.0-fill", "FLUX.1"] and "$0.05" in listed[12]
    assert listed[13].endswith("$0.05 / image  (5 credits per ComfyUI's published badge; not on BFL's price page)")


def test_breakeven_json_reproduces_the_article() -> None:
    out = run("breakeven", "--api-price", "0.04", "--gpu-hourly", "0.69", "--images-per-hour", "250", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = {r["volume"]: r for r in data["rows"]}
    assert list(rows) == [100, 1000, 10000, 50000, 100000]
    assert rows[1000]["api_monthly"] == 40 and rows[1000]["self_hosted_monthly"] == 2.76
    assert round(rows[1000]["saving_pct"]) == 93
    assert set(rows[1000]) == {"volume", "api_monthly", "self_hosted_monthly", "saving", "saving_pct",
                               "api_annual", "self_hosted_annual"}
    assert data["break_even_volume"] == 1


def test_breakeven_always_on_reports_gpus_and_null_when_never(capsys) -> None:
    assert main(["breakeven", "--api-price", "0.04", "--gpu-hourly", "0.69", "--images-per-hour", "250",
                 "--mode", "always-on", "--overhead", "500", "--volume", "1000", "200000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["gpus_needed"] for r in data["rows"]] == [1, 2]
    assert data["break_even_volume"] == 25093
    assert main(["breakeven", "--api-price", "0.001", "--gpu-hourly", "0.69", "--images-per-hour", "250",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["break_even_volume"] is None


def test_breakeven_table_and_refusals(capsys) -> None:
    assert main(["breakeven", "--api-price", "0.04", "--gpu-hourly", "0.34", "--images-per-hour", "250"]) == 0
    out = capsys.readouterr().out
    assert "$0.0014 per image" in out and "1,000" in out and "$1.36" in out
    assert main(["breakeven", "--api-price", "0.04", "--gpu-hourly", "0.34", "--images-per-hour", "0"]) == 2
    assert "images per hour" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["breakeven", "--api-price", "cheap", "--gpu-hourly", "0.34", "--images-per-hour", "250"])
    assert exit_info.value.code == 2


def test_estimate_prices_with_the_table_imported_into_the_home(tmp_path, monkeypatch) -> None:
    # Like the window and `generate`: the user's newer table, not only the bundled one.
    from fluxdesk.resources import resource_path
    from fluxdesk.storage.price_table import import_price_table

    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["as_of"] = "2027-05-01"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    home = tmp_path / "home"
    import_price_table(newer, home)
    monkeypatch.setenv("FLUXDESK_HOME", str(home))
    out = run("estimate", "--model", "flux-2-pro", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["price_as_of"] == "2027-05-01"


def _photo(path, size=(4032, 3024), orientation=1):
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(200, 60, 40))
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, "JPEG", quality=85, exif=exif)
    return path


def test_estimate_json_lists_what_each_reference_adds(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path / "home"))
    photo = _photo(tmp_path / "photo.jpg")
    args = ["estimate", "--model", "flux-2-max", "--width", "1024", "--height", "1024", "--json"]
    assert main([*args, "--input-image", str(photo), "--input-image", str(photo)]) == 0
    data = json.loads(capsys.readouterr().out)
    # [max]: 7 credits for a 1 MP output, 3 per reference megapixel; each 12 MP photo sent as 1 MP.
    assert data["credits_per_image"] == 13 and data["usd_per_image"] == 0.13
    first = {k: v for k, v in data["references"][0].items() if k != "sha256"}
    assert first == {"source": str(photo), "width": 1182, "height": 886, "original_width": 4032,
                     "original_height": 3024, "megapixels": 1, "credits": 3, "notes": []}
    assert data["references"][0]["sha256"] == data["references"][1]["sha256"]
    assert main([*args, "--input-image", str(photo), "--reference-size", "original"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["credits_per_image"] == 7 + 3 * 4 and data["references"][0]["megapixels"] == 4
    assert main(["estimate", "--model", "flux-2-max", "--json"]) == 0
    assert "references" not in json.loads(capsys.readouterr().out)  # a text-only request's contract as before


def test_estimate_of_an_edit_with_no_size_takes_image_1s_shape(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path / "home"))
    photo = _photo(tmp_path / "turned.jpg", (1600, 1200), orientation=8)  # shows as 1200×1600
    assert main(["estimate", "--model", "flux-2-pro", "--input-image", str(photo)]) == 0
    out = capsys.readouterr().out
    assert "  output 880×1184: image 1's aspect ratio at 1 MP (give --width and --height to choose)" in out
    assert f"  image 1: {photo} 1200×1600 → sent as 883×1178, 1 MP, +1.5 credits" in out
