"""What FluxDesk writes into its images, read back by the tools other people use on them.

Every model of the catalog, in every format it outputs, goes the way a generated image goes: a journalled
job, BFL's bytes (made with Pillow at a plausible size), the record ``build_record`` makes of it, the library
storing the file with its metadata, then the gallery's Export (``export_files``, what its action runs) copying
it out. The exported copies are read by sd-parsers (an A1111 metadata reader from the package registry,
a test dependency) and by exiftool, and checked by ``exiftool -validate``. One more test goes through the
command line against the simulator. exiftool is installed in CI (``.ci/run``): there these tests never skip.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sd_parsers import ParserManager
from sd_parsers.data import Generators, PromptInfo
from storage_support import pixels

import fluxdesk
from fluxdesk.core.catalog import MODELS, AspectRatioSize, Model, get_model
from fluxdesk.core.metadata import STEPS_NOT_APPLICABLE, ImageRecord, build_record, from_json
from fluxdesk.core.request import GenerationRequest, InputImage
from fluxdesk.storage.library import Library
from fluxdesk.storage.metadata_io import AI_COMPOSITE, AI_GENERATED, read_metadata
from fluxdesk.ui.gallery.operations import export_files

PROMPT = "a lighthouse at dawn, été, 灯台: soft light\nfog over the sea"
T0 = datetime(2026, 5, 9, 7, 35, 25, tzinfo=UTC)
CREATOR = f"FluxDesk {fluxdesk.__version__}"
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def _exiftool() -> str:
    """exiftool's path. Missing: skipped on a developer's machine, a failure in CI (which installs it)."""
    found = shutil.which("exiftool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("exiftool is not installed: CI installs libimage-exiftool-perl (.ci/run)")
        pytest.skip("exiftool is not installed (Debian/Ubuntu: apt install libimage-exiftool-perl)")
    return found


def _exiftool_json(*args: str | Path) -> dict[str, dict[str, Any]]:
    """exiftool's JSON output, by file name."""
    out = subprocess.run([_exiftool(), "-j", "-G1", "-a", "-charset", "utf8", *map(str, args)],
                         capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    assert out.stdout, out.stderr
    return {Path(entry["SourceFile"]).name: entry for entry in json.loads(out.stdout)}


# --- making the images as the pipeline does ------------------------------------------------------

def plausible_size(model: Model) -> tuple[int, int]:
    """The size BFL sends for the model's defaults: its default width × height, or its default aspect ratio
    at the model's megapixels (Ultra 16:9 ≈ 4 MP, Kontext 1:1 ≈ 1 MP)."""
    if not isinstance(model.size, AspectRatioSize):
        return model.size.default_width, model.size.default_height
    w, h = (int(n) for n in model.size.default.split(":"))
    area = float(model.size.approx_megapixels) * 1024 * 1024
    return round(math.sqrt(area * w / h) / 32) * 32, round(math.sqrt(area * h / w) / 32) * 32


def bfl_image(fmt: str, size: tuple[int, int]) -> bytes:
    """An image as BFL sends one: no metadata, a gradient so each codec has something to code."""
    x = Image.linear_gradient("L").resize(size)
    y = Image.radial_gradient("L").resize(size)
    img = Image.merge("RGB", (x, y, x.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    img.save(out, fmt.upper(), **({"quality": 90} if fmt != "png" else {}))
    return out.getvalue()


def request_for(model: Model, fmt: str, *, edit: bool) -> GenerationRequest:
    """What the Generate panel would send: the model's default size, the format, a seed, and for an edit
    one reference (an image prompt on FLUX1.1)."""
    sizing: dict[str, Any]
    if isinstance(model.size, AspectRatioSize):
        sizing = {"aspect_ratio": model.size.default}
    else:
        sizing = {"width": model.size.default_width, "height": model.size.default_height}
    references = (InputImage(width=1024, height=768, sha256="ab" * 32, source="mug.jpg"),) if edit else ()
    return GenerationRequest(model=model.id, prompt=PROMPT, seed=1000 + MODELS.index(model), output_format=fmt,
                             input_images=references, **sizing)


@dataclass(frozen=True)
class Written:
    model: Model
    fmt: str
    edit: bool
    bfl_bytes: bytes
    """The image as BFL sent it."""
    record: ImageRecord
    """What the library embedded."""
    stored: Path
    exported: Path

    @property
    def size(self) -> tuple[int, int]:
        return self.record.width or 0, self.record.height or 0


CASES = [(model.id, fmt, edit) for edit in (False, True) for model in MODELS for fmt in model.output_formats
         if not edit or model.takes_references]


def case_id(case: tuple[str, str, bool]) -> str:
    return f"{case[0]}-{case[1]}" + ("-edit" if case[2] else "")


def store(library: Library, model: Model, fmt: str, *, edit: bool) -> tuple[bytes, ImageRecord, Path]:
    """One image the way the pipeline stores it: job, submission, BFL's result, the library's file."""
    request = request_for(model, fmt, edit=edit)
    job = library.create_job(request, {}, demo=False, created_at=T0)
    assert library.mark_submitting(job)
    library.record_submission(job, f"task-{job[:8]}", None, Decimal("4.5"))
    size = plausible_size(model)
    if edit:  # edits need not be big to say they are edits
        size = (size[0] // 2 // 16 * 16, size[1] // 2 // 16 * 16)
    data = bfl_image(fmt, size)
    record = build_record(request, {"seed": request.seed, "prompt": PROMPT.upper(), "duration": 3.25},
                          job_id=job, task_id=None, cost_credits=None, demo=False, created_at=T0)
    image = library.store_image(job, data, fmt, record)
    return data, image.record, image.path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str, bool], Written]]:
    home = tmp_path_factory.mktemp("ecosystem")
    library = Library.open(home / "library")
    try:
        stored = {case: store(library, get_model(case[0]), case[1], edit=case[2]) for case in CASES}
    finally:
        library.close()
    made, problems = export_files([path for _, _, path in stored.values()], home / "exported")
    assert problems == [] and len(made) == len(CASES)
    by_name = {path.name: path for path in made}
    yield {case: Written(get_model(case[0]), case[1], case[2], data, record, path, by_name[path.name])
           for case, (data, record, path) in stored.items()}


@pytest.fixture(scope="module")
def exiftool_tags(written: dict[tuple[str, str, bool], Written]) -> dict[str, dict[str, Any]]:
    return _exiftool_json(*(w.exported for w in written.values()))


@pytest.fixture(scope="module")
def exiftool_validation(written: dict[tuple[str, str, bool], Written]) -> dict[str, dict[str, Any]]:
    return _exiftool_json("-validate", "-warning", *(w.exported for w in written.values()))


# --- what is written, read by others -------------------------------------------------------------

def a1111_settings(model: Model, image: Written) -> dict[str, str]:
    """The settings line FluxDesk writes, as the pairs a reader finds in it."""
    steps = model.steps.default if model.steps else STEPS_NOT_APPLICABLE
    pairs = {"Steps": str(steps), "Sampler": "BFL API", "Seed": str(image.record.seed),
             "Size": f"{image.size[0]}x{image.size[1]}", "Model": model.id}
    if model.guidance:
        pairs["CFG scale"] = f"{model.guidance.default:g}"
    return pairs


def check_sd_parsers(info: PromptInfo | None, image: Written) -> None:
    assert info is not None, f"sd-parsers found no A1111 metadata in {image.exported.name}"
    assert info.generator is Generators.AUTOMATIC1111
    assert info.full_prompt == PROMPT and info.full_negative_prompt == ""
    [sampler] = info.samplers
    expected = a1111_settings(image.model, image)
    assert sampler.name == expected["Sampler"]
    assert sampler.model is not None and sampler.model.name == image.model.id
    assert sampler.parameters["seed"] == expected["Seed"] and sampler.parameters["steps"] == expected["Steps"]
    assert sampler.parameters.get("cfg_scale") == expected.get("CFG scale")
    assert info.metadata["Size"] == expected["Size"] and info.metadata["Version"] == CREATOR


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_an_a1111_reader_reads_prompt_seed_size_and_model(case: tuple[str, str, bool],
                                                           written: dict[tuple[str, str, bool], Written]) -> None:
    """sd-parsers reads PNG text chunks and, in JPEG and WebP, the EXIF UserComment (its extractors for
    those formats read nothing else): every model and format gives the prompt, seed, size and model."""
    image = written[case]
    check_sd_parsers(ParserManager().parse(image.exported), image)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_exiftool_reads_the_parameters_the_ai_marker_and_the_creator(
        case: tuple[str, str, bool], written: dict[tuple[str, str, bool], Written],
        exiftool_tags: dict[str, dict[str, Any]]) -> None:
    image = written[case]
    tags = exiftool_tags[image.exported.name]
    assert tags["File:MIMEType"] == f"image/{image.fmt}"
    parameters = tags["PNG:Parameters"] if image.fmt == "png" else tags["ExifIFD:UserComment"]
    prompt, settings = parameters.rsplit("\n", 1)
    assert prompt == PROMPT and settings.startswith("Steps: ")
    for key, value in a1111_settings(image.model, image).items():
        assert f"{key}: {value}," in settings + ","
    assert tags["XMP-iptcExt:DigitalSourceType"] == (AI_COMPOSITE if image.edit else AI_GENERATED)
    assert tags["XMP-xmp:CreatorTool"] == CREATOR
    assert tags["XMP-dc:Description"] == PROMPT
    assert from_json(tags["XMP-fluxdesk:Record"]) == image.record
    if image.fmt != "png":
        assert tags["IFD0:Software"] == CREATOR
        assert (tags["ExifIFD:ExifImageWidth"], tags["ExifIFD:ExifImageHeight"]) == image.size


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_exiftool_validation_warns_of_nothing(case: tuple[str, str, bool],
                                              written: dict[tuple[str, str, bool], Written],
                                              exiftool_validation: dict[str, dict[str, Any]]) -> None:
    report = exiftool_validation[written[case].exported.name]
    assert report["ExifTool:Validate"] == "OK", report
    assert not [key for key in report if "Warning" in key or "Error" in key], report


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pixels_untouched_and_fluxdesk_reads_its_own_back(case: tuple[str, str, bool],
                                                          written: dict[tuple[str, str, bool], Written]) -> None:
    image = written[case]
    exported = image.exported.read_bytes()
    assert exported == image.stored.read_bytes()  # Export copies the file, metadata and all
    assert pixels(exported) == pixels(image.bfl_bytes)
    record, a1111 = read_metadata(exported)
    assert record == image.record and record.model == image.model.id and record.prompt == PROMPT
    assert a1111 is not None and a1111["prompt"] == PROMPT and a1111["negative_prompt"] is None
    assert (a1111["seed"], a1111["width"], a1111["height"], a1111["model"]) == (
        image.record.seed, *image.size, image.model.id)


# --- the command line, against the simulator ------------------------------------------------------

def test_images_generated_on_the_command_line_carry_it_all(tmp_path: Path) -> None:
    """``fluxdesk generate`` against the simulator on loopback, a plain image and an edit made from a
    reference: the files it saves are read by sd-parsers and exiftool, and validate clean."""
    from fluxdesk.sim import SimConfig, Simulator

    mug = tmp_path / "mug.png"
    mug.write_bytes(bfl_image("png", (320, 240)))
    sim = Simulator(SimConfig(latency=0.1, max_output_pixels=1024 * 1024)).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUXDESK_", "BFL_"))}
        env.update(FLUXDESK_HOME=str(tmp_path / "home"), FLUXDESK_API_BASE=sim.api_base,
                   BFL_API_KEY="bfl_ecosystem-test-key-0123", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
        runs = {"plain": ["--model", "flux-pro-1.1-ultra", "--aspect-ratio", "3:2"],
                "edit": ["--model", "flux-2-pro", "--output-format", "webp", "--width", "512", "--height", "384",
                         "--input-image", str(mug)]}
        paths = {}
        for name, args in runs.items():
            out = subprocess.run([sys.executable, "-m", "fluxdesk", "generate", "--prompt", PROMPT, "--seed", "77",
                                  *args, "--json"], env=env, capture_output=True, text=True, timeout=120,
                                 check=False)
            assert out.returncode == 0, out.stderr
            paths[name] = Path(json.loads(out.stdout.splitlines()[0])["path"])
    finally:
        sim.stop()
    tags = _exiftool_json(*paths.values())
    validation = _exiftool_json("-validate", "-warning", *paths.values())
    for name, path in paths.items():
        record, _ = read_metadata(path.read_bytes())
        assert record is not None and record.seed == 77
        image = Written(get_model(record.model), record.output_format or "", name == "edit", b"", record, path,
                        path)
        check_sd_parsers(ParserManager().parse(path), image)
        entry = tags[path.name]
        assert entry["ExifIFD:UserComment"].startswith(PROMPT + "\nSteps: ")
        assert entry["XMP-iptcExt:DigitalSourceType"] == (AI_COMPOSITE if name == "edit" else AI_GENERATED)
        assert entry["XMP-xmp:CreatorTool"] == CREATOR and entry["XMP-dc:Description"] == PROMPT
        assert validation[path.name]["ExifTool:Validate"] == "OK", validation[path.name]
