"""Dropping another tool's image on the prompt panel of the real window: a ComfyUI PNG loads what maps and says
what did not; one with nothing usable gives its prompt, and why nothing else; a damaged FluxDesk PNG still loads."""

from __future__ import annotations

import io
from pathlib import Path

from comfyui_support import FLUX2_PRO_WITH_IMAGE_API, FLUX_DEV_API, FLUX_DEV_UI, FOX, SDXL_API, comfy_png
from panel_support import child
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel
from window_support import ready

from fluxdesk.core.metadata import ImageRecord
from fluxdesk.storage.metadata_io import embed_metadata


def drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QApplication.sendEvent(window.panel, QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime,
                                                         Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(window.panel, QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                                                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def banner_after_drop(qtbot, window, path: Path) -> str:
    banner = child(window.panel, QLabel, "messageText")
    drop(window, path)
    qtbot.waitUntil(lambda: banner.isVisible() and path.name in banner.text(), timeout=20_000)
    return banner.text()


def test_a_comfyui_bfl_node_png_loads_what_maps_and_names_what_did_not(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-dev")
    path = tmp_path / "ComfyUI_00007_.png"
    path.write_bytes(comfy_png(FLUX2_PRO_WITH_IMAGE_API))
    assert banner_after_drop(qtbot, window, path) == (
        "Loaded the settings of ComfyUI_00007_.png from its ComfyUI workflow (the BFL API node Flux2ProImageNode "
        "(node 4)). Not loaded: the input image (images): FluxDesk cannot take images from a ComfyUI file; add them "
        "as references. Reinterpreted: the size 1000×770 as 992×768 (the nearest FLUX.2 [pro] takes).")
    request = window.panel.current_request()
    assert (request.model, request.prompt, request.seed) == ("flux-2-pro", "the sofa in a sunlit loft", 77)
    assert (request.width, request.height, request.disable_pup) == (992, 768, True)


def test_a_plain_flux_graph_png_loads_its_prompt_seed_size_steps_and_guidance(qtbot, make_window,
                                                                               tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-pro")
    path = tmp_path / "flux_dev.png"
    path.write_bytes(comfy_png(FLUX_DEV_API, FLUX_DEV_UI))
    text = banner_after_drop(qtbot, window, path)
    assert text == ("Loaded the settings of flux_dev.png from its ComfyUI workflow. Reinterpreted: the model file "
                    '"flux1-dev.safetensors" as FLUX.1 [dev], which BFL runs on its own servers: the same seed gives '
                    "a different image.")
    request = window.panel.current_request()
    assert (request.model, request.prompt, request.seed) == ("flux-dev", FOX, 219670278747233)
    assert (request.width, request.height, request.steps, request.guidance) == (1024, 768, 20, 3.5)


def test_a_comfyui_png_with_nothing_usable_gives_its_prompt_and_says_why(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    window.panel.set_model("flux-2-flex")
    window.panel.load_settings({"seed": 99})
    path = tmp_path / "sdxl.png"
    path.write_bytes(comfy_png(SDXL_API))
    assert banner_after_drop(qtbot, window, path) == (
        "Loaded the prompt of sdxl.png. ComfyUI workflow found; no FLUX parameters FluxDesk can use: its model "
        '"sd_xl_base_1.0.safetensors" is not a FLUX model.')
    request = window.panel.current_request()
    assert (request.model, request.prompt, request.seed) == ("flux-2-flex", "a lighthouse on a cliff at dusk", 99)


def test_a_cut_off_fluxdesk_png_still_loads_and_says_it_is_damaged(qtbot, make_window, tmp_path: Path) -> None:
    window = ready(qtbot, make_window())
    record = ImageRecord(model="flux-dev", prompt="a quiet harbour", seed=5, width=512, height=384, steps=20,
                         guidance=2.5)
    image = io.BytesIO()
    Image.effect_noise((300, 200), 64).save(image, "PNG")  # noise: a large IDAT, for the cut to land in
    whole = embed_metadata(image.getvalue(), record)
    path = tmp_path / "harbour.png"
    path.write_bytes(whole[:len(whole) - 200])
    text = banner_after_drop(qtbot, window, path)
    assert text.startswith("Loaded the settings of harbour.png. The file is damaged (damaged PNG: the file is cut off")
    request = window.panel.current_request()
    assert (request.model, request.prompt, request.seed, request.steps) == ("flux-dev", "a quiet harbour", 5, 20)
