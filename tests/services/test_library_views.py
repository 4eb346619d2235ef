"""The tabs' views of a library: the gallery's store reads and changes only images, the Spend tab's queries read
only the ledger, and both answer what the library itself answers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from fluxdesk.core.metadata import build_record
from fluxdesk.core.request import GenerationRequest, validate
from fluxdesk.services.library_views import GalleryStore, LibraryViews, SpendQueries
from fluxdesk.storage.gallery_queries import GalleryClosedError, GalleryQuery
from fluxdesk.storage.library import Library
from fluxdesk.storage.spend import current_month

RATE = Decimal("0.01")


def add_image(library: Library, prompt: str, *, model: str = "flux-dev", seed: int | None = 42,
              demo: bool = False) -> int:
    """Generate-and-store, as the pipeline does it; answers the image id."""
    request = GenerationRequest(model=model, prompt=prompt, seed=seed, width=1024, height=768)
    job = library.create_job(request, validate(request).body, demo=demo)
    assert library.mark_submitting(job)
    library.record_submission(job, f"task-{job[:8]}", "https://api.bfl.ai/v1/get_result?id=x", "2.5")
    result = {"seed": seed if seed is not None else 7, "prompt": prompt, "start_time": 1.0, "end_time": 2.0}
    record = build_record(request, result, job_id=job, task_id=None, cost_credits=None, demo=demo,
                          created_at=datetime.now(UTC))
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 40)).save(out, "JPEG")
    return library.store_image(job, out.getvalue(), "jpeg", record).id


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library.open(tmp_path / "home") as opened:
        yield opened


def test_the_gallery_store_reads_and_changes_images(library: Library) -> None:
    fox = add_image(library, "a red fox", model="flux-dev", seed=11)
    whale = add_image(library, "a blue whale", model="flux-2-pro")
    store = GalleryStore(library)
    try:
        assert list(store.queries.ids(GalleryQuery())) == [whale, fox]
        assert store.get_image(fox).prompt == "a red fox" and store.get_image(999) is None
        assert store.image_models() == ["flux-2-pro", "flux-dev"]
        request = store.request_for_image(fox)
        assert (request.prompt, request.seed, request.width) == ("a red fox", 11, 1024)
        with pytest.raises(ValueError, match="no longer in the library"):
            store.request_for_image(999)

        store.set_favourite(fox, True)
        assert list(store.queries.ids(GalleryQuery(favourites_only=True))) == [fox]
        store.trash_image(whale)
        assert store.trashed_ids() == [whale] and library.get_image(whale).trashed_at is not None
        store.restore_image(whale)
        assert store.trashed_ids() == []
        store.trash_image(whale)
        assert store.purge_trash() == 0 and store.trashed_ids() == [whale]  # trashed today: kept for 30 days
        store.delete_image_permanently(whale)
        assert library.get_image(whale) is None and store.trashed_ids() == []
    finally:
        store.close()
    with pytest.raises(GalleryClosedError):
        store.queries.ids(GalleryQuery())
    assert library.image_models() == ["flux-dev"]  # closing the store leaves the library open


def test_the_spend_queries_read_the_ledger_as_the_library_does(library: Library) -> None:
    add_image(library, "a real fox")
    add_image(library, "a demo fox", demo=True)
    month = current_month()
    real, demo = SpendQueries(library), SpendQueries(library, demo=True)
    assert not real.demo and demo.demo
    for include_demo in (False, True):
        assert real.spend(month, include_demo=include_demo, usd_per_credit=RATE) == library.spend(
            month, include_demo=include_demo, usd_per_credit=RATE)
        assert real.ledger_rows(month, include_demo=include_demo, usd_per_credit=RATE) == library.ledger_rows(
            month, include_demo=include_demo, usd_per_credit=RATE)
    assert real.spend(month, include_demo=False, usd_per_credit=RATE).jobs == 1
    assert len(real.months_spend(3, include_demo=True, usd_per_credit=RATE)) == 3


def test_the_views_of_a_library(library: Library) -> None:
    views = LibraryViews.of(library, demo=True)
    try:
        assert views.spend.demo and views.thumbnails_dir == library.thumbnails_dir
        assert views.gallery.image_models() == []
    finally:
        views.close()
    with pytest.raises(GalleryClosedError):
        views.gallery.queries.ids(GalleryQuery())
