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

_READ_BY_SD_PARSERS: list[Image.Image] = []


def sd_parsers_read(path: Path) -> PromptInfo | None:
    """sd-parsers' reading of a file (``ParserManager().parse``).

    sd-parsers 0.6 keeps the last image's EXIF UserComment in a module-level cache keyed by ``id()`` of the
    PIL image: a new image that happens to get a freed one's address is given the old one's comment (seen
    here, now and then, as a JPEG read with another file's settings). Every image read is kept alive, so no
    two share an id."""
    image = Image.open(path)
    _READ_BY_SD_PARSERS.append(image)
    with image:
        return ParserManager().parse(image)


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
    check_sd_parsers(sd_parsers_read(image.exported), image)


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
        check_sd_parsers(sd_parsers_read(path), image)
        entry = tags[path.name]
        assert entry["ExifIFD:UserComment"].startswith(PROMPT + "\nSteps: ")
        assert entry["XMP-iptcExt:DigitalSourceType"] == (AI_COMPOSITE if name == "edit" else AI_GENERATED)
        assert entry["XMP-xmp:CreatorTool"] == CREATOR and entry["XMP-dc:Description"] == PROMPT
        assert validation[path.name]["ExifTool:Validate"] == "OK", validation[path.name]


# --- files that already carry metadata, and records too big for a JPEG segment -------------------

def _with_camera_exif(path: Path, *extra: str) -> None:
    """What a camera or an editor leaves: EXIF written by exiftool, little-endian, with GPS and an author."""
    out = subprocess.run([_exiftool(), "-q", "-overwrite_original", "-ExifByteOrder=II", "-Make=Canon",
                          "-Model=EOS R5", "-Orientation#=6", "-Artist=Ana", "-DateTimeOriginal=2024:01:02 03:04:05",
                          "-GPSLatitude=48.8566", "-GPSLatitudeRef=N", "-InteropIndex=R98", *extra, str(path)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr


_OURS = {"IFD0:Software", "ExifIFD:UserComment", "ExifIFD:ExifImageWidth", "ExifIFD:ExifImageHeight",
         "File:ExifByteOrder", "IFD1:ThumbnailOffset"}
"""What FluxDesk sets in a block it merges into (the thumbnail moves: the block is laid out anew)."""


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_an_exif_block_already_in_the_file_is_merged_into(fmt: str, tmp_path: Path) -> None:
    """Every tag of the file's own EXIF (and a JPEG's thumbnail) is kept; the block becomes big-endian, as
    the UTF-16BE comment needs, and gains the UserComment, Software and the tags EXIF requires."""
    original = tmp_path / f"camera.{EXTENSIONS[fmt]}"
    original.write_bytes(bfl_image(fmt, (640, 480)))
    thumbnail = tmp_path / "thumb.jpg"
    thumbnail.write_bytes(bfl_image("jpeg", (160, 120)))
    _with_camera_exif(original, *([f"-ThumbnailImage<={thumbnail}"] if fmt == "jpeg" else []))
    record = ImageRecord(model="flux-2-klein-9b", prompt=PROMPT, seed=9, width=640, height=480, output_format=fmt)
    embedded = tmp_path / f"embedded.{EXTENSIONS[fmt]}"
    from fluxdesk.storage.metadata_io import embed_metadata

    embedded.write_bytes(embed_metadata(original.read_bytes(), record))
    tags = _exiftool_json("-EXIF:all", "-File:ExifByteOrder", original, embedded)
    before, after = tags[original.name], tags[embedded.name]
    assert before["File:ExifByteOrder"].startswith("Little-endian") and after["File:ExifByteOrder"].startswith("Big")
    kept = {key: value for key, value in before.items() if ":" in key and key not in _OURS}
    assert kept["IFD0:Artist"] == "Ana" and "GPS:GPSLatitude" in kept and kept["InteropIFD:InteropIndex"]
    assert {key: after.get(key) for key in kept} == kept
    assert after["ExifIFD:UserComment"].startswith(PROMPT + "\nSteps: 0, Sampler: BFL API, Seed: 9, Size: 640x480")
    assert after["IFD0:Software"] == CREATOR
    if fmt == "jpeg":
        assert kept["IFD1:ThumbnailLength"] > 0
        thumbs = [subprocess.run([_exiftool(), "-b", "-ThumbnailImage", str(p)], capture_output=True, timeout=60,
                                 check=True).stdout for p in (original, embedded)]
        assert thumbs[0] and thumbs[0] == thumbs[1]
    assert _exiftool_json("-validate", "-warning", embedded)[embedded.name]["ExifTool:Validate"] == "OK"
    assert pixels(embedded.read_bytes()) == pixels(original.read_bytes())
    info = sd_parsers_read(embedded)
    assert info is not None and info.full_prompt == PROMPT and info.samplers[0].parameters["seed"] == "9"


def test_an_exif_block_that_cannot_be_rewritten_safely_is_kept_byte_for_byte(tmp_path: Path) -> None:
    """Maker notes hold offsets of their own that moving them would break: such a block stays exactly as
    it was, without the UserComment (so the A1111 readers find nothing there); the XMP still carries the
    AI marker, the prompt and the record."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8769)[0x927C] = b"\x00\x01" * 40  # a MakerNote
    block = exif.tobytes()
    img = Image.new("RGB", (64, 48), "teal")
    out = io.BytesIO()
    img.save(out, "JPEG", exif=block)
    original = out.getvalue()
    from fluxdesk.storage.metadata_io import embed_metadata

    record = ImageRecord(model="flux-2-pro", prompt=PROMPT, seed=3, width=64, height=48)
    embedded = embed_metadata(original, record)
    assert embedded.count(block) == 1  # the whole APP1 payload, untouched
    path = tmp_path / "maker.jpg"
    path.write_bytes(embedded)
    tags = _exiftool_json(path)[path.name]
    assert tags["IFD0:Make"] == "Canon" and "ExifIFD:UserComment" not in tags
    assert tags["XMP-iptcExt:DigitalSourceType"] == AI_GENERATED and tags["XMP-xmp:CreatorTool"] == CREATOR
    assert tags["XMP-dc:Description"] == PROMPT
    assert sd_parsers_read(path) is None
    assert read_metadata(embedded)[0] == record


def test_a_record_too_big_for_a_jpeg_segment_is_shortened_but_never_its_marker(tmp_path: Path) -> None:
    """A JPEG segment holds 64 KiB: an enormous prompt is cut (in the record, the description and the A1111
    text, whose settings line stays whole), and the marker and the creator tool are always there."""
    references = tuple(InputImage(width=64, height=64, sha256=f"{i:064x}") for i in range(8))
    request = GenerationRequest(model="flux-2-pro", prompt="雪の灯台 " * 40_000, seed=5, width=1024, height=768,
                                input_images=references, output_format="jpeg")
    record = build_record(request, {"seed": 5}, job_id="j", task_id="t", cost_credits=Decimal(3), demo=False,
                          created_at=T0)
    from fluxdesk.storage.metadata_io import MAX_APP_PAYLOAD, embed_metadata

    embedded = embed_metadata(bfl_image("jpeg", (1024, 768)), record)
    path = tmp_path / "huge.jpg"
    path.write_bytes(embedded)
    tags = _exiftool_json(path)[path.name]
    assert tags["XMP-iptcExt:DigitalSourceType"] == AI_COMPOSITE and tags["XMP-xmp:CreatorTool"] == CREATOR
    assert request.prompt.startswith(tags["XMP-dc:Description"]) and len(tags["XMP-dc:Description"]) >= 500
    found = from_json(tags["XMP-fluxdesk:Record"])
    assert found.truncated and found.seed == 5 and found.references == record.references
    info = sd_parsers_read(path)
    assert info is not None and request.prompt.strip().startswith(info.full_prompt)
    assert info.samplers[0].parameters["seed"] == "5" and info.metadata["Size"] == "1024x768"
    assert _exiftool_json("-validate", "-warning", path)[path.name]["ExifTool:Validate"] == "OK"
    segments, pos = [], 2
    while embedded[pos + 1] != 0xDA:
        length = int.from_bytes(embedded[pos + 2:pos + 4], "big")
        segments.append(length)
        pos += 2 + length
    assert max(segments) <= MAX_APP_PAYLOAD + 2


def test_the_marker_and_the_creator_fit_even_when_the_record_cannot() -> None:
    from fluxdesk.storage.metadata_io import _fitting_xmp

    record = ImageRecord(model="flux-2-pro", prompt="p " * 1000, seed=1, input_images=2)
    packet = _fitting_xmp(record, 800).decode()
    assert f"<Iptc4xmpExt:DigitalSourceType>{AI_COMPOSITE}</" in packet  # references not named: still an edit
    assert f"<xmp:CreatorTool>{CREATOR}</" in packet and "fluxdesk:record" not in packet


def test_another_tools_xmp_in_a_png_is_kept_after_ours(tmp_path: Path) -> None:
    """A PNG's XMP packet from another tool stays (exiftool reads both, and notes the second as a duplicate:
    the price of not discarding its data); embedding again replaces only FluxDesk's."""
    from PIL import PngImagePlugin

    from fluxdesk.storage.metadata_io import embed_metadata

    theirs = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights><rdf:Alt>'
              '<rdf:li xml:lang="x-default">© Ana</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF>'
              '</x:xmpmeta>')
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", theirs)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "PNG", pnginfo=info)
    record = ImageRecord(model="flux-2-pro", prompt=PROMPT, seed=3, width=64, height=48)
    twice = embed_metadata(embed_metadata(out.getvalue(), record), record)
    assert twice.count(b"XML:com.adobe.xmp") == 2 and twice.count(theirs.encode()) == 1
    path = tmp_path / "theirs.png"
    path.write_bytes(twice)
    tags = _exiftool_json(path)[path.name]
    assert tags["XMP-dc:Rights"] == "© Ana" and tags["XMP-iptcExt:DigitalSourceType"] == AI_GENERATED
    assert tags["XMP-dc:Description"] == PROMPT


def test_the_user_comment_has_the_bytes_automatic1111_writes() -> None:
    """``piexif.helper.UserComment.dump(text, encoding="unicode")``, which A1111 uses: the 8-byte ``UNICODE\\0``
    prefix, then UTF-16 big-endian without a byte-order mark (surrogate pairs beyond the BMP)."""
    from fluxdesk.storage.metadata_exif import user_comment

    assert user_comment("a é\n🦊") == b"UNICODE\x00" + b"\x00a\x00 \x00\xe9\x00\n\xd8\x3e\xdd\x8a"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_hostile_text_in_a_prompt_still_gives_files_others_read(fmt: str, tmp_path: Path) -> None:
    """NULs, control characters, a lone surrogate, XML's specials: left out or replaced, never a broken file."""
    from fluxdesk.storage.metadata_io import embed_metadata

    record = ImageRecord(model="flux-2-pro", prompt="nul\x00 ctrl\x01 lone\ud800 ]]> <x> &amp; \"q\"", seed=4,
                         width=64, height=48)
    path = tmp_path / f"hostile.{EXTENSIONS[fmt]}"
    path.write_bytes(embed_metadata(bfl_image(fmt, (64, 48)), record))
    assert _exiftool_json("-validate", "-warning", path)[path.name]["ExifTool:Validate"] == "OK"
    tags = _exiftool_json(path)[path.name]
    assert "<x> &amp;" in tags["XMP-dc:Description"] and tags["XMP-iptcExt:DigitalSourceType"] == AI_GENERATED
    info = sd_parsers_read(path)
    assert info is not None and info.samplers[0].parameters["seed"] == "4" and "<x> &amp;" in info.full_prompt
    assert "\x00" not in info.full_prompt


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_a_project_in_the_settings_line_leaves_the_file_readable_by_others(fmt: str, tmp_path: Path) -> None:
    """The project's name (a client's, with a comma and a colon) is one more ``Project:`` pair: sd-parsers still reads
    prompt, seed, size and model, exiftool finds the pair and validates the file."""
    from dataclasses import replace

    model = get_model("flux-2-pro")
    with Library.open(tmp_path / "library") as library:
        request = request_for(model, fmt, edit=False)
        job = library.create_job(request, {}, demo=False, created_at=T0)
        record = replace(build_record(request, {"seed": request.seed}, job_id=job, task_id=None, cost_credits=None,
                                      demo=False, created_at=T0), project="Acme: spring, 2027")
        image = library.store_image(job, bfl_image(fmt, (512, 384)), fmt, record)
    written = Written(model, fmt, False, b"", image.record, image.path, image.path)
    check_sd_parsers(sd_parsers_read(image.path), written)
    tags = _exiftool_json(image.path)[image.path.name]
    parameters = tags["PNG:Parameters"] if fmt == "png" else tags["ExifIFD:UserComment"]
    assert 'Project: "Acme: spring, 2027", Version: ' in parameters
    assert from_json(tags["XMP-fluxdesk:Record"]).project == "Acme: spring, 2027"
    assert _exiftool_json("-validate", "-warning", image.path)[image.path.name]["ExifTool:Validate"] == "OK"
