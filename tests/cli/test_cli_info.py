"""`fluxdesk info PATH`: what made an image, read from the file itself."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_support import make_image
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from fluxdesk.cli import info as info_cli
from fluxdesk.cli import main
from fluxdesk.core.metadata import ImageRecord, build_record
from fluxdesk.core.request import GenerationRequest
from fluxdesk.storage.metadata_io import embed_metadata

A1111_TEXT = ("a castle on a hill, golden hour\nNegative prompt: blurry, low quality\n"
              "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x768, Model: sdxl_base, Clip skip: 2")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLUXDESK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def fox_record(**request: Any) -> ImageRecord:
    fields: dict[str, Any] = {"model": "flux-dev", "prompt": "a red fox in the snow", "seed": 42, "width": 1024,
                              "height": 768, "steps": 28, "guidance": 3.0, "safety_tolerance": 2}
    fields.update(request)
    req = GenerationRequest(**fields)
    result = {"prompt": "A red fox standing in deep snow", "seed": 42, "start_time": 1778311000.5,
              "end_time": 1778311004.0, "duration": 3.5}
    return build_record(req, result, job_id="job-1", task_id="task-1", cost_credits=Decimal("2.5"), demo=False,
                        created_at=datetime(2026, 5, 9, 7, 35, 25, tzinfo=UTC))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def info(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["info", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_json_of_a_fluxdesk_record(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, f"fox.{fmt.lower()}", embed_metadata(make_image(fmt), fox_record()))
    code, out, err = info(capsys, str(path), "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "path": str(path), "source": "fluxdesk", "model": "flux-dev", "prompt": "a red fox in the snow",
        "prompt_used": "A red fox standing in deep snow", "seed": 42, "width": 1024, "height": 768,
        "aspect_ratio": None, "steps": 28, "guidance": 3.0,
        "parameters": {"seed": 42, "width": 1024, "height": 768, "steps": 28, "guidance": 3.0,
                       "safety_tolerance": 2},
        "cost_credits": 2.5, "cost_usd": 0.025, "job_id": "job-1", "task_id": "task-1",
        "created_at": "2026-05-09T07:35:25.000000Z", "start_time": 1778311000.5, "end_time": 1778311004.0,
        "duration": 3.5, "output_format": None, "input_images": 0, "references": [], "truncated": False,
        "demo": False, "project": None,
        "reproducible": True,
        "reproducible_reason": "same model, prompt, seed and parameters: running it again should give the same image",
    }


def test_readable_output_of_a_fluxdesk_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "fox.png", embed_metadata(make_image("PNG"), fox_record()))
    code, out, _ = info(capsys, str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == str(path)
    for expected in ("  model        FLUX.1 [dev] (flux-dev)", "  prompt       a red fox in the snow",
                     "  prompt used  A red fox standing in deep snow", "  seed         42",
                     "  size         1024×768", "  steps        28", "  guidance     3",
                     "  parameters   safety_tolerance=2", "  cost         2.5 credits ($0.025)",
                     "  job id       job-1", "  BFL task id  task-1", "  created      2026-05-09 07:35:25 UTC",
                     "  timings      started 2026-05-09 07:16:40 UTC, ended 2026-05-09 07:16:44 UTC, took 3.5 s"):
        assert expected in lines, (expected, out)
    assert lines[-1].startswith("  reproducible yes: ")
    assert "demo" not in out


def test_same_prompt_used_is_not_repeated_and_demo_is_marked(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    record = ImageRecord(model="flux-pro-1.1-ultra", prompt="line one\nline two", prompt_used="line one\nline two",
                         seed=7, aspect_ratio="21:9", demo=True, cost_credits=Decimal(6))
    path = write(tmp_path, "ultra.jpg", embed_metadata(make_image("JPEG"), record))
    code, out, _ = info(capsys, str(path))
    assert code == 0
    assert "prompt used" not in out
    assert "  prompt       line one\n               line two\n" in out  # continuation lines stay aligned
    assert "  size         aspect ratio 21:9" in out and "  cost         6 credits ($0.06)" in out
    assert "  demo         yes: made on the offline simulator, not by BFL" in out


@pytest.mark.parametrize(("request_fields", "reproducible", "words"), [
    ({"model": "flux-2-flex", "steps": 50, "guidance": 4.5}, False, "FLUX.2 [flex] turns it on by default"),
    ({"model": "flux-2-flex", "steps": 50, "guidance": 4.5, "prompt_upsampling": False}, True, "same model"),
    ({"model": "flux-dev", "prompt_upsampling": True}, False, "prompt upsampling was on: the server rewrites"),
    # FLUX.2 [pro]/[max] upsample unless sent disable_pup: true; a record sent without it was upsampled.
    ({"model": "flux-2-pro", "steps": None, "guidance": None}, False, "FLUX.2 [pro] turns it on by default"),
    ({"model": "flux-2-pro", "steps": None, "guidance": None, "disable_pup": True}, True, "same model"),
    ({"model": "flux-2-max", "steps": None, "guidance": None, "disable_pup": False}, False,
     "prompt upsampling was on: the server rewrites"),
    ({"seed": None}, True, "same model"),  # BFL's result said which seed it used
])
def test_reproducible_unless_the_prompt_was_upsampled(request_fields: dict[str, Any], reproducible: bool,
                                                      words: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "x.png", embed_metadata(make_image("PNG"), fox_record(**request_fields)))
    code, out, _ = info(capsys, str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["reproducible"] is reproducible and words in data["reproducible_reason"]


def test_without_a_seed_or_with_unnamed_references_it_cannot_be_reproduced(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    record = ImageRecord(model="flux-kontext-pro", prompt="make it blue", input_images=1)
    path = write(tmp_path, "k.png", embed_metadata(make_image("PNG"), record))
    code, out, _ = info(capsys, str(path), "--json")
    reason = json.loads(out)["reproducible_reason"]
    assert code == 0 and "no seed was recorded" in reason
    assert "1 reference image(s) that no record names, so FluxDesk cannot send them again" in reason
    record = ImageRecord(model="flux-9000", prompt="p", seed=1)
    path = write(tmp_path, "u.png", embed_metadata(make_image("PNG"), record))
    info(capsys, str(path), "--json")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "flux-9000 (not a model FluxDesk knows)" in out and "reproducible no: FluxDesk does not know" in out


def a1111_png() -> bytes:
    text = PngInfo()
    text.add_text("parameters", A1111_TEXT)
    out = io.BytesIO()
    Image.new("RGB", (32, 48), (10, 20, 30)).save(out, "PNG", pnginfo=text)
    return out.getvalue()


def test_a1111_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "castle.png", a1111_png())
    code, out, err = info(capsys, str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data == {
        "path": str(path), "source": "a1111", "prompt": "a castle on a hill, golden hour",
        "negative_prompt": "blurry, low quality", "seed": 1234, "width": 512, "height": 768, "steps": 20,
        "guidance": 7.0, "model": "sdxl_base", "sampler": "Euler a",
        "extra": {"Steps": "20", "Sampler": "Euler a", "CFG scale": "7", "Seed": "1234", "Size": "512x768",
                  "Model": "sdxl_base", "Clip skip": "2"},
        "reproducible": False, "reproducible_reason": data["reproducible_reason"],
    }
    code, out, _ = info(capsys, str(path))
    assert code == 0
    for expected in ("  prompt       a castle on a hill, golden hour", "  negative     blurry, low quality",
                     "  model        sdxl_base", "  sampler      Euler a", "  seed         1234",
                     "  size         512×768", "  steps        20", "  guidance     7", "  other        Clip skip: 2"):
        assert expected in out.splitlines(), (expected, out)
    assert "A1111-style parameters" in out and "reproducible no:" in out


def test_an_image_without_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "plain.png", make_image("PNG"))
    code, out, err = info(capsys, str(path))
    assert (code, out) == (1, "")
    assert err == (f"fluxdesk info: no generation parameters found in {path}: it is an image, "
                   "but no FluxDesk or A1111 metadata\n")


@pytest.mark.parametrize("content", [b"just some notes\n", b"", b"\x89PN"])
def test_a_file_that_is_not_an_image(content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "notes.png", content)
    code, out, err = info(capsys, str(path), "--json")
    # --json answers with one JSON object even then: the error in words, and a non-zero exit.
    assert code == 1 and json.loads(out) == {"path": str(path), "error": err.removeprefix("fluxdesk info: ").strip()}
    assert f"{path} is not an image" in err


def test_a_damaged_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "cut.png", make_image("PNG")[:40] + b"\xff" * 30)
    code, out, err = info(capsys, str(path))
    assert (code, out) == (1, "") and "cannot read the metadata in" in err and "damaged PNG" in err


def test_a_file_too_large_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "big.png", embed_metadata(make_image("PNG"), fox_record()))
    monkeypatch.setattr(info_cli, "MAX_READ_BYTES", 1024 * 1024 if path.stat().st_size > 1024 * 1024 else 100)
    code, _, err = info(capsys, str(path))
    assert code == 1 and "too large" in err


def test_a_missing_path_or_a_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = info(capsys, str(tmp_path / "nope.png"))
    assert (code, out) == (2, "") and err == f"fluxdesk info: {tmp_path / 'nope.png'} does not exist\n"
    code, _, err = info(capsys, str(tmp_path / "nope" / "deeper.png"))
    assert code == 2 and "does not exist" in err
    code, _, err = info(capsys, str(tmp_path))
    assert code == 2 and "is a folder" in err


def _edit_record(*shas: str, demo: bool = False) -> ImageRecord:
    from fluxdesk.core.request import InputImage

    refs = tuple(InputImage(sha256=sha, width=1182, height=886, source=f"photo{i}.jpg") for i, sha in enumerate(shas))
    return replace(fox_record(model="flux-2-pro", steps=None, guidance=None, disable_pup=True, input_images=refs),
                   demo=demo)


def test_the_references_and_whether_the_library_still_holds_them(home: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from fluxdesk.storage.library import Library

    with Library.open(home) as library:
        kept, _path = library.store_reference(make_image("JPEG"), "jpg")
    lost = "ab" * 32
    path = write(tmp_path, "edit.png", embed_metadata(make_image("PNG"), _edit_record(kept, lost)))
    code, out, _ = info(capsys, str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["input_images"] == 2
    assert data["references"] == [{"sha256": kept, "width": 1182, "height": 886, "in_library": True},
                                  {"sha256": lost, "width": 1182, "height": 886, "in_library": False}]
    assert data["reproducible"] is False
    assert data["reproducible_reason"] == "image 2 is no longer in the library, so it cannot be sent again"
    code, out, _ = info(capsys, str(path))
    assert f"  references   image 1  1182×886  sha256 {kept}  (in the library)" in out.splitlines()
    assert f"               image 2  1182×886  sha256 {lost}  (no longer in the library)" in out.splitlines()
    # A demo image's references are looked for in the demo library, which is not on this machine here.
    path = write(tmp_path, "demo-edit.png", embed_metadata(make_image("PNG"), _edit_record(kept, demo=True)))
    code, out, _ = info(capsys, str(path), "--json")
    data = json.loads(out)
    assert [r["in_library"] for r in data["references"]] == [None] and data["reproducible"] is True
    code, out, _ = info(capsys, str(path))
    assert "(library not on this machine)" in out
    assert not (home / "demo").exists()  # looked at, never created
