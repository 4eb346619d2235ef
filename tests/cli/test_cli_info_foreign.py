"""`fluxdesk info` on files other tools made (ComfyUI's PNGs), and its one-JSON-object answer whatever happens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyui_support import (
    FLUX2_PRO_WITH_IMAGE_API,
    FLUX_CHECKPOINT_UI,
    FLUX_DEV_API,
    FLUX_DEV_UI,
    FOX,
    SDXL_API,
    TWO_BFL_NODES_API,
    ULTRA_API,
    ULTRA_UI,
    UPSCALE_ONLY_API,
    comfy_png,
)

from fluxdesk.cli import main

NOTHING = "ComfyUI workflow found; no FLUX parameters FluxDesk can use"


def info(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["info", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_comfyui_bfl_node_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "ComfyUI_00001_.png", comfy_png(ULTRA_API, ULTRA_UI))
    code, out, err = info(capsys, str(path), "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "path": str(path), "source": "comfyui", "graph": "prompt",
        "found": "the BFL API node FluxProUltraImageNode (node 1)", "model": "flux-pro-1.1-ultra", "model_file": None,
        "prompt": FOX, "seed": 4242, "width": None, "height": None, "aspect_ratio": "21:9", "steps": None,
        "guidance": None, "parameters": {"prompt_upsampling": False, "raw": True}, "not_mapped": [],
        "reinterpreted": [], "reproducible": False, "reproducible_reason": json.loads(out)["reproducible_reason"],
    }
    code, out, _ = info(capsys, str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == str(path)
    source = "  source       ComfyUI (the prompt graph it ran): the BFL API node FluxProUltraImageNode (node 1)"
    for expected in (source, "  model        FLUX1.1 [pro] Ultra (flux-pro-1.1-ultra)", f"  prompt       {FOX}",
                     "  seed         4242", "  size         aspect ratio 21:9",
                     "  parameters   prompt_upsampling=False, raw=True"):
        assert expected in lines, (expected, out)
    assert lines[-1] == ("  reproducible no: read from ComfyUI's BFL node: the graph records what was asked, not the "
                         "seed and prompt BFL used")


def test_a_bfl_node_with_an_input_image_names_what_did_not_map(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "sofa.png", comfy_png(FLUX2_PRO_WITH_IMAGE_API))
    code, out, _ = info(capsys, str(path))
    assert code == 0
    assert ("  not mapped   the input image (images): FluxDesk cannot take images from a ComfyUI file; add them as "
            "references") in out.splitlines()
    assert "  parameters   disable_pup=True" in out.splitlines() and "  size         1000×770" in out.splitlines()


@pytest.mark.parametrize(("prompt", "workflow", "graph", "seed", "size"), [
    (FLUX_DEV_API, FLUX_DEV_UI, "prompt", 219670278747233, (1024, 768)),
    (None, FLUX_DEV_UI, "workflow", 219670278747233, (1024, 768)),
    (None, FLUX_CHECKPOINT_UI, "workflow", 972054013131368, (832, 1216)),
])
def test_a_plain_flux_graph_png(prompt: str | None, workflow: str | None, graph: str, seed: int,
                                size: tuple[int, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "flux.png", comfy_png(prompt, workflow))
    code, out, err = info(capsys, str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["source"], data["graph"], data["model"], data["prompt"]) == ("comfyui", graph, "flux-dev", FOX)
    assert (data["seed"], data["width"], data["height"], data["steps"], data["guidance"]) == (seed, *size, 20, 3.5)
    code, out, _ = info(capsys, str(path))
    lines = out.splitlines()
    assert code == 0 and "  model        FLUX.1 [dev] (flux-dev)" in lines and "  guidance     3.5" in lines
    assert any(line.startswith("  read as      the model file") for line in lines)
    assert lines[-1].endswith("BFL's servers sample differently, so the same seed gives a different image")


@pytest.mark.parametrize(("text", "words", "prompt"), [
    (SDXL_API, 'its model "sd_xl_base_1.0.safetensors" is not a FLUX model', "a lighthouse on a cliff at dusk"),
    (UPSCALE_ONLY_API, "it holds neither a BFL API node nor a sampler", None),
    (TWO_BFL_NODES_API, "FluxDesk will not guess which one made this image", None),
])
def test_a_comfyui_png_with_nothing_usable(text: str, words: str, prompt: str | None, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "other.png", comfy_png(text))
    code, out, err = info(capsys, str(path))
    assert code == 1
    assert err.startswith(f"fluxdesk info: no generation parameters FluxDesk can use in {path}: {NOTHING}: ")
    assert words in err
    if prompt is None:
        assert out == ""
    else:  # the obvious prompt is still shown
        assert out.splitlines() == [str(path), f"  found        {NOTHING}", f"  prompt       {prompt}"]
    code, out, _ = info(capsys, str(path), "--json")
    data = json.loads(out)
    assert code == 1 and data["source"] == "comfyui" and data["prompt"] == prompt
    assert NOTHING in data["error"] and words in data["found"][0]


# --- --json answers with one JSON object, whatever happens ----------------------------------------------------

def test_json_answers_even_for_a_missing_file_a_folder_and_a_plain_image(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.png"
    code, out, err = info(capsys, str(missing), "--json")
    assert code == 2 and json.loads(out) == {"path": str(missing), "error": f"{missing} does not exist"}
    assert err == f"fluxdesk info: {missing} does not exist\n"
    code, out, _ = info(capsys, str(tmp_path), "--json")
    assert code == 2 and json.loads(out)["error"] == f"{tmp_path} is a folder, not an image file"
    plain = write(tmp_path, "plain.png", comfy_png())
    code, out, _ = info(capsys, str(plain), "--json")
    assert code == 1 and json.loads(out) == {
        "path": str(plain), "found": [],
        "error": f"no generation parameters found in {plain}: it is an image, but no FluxDesk or A1111 metadata"}


def test_json_answers_for_a_damaged_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "cut.png", comfy_png()[:40] + b"\xff" * 30)
    code, out, err = info(capsys, str(path), "--json")
    data = json.loads(out)
    assert code == 1 and data["path"] == str(path) and "damaged PNG" in data["error"] and "damaged PNG" in err
