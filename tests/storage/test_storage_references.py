"""Preparing references from real files made with Pillow: the bytes that are sent, stored and priced.

Every way a file can be wrong ends in a ``ReferenceImageError`` with a plain message; odd but usable images are
converted (and say so), never refused.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

from fluxdesk.core.catalog import MEGAPIXEL
from fluxdesk.core.references import ORIGINAL_MAX_PIXELS, ReferenceSize, limit_pixels
from fluxdesk.storage.references import PreparedReference, ReferenceImageError, decode_size, prepare_reference

RED, BLUE, GREEN = (230, 20, 20), (20, 20, 230), (20, 200, 20)
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def camera_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: make, model, orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[0x010F] = "FluxCam"
    exif[0x0110] = "Model 24"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    return exif


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def decoded(prepared: PreparedReference) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


def near(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour[:3], expected, strict=True))


def assert_no_camera_metadata(data: bytes) -> None:
    """No EXIF (so no GPS) in the bytes that go to BFL."""
    with Image.open(io.BytesIO(data)) as image:
        assert not image.info.get("exif"), "EXIF was sent"
        assert not dict(image.getexif()), "EXIF was sent"
        assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info
    assert b"Exif\x00\x00" not in data and b"FluxCam" not in data


@pytest.fixture(scope="module")
def camera_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24 MP camera JPEG stored landscape (6000×4000) with EXIF orientation 6 ("turn 90° clockwise to show")
    and GPS: a red block in the stored top-left corner, which a viewer shows top-right."""
    image = Image.new("RGB", (6000, 4000), (128, 128, 128))
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 900, 600), fill=RED)
    pen.rectangle((0, 3400, 900, 3999), fill=BLUE)
    path = tmp_path_factory.mktemp("camera") / "IMG_0001.JPG"
    path.write_bytes(encode(image, "JPEG", quality=85, exif=camera_exif(6)))
    return path


# --- a camera photo -------------------------------------------------------------------------------

def test_a_24_mp_camera_jpeg_is_turned_downscaled_and_sent_without_exif(camera_jpeg: Path) -> None:
    assert decode_size(camera_jpeg) == (4000, 6000)  # as a viewer shows it, from the header alone
    prepared = prepare_reference(camera_jpeg, max_pixels=MEGAPIXEL)
    assert (prepared.original_width, prepared.original_height) == (4000, 6000)
    assert prepared.width * prepared.height <= MEGAPIXEL and prepared.width < prepared.height
    assert abs(prepared.width / prepared.height - 4000 / 6000) < 0.01
    assert prepared.downscaled and prepared.format == "jpeg" and prepared.extension == "jpg"
    assert prepared.source == str(camera_jpeg) and prepared.notes == ()
    image = decoded(prepared)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (prepared.width, prepared.height)  # the size said is the size sent
    w, h = image.size
    assert near(image.getpixel((w - 5, 5)), RED)  # turned: the stored top-left shows top-right
    assert near(image.getpixel((5, 5)), BLUE)  # and the stored bottom-left shows top-left
    assert near(image.getpixel((w // 2, h // 2)), (128, 128, 128))
    assert_no_camera_metadata(prepared.data)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()


def test_the_input_image_carries_what_is_sent(camera_jpeg: Path) -> None:
    prepared = prepare_reference(camera_jpeg, max_pixels=MEGAPIXEL)
    sent = prepared.input_image(from_image_id=9)
    assert base64.b64decode(sent.data) == prepared.data
    assert (sent.width, sent.height, sent.sha256) == (prepared.width, prepared.height, prepared.sha256)
    assert (sent.source, sent.from_image_id) == (str(camera_jpeg), 9)


def test_the_original_policy_is_still_capped_at_4_mp(camera_jpeg: Path) -> None:
    prepared = prepare_reference(camera_jpeg, max_pixels=limit_pixels(ReferenceSize.ORIGINAL, MEGAPIXEL))
    assert prepared.width * prepared.height <= ORIGINAL_MAX_PIXELS
    assert prepared.width * prepared.height > 0.98 * ORIGINAL_MAX_PIXELS  # as large as allowed, no smaller
    assert decoded(prepared).size == (prepared.width, prepared.height)
    assert_no_camera_metadata(prepared.data)


def test_preparing_twice_gives_the_same_bytes(camera_jpeg: Path) -> None:
    first = prepare_reference(camera_jpeg, max_pixels=MEGAPIXEL)
    assert prepare_reference(camera_jpeg.read_bytes(), max_pixels=MEGAPIXEL, name="photo").data == first.data


# --- sent as they are ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "out"), [("JPEG", "jpeg"), ("PNG", "png")])
def test_a_small_clean_jpeg_or_png_is_sent_byte_for_byte(tmp_path: Path, fmt: str, out: str) -> None:
    image = Image.new("RGB", (640, 480), GREEN)
    ImageDraw.Draw(image).ellipse((100, 100, 300, 300), fill=RED)
    path = tmp_path / f"clean.{out}"
    path.write_bytes(encode(image, fmt))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.data == path.read_bytes()
    assert prepared.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (prepared.width, prepared.height, prepared.format) == (640, 480, out)
    assert not prepared.downscaled and prepared.notes == ()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_camera_metadata_is_never_sent_even_when_the_size_would_do(tmp_path: Path, fmt: str) -> None:
    """A small photo with GPS in its EXIF is re-encoded without it rather than sent as it is."""
    path = tmp_path / f"small.{fmt.lower()}"
    path.write_bytes(encode(Image.new("RGB", (320, 240), GREEN), fmt, exif=camera_exif(1)))
    with Image.open(path) as check:
        assert check.getexif().get_ifd(GPS_IFD), "the test file must carry GPS"
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert (prepared.width, prepared.height) == (320, 240)
    assert_no_camera_metadata(prepared.data)


def test_xmp_and_text_chunks_are_not_sent(tmp_path: Path) -> None:
    """XMP can hold GPS too, and a PNG's text chunks whatever its maker wrote (a FluxDesk image: its prompt)."""
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.2N"/>'
           b"</rdf:RDF></x:xmpmeta>")
    jpeg = tmp_path / "xmp.jpg"
    jpeg.write_bytes(encode(Image.new("RGB", (320, 240), GREEN), "JPEG", xmp=xmp))
    text = PngImagePlugin.PngInfo()
    text.add_text("parameters", "a secret prompt\nSteps: 20, Seed: 1")
    png = tmp_path / "text.png"
    png.write_bytes(encode(Image.new("RGB", (320, 240), GREEN), "PNG", pnginfo=text))
    for path, secret in ((jpeg, b"GPSLatitude"), (png, b"secret prompt")):
        assert secret in path.read_bytes()
        prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
        assert secret not in prepared.data, path.name
        assert (prepared.width, prepared.height) == (320, 240)


# --- converted, with a note -----------------------------------------------------------------------

def test_a_16_bit_greyscale_png_is_reduced_to_8_bits(tmp_path: Path) -> None:
    image = Image.new("I;16", (256, 16))
    image.putdata([x * 257 for _y in range(16) for x in range(256)])  # 0 … 65535 left to right
    path = tmp_path / "depth.png"
    path.write_bytes(encode(image, "PNG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.notes == ("16-bit image reduced to 8 bits",)
    sent = decoded(prepared)
    assert sent.mode == "RGB" and sent.size == (256, 16)
    assert sent.getpixel((0, 8))[0] < 8 and sent.getpixel((255, 8))[0] > 247  # the full range, not clipped
    assert abs(sent.getpixel((128, 8))[0] - 128) < 8


def test_a_cmyk_jpeg_is_converted_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    path.write_bytes(encode(Image.new("CMYK", (400, 300), (0, 255, 255, 0)), "JPEG"))  # red in print colours
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.notes == ("converted from CMYK to RGB",) and prepared.format == "jpeg"
    sent = decoded(prepared)
    assert sent.mode == "RGB" and near(sent.getpixel((200, 150)), (255, 0, 0), 30)


def test_a_greyscale_jpeg_is_sent_as_rgb(tmp_path: Path) -> None:
    path = tmp_path / "grey.jpg"
    path.write_bytes(encode(Image.new("L", (400, 300), 90), "JPEG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.notes == ("greyscale sent as RGB",)
    sent = decoded(prepared)
    assert sent.mode == "RGB" and near(sent.getpixel((10, 10)), (90, 90, 90), 4)


@pytest.mark.parametrize(("fmt", "words"), [("GIF", "GIF"), ("WEBP", "WebP")])
def test_an_animation_sends_its_first_frame(tmp_path: Path, fmt: str, words: str) -> None:
    frames = [Image.new("RGB", (200, 150), colour) for colour in (RED, GREEN, BLUE)]
    path = tmp_path / f"moving.{fmt.lower()}"
    path.write_bytes(encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0))
    with Image.open(path) as check:
        assert check.n_frames == 3
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert f"first frame of an animated {words}" in prepared.notes
    sent = decoded(prepared)
    assert (prepared.width, prepared.height) == sent.size == (200, 150)
    assert near(sent.getpixel((100, 75)), RED), sent.getpixel((100, 75))


def test_used_transparency_is_kept_as_png(tmp_path: Path) -> None:
    image = Image.new("RGBA", (300, 200), (*GREEN, 255))
    ImageDraw.Draw(image).rectangle((0, 0, 149, 199), fill=(0, 0, 0, 0))  # the left half is see-through
    path = tmp_path / "cutout.png"
    path.write_bytes(encode(image, "PNG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.format == "png" and prepared.extension == "png"
    assert prepared.notes == ("transparency kept (sent as PNG)",)
    sent = decoded(prepared)
    assert sent.mode == "RGBA" and sent.getpixel((10, 10))[3] == 0 and sent.getpixel((290, 10)) == (*GREEN, 255)


def test_transparency_survives_a_downscale(tmp_path: Path) -> None:
    image = Image.new("RGBA", (2048, 1536), (*GREEN, 255))
    ImageDraw.Draw(image).rectangle((0, 0, 1023, 1535), fill=(0, 0, 0, 0))
    path = tmp_path / "big-cutout.png"
    path.write_bytes(encode(image, "PNG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    sent = decoded(prepared)
    assert prepared.format == "png" and sent.size == (prepared.width, prepared.height)
    assert prepared.width * prepared.height <= MEGAPIXEL
    assert sent.getpixel((5, 5))[3] == 0 and sent.getpixel((prepared.width - 5, 5))[3] == 255


def test_an_unused_alpha_channel_is_sent_as_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "opaque.png"
    path.write_bytes(encode(Image.new("RGBA", (300, 200), (*RED, 255)), "PNG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.format == "jpeg" and prepared.notes == ()
    assert decoded(prepared).mode == "RGB" and near(decoded(prepared).getpixel((5, 5)), RED, 6)


def test_a_palette_png_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    palette = Image.new("RGB", (300, 200), BLUE).convert("P", dither=Image.Dither.NONE)
    path.write_bytes(encode(palette, "PNG"))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.format == "jpeg" and prepared.notes == ()
    assert near(decoded(prepared).getpixel((5, 5)), palette.convert("RGB").getpixel((5, 5)), 6)


def test_a_png_with_a_transparent_colour_keeps_it(tmp_path: Path) -> None:
    image = Image.new("RGB", (300, 200), GREEN)
    ImageDraw.Draw(image).rectangle((0, 0, 99, 199), fill=(0, 0, 0))
    path = tmp_path / "keyed.png"
    path.write_bytes(encode(image, "PNG", transparency=(0, 0, 0)))  # black is see-through (a tRNS chunk)
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.format == "png" and prepared.notes == ("transparency kept (sent as PNG)",)
    assert decoded(prepared).getpixel((5, 5))[3] == 0 and decoded(prepared).getpixel((200, 5))[3] == 255


def test_a_colour_profile_is_kept_when_re_encoded(tmp_path: Path) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "profiled.jpg"
    path.write_bytes(encode(Image.new("RGB", (2048, 1536), GREEN), "JPEG", icc_profile=profile,
                            exif=camera_exif(1)))
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.downscaled and decoded(prepared).info.get("icc_profile") == profile
    assert_no_camera_metadata(prepared.data)


# --- refused, in plain words ------------------------------------------------------------------------

def test_a_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("a shopping list, not a picture\n")
    with pytest.raises(ReferenceImageError) as err:
        prepare_reference(path, max_pixels=MEGAPIXEL)
    assert str(err.value) == "notes.png is not an image FluxDesk can read (PNG, JPEG, WebP, GIF or BMP)"


@pytest.mark.parametrize("size", [(640, 480), (3000, 2000)])  # decoded at full size, and in draft mode
def test_a_truncated_jpeg_is_damaged(tmp_path: Path, size: tuple[int, int]) -> None:
    image = Image.new("RGB", size)
    ImageDraw.Draw(image).ellipse((0, 0, size[0], size[1]), fill=RED, outline=BLUE, width=40)
    whole = encode(image, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ReferenceImageError) as err:
        prepare_reference(path, max_pixels=MEGAPIXEL // 4)
    assert str(err.value) == "cut.jpg is damaged or incomplete (it does not decode to the end)"


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` with next to no data: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(100_000, 100_000))
    with pytest.raises(ReferenceImageError) as err:
        prepare_reference(path, max_pixels=MEGAPIXEL)
    assert str(err.value) == "bomb.png claims to be far larger than any photograph; refusing to decode it"
    with pytest.raises(ReferenceImageError):
        decode_size(path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, from the header
def test_an_image_just_over_the_decode_limit_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_claiming(12_000, 12_000))  # 144 million pixels: above 120, below Pillow's own error
    with pytest.raises(ReferenceImageError) as err:
        prepare_reference(path, max_pixels=MEGAPIXEL)
    assert str(err.value) == ("huge.png is 12000×12000 pixels, more than FluxDesk decodes (120 million); "
                              "refusing to decode it")


def test_a_file_that_vanished_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gone.jpg"
    path.write_bytes(encode(Image.new("RGB", (64, 64)), "JPEG"))
    size = decode_size(path)
    assert size == (64, 64)
    path.unlink()  # between adding it to the tray and sending
    with pytest.raises(ReferenceImageError) as err:
        prepare_reference(path, max_pixels=MEGAPIXEL)
    assert str(err.value) == "gone.jpg is no longer there (moved or deleted?)"


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ReferenceImageError, match="is a folder, not an image"):
        prepare_reference(tmp_path, max_pixels=MEGAPIXEL)


def test_bytes_without_a_name_are_called_the_image() -> None:
    with pytest.raises(ReferenceImageError, match=r"^the image is not an image"):
        prepare_reference(b"\x00" * 100, max_pixels=MEGAPIXEL)
    with pytest.raises(ReferenceImageError, match=r"^pasted is not an image"):
        prepare_reference(b"GIF89a", max_pixels=MEGAPIXEL, name="pasted")


@pytest.mark.parametrize("fmt", ["TIFF", "ICO"])
def test_formats_outside_the_list_are_refused(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"odd.{fmt.lower()}"
    path.write_bytes(encode(Image.new("RGB", (64, 64)), fmt))
    with pytest.raises(ReferenceImageError, match="is not an image FluxDesk can read"):
        prepare_reference(path, max_pixels=MEGAPIXEL)


def test_a_16_bit_colour_png_is_sent_as_8_bits_and_says_so(tmp_path: Path) -> None:
    # Pillow cannot write 16-bit colour; the PNG is built by hand: 8×8 red pixels, 16 bits per channel.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\x00" + b"\xff\xff\x00\x00\x00\x00" * 8) * 8
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 16, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    path = tmp_path / "deep.png"
    path.write_bytes(png)
    prepared = prepare_reference(path, max_pixels=MEGAPIXEL)
    assert prepared.data != png and "16-bit image reduced to 8 bits" in prepared.notes
    with Image.open(io.BytesIO(prepared.data)) as sent:
        red, green, blue = sent.getpixel((3, 3))
        assert sent.mode == "RGB" and red > 240 and green < 15 and blue < 15
