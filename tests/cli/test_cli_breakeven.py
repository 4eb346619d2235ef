"""`fluxdesk breakeven --model …` through its command line: the issue's example to the digit, the model behind
each side in the JSON, GPU presets from the (importable) self-hosting table, and bad input refused with exit 2."""

import json
import math

import pytest
from cli_support import child_env, run_fluxdesk

from fluxdesk.cli import main
from fluxdesk.resources import resource_path

EXAMPLE = ["breakeven", "--model", "flux-2-klein-4b", "--width", "1024", "--height", "1024", "--gpu-hourly", "0.69",
           "--seconds-per-image", "2", "--utilisation", "1"]
NEW_FIELDS = {"api_model", "api_price", "self_hostable", "self_hosted_model", "licence", "commercial_use",
              "seconds_per_image", "self_hosted_per_image"}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run_json(capsys, *args: str) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_issue_example_through_the_installed_command(home) -> None:
    out = run_fluxdesk(*EXAMPLE, "--json", env=child_env(home))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= NEW_FIELDS
    assert data["api_model"] == "flux-2-klein-4b" and data["api_price"] == 0.014
    assert data["self_hostable"] is True and data["self_hosted_model"] == "flux-2-klein-4b"
    assert data["licence"] == "Apache-2.0" and data["commercial_use"] is True
    assert data["seconds_per_image"] == 2
    assert math.isclose(data["self_hosted_per_image"], 0.69 * 2 / 3600)
    assert str(data["self_hosted_per_image"]).startswith("0.000383")
    today = {"mode", "gpu_cost_per_image", "rows", "break_even_volume", "break_even_volume_without_overhead"}
    assert today <= set(data)
    assert data["break_even_band"] == [220_319, 734_395]


def test_at_2048_by_1024_the_api_price_and_twice_the_gpu_time(capsys) -> None:
    one = run_json(capsys, *EXAMPLE)
    args = list(EXAMPLE)
    args[args.index("--width") + 1] = "2048"
    two = run_json(capsys, *args)
    assert two["api_price"] == 0.015
    assert two["seconds_per_image"] == 2 * one["seconds_per_image"] == 4
    assert math.isclose(two["self_hosted_per_image"], 2 * one["self_hosted_per_image"])


def test_steps_utilisation_and_the_rows_follow_the_inputs(capsys) -> None:
    base = ["breakeven", "--model", "flux-dev", "--gpu-hourly", "1", "--seconds-per-image", "10",
            "--width", "1024", "--height", "1024", "--volume", "1000"]
    plain = run_json(capsys, *base, "--utilisation", "1", "--overhead", "0")
    doubled = run_json(capsys, *base, "--steps", "56", "--utilisation", "0.5", "--overhead", "0")
    assert plain["seconds_per_image"] == 10 and doubled["seconds_per_image"] == 20  # 56 steps ÷ its 28
    assert math.isclose(doubled["self_hosted_per_image"], 4 * plain["self_hosted_per_image"])
    assert math.isclose(doubled["rows"][0]["self_hosted_monthly"], 1000 * 20 / 3600 / 0.5)
    assert plain["rows"][0]["api_monthly"] == 25  # flux-dev is flat: 2.5 credits an image
    assert plain["self_hostable"] is True and plain["commercial_use"] is False


def test_defaults_are_the_apps_sixty_percent_and_three_thousand_dollars(capsys) -> None:
    data = run_json(capsys, "breakeven", "--model", "flux-2-klein-4b", "--gpu", "rtx 5090")
    assert data["utilisation"] == 0.6 and data["overhead_monthly"] == 3000
    assert data["seconds_per_image"] == 1.2 and data["mode"] == "on-demand"
    assert math.isclose(data["self_hosted_per_image"], 0.69 * 1.2 / 3600 / 0.6)


def test_an_api_only_model_names_what_would_run_instead(capsys) -> None:
    data = run_json(capsys, "breakeven", "--model", "flux-pro-1.1", "--gpu", "RTX 4090 (secure cloud)")
    assert data["self_hostable"] is False and data["self_hosted_model"] == "flux-dev"
    assert data["licence"] == "FLUX.1 [dev] Non-Commercial License" and data["commercial_use"] is False
    assert data["api_price"] == 0.04 and data["seconds_per_image"] == 8.25  # 11 s at 1 MP, 1024×768 by default
    assert main(["breakeven", "--model", "flux-pro-1.1", "--gpu", "RTX 4090 (secure cloud)"]) == 0
    text = capsys.readouterr().out
    assert "FLUX1.1 [pro] cannot be self-hosted: its weights are not published. The nearest you can run is FLUX.1 " \
           "[dev]" in text
    assert "With $3,000–$10,000 of engineering a month, self-hosting FLUX.1 [dev] pays off from" in text
    assert "8.25 s per image at 1024×768 and 28 steps (11 s at 1024×1024 and 28 steps, scaled linearly)" in text


def test_text_mode_prints_the_verdict_with_the_band_and_zero_overhead_says_so(capsys) -> None:
    assert main([*EXAMPLE, "--overhead", "0", "--volume", "1000"]) == 0
    text = capsys.readouterr().out
    assert "FLUX.2 [klein] 4B can be self-hosted (Apache-2.0, commercial use allowed)." in text
    assert "$0.014 per image at BFL" in text and "= $0.000383 per image" in text
    assert "No engineering overhead was entered" in text
    assert "With $3,000–$10,000 of engineering a month: 220,319–734,395 images a month" in text


def test_images_per_hour_is_another_way_to_give_the_speed(capsys) -> None:
    data = run_json(capsys, "breakeven", "--model", "flux-2-klein-4b", "--gpu-hourly", "0.69",
                    "--images-per-hour", "1800", "--utilisation", "1")
    assert data["seconds_per_image"] == 2 and data["api_price"] == 0.014


def test_a_gpu_from_an_imported_self_hosting_table(capsys, tmp_path, home) -> None:
    from fluxdesk.storage.self_hosting import import_self_host_table

    data = json.loads(resource_path("self_hosting.json").read_text(encoding="utf-8"))
    data["as_of"] = "2027-01-01"
    data["gpus"].append({"name": "L40S", "hourly_usd": "0.79", "seconds": {"flux-2-klein-9b": "3"},
                         "source": "a test"})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    import_self_host_table(newer, home)
    result = run_json(capsys, "breakeven", "--model", "flux-2-klein-9b", "--gpu", "L40S", "--utilisation", "1")
    assert result["seconds_per_image"] == 3 and math.isclose(result["self_hosted_per_image"], 0.79 * 3 / 3600)


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "flux-2-klein-4b", "--gpu-hourly", "0.69", "--seconds-per-image", "2", "--utilisation", "0"],
     "utilisation must be more than 0 and at most 1"),
    (["--model", "flux-2-klein-4b", "--gpu-hourly", "0.69", "--seconds-per-image", "2", "--utilisation", "60"],
     "0.6 is 60%"),
    (["--model", "flux-9", "--gpu-hourly", "1", "--seconds-per-image", "2"], "unknown model 'flux-9'"),
    (["--model", "flux-dev", "--gpu", "TPU v5"], "unknown GPU 'TPU v5'; known GPUs: RTX 4090"),
    (["--model", "flux-dev", "--gpu", "A100 80 GB"], "no published speed for FLUX.1 [dev] on the A100 80 GB"),
    (["--model", "flux-dev", "--gpu-hourly", "1"], "give the GPU's speed: --seconds-per-image"),
    (["--model", "flux-dev"], "give --gpu PRESET, or --gpu-hourly"),
    (["--model", "flux-dev", "--gpu-hourly", "1", "--seconds-per-image", "2", "--images-per-hour", "9"], "not both"),
    (["--model", "flux-dev", "--gpu-hourly", "1", "--images-per-hour", "0"], "images per hour must be more than 0"),
    (["--model", "flux-dev", "--gpu-hourly", "1", "--seconds-per-image", "0"], "seconds per image must be more"),
    (["--model", "flux-2-pro", "--gpu-hourly", "1", "--seconds-per-image", "2", "--width", "1920", "--height",
      "1080"], "height: must be a multiple of 16"),
    (["--model", "flux-2-pro", "--gpu-hourly", "1", "--seconds-per-image", "2", "--width", "1024"], "give both"),
    (["--model", "flux-dev", "--gpu-hourly", "1", "--seconds-per-image", "2", "--steps", "0"], "steps"),
    (["--model", "flux-dev", "--api-price", "0.04", "--gpu-hourly", "1", "--images-per-hour", "2"], "not both"),
    (["--gpu-hourly", "1", "--images-per-hour", "2"], "give --model MODEL"),
    (["--api-price", "0.04", "--gpu-hourly", "1", "--images-per-hour", "2", "--gpu", "RTX 5090"],
     "--gpu: only with --model"),
    (["--api-price", "0.04", "--gpu-hourly", "1"], "with --api-price, give --gpu-hourly and --images-per-hour"),
])
def test_bad_input_is_refused_in_words_with_exit_2(args, words, capsys) -> None:
    assert main(["breakeven", *args]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and captured.out == ""


def test_the_typed_price_form_is_unchanged(capsys) -> None:
    data = run_json(capsys, "breakeven", "--api-price", "0.04", "--gpu-hourly", "0.69", "--images-per-hour", "250")
    assert set(data) == {"mode", "gpu_cost_per_image", "rows", "break_even_volume",
                         "break_even_volume_without_overhead"}
    assert data["gpu_cost_per_image"] == 0.00276 and data["break_even_volume"] == 1
    halved = run_json(capsys, "breakeven", "--api-price", "0.04", "--gpu-hourly", "0.69", "--images-per-hour",
                      "250", "--utilisation", "0.5")
    assert halved["gpu_cost_per_image"] == 0.00552


def test_the_api_side_bought_from_another_provider(capsys) -> None:
    base = ["breakeven", "--model", "flux-2-klein-4b", "--width", "1024", "--height", "1024", "--gpu", "RTX 5090",
            "--volume", "1000"]
    bfl = run_json(capsys, *base)
    fal = run_json(capsys, *base, "--provider", "FAL.AI")  # whatever its case
    assert (bfl["api_provider"], bfl["api_price"]) == ("BFL", 0.014)
    assert (fal["api_provider"], fal["api_price"]) == ("fal.ai", 0.005)
    assert fal["rows"][0]["api_monthly"] == 5 and fal["self_hosted_per_image"] == bfl["self_hosted_per_image"]
    assert run_json(capsys, *base, "--provider", "BFL") == bfl
    max_at_replicate = run_json(capsys, "breakeven", "--model", "flux-2-max", "--width", "1024", "--height", "1024",
                                "--gpu-hourly", "1", "--seconds-per-image", "9.5", "--provider", "Replicate")
    assert math.isclose(max_at_replicate["api_price"], 0.04 + 0.03 * 1024 * 1024 / 1_000_000)
    assert main([*base, "--provider", "fal.ai"]) == 0
    assert "FLUX.2 [klein] 4B at 1024×1024: $0.005 per image at fal.ai (prices as of 2026-06-01)" in \
        capsys.readouterr().out


def test_a_provider_that_does_not_sell_the_model_is_refused_with_those_that_do(capsys) -> None:
    assert main(["breakeven", "--model", "flux-pro-1.1", "--gpu", "RTX 4090 (secure cloud)", "--provider",
                 "Together AI"]) == 2
    err = capsys.readouterr().err
    assert "nobody called 'Together AI' sells FLUX1.1 [pro]" in err and "(it is sold by: BFL, fal.ai, Replicate)" in err
    assert main(["breakeven", "--api-price", "0.04", "--gpu-hourly", "1", "--images-per-hour", "100",
                 "--provider", "fal.ai"]) == 2
    assert "--provider: only with --model" in capsys.readouterr().err
