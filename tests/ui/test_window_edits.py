"""The path the mask editor takes, in the real window against the simulator: ``services.masks.edit_request`` builds
the request from a gallery image, ``AppController.generate`` queues it, the gallery shows the result made from the
original. Expand's price carries its note on the Reproduce button; a local edit comes back at the original's size."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw
from window_support import WAIT_MS, gallery_ids, make_image_and_open_gallery, ready

from fluxdesk.services.masks import EditOptions, edit_request


def test_an_expand_of_a_gallery_image_arrives_grown_made_from_it_and_says_its_price_note(qtbot, make_window) -> None:
    window = ready(qtbot, make_window())
    original_id, gallery = make_image_and_open_gallery(qtbot, window, "a lighthouse")
    library = window.controller.session.library
    original = library.get_image(original_id)
    request = edit_request("flux-pro-1.0-expand", original.path, "more sea", sides=(0, 128, 0, 128),
                           from_image_id=original_id, options=EditOptions(seed=5))
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        assert window.controller.generate(request, 1) is not None
    new_id = shown.args[0]
    image = library.get_image(new_id)
    assert (image.width, image.height) == (512 + 256, 512) and Image.open(shown.args[1]).size == (768, 512)
    assert [ref.from_image_id for ref in library.made_from(new_id)] == [original_id]

    qtbot.waitUntil(lambda: new_id in gallery_ids(gallery), timeout=WAIT_MS)
    gallery.select_ids([new_id], new_id)
    button = gallery.details.reproduce_button
    qtbot.waitUntil(lambda: button.text() == "Reproduce · $0.05*", timeout=WAIT_MS)
    assert "not on BFL's price page" in button.toolTip() and "ComfyUI" in button.toolTip()


def test_a_local_edit_queued_by_the_controller_keeps_the_originals_size(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    original_id, _gallery = make_image_and_open_gallery(qtbot, window, "a teapot")
    original = window.controller.session.library.get_image(original_id)
    mask = Image.new("L", (512, 512))
    ImageDraw.Draw(mask).ellipse((200, 200, 300, 280), fill=255)
    mask.save(tmp_path / "painted.png")
    request = edit_request("flux-2-pro", original.path, "a golden lid", mask=(tmp_path / "painted.png").read_bytes(),
                           from_image_id=original_id, mask_name="the painted mask")
    with qtbot.waitSignal(window.imageShown, timeout=WAIT_MS) as shown:
        window.controller.generate(request, 1)
    edited = Image.open(shown.args[1])
    assert edited.size == (512, 512) and edited.format == "PNG"
    before = Image.open(original.path).convert("RGB")
    assert edited.convert("RGB").getpixel((10, 10)) == before.getpixel((10, 10))

