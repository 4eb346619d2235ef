"""Helpers for the gallery tests: a real library built through the Library API, and a shown GalleryTab.

(Named ``test_gallery_*`` to sit with the gallery's tests; it holds fixtures and helpers, no tests.)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from fluxdesk.core.catalog import get_model
from fluxdesk.core.metadata import build_record
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.services.library_views import GalleryStore
from fluxdesk.storage.library import Library
from fluxdesk.storage.references import prepare_reference
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.gallery.tab import GalleryTab
from fluxdesk.ui.kit.thumbnails import ThumbnailLoader

T0 = datetime(2026, 5, 9, 12, 0, 0, tzinfo=UTC)
WAIT_MS = 5000


def jpeg(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=85)
    return out.getvalue()


def add_image(library: Library, prompt: str = "a red fox in the snow", *, model: str = "flux-dev",
              seed: int | None = 42, cost: float | str = 2.5, demo: bool = False, created: datetime = T0,
              prompt_upsampling: bool | None = None, prompt_used: str | None = None,
              color: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (64, 48),
              references: tuple[InputImage, ...] = ()) -> int:
    """Generate-and-store, the way the pipeline does it; answers the image id. ``prompt_upsampling`` is sent the way
    the model's endpoint takes it; left ``None``, FLUX.2 [pro]/[max] are still told ``disable_pup`` (they upsample
    unless told not to, and FluxDesk tells them), and the others are sent nothing about it."""
    endpoint = get_model(model)
    told = prompt_upsampling is not None or endpoint.disable_pup is not None
    switch = endpoint.upsampling_fields(bool(prompt_upsampling)) if told else {}
    if model == "flux-pro-1.1-ultra":
        request = GenerationRequest(model=model, prompt=prompt, seed=seed, aspect_ratio="16:9",
                                    input_images=references, **switch)
    else:
        request = GenerationRequest(model=model, prompt=prompt, seed=seed, width=1024, height=768,
                                    input_images=references, **switch)
    body = validate(request).body
    assert body is not None, validate(request).message()
    job = library.create_job(request, body, demo=demo, created_at=created)
    assert library.mark_submitting(job)
    library.record_submission(job, f"task-{job[:8]}", "https://api.bfl.ai/v1/get_result?id=x", cost)
    result = {"seed": seed if seed is not None else 1234, "prompt": prompt_used or prompt,
              "start_time": created.timestamp() + 1, "end_time": created.timestamp() + 6, "duration": 5.0}
    if seed is None:
        result.pop("seed")
    record = build_record(request, result, job_id=job, task_id=None, cost_credits=None, demo=demo,
                          created_at=created)
    return library.store_image(job, jpeg(size, color), "jpeg", record).id


def reference_to(library: Library, image_id: int) -> InputImage:
    """A gallery image as a reference, as the prompt panel's tray makes one: its file prepared for sending (at most
    1 MP), the bytes kept by the library, linked to the image."""
    image = library.get_image(image_id)
    assert image is not None
    prepared = prepare_reference(image.path, max_pixels=1024 * 1024)
    library.store_reference(prepared.data, prepared.extension)
    return prepared.input_image(from_image_id=image_id)


def pasted_reference(library: Library, color: tuple[int, int, int] = (30, 160, 90),
                     size: tuple[int, int] = (80, 60)) -> InputImage:
    """A reference pasted from the clipboard: no gallery image behind it."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    prepared = prepare_reference(out.getvalue(), max_pixels=1024 * 1024, name="pasted")
    library.store_reference(prepared.data, prepared.extension)
    return replace(prepared.input_image(), source="pasted")


def add_edit(library: Library, prompt: str, references: tuple[InputImage, ...], *, created: datetime,
             model: str = "flux-2-pro", seed: int = 77, color: tuple[int, int, int] = (90, 90, 200)) -> int:
    """An image made from ``references`` (an edit), journalled and stored as the pipeline does it."""
    return add_image(library, prompt, model=model, seed=seed, cost=4, created=created, color=color,
                     references=references)


@dataclass
class Gallery:
    """A shown tab over a real library, with the ids in the order they were added (oldest first)."""

    tab: GalleryTab
    library: Library
    loader: ThumbnailLoader
    qtbot: QtBot
    ids: list[int]
    store: GalleryStore

    def wait_loaded(self) -> None:
        """Until the model answered its query and every row on screen has its data."""
        model = self.tab.model

        def loaded() -> bool:
            if model.is_loading():
                return False
            return all(model.item(row) is not None for row in self.tab.view.visible_rows())

        self.qtbot.waitUntil(loaded, timeout=WAIT_MS)

    def apply(self) -> None:
        """Send the filter bar's query now (no debounce) and wait for it."""
        self.tab.filters.apply_now()
        self.wait_loaded()

    def shown_ids(self) -> list[int]:
        return list(self.tab.model.all_ids())

    def select(self, *image_ids: int) -> None:
        self.tab.select_ids(list(image_ids), image_ids[0] if image_ids else None)
        self.qtbot.waitUntil(lambda: self.tab.selected_count() == len(image_ids), timeout=WAIT_MS)

    def select_and_show(self, image_id: int) -> None:
        """Select one image and wait for the details pane to show it."""
        self.select(image_id)
        self.qtbot.waitUntil(lambda: self.tab.details.image_id() == image_id, timeout=WAIT_MS)


def standard_images(library: Library) -> list[int]:
    """A small, varied library: three models, demo and real, one favourite, costs 1 to 7, over four days."""
    specs = [
        ("a red fox in the snow", "flux-dev", 2.5, False),
        ("a lighthouse at dawn", "flux-2-pro", 3, False),
        ("a blue whale under the sea", "flux-dev", 2.5, True),
        ("an old lighthouse in the fog", "flux-2-flex", 6, False),
        ("a cup of tea on a table", "flux-2-pro", 1, True),
        ("a red kite over the hills", "flux-dev", 7, False),
    ]
    ids = []
    for number, (prompt, model, cost, demo) in enumerate(specs):
        ids.append(add_image(library, prompt, model=model, seed=100 + number, cost=cost, demo=demo,
                             created=T0 + timedelta(hours=16 * number), color=(40 * number, 120, 200)))
    return ids


def settle(qtbot: QtBot) -> None:
    """Let background calls finish and their answers arrive before widgets and models go away.

    ``TaskManager.wait`` returns when the calls are done, but their answer may still be on its way
    to the GUI thread; destroying the receiver meanwhile races with the worker's emit.
    """
    TaskManager.instance().wait()
    qtbot.wait(50)


def dispose(qtbot: QtBot, *objects: QObject) -> None:
    """Delete Qt objects made here now, on this thread.

    Left to Python, an object in a reference cycle (a signal connected to its own method) is deleted
    whenever the garbage collector runs, which may be on a worker thread: Qt objects must not die there.
    """
    for obj in objects:
        obj.deleteLater()
    qtbot.wait(10)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "home")
    yield lib
    TaskManager.instance().wait()
    lib.close()


@pytest.fixture
def loader(qtbot: QtBot, tmp_path: Path) -> Iterator[ThumbnailLoader]:
    thumbnails = ThumbnailLoader(tmp_path / "thumbs", tasks=TaskManager.instance())
    yield thumbnails
    thumbnails.shutdown()
    settle(qtbot)
    dispose(qtbot, thumbnails)


def open_gallery(qtbot: QtBot, library: Library, loader: ThumbnailLoader, ids: list[int],
                 size: tuple[int, int] = (1100, 700)) -> Gallery:
    tab = GalleryTab(loader)
    qtbot.addWidget(tab)
    tab.resize(*size)
    store = GalleryStore(library)
    tab.set_store(store)
    tab.show()
    qtbot.waitExposed(tab)
    gallery = Gallery(tab, library, loader, qtbot, ids, store)
    gallery.wait_loaded()
    return gallery


@pytest.fixture
def make_gallery(qtbot: QtBot, library: Library, loader: ThumbnailLoader) -> Iterator[Callable[[list[int]], Gallery]]:
    """Open galleries over ``library``; each is closed (and its background work settled) afterwards."""
    opened: list[Gallery] = []

    def make(ids: list[int]) -> Gallery:
        opened.append(open_gallery(qtbot, library, loader, ids))
        return opened[-1]

    yield make
    for shown in opened:
        shown.tab.set_store(None)
        shown.store.close()
    settle(qtbot)


@pytest.fixture
def gallery(library: Library, make_gallery: Callable[[list[int]], Gallery]) -> Gallery:
    return make_gallery(standard_images(library))
