"""What the gallery does to images and files, always on a worker thread: favourite, trash, move to a project, undo
(of the last trash or move), restore, delete, export, copy to the clipboard. Each operation reports back with a
signal on the GUI thread."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

from fluxdesk.services.library_views import GalleryStore, ProjectMove
from fluxdesk.storage.db import LibraryError
from fluxdesk.storage.library import TRASH_DAYS
from fluxdesk.ui.engine.tasks import TaskManager, weak_callback

_MAX_SUFFIX = 10_000


def unique_target(folder: Path, name: str, taken: Callable[[Path], bool] = Path.exists) -> Path:
    """``folder/name``, or ``name-1``, ``name-2`` … before the extension when that is taken."""
    first = folder / name
    if not taken(first):
        return first
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, _MAX_SUFFIX):
        candidate = folder / f"{stem}-{n}{suffix}"
        if not taken(candidate):
            return candidate
    raise FileExistsError(f"no free name for {name} in {folder}")


def export_file(source: Path, folder: Path) -> Path:
    """Copy ``source`` byte for byte (its metadata is inside) into ``folder``; never overwrites a file."""
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(_MAX_SUFFIX):
        target = unique_target(folder, source.name)
        try:
            with open(source, "rb") as reader, open(target, "xb") as writer:  # x: fails if it appeared meanwhile
                shutil.copyfileobj(reader, writer, 1 << 20)
        except FileExistsError:
            continue
        except BaseException:
            with contextlib.suppress(OSError):
                if target.exists() and target.stat().st_size == 0:
                    target.unlink()
            raise
        with contextlib.suppress(OSError):
            shutil.copystat(source, target)
        return target
    raise FileExistsError(f"no free name for {source.name} in {folder}")


def export_files(sources: Sequence[Path], folder: Path) -> tuple[list[Path], list[str]]:
    """Export every file it can; answers the copies made and, in words, the ones that failed."""
    made, problems = [], []
    for source in sources:
        try:
            made.append(export_file(source, folder))
        except FileNotFoundError:
            problems.append(f"{source.name} is missing")
        except OSError as exc:
            problems.append(f"{source.name}: {exc.strerror or exc}")
    return made, problems


def load_image(path: str) -> QImage:
    """Decode a whole image (worker thread: ``QImage`` is safe there, ``QPixmap`` is not)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise OSError(f"{Path(path).name}: {reader.errorString()}")
    return image


class GalleryOperations(QObject):
    """Changes to the library made for the gallery; the last deleted batch can be put back (``undo``)."""

    trashed = Signal(list)
    """Image ids now in the trash."""
    restored = Signal(list)
    deleted = Signal(list)
    """Image ids gone for good (files and rows)."""
    favouriteChanged = Signal(list, bool)
    exported = Signal(list, str)
    """The copies made and the folder."""
    copied = Signal()
    purged = Signal(int)
    movedToProject = Signal(object)
    """A ``ProjectMove``: the images are in their new project (and so is their spend)."""
    movedBack = Signal(object)
    """The ``ProjectMove`` undone: each image is back in the project it was in."""
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store: GalleryStore | None = None
        self._undo: list[int] = []
        """The last batch moved to the trash, while it is what Ctrl+Z undoes."""
        self._undo_move: ProjectMove | None = None
        """The last move to a project, while it is what Ctrl+Z undoes."""

    def set_store(self, store: GalleryStore | None) -> None:
        """Change images in ``store`` from now on (``None``: nowhere); what was pending undo is forgotten."""
        self._store = store
        self._undo = []
        self._undo_move = None

    def can_undo(self) -> bool:
        return bool(self._undo) or self._undo_move is not None

    def undo_what(self) -> str:
        """What ``undo`` would undo: ``"move"`` (to a project) or ``"delete"``."""
        return "move" if self._undo_move is not None else "delete"

    # --- library changes -----------------------------------------------------------------------------

    def set_favourite(self, ids: Sequence[int], favourite: bool) -> None:
        ids = list(ids)
        self._each(ids, lambda lib, image_id: lib.set_favourite(image_id, favourite),
                   lambda done: self.favouriteChanged.emit(done, favourite), "mark as favourite")

    def trash(self, ids: Sequence[int]) -> None:
        def done(ids_done: list[int]) -> None:
            self._undo, self._undo_move = ids_done, None
            self.trashed.emit(ids_done)

        self._each(list(ids), lambda lib, image_id: lib.trash_image(image_id), done, "move to the trash")

    def move_to_project(self, ids: Sequence[int], name: str | None) -> None:
        """Move the images (their jobs, their spend) to the project called ``name`` (made if new; ``None``: no
        project), all or none; ``undo`` moves each back."""
        store, ids = self._store, list(ids)
        if store is None or not ids:
            return

        def done(move: ProjectMove) -> None:
            self._undo, self._undo_move = [], move
            self.movedToProject.emit(move)

        self._start(lambda: store.move_to_project(ids, name), done, plain=True, failure="Could not move the images")

    def undo(self) -> bool:
        """Undo the last move to a project, or restore the last batch moved to the trash; False when there is nothing
        to undo."""
        store, move = self._store, self._undo_move
        if store is not None and move is not None:
            self._undo_move = None
            self._start(lambda: store.move_back(move), lambda _none: self.movedBack.emit(move), plain=True,
                        failure="Could not put the images back in their projects")
            return True
        if not self._undo:
            return False
        ids, self._undo = self._undo, []
        self.restore(ids)
        return True

    def restore(self, ids: Sequence[int]) -> None:
        self._each(list(ids), lambda lib, image_id: lib.restore_image(image_id), self.restored.emit, "restore")

    def delete_permanently(self, ids: Sequence[int]) -> None:
        ids = list(ids)
        gone = set(ids)
        self._undo = [i for i in self._undo if i not in gone]
        if (move := self._undo_move) is not None and gone & set(move.before):
            kept = {i: before for i, before in move.before.items() if i not in gone}
            self._undo_move = replace(move, image_ids=tuple(kept), before=kept) if kept else None
        self._each(ids, lambda lib, image_id: lib.delete_image_permanently(image_id), self.deleted.emit,
                   "delete")

    def empty_trash(self) -> None:
        """Delete every image in the trash for good."""
        store = self._store
        if store is None:
            return

        def work() -> tuple[list[int], list[str]]:
            return _apply(store, store.trashed_ids(), lambda lib, image_id: lib.delete_image_permanently(image_id),
                          "delete")

        self._undo = []
        self._start(work, self.deleted.emit)

    def purge_old_trash(self, days: int = TRASH_DAYS) -> None:
        store = self._store
        if store is not None:
            self._start(lambda: store.purge_trash(days), self.purged.emit, plain=True)

    # --- files ----------------------------------------------------------------------------------------

    def export(self, paths: Sequence[str], folder: str) -> None:
        sources = [Path(p) for p in paths]

        def work() -> tuple[list[str], list[str]]:
            made, problems = export_files(sources, Path(folder))
            return [str(p) for p in made], problems

        self._start(work, lambda made: self.exported.emit(made, folder))

    def copy_image(self, path: str) -> None:
        """The image itself on the clipboard, decoded on a worker thread."""
        def done(image: QImage) -> None:
            # setImage, not a QMimeData made here: the clipboard outlives Python at exit, and deleting a
            # Python-made object then crashes.
            QGuiApplication.clipboard().setImage(image)
            self.copied.emit()

        self._start(lambda: load_image(path), done, plain=True)

    # --- plumbing ------------------------------------------------------------------------------------

    def _each(self, ids: list[int], change: Callable[[GalleryStore, int], Any], done: Callable[[list[int]], None],
              verb: str) -> None:
        store = self._store
        if store is None or not ids:
            return
        self._start(lambda: _apply(store, ids, change, verb), done)

    def _start(self, work: Callable[[], Any], done: Callable[[Any], None], *, plain: bool = False,
               failure: str = "") -> None:
        store = self._store
        TaskManager.instance().run_in_background(
            work, weak_callback(self._finished, store, done, plain),
            weak_callback(self._failed, store, failure))

    def _finished(self, store: GalleryStore | None, done: Callable[[Any], None], plain: bool, answer: Any) -> None:
        if store is not self._store:
            return  # the library was switched meanwhile: the gallery shows another one now
        if plain:
            done(answer)
            return
        result, problems = answer
        if problems:
            self.failed.emit(_problems_text(problems))
        done(result)

    def _failed(self, store: GalleryStore | None, failure: str, exc: BaseException) -> None:
        if store is self._store:
            why = str(exc) or type(exc).__name__
            self.failed.emit(f"{failure}: {why}" if failure else why)


def _apply(store: GalleryStore, ids: Sequence[int], change: Callable[[GalleryStore, int], Any],
           verb: str) -> tuple[list[int], list[str]]:
    """``change`` each image; answers the ids done and, in words, what failed (the rest still go ahead)."""
    done, problems = [], []
    for image_id in ids:
        try:
            change(store, image_id)
        except (LibraryError, OSError) as exc:
            problems.append(f"could not {verb} image {image_id}: {exc}")
        else:
            done.append(image_id)
    return done, problems


def _problems_text(problems: list[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0][0].upper() + problems[0][1:] + more
