"""What the tabs are handed of the open library: the Gallery tab a ``GalleryStore``, the Spend tab ``SpendQueries``,
the prompt panel's project picker ``ProjectChoices``, Settings → Projects ``ProjectAdmin``.

Each is the part of ``Library`` its tab uses and nothing more, so a widget never holds the library itself (its
jobs, its journal, the pipeline's writes). The engine's owner builds them when a session opens
(``LibraryViews.of``) and lets go of them before it closes. Every call blocks: run them off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from fluxdesk.core.projects import Project, is_no_project
from fluxdesk.core.request import GenerationRequest
from fluxdesk.services.session import request_for_image
from fluxdesk.storage.gallery_queries import GalleryQueries
from fluxdesk.storage.library import TRASH_DAYS, Library
from fluxdesk.storage.project_spend import ProjectSpend
from fluxdesk.storage.rows import ImageRow, ReferenceRow
from fluxdesk.storage.spend import LedgerRow, ModelUsage, MonthSpend, SpendSummary


class GalleryStore:
    """The gallery's reads and changes of one library: the grid's queries, an image in full and what made it (its
    settings, its references), what it was used in, the models used; favourite, trash, restore, delete. ``close()``
    when the library goes away."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.queries = GalleryQueries.for_library(library)
        """The grid's reads, on a read-only connection of their own (opened by the first query)."""

    def close(self) -> None:
        """Close the queries' connection (a query still running answers ``GalleryClosedError``)."""
        self.queries.close()

    # --- reads ----------------------------------------------------------------------------------

    def get_image(self, image_id: int) -> ImageRow | None:
        return self._library.get_image(image_id)

    def request_for_image(self, image_id: int) -> GenerationRequest:
        """What made the image (``services.session.request_for_image``): what Reproduce would send."""
        return request_for_image(self._library, image_id)

    def made_from(self, image_id: int) -> list[ReferenceRow]:
        """The references that made the image, in order (``Library.made_from``)."""
        return self._library.made_from(image_id)

    def used_in(self, image_id: int) -> list[int]:
        """The gallery's images made with this one as a reference, newest first (``Library.used_in``)."""
        return self._library.used_in(image_id)

    def image_models(self) -> list[str]:
        """Model ids that have images, for the filter."""
        return self._library.image_models()

    def projects(self) -> list[Project]:
        """Every project, archived ones too (their images are still in the gallery), most recently used first."""
        return self._library.projects(include_archived=True)

    def trashed_ids(self) -> list[int]:
        return self.queries.trashed_ids()

    # --- changes --------------------------------------------------------------------------------

    def set_favourite(self, image_id: int, favourite: bool) -> None:
        self._library.set_favourite(image_id, favourite)

    def trash_image(self, image_id: int) -> ImageRow:
        return self._library.trash_image(image_id)

    def restore_image(self, image_id: int) -> ImageRow:
        return self._library.restore_image(image_id)

    def delete_image_permanently(self, image_id: int) -> None:
        self._library.delete_image_permanently(image_id)

    def purge_trash(self, older_than_days: int = TRASH_DAYS) -> int:
        """Delete images trashed more than ``older_than_days`` ago; answer how many."""
        return self._library.purge_trash(older_than_days)

    def move_to_project(self, image_ids: list[int], name: str | None) -> ProjectMove:
        """Move the images' jobs, and so their spend, to the project called ``name`` (made if new; ``None`` or "No
        project": none), all or none. ``ProjectError`` in words for a name that cannot be one or an archived
        project."""
        project = None if name is None or is_no_project(name) else self._library.ensure_project(
            name, refuse_archived=True)
        before = self._library.move_images_to_project(image_ids, project.id if project is not None else None)
        return ProjectMove(tuple(image_ids), project, before)

    def move_back(self, move: ProjectMove) -> None:
        """Undo ``move``: each image back to the project it was in before."""
        self._library.move_images_back(move.before)


@dataclass(frozen=True)
class ProjectMove:
    """Images moved to a project, and where each was before (what undoing it puts back)."""

    image_ids: tuple[int, ...]
    project: Project | None
    """Where they went; ``None``: no project."""
    before: dict[int, int | None]
    """Each image's project id before (``None``: no project)."""


class SpendQueries:
    """The Spend tab's reads of one library's ledger (months and days in UTC, as ``fluxdesk spend``)."""

    def __init__(self, library: Library, *, demo: bool = False) -> None:
        self._library = library
        self.demo = demo
        """The library holds only demo jobs (the demo's, or a simulator's): their pretend spend is what it shows."""

    def spend(self, month: str, *, include_demo: bool, usd_per_credit: Decimal) -> SpendSummary:
        return self._library.spend(month, include_demo=include_demo, usd_per_credit=usd_per_credit)

    def ledger_rows(self, month: str, *, include_demo: bool, usd_per_credit: Decimal) -> list[LedgerRow]:
        return self._library.ledger_rows(month, include_demo=include_demo, usd_per_credit=usd_per_credit)

    def months_spend(self, last_n: int, *, include_demo: bool, usd_per_credit: Decimal,
                     now: datetime | None = None) -> list[MonthSpend]:
        return self._library.months_spend(last_n, include_demo=include_demo, usd_per_credit=usd_per_credit, now=now)

    def usage_by_model(self, days: int = 30, *, include_demo: bool, now: datetime | None = None) -> list[ModelUsage]:
        """Billed images per model over the last ``days`` days with the size and steps used most
        (``storage.spend.usage_by_model``): the Break-even tab's defaults."""
        return list(self._library.spend_last_days(days, include_demo=include_demo, now=now).by_model)

    def spend_by_project(self, month: str, *, include_demo: bool, usd_per_credit: Decimal) -> list[ProjectSpend]:
        """The month's spend per project against its budget (``Library.spend_by_project``)."""
        return self._library.spend_by_project(month, include_demo=include_demo, usd_per_credit=usd_per_credit)

    def project_ledger_rows(self, project_id: int | None, *, first: date | None, last: date | None,
                            include_demo: bool, usd_per_credit: Decimal) -> list[LedgerRow]:
        """One project's jobs over UTC days ``first``…``last`` (``Library.project_ledger_rows``): an invoice's."""
        return self._library.project_ledger_rows(project_id, first=first, last=last, include_demo=include_demo,
                                                 usd_per_credit=usd_per_credit)

    def set_project_budget(self, project_id: int, usd: Decimal | None) -> Project:
        """A project's own monthly budget in dollars (``None``: none); ``ProjectError`` in words when refused."""
        return self._library.set_project_budget(project_id, usd)


class ProjectChoices:
    """The projects the prompt panel's picker offers (``Library.projects``: not archived, most recently used first),
    and the one it makes or finds when a name is typed."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def recent(self) -> list[Project]:
        return self._library.projects()

    def choose(self, name: str) -> Project:
        """The project called ``name`` whatever its case, made if new; ``ProjectError`` in words for a name that
        cannot be one or an archived project."""
        return self._library.ensure_project(name, refuse_archived=True)


@dataclass(frozen=True)
class ProjectSummary:
    """A project as Settings lists it."""

    project: Project
    jobs: int
    """Every job sent for it or moved to it, demo ones too: while there is one, it cannot be deleted."""


class ProjectAdmin:
    """What Settings → Projects does to the library's projects: list them with their jobs, rename, archive or bring
    back, delete an empty one. Refusals are ``ProjectError`` in words."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def summaries(self) -> list[ProjectSummary]:
        """Every project, archived ones too, most recently used first."""
        totals = self._library.project_totals(include_demo=True)
        return [ProjectSummary(project, totals[project.id].jobs if project.id in totals else 0)
                for project in self._library.projects(include_archived=True)]

    def rename(self, project_id: int, name: str) -> Project:
        return self._library.rename_project(project_id, name)

    def archive(self, project_id: int, archived: bool) -> Project:
        return self._library.archive_project(project_id, archived)

    def delete(self, project_id: int) -> None:
        self._library.delete_project(project_id)


@dataclass(frozen=True)
class LibraryViews:
    """One open library as the window's parts see it."""

    gallery: GalleryStore
    spend: SpendQueries
    thumbnails_dir: Path
    """Where its thumbnails are cached (the thumbnail loader's disk cache)."""
    projects: ProjectChoices
    project_admin: ProjectAdmin

    @classmethod
    def of(cls, library: Library, *, demo: bool) -> LibraryViews:
        """The views of ``library``; ``demo``: it holds only demo jobs. Opens nothing yet."""
        return cls(GalleryStore(library), SpendQueries(library, demo=demo), library.thumbnails_dir,
                   ProjectChoices(library), ProjectAdmin(library))

    def close(self) -> None:
        """Blocking (the gallery's queries may be mid-query): off the GUI thread."""
        self.gallery.close()
