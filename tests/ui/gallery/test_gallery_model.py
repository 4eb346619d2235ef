"""GalleryModel and GalleryQueries: paging off the GUI thread, Qt's model contract, drag-out mime data, and
filters that mean what the filter bar says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from gallery_support import (  # noqa: F401 - fixtures
    T0,
    WAIT_MS,
    add_image,
    dispose,
    library,
    settle,
    standard_images,
)
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from fluxdesk.core.serialize import parse_iso
from fluxdesk.storage.gallery_queries import GalleryQueries, GalleryQuery, search_words
from fluxdesk.storage.library import Library
from fluxdesk.storage.rows import ImageRow
from fluxdesk.ui.engine.tasks import TaskManager
from fluxdesk.ui.gallery.model import GalleryModel, GalleryRoles
from fluxdesk.ui.kit.mime import IMAGE_IDS_MIME, decode_image_ids

PAGE = 7


@pytest.fixture
def many(library: Library) -> list[int]:  # noqa: F811 - the fixture above
    """60 images, a minute apart; ids oldest first."""
    return [add_image(library, f"image number {n} of a {'fox' if n % 3 else 'lighthouse'}", seed=n,
                      cost=1 + n % 5, demo=n % 4 == 0, created=T0 + timedelta(minutes=n), color=(n * 4, 90, 160))
            for n in range(60)]


@pytest.fixture
def queries(library: Library) -> Iterator[GalleryQueries]:  # noqa: F811
    source = GalleryQueries.for_library(library)
    yield source
    TaskManager.instance().wait()
    source.close()


@pytest.fixture
def model(qtbot: QtBot, queries: GalleryQueries) -> Iterator[GalleryModel]:
    gallery_model = GalleryModel(page_size=PAGE, max_cached=3 * PAGE)
    yield gallery_model
    gallery_model.set_source(None)
    settle(qtbot)
    dispose(qtbot, gallery_model)


def wait_query(qtbot: QtBot, model: GalleryModel, start: Callable[[], None]) -> None:
    with qtbot.waitSignal(model.queryFinished, timeout=WAIT_MS):
        start()


def test_rows_arrive_in_pages_off_the_gui_thread_and_pass_the_model_tester(
        qtbot: QtBot, qtmodeltester, model: GalleryModel, queries: GalleryQueries, many: list[int]) -> None:
    qtmodeltester.check(model)  # empty
    wait_query(qtbot, model, lambda: model.set_source(queries))
    assert model.rowCount() == 60
    assert [model.image_id(row) for row in range(60)] == many[::-1]  # newest first
    # The first page came with the ids; a later page only when asked for.
    assert model.index(0).data(GalleryRoles.Loaded) is True
    far = model.index(40)
    assert far.data(GalleryRoles.Loaded) is False
    assert far.data(GalleryRoles.Path) is None  # asks for its page
    assert far.data(GalleryRoles.ImageId) == many[19]
    qtbot.waitUntil(lambda: far.data(GalleryRoles.Loaded), timeout=WAIT_MS)
    assert Path(far.data(GalleryRoles.Path)).exists()
    assert far.data(GalleryRoles.Seed) == 19
    assert far.data(GalleryRoles.Cost) == Decimal(1 + 19 % 5)
    assert far.data(GalleryRoles.Model) == "flux-dev"
    assert far.data(GalleryRoles.Demo) is False and far.data(GalleryRoles.Trashed) is False
    assert far.data(GalleryRoles.Missing) is False and far.data(GalleryRoles.Width) == 64
    assert "image number 19" in far.data(Qt.ItemDataRole.ToolTipRole)
    # The checks read every row: with the pages they fetch, the model must stay consistent.
    qtmodeltester.check(model)
    qtbot.waitUntil(lambda: not model._pages_in_flight, timeout=WAIT_MS)
    qtmodeltester.check(model)


def test_the_cache_is_bounded_and_evicted_rows_come_back(qtbot: QtBot, model: GalleryModel,
                                                         queries: GalleryQueries, many: list[int]) -> None:
    wait_query(qtbot, model, lambda: model.set_source(queries))
    for row in range(60):
        model.index(row).data(GalleryRoles.Path)
        qtbot.waitUntil(lambda row=row: model.item(row) is not None, timeout=WAIT_MS)
    assert len(model._items) <= 3 * PAGE
    assert model.item(0) is None  # long gone from the cache
    model.index(0).data(GalleryRoles.Path)
    qtbot.waitUntil(lambda: model.item(0) is not None, timeout=WAIT_MS)


def test_insert_remove_and_update_keep_the_model_consistent(qtbot: QtBot, qtmodeltester, model: GalleryModel,
                                                            queries: GalleryQueries, library: Library,  # noqa: F811
                                                            many: list[int]) -> None:
    wait_query(qtbot, model, lambda: model.set_source(queries))
    qtmodeltester.check(model)
    new_id = add_image(library, "the newest fox", seed=7, created=T0 + timedelta(days=1))
    item = queries.matching_item(model.query(), new_id)
    assert item is not None
    with qtbot.waitSignal(model.rowsInserted):
        assert model.insert_item(item)
    assert not model.insert_item(item)  # once
    assert model.rowCount() == 61 and model.image_id(0) == new_id
    assert model.index(0).data(GalleryRoles.Prompt) == "the newest fox"
    removed = [many[-1], many[10], many[11], many[30]]
    assert model.remove_ids(removed) == 4
    assert model.rowCount() == 57
    assert not set(removed) & set(model.all_ids())
    assert model.image_id(0) == new_id and model.image_id(1) == many[-2]
    model.update_items([new_id], favourite=True)
    assert model.index(0).data(GalleryRoles.Favourite) is True
    # Outside callers cannot change the rows.
    assert not model.removeRows(0, 1) and not model.insertRows(0, 1) and model.rowCount() == 57
    assert not model.setData(model.index(0), "x")


def test_a_new_query_replaces_the_rows_and_a_stale_answer_is_dropped(qtbot: QtBot, model: GalleryModel,
                                                                     queries: GalleryQueries,
                                                                     many: list[int]) -> None:
    wait_query(qtbot, model, lambda: model.set_source(queries))
    model.set_query(GalleryQuery(text="fox"))
    wait_query(qtbot, model, lambda: model.set_query(GalleryQuery(text="lighthouse")))
    qtbot.wait(100)  # the "fox" answer, if it arrived late, must not have replaced this one
    assert model.query().text == "lighthouse"
    assert model.rowCount() == 20
    assert all("lighthouse" in model.index(row).data(GalleryRoles.Prompt) for row in range(PAGE))


def test_drag_out_carries_file_urls_and_a_single_images_bytes(qtbot: QtBot, model: GalleryModel,
                                                              queries: GalleryQueries, many: list[int]) -> None:
    wait_query(qtbot, model, lambda: model.set_source(queries))
    assert model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.supportedDragActions() == Qt.DropAction.CopyAction
    rows = [0, 2, 45]  # row 45's data was never fetched: its path is looked up by id, off the GUI thread
    ids = [model.image_id(row) for row in rows]
    assert model.mimeData([model.index(row) for row in rows]) is None  # not known yet: no drag missing a file
    with qtbot.waitSignal(model.dragPathsKnown, timeout=WAIT_MS):
        model.prepare_drag_paths(ids)
    mime = model.mimeData([model.index(row) for row in rows])
    paths = [url.toLocalFile() for url in mime.urls()]
    expected = queries.paths([model.image_id(row) for row in rows])
    assert paths == [expected[model.image_id(row)] for row in rows]
    assert all(Path(path).is_file() for path in paths)
    assert "text/uri-list" in mime.formats()
    assert not mime.hasFormat("image/jpeg")  # several images: files only
    assert decode_image_ids(mime.data(IMAGE_IDS_MIME).data()) == ids  # which library image each file is

    first = model.image_id(0)
    model.prepare_drag_data(first)
    qtbot.waitUntil(lambda: model.drag_data_ready(first), timeout=WAIT_MS)
    single = model.mimeData([model.index(0)])
    assert [url.toLocalFile() for url in single.urls()] == [paths[0]]
    assert bytes(single.data("image/jpeg")) == Path(paths[0]).read_bytes()  # the file as it is, metadata inside
    assert decode_image_ids(single.data(IMAGE_IDS_MIME).data()) == [first]


def test_a_drag_names_the_library_image_of_each_file_it_carries(qtbot: QtBot, model: GalleryModel,
                                                               queries: GalleryQueries, library: Library,  # noqa: F811
                                                               many: list[int]) -> None:
    """An image deleted since the grid was read is left out of the files and of the ids alike: they stay in step."""
    wait_query(qtbot, model, lambda: model.set_source(queries))
    rows = [1, 40, 50]  # rows 40 and 50 were never fetched: their paths are looked up by id
    ids = [model.image_id(row) for row in rows]
    library.delete_image_permanently(ids[1])
    with qtbot.waitSignal(model.dragPathsKnown, timeout=WAIT_MS):
        model.prepare_drag_paths(ids)
    mime = model.mimeData([model.index(row) for row in rows])
    files = [url.toLocalFile() for url in mime.urls()]
    dragged = decode_image_ids(mime.data(IMAGE_IDS_MIME).data())
    assert dragged == [ids[0], ids[2]]
    assert files == [str(library.get_image(i).path) for i in dragged]


def test_a_file_gone_after_its_row_was_read_drags_its_path_only(qtbot: QtBot, model: GalleryModel,
                                                                queries: GalleryQueries, many: list[int]) -> None:
    wait_query(qtbot, model, lambda: model.set_source(queries))
    first = model.image_id(0)
    path = model.item(0).path
    assert not model.item(0).missing
    Path(path).unlink()  # behind the model's back, as the user's file manager would
    model.prepare_drag_data(first)
    settle(qtbot)  # no error for the error reporter: the bytes are a bonus
    assert not model.drag_data_ready(first)
    assert [url.toLocalFile() for url in model.mimeData([model.index(0)]).urls()] == [path]


def test_model_tester_with_no_library_and_invalid_indexes(qtmodeltester, model: GalleryModel) -> None:
    qtmodeltester.check(model)
    assert model.data(QModelIndex(), GalleryRoles.ImageId) is None
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    names = model.roleNames()
    assert bytes(names[int(GalleryRoles.ImageId)]) == b"imageId"


FILTERS = [
    dict(),
    dict(text="lighthouse"),
    dict(text="fox number"),
    dict(model="flux-2-pro"),
    dict(favourites_only=True),
    dict(demo=True),
    dict(demo=False, order="cost"),
    dict(order="cost", descending=False),
    dict(order="date", descending=False),
    dict(date_from=T0 + timedelta(hours=20), date_to=T0 + timedelta(hours=60)),
    dict(trash=True),
]


def _matches(image: ImageRow, query: GalleryQuery) -> bool:
    """The filter bar's meaning, written out in Python over the whole row."""
    prompt_words = [word.lower() for word in search_words(f"{image.prompt} {image.prompt_used or ''}")]
    created = parse_iso(image.created_at)
    return ((image.trashed_at is not None) == query.trash
            and query.model in (None, image.model)
            and (image.favourite or not query.favourites_only)
            and query.demo in (None, image.demo)
            and (query.date_from is None or created >= query.date_from)
            and (query.date_to is None or created < query.date_to)
            and all(any(word.startswith(typed.lower()) for word in prompt_words)
                    for typed in search_words(query.text)))


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_queries_mean_what_the_filters_say(library: Library, queries: GalleryQueries,  # noqa: F811
                                           filters: dict) -> None:
    ids = standard_images(library)
    library.set_favourite(ids[1], True)
    library.set_favourite(ids[4], True)
    library.trash_image(ids[2])
    query = GalleryQuery(**filters)
    images = [image for image in map(library.get_image, ids) if image is not None and _matches(image, query)]
    if query.order == "cost":
        images.sort(key=lambda image: (image.cost_credits, image.id), reverse=query.descending)
    else:
        images.sort(key=lambda image: (image.created_at, image.id), reverse=query.descending)
    expected = [image.id for image in images]
    assert list(queries.ids(query)) == expected
    assert expected or filters.get("text") == "fox number"  # the filters are not vacuous


def test_total_cost_and_closed_source(library: Library, queries: GalleryQueries) -> None:  # noqa: F811
    ids = standard_images(library)
    assert queries.total_cost(ids[:3]) == Decimal("8")
    assert queries.total_cost([]) == Decimal(0)
    queries.close()
    with pytest.raises(Exception, match="closed"):
        queries.ids(GalleryQuery())
