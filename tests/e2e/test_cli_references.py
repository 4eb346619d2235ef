"""Editing with reference images from the command line, end to end: the real CLI in a child process, real image
files made with Pillow, real HTTP on loopback against the simulator, a real library."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest
from e2e_support import (
    camera_jpeg,
    cli_env,
    jobs_in_library,
    json_lines,
    query,
    run_cli,
    scene,
    sent_images,
    sim_library,
    write_image,
)
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MP = 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- what an edit sends, and what it costs --------------------------------------------------------------------

def test_an_edit_sends_each_reference_prepared_in_order_at_the_price_estimate_said(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    photo = camera_jpeg(tmp_path / "in" / "photo.jpg", (2400, 1800), orientation=6)  # shows as 1800×2400
    logo = write_image(tmp_path / "in" / "logo.png", scene((640, 480), seed=2), "PNG")
    refs = ["--input-image", str(photo), "--input-image", str(logo)]
    est = run_cli(env, "estimate", "--model", "flux-2-pro", *refs, "--json")
    assert est.returncode == 0, est.stderr
    priced = json_lines(est.stdout)[0]
    out = run_cli(env, "generate", "--prompt", "the logo of image 2 on the wall of image 1", "--model", "flux-2-pro",
                  *refs, "--seed", "3", "--json")
    assert out.returncode == 0, out.stderr
    [line] = json_lines(out.stdout)
    assert line["status"] == "done"
    [task_id] = sim.task_ids()
    sent = sent_images(sim, task_id)
    assert list(sent) == ["input_image", "input_image_2"]  # in the order given
    first, second = decoded(sent["input_image"]), decoded(sent["input_image_2"])
    body = sim.task(task_id).body
    # No size chosen: the output takes image 1's (upright) aspect ratio at 1 MP, and image 1 is sent upright,
    # downscaled to at most the output's pixels; image 2 is small enough to go at its own size.
    assert body["width"] < body["height"] and body["width"] * body["height"] <= MP
    assert first.width < first.height and first.width * first.height <= body["width"] * body["height"]
    assert abs(first.width / first.height - 1800 / 2400) < 0.01 and first.format == "JPEG"
    assert second.size == (640, 480)
    assert line["references"] == [
        {"sha256": sha256(sent["input_image"]), "width": first.width, "height": first.height, "source": str(photo)},
        {"sha256": sha256(sent["input_image_2"]), "width": 640, "height": 480, "source": str(logo)}]
    # Priced exactly: estimate's figure is BFL's (the simulator's) bill, 3 + 1.5 + 1.5 credits.
    assert priced["credits_per_image"] == line["cost_credits"] == float(sim.task(task_id).cost) == 6
    assert [r["sha256"] for r in priced["references"]] == [r["sha256"] for r in line["references"]]
    # The bytes sent are kept once in the library, by their SHA-256.
    for data in sent.values():
        digest = sha256(data)
        stored = sim_library(tmp_path) / "references" / digest[:2]
        assert [p.read_bytes() for p in stored.glob(f"{digest}.*")] == [data]
    # The image's own metadata names them; info shows them, held by the library.
    info = json_lines(run_cli(env, "info", line["path"], "--json").stdout)[0]
    assert info["references"] == [{"sha256": r["sha256"], "width": r["width"], "height": r["height"],
                                   "in_library": True} for r in line["references"]]
    assert info["reproducible"] is True and info["parameters"]["disable_pup"] is True
    text = run_cli(env, "info", line["path"]).stdout
    assert f"references   image 1  {first.width}×{first.height}  sha256 {line['references'][0]['sha256']}" \
           "  (in the library)" in text
    assert "output " in out.stderr and "image 1's aspect ratio at 1 MP" in out.stderr


def test_estimate_says_what_each_reference_adds(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    photo = camera_jpeg(tmp_path / "photo.jpg", (4032, 3024))
    out = run_cli(env, "estimate", "--model", "flux-2-pro", "--width", "1024", "--height", "1024",
                  "--input-image", str(photo))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "FLUX.2 [pro]: 1 × $0.045 = $0.045  (4.5 credits)"
    assert f"  image 1: {photo} 4032×3024 → sent as 1182×886, 1 MP, +1.5 credits" in out.stdout.splitlines()
    original = run_cli(env, "estimate", "--model", "flux-2-pro", "--width", "1024", "--height", "1024",
                       "--input-image", str(photo), "--reference-size", "original")
    assert f"  image 1: {photo} 4032×3024 → sent as 2364×1773, 4 MP, +6 credits" in original.stdout.splitlines()
    assert "(9 credits)" in original.stdout
    kontext = run_cli(env, "estimate", "--model", "flux-kontext-pro", "--input-image", str(photo))
    assert "(4 credits)" in kontext.stdout and "included in the flat price" in kontext.stdout
    assert sim.counters.post_requests == 0


def test_reference_size_original_sends_up_to_4_mp(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    photo = camera_jpeg(tmp_path / "photo.jpg", (3000, 2000))
    out = run_cli(env, "generate", "--prompt", "image 1 at night", "--model", "flux-2-flex", "--width", "1024",
                  "--height", "1024", "--input-image", str(photo), "--reference-size", "original", "--json")
    assert out.returncode == 0, out.stderr
    sent = decoded(sent_images(sim, sim.task_ids()[0])["input_image"])
    assert MP < sent.width * sent.height <= 4 * MP and abs(sent.width / sent.height - 1.5) < 0.01
    assert json_lines(out.stdout)[0]["cost_credits"] == 5 + 5 * 4  # [flex]: 5 credits per MP, reference alike


def test_flux2_pro_9_mp_limit_is_checked_before_sending(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    refs = []
    for i in range(3):
        refs += ["--input-image", str(write_image(tmp_path / f"big{i}.jpg", scene((2048, 2048), seed=i), "JPEG"))]
    out = run_cli(env, "generate", "--prompt", "x", "--model", "flux-2-pro", "--width", "1024", "--height", "1024",
                  *refs, "--reference-size", "original")
    assert out.returncode == 2
    assert "FLUX.2 [pro] takes at most 9 MP in all" in out.stderr and "Shrink image 1 (4 MP)" in out.stderr
    assert sim.counters.post_requests == 0 and jobs_in_library(tmp_path) == 0
    # The default size policy fits the same three in (1 MP each).
    assert run_cli(env, "estimate", "--model", "flux-2-pro", "--width", "1024", "--height", "1024",
                   *refs).returncode == 0


def test_a_kontext_edit_leaves_the_ratio_to_the_input(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    photo = camera_jpeg(tmp_path / "room.jpg", (1600, 900))
    out = run_cli(env, "generate", "--prompt", "make it night", "--model", "flux-kontext-pro", "--input-image",
                  str(photo), "--json")
    assert out.returncode == 0, out.stderr
    body = sim.task(sim.task_ids()[0]).body
    assert "aspect_ratio" not in body and body["prompt_upsampling"] is False
    assert decoded(sent_images(sim, sim.task_ids()[0])["input_image"]).size == sent_size_at_most(1600, 900, MP)
    assert "in the aspect ratio of image 1 (1600×900)" in out.stderr
    # Kontext allows a safety tolerance of at most 2 with an input image.
    refused = run_cli(env, "generate", "--prompt", "x", "--model", "flux-kontext-pro", "--input-image", str(photo),
                      "--safety-tolerance", "4")
    assert refused.returncode == 2 and "safety_tolerance" in refused.stderr and sim.counters.post_requests == 1


def sent_size_at_most(width: int, height: int, pixels: int) -> tuple[int, int]:
    from fluxdesk.core.references import sent_size

    return sent_size(width, height, pixels)


def test_ultra_takes_one_image_prompt_with_its_strength(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    style = write_image(tmp_path / "style.png", scene((800, 600), seed=5), "PNG")
    out = run_cli(env, "generate", "--prompt", "a city in this style", "--model", "flux-pro-1.1-ultra",
                  "--image-prompt", str(style), "--image-prompt-strength", "0.35", "--json")
    assert out.returncode == 0, out.stderr
    body = sim.task(sim.task_ids()[0]).body
    assert body["image_prompt_strength"] == 0.35 and "input_image" not in body
    assert decoded(base64.b64decode(body["image_prompt"])).size == (800, 600)
    [line] = json_lines(out.stdout)
    assert line["cost_credits"] == 6 and line["references"][0]["source"] == str(style)
    # The strength needs an image prompt, and only Ultra takes it.
    alone = run_cli(env, "generate", "--prompt", "x", "--model", "flux-pro-1.1-ultra", "--image-prompt-strength",
                    "0.5")
    assert alone.returncode == 2 and "needs an image prompt" in alone.stderr
    other = run_cli(env, "estimate", "--model", "flux-pro-1.1", "--image-prompt", str(style),
                    "--image-prompt-strength", "0.5")
    assert other.returncode == 2 and "image_prompt_strength: is not accepted by FLUX1.1 [pro]" in other.stderr
    assert sim.counters.post_requests == 1


def test_klein_takes_four_references(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    refs = []
    for i in range(4):
        refs += ["--input-image", str(write_image(tmp_path / f"r{i}.jpg", scene((320, 240), seed=i), "JPEG"))]
    out = run_cli(env, "generate", "--prompt", "image 1 to 4 in one shot", "--model", "flux-2-klein-4b",
                  "--width", "512", "--height", "512", *refs, "--json")
    assert out.returncode == 0, out.stderr
    assert list(sent_images(sim, sim.task_ids()[0])) == ["input_image", "input_image_2", "input_image_3",
                                                         "input_image_4"]
    assert [r["source"] for r in json_lines(out.stdout)[0]["references"]] == refs[1::2]


def test_small_files_go_at_their_own_size_whatever_their_format(make_sim, tmp_path: Path) -> None:
    # A file needing neither a new size nor a new mode (a WebP, a BMP, a camera JPEG with EXIF) once crashed
    # prepare_reference ("Operation on closed image") instead of being re-encoded.
    sim = make_sim()
    files = [camera_jpeg(tmp_path / "camera.jpg", (400, 300)),
             write_image(tmp_path / "web.webp", scene((400, 300), seed=2), "WEBP"),
             write_image(tmp_path / "old.bmp", scene((400, 300), seed=3), "BMP"),
             write_image(tmp_path / "plain.png", scene((400, 300), seed=4), "PNG")]
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "x", "--model", "flux-2-max",
                  *[arg for path in files for arg in ("--input-image", str(path))], "--json")
    assert out.returncode == 0, out.stderr
    sent = sent_images(sim, sim.task_ids()[0])
    assert [decoded(data).size for data in sent.values()] == [(400, 300)] * 4
    assert [decoded(data).format for data in sent.values()] == ["JPEG", "JPEG", "JPEG", "PNG"]
    assert sent["input_image_4"] == files[3].read_bytes()  # a plain PNG that fits is sent as it is


def test_an_edit_of_a_library_image_is_linked_to_it(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    env = cli_env(tmp_path, sim.api_base)
    made = json_lines(run_cli(env, "generate", "--prompt", "a red door", "--model", "flux-2-klein-4b", "--seed", "1",
                              "--json").stdout)[0]
    outside = write_image(tmp_path / "outside.jpg", scene((320, 240)), "JPEG")
    out = run_cli(env, "generate", "--prompt", "image 1 painted blue, image 2 on the wall", "--model",
                  "flux-2-klein-4b", "--input-image", made["path"], "--input-image", str(outside), "--json")
    assert out.returncode == 0, out.stderr
    edit = json_lines(out.stdout)[0]
    [(image_id,)] = query(tmp_path, "SELECT id FROM images WHERE job_id = ?", made["job_id"])
    [(request,)] = query(tmp_path, "SELECT request FROM jobs WHERE id = ?", edit["job_id"])
    links = [image.get("from_image_id") for image in json.loads(request)["input_images"]]
    assert links == [image_id, None]  # the library's image is linked; a file from elsewhere is not


# --- reproduce ------------------------------------------------------------------------------------------------

def _an_edit(sim, tmp_path: Path) -> tuple[dict, dict[str, str]]:
    env = cli_env(tmp_path, sim.api_base)
    first = camera_jpeg(tmp_path / "in" / "street.jpg", (1200, 900), orientation=3)
    second = write_image(tmp_path / "in" / "hat.png", scene((300, 300), seed=3), "PNG")
    out = run_cli(env, "generate", "--prompt", "put the hat of image 2 on the man in image 1", "--model",
                  "flux-2-klein-9b", "--input-image", str(first), "--input-image", str(second), "--seed", "21",
                  "--json")
    assert out.returncode == 0, out.stderr
    return json_lines(out.stdout)[0], env


def test_reproduce_an_edit_resends_the_same_bytes_and_is_byte_identical(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    line, env = _an_edit(sim, tmp_path)
    for path in (tmp_path / "in").iterdir():
        path.unlink()  # the user's files are gone: the library's copies are what is sent
    again = run_cli(env, "reproduce", line["path"], "--json")
    assert again.returncode == 0, again.stderr
    result = json_lines(again.stdout)[0]
    assert result["identical"] is True and result["status"] == "done"
    assert [r["sha256"] for r in result["references"]] == [r["sha256"] for r in line["references"]]
    before, after = sim.task_ids()
    assert sent_images(sim, before) == sent_images(sim, after)
    text = run_cli(env, "reproduce", line["job_id"])
    assert text.returncode == 0 and "the image data is identical to the original's" in text.stdout
    assert "sent the same 2 reference images again, byte for byte, from the library" in text.stdout


def test_reproduce_refuses_when_a_reference_left_the_library(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    line, env = _an_edit(sim, tmp_path)
    gone = line["references"][1]["sha256"]
    [stored] = (sim_library(tmp_path) / "references" / gone[:2]).glob(f"{gone}.*")
    stored.unlink()
    posts, jobs = sim.counters.post_requests, jobs_in_library(tmp_path)
    for target in (line["path"], line["job_id"]):
        out = run_cli(env, "reproduce", target)
        assert out.returncode == 2, out.stderr
        assert (f"image 2 ({line['references'][1]['source']}): the reference image {gone[:12]}… is no longer in "
                "the library, so it cannot be sent again. Nothing was sent.") in out.stderr
        assert "Traceback" not in out.stderr
    assert sim.counters.post_requests == posts and jobs_in_library(tmp_path) == jobs
    info = json_lines(run_cli(env, "info", line["path"], "--json").stdout)[0]
    assert [r["in_library"] for r in info["references"]] == [True, False]
    assert info["reproducible"] is False and "image 2 is no longer in the library" in info["reproducible_reason"]
    assert "(no longer in the library)" in run_cli(env, "info", line["path"]).stdout


# --- bad input: a clear message, exit 2, nothing sent, nothing lost -------------------------------------------

def _truncated(path: Path) -> Path:
    data = camera_jpeg(path, (800, 600)).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt(path: Path) -> Path:
    data = bytearray(write_image(path, scene((400, 300)), "PNG").read_bytes())
    data[200:260] = b"\x00" * 60  # inside the image data: its checksum no longer matches
    path.write_bytes(bytes(data))
    return path


def _bomb(path: Path) -> Path:
    # 11000 × 11000 one-bit pixels: a small file that would decode to 121 million pixels.
    return write_image(path, Image.new("1", (11000, 11000)), "PNG")


REFUSED = {
    "not-an-image": (lambda p: (p.write_text("a shopping list, not a photo\n"), p)[1], "notes.jpg",
                     "is not an image FluxDesk can read"),
    "truncated": (_truncated, "cut.jpg", "is damaged or incomplete"),
    "corrupt": (_corrupt, "broken.png", "is damaged or incomplete"),
    "decompression-bomb": (_bomb, "bomb.png", "is 11000×11000 pixels, more than FluxDesk decodes"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_file_that_cannot_be_a_reference_is_refused(make_sim, tmp_path: Path, case: str) -> None:
    sim = make_sim()
    make, name, words = REFUSED[case]
    good = write_image(tmp_path / "good.jpg", scene((320, 240)), "JPEG")
    bad = make(tmp_path / name)
    kept = bad.read_bytes()
    for command in ("generate", "estimate"):
        args = [command, "--model", "flux-2-pro", "--input-image", str(good), "--input-image", str(bad)]
        out = run_cli(cli_env(tmp_path, sim.api_base), *args, *(["--prompt", "x"] if command == "generate" else []))
        assert out.returncode == 2, out.stderr
        assert f"fluxdesk {command}: image 2 ({bad}) {words}" in out.stderr and "Nothing was sent." in out.stderr
        assert "Traceback" not in out.stderr and out.stdout == ""
    assert sim.counters.post_requests == 0 and jobs_in_library(tmp_path) == 0
    assert bad.read_bytes() == kept  # nothing lost: the file is as it was
    assert not (sim_library(tmp_path) / "references").exists() or not any(
        (sim_library(tmp_path) / "references").rglob("*.*"))


def test_a_file_that_vanished_is_refused(make_sim, tmp_path: Path) -> None:
    sim = make_sim()
    gone = tmp_path / "moved-away.jpg"
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "x", "--model", "flux-kontext-pro",
                  "--input-image", str(gone))
    assert out.returncode == 2
    assert f"image 1 ({gone}) is no longer there (moved or deleted?). Nothing was sent." in out.stderr
    folder = run_cli(cli_env(tmp_path, sim.api_base), "estimate", "--model", "flux-2-max", "--input-image",
                     str(tmp_path))
    assert folder.returncode == 2 and "is a folder, not an image" in folder.stderr
    assert sim.counters.post_requests == 0 and jobs_in_library(tmp_path) == 0


@pytest.mark.parametrize(("model", "option", "words"), [
    ("flux-pro-1.1", "--input-image", "--input-image: FLUX1.1 [pro] takes no input images; its one reference is an "
                                      "image prompt: give it with --image-prompt"),
    ("flux-dev", "--input-image", "FLUX.1 [dev] takes no input images"),
    ("flux-2-pro", "--image-prompt", "--image-prompt: FLUX.2 [pro] takes no image prompt; give references with "
                                     "--input-image"),
    ("flux-kontext-max", "--image-prompt", "FLUX.1 Kontext [max] takes no image prompt"),
])
def test_a_reference_the_model_does_not_take_is_refused(make_sim, tmp_path: Path, model, option, words) -> None:
    sim = make_sim()
    ref = write_image(tmp_path / "ref.jpg", scene((320, 240)), "JPEG")
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "x", "--model", model, option, str(ref))
    assert out.returncode == 2 and words in out.stderr and "Nothing was sent." in out.stderr
    assert sim.counters.post_requests == 0 and jobs_in_library(tmp_path) == 0


@pytest.mark.parametrize(("model", "count", "words"), [
    ("flux-2-klein-4b", 5, "FLUX.2 [klein] 4B takes up to 4 reference images; this command names 5"),
    ("flux-kontext-pro", 5, "FLUX.1 Kontext [pro] takes 1 reference image (up to 4 with experimental extras); "
                            "this command names 5"),
    ("flux-2-max", 9, "FLUX.2 [max] takes up to 8 reference images; this command names 9"),
])
def test_more_references_than_the_model_takes_are_refused(make_sim, tmp_path: Path, model, count, words) -> None:
    sim = make_sim()
    ref = write_image(tmp_path / "ref.jpg", scene((320, 240)), "JPEG")
    out = run_cli(cli_env(tmp_path, sim.api_base), "generate", "--prompt", "x", "--model", model,
                  *(["--input-image", str(ref)] * count))
    assert out.returncode == 2 and words in out.stderr and "Nothing was sent." in out.stderr
    assert sim.counters.post_requests == 0 and jobs_in_library(tmp_path) == 0


# --- converted, not refused: these succeed, and say what was done ----------------------------------------------

def _sixteen_bit_png(path: Path) -> Path:
    image = Image.new("I;16", (96, 64))
    image.putdata([(x * 680 + y * 9) % 65536 for y in range(64) for x in range(96)])
    write_image(path, image, "PNG")
    assert Image.open(path).mode.startswith("I")  # really 16 bits a pixel
    return path


def _animated(fmt: str):
    def make(path: Path) -> Path:
        frames = [Image.new("RGB", (96, 64), colour) for colour in ((220, 30, 30), (30, 30, 220))]
        frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        assert Image.open(path).n_frames == 2
        return path
    return make


def _with_alpha(path: Path) -> Path:
    image = scene((96, 64)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((96, 64)))
    return write_image(path, image, "PNG")


CONVERTED = {
    "16-bit-png": (_sixteen_bit_png, "deep.png", "16-bit image reduced to 8 bits", "RGB"),
    "cmyk-jpeg": (lambda p: write_image(p, scene((96, 64), "CMYK"), "JPEG"), "print.jpg",
                  "converted from CMYK to RGB", "RGB"),
    "greyscale-jpeg": (lambda p: write_image(p, scene((96, 64), "L"), "JPEG"), "grey.jpg",
                       "greyscale sent as RGB", "RGB"),
    "animated-gif": (_animated("GIF"), "blink.gif", "first frame of an animated GIF", "RGB"),
    "animated-webp": (_animated("WEBP"), "blink.webp", "first frame of an animated WebP", "RGB"),
    "alpha-png": (_with_alpha, "cutout.png", "transparency kept (sent as PNG)", "RGBA"),
}


@pytest.mark.parametrize("case", list(CONVERTED))
def test_an_unusual_file_is_converted_and_said_so(make_sim, tmp_path: Path, case: str) -> None:
    sim = make_sim()
    make, name, note, mode = CONVERTED[case]
    path = make(tmp_path / name)
    kept = path.read_bytes()
    env = cli_env(tmp_path, sim.api_base)
    est = run_cli(env, "estimate", "--model", "flux-2-klein-4b", "--input-image", str(path))
    assert est.returncode == 0 and f"({note})" in est.stdout
    out = run_cli(env, "generate", "--prompt", "image 1 as a poster", "--model", "flux-2-klein-4b",
                  "--input-image", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert f"image 1 ({path}): {note}" in out.stderr
    [line] = json_lines(out.stdout)
    assert line["status"] == "done" and json.dumps(line)  # stdout stays one JSON object a line
    sent = sent_images(sim, sim.task_ids()[0])["input_image"]
    image = decoded(sent)
    assert image.mode == mode and image.size == (96, 64)
    assert sent.startswith(PNG_SIGNATURE) == (mode == "RGBA")  # alpha goes as PNG, the rest as JPEG
    if case.startswith("animated"):
        red, _green, blue = image.convert("RGB").getpixel((48, 32))
        assert red > 180 and blue < 80  # the first frame (red), not the second (blue)
    assert path.read_bytes() == kept
