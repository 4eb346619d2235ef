"""`fluxdesk generate` and `estimate` with --image and --mask (Fill, FLUX.2 local edit) or --expand (Expand), through
``fluxdesk.cli.main`` against the simulator on loopback; and every refusal: exit 2, in words, nothing sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fluxdesk.cli import main
from fluxdesk.sim import SimConfig, Simulator

KEY = "bfl_cli-edits-key-0123456789"
SIZE = (1024, 640)


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    with Simulator(SimConfig(key=KEY, latency=0.1)) as simulator:
        monkeypatch.setenv("FLUXDESK_API_BASE", simulator.api_base)
        monkeypatch.setenv("BFL_API_KEY", KEY)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        yield simulator


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    picture = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    ImageDraw.Draw(picture).ellipse((60, 40, 200, 160), fill=(200, 60, 30))
    mask = Image.new("RGB", SIZE)  # any image: its non-black pixels are repainted
    ImageDraw.Draw(mask).rectangle((100, 80, 180, 140), fill=(255, 255, 255))
    paths = {"image": tmp_path / "photo.png", "mask": tmp_path / "mask.png", "small": tmp_path / "small.png",
             "black": tmp_path / "black.png", "text": tmp_path / "notes.png"}
    picture.save(paths["image"])
    mask.save(paths["mask"])
    mask.resize((512, 320)).save(paths["small"])
    Image.new("RGB", SIZE).save(paths["black"])
    paths["text"].write_text("not an image")
    return {name: str(path) for name, path in paths.items()}


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def generate(capsys, *args: str) -> dict:
    code = main(["generate", "--prompt", "a red boat", "--seed", "3", "--json", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    [line] = lines(out.out)
    assert line["status"] == "done", line
    return line


def test_fill(sim: Simulator, files, capsys) -> None:
    line = generate(capsys, "--model", "flux-pro-1.0-fill", "--image", files["image"], "--mask", files["mask"],
                    "--steps", "28", "--guidance", "40")
    assert Image.open(line["path"]).size == SIZE and line["cost_credits"] == 5
    body = sim.task(sim.task_ids()[0]).body
    assert {"image", "mask"} <= set(body) and body["steps"] == 28 and body["guidance"] == 40
    assert line["references"][0]["source"] == files["image"]


def test_expand(sim: Simulator, files, capsys) -> None:
    line = generate(capsys, "--model", "flux-pro-1.0-expand", "--image", files["image"], "--expand", "0,128,32,64")
    assert Image.open(line["path"]).size == (1024 + 128 + 64, 640 + 32) and line["cost_credits"] == 5


def test_a_flux2_local_edit_keeps_the_originals_size(sim: Simulator, files, capsys) -> None:
    line = generate(capsys, "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"])
    out = Image.open(line["path"])
    assert out.size == SIZE and out.format == "PNG"
    body = sim.task(sim.task_ids()[0]).body
    assert "mask" not in body and (body["width"], body["height"]) == (512, 512)  # the crop around the mask
    assert line["cost_credits"] == 4.5
    original = Image.open(files["image"]).convert("RGB")
    for far in ((5, 5), (1000, 600), (600, 100)):  # past the crop: the original's pixels
        assert out.convert("RGB").getpixel(far) == original.getpixel(far)
    assert out.convert("RGB").getpixel((140, 110)) != original.getpixel((140, 110))  # on the mask: the edit


def test_estimate_takes_the_same_options_and_says_expands_note(files, capsys) -> None:
    assert main(["estimate", "--model", "flux-pro-1.0-expand", "--image", files["image"], "--expand", "0,256,0,256",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["credits_per_image"] == 5 and data["note"] == ("5 credits per ComfyUI's published badge; not on "
                                                               "BFL's price page")
    assert data["edit"]["kind"] == "expand" and (data["edit"]["output_width"], data["edit"]["output_height"]) == \
        (1536, 640)
    assert main(["estimate", "--model", "flux-pro-1.0-expand", "--image", files["image"], "--expand",
                 "0,256,0,256"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == ("FLUX.1 Expand [pro]: 1 × $0.05 = $0.05 (5 credits per ComfyUI's published "
                                    "badge; not on BFL's price page)  (5 credits)")
    assert "grown by top 0, right 256, bottom 0, left 256 px: output 1536×640" in text
    assert main(["estimate", "--model", "flux-pro-1.0-fill", "--image", files["image"], "--mask", files["mask"],
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["credits_per_image"] == 5 and "note" not in data and data["edit"]["kind"] == "fill"
    assert main(["estimate", "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"],
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    edit = data["edit"]
    assert edit["kind"] == "local_edit" and (edit["output_width"], edit["output_height"]) == SIZE
    assert data["credits_per_image"] == 4.5 and (edit["crop_width"], edit["crop_height"]) == (512, 512)
    assert edit["crop"] == [0, 0, 512, 512]
    assert main(["estimate", "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"]]) == 0
    assert "local edit: the 512×512 crop at (0, 0) around the mask is sent" in capsys.readouterr().out


REFUSALS = [
    (["--model", "flux-pro-1.0-fill", "--image", "{image}", "--mask", "{small}"],
     "the mask is 512×320 pixels and the image 1024×640"),
    (["--model", "flux-2-pro", "--image", "{image}", "--mask", "{small}"],
     "the mask is 512×320 pixels and the image 1024×640"),
    (["--model", "flux-pro-1.0-fill", "--image", "{image}", "--mask", "{black}"], "the mask is all black"),
    (["--model", "flux-2-pro", "--image", "{image}", "--mask", "{black}"], "the mask is all black"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--expand", "0,256"], "not four whole numbers"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--expand", "top"], "not four whole numbers"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--expand", "0,0,0,0"], "every side is 0"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--expand", "0,3000,0,0"], "0 to 2048 pixels"),
    (["--model", "flux-pro-1.1", "--image", "{image}", "--mask", "{mask}"], "FLUX1.1 [pro] takes no mask"),
    (["--model", "flux-kontext-pro", "--image", "{image}", "--mask", "{mask}"], "takes no mask"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--mask", "{mask}"], "takes no mask"),
    (["--model", "flux-pro-1.0-fill", "--image", "{image}", "--expand", "0,8,0,0"], "adds no pixels"),
    (["--model", "flux-pro-1.0-fill", "--image", "{image}"], "needs a mask"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}"], "needs the pixels to add"),
    (["--model", "flux-pro-1.0-fill", "--image", "{missing}", "--mask", "{mask}"],
     "--image {missing} is no longer there"),
    (["--model", "flux-pro-1.0-fill", "--image", "{image}", "--mask", "{missing}"],
     "--mask {missing} is no longer there"),
    (["--model", "flux-pro-1.0-fill", "--image", "{text}", "--mask", "{mask}"], "is not an image"),
    (["--model", "flux-pro-1.0-fill", "--mask", "{mask}"], "--mask: give the image to edit with --image"),
    (["--model", "flux-pro-1.0-expand", "--expand", "0,8,0,0"], "--expand: give the image to edit with --image"),
    (["--model", "flux-2-pro", "--image", "{image}", "--mask", "{mask}", "--width", "512", "--height", "512"],
     "an edit has the size of its image"),
    (["--model", "flux-2-pro", "--image", "{image}", "--mask", "{mask}", "--input-image", "{image}"], "not both"),
    (["--model", "flux-pro-1.0-fill", "--input-image", "{image}"], "give it with --image"),
    (["--model", "flux-pro-1.0-fill", "--image", "{image}", "--mask", "{mask}", "--steps", "10"], "from 15 to 50"),
    (["--model", "flux-pro-1.0-expand", "--image", "{image}", "--expand", "0,8,0,0", "--guidance", "101"],
     "from 1.5 to 100"),
]


@pytest.mark.parametrize(("args", "words"), REFUSALS, ids=[f"{i}" for i in range(len(REFUSALS))])
@pytest.mark.parametrize("command", ["generate", "estimate"])
def test_refusals_exit_2_in_words_and_send_nothing(sim: Simulator, files, tmp_path, capsys, command, args,
                                                   words) -> None:
    names = {**files, "missing": str(tmp_path / "gone.png")}
    filled = [arg.format(**names) for arg in args]
    extra = ["--prompt", "a boat"] if command == "generate" else []
    assert main([command, *extra, *filled]) == 2
    err = capsys.readouterr().err
    assert words.format(**names) in err, err
    assert err.startswith(f"fluxdesk {command}: ")
    assert sim.counters_snapshot().post_requests == 0


def test_a_local_edit_asked_for_in_jpeg_is_refused_it_is_saved_as_png(sim: Simulator, files, capsys) -> None:
    assert main(["generate", "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"],
                 "--prompt", "a boat", "--output-format", "jpeg"]) == 2
    assert "a local edit is saved as PNG" in capsys.readouterr().err
    assert sim.counters_snapshot().post_requests == 0


def test_compare_prices_a_local_edit_by_its_crop_at_every_provider(files, capsys) -> None:
    assert main(["estimate", "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"], "--compare",
                 "--json"]) == 0
    rows = {row["provider"]: row for row in json.loads(capsys.readouterr().out)["providers"]}
    # the 512×512 crop, output and reference: 1 MP each wherever a megapixel is billed whole
    assert rows["BFL"]["usd_per_image"] == 0.045
    assert all(row["usd_per_image"] < 0.08 for row in rows.values()), rows


def test_reproduce_sends_the_image_and_mask_again_and_gives_the_same_file(sim: Simulator, files, capsys) -> None:
    line = generate(capsys, "--model", "flux-2-pro", "--image", files["image"], "--mask", files["mask"])
    assert main(["reproduce", line["path"]]) == 0
    out = capsys.readouterr().out
    assert "the image data is identical to the original's" in out
    assert "sent the same image to edit and its mask again, byte for byte, from the library" in out
    first, second = (sim.task(task_id).body for task_id in sim.task_ids())
    assert first["input_image"] == second["input_image"] and (first["width"], first["height"]) == (512, 512)
