"""What the library answers: a job of the journal, an image of the gallery."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fluxdesk.core.jobs import JobStatus
from fluxdesk.core.metadata import ImageRecord, MetadataError, from_json
from fluxdesk.core.request import GenerationRequest
from fluxdesk.core.serialize import RequestFormatError, request_from_dict
from fluxdesk.core.values import as_decimal
from fluxdesk.storage.db import LibraryError


@dataclass(frozen=True)
class JobRow:
    id: str
    created_at: str
    updated_at: str
    model: str
    prompt: str
    size: str | None
    """``1024x768``, or the aspect ratio for models sized that way."""
    request: GenerationRequest
    body: dict[str, Any]
    """What was POSTed; input image data is replaced by a short note (the request keeps it)."""
    status: JobStatus
    task_id: str | None
    polling_url: str | None
    cost_credits: Decimal | None
    """What BFL said the job costs; ``None`` until submitted, or when BFL did not say."""
    estimated_credits: Decimal | None
    input_mp: float | None
    output_mp: float | None
    submitted_at: str | None
    sample_url: str | None
    sample_expires_at: float | None
    """Epoch seconds after which the signed sample URL no longer works."""
    result: dict[str, Any] | None
    error: str | None
    demo: bool
    batch_id: str | None
    seq: int
    image_id: int | None
    project_id: int | None = None
    """The project it was sent for (``None``: no project)."""
    project_name: str | None = None
    """That project's name now."""


@dataclass(frozen=True)
class ImageRow:
    id: int
    job_id: str
    path: Path
    model: str
    prompt: str
    prompt_used: str | None
    seed: int | None
    width: int | None
    height: int | None
    aspect_ratio: str | None
    steps: int | None
    guidance: float | None
    parameters: dict[str, Any]
    cost_credits: Decimal | None
    created_at: str
    start_time: float | None
    end_time: float | None
    duration: float | None
    task_id: str | None
    demo: bool
    favourite: bool
    trashed_at: str | None
    trashed_from: Path | None
    """Where a trashed image was, to put it back."""
    file_size: int | None
    format: str | None
    record_json: str
    project_id: int | None = None
    """The project of the image's job (``None``: no project)."""
    project_name: str | None = None
    """That project's name now (the file's record keeps the name it had when the image was made)."""

    @property
    def record(self) -> ImageRecord:
        """The full generation record, as embedded in the file."""
        try:
            return from_json(self.record_json)
        except MetadataError as exc:
            raise LibraryError(f"the stored record of image {self.id} is damaged: {exc}") from None


@dataclass(frozen=True)
class ReferenceRow:
    """One reference of an image's job: what "Made from" shows of it."""

    position: int
    """0 for "image 1", the first reference the prompt names."""
    sha256: str | None
    """Of the bytes sent; ``None`` only for a job journalled before references were kept by it."""
    width: int | None
    height: int | None
    """As sent."""
    source: str | None
    """What the user gave: a file path, ``pasted``, or a gallery image's file."""
    from_image_id: int | None
    """The library image it was taken from, while that image is still in the library (perhaps in its trash)."""
    from_image_trashed: bool
    """That image is in the trash (the gallery does not show it until restored)."""
    from_image_path: Path | None
    """That image's file (where it is now)."""
    path: Path | None
    """The stored file of the bytes sent (``Library.reference_path``); ``None`` when the library no longer has it."""


def _json(text: str | None, what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise LibraryError(f"the library database holds damaged {what} data") from None


JOBS_SQL = "SELECT j.*, p.name AS project_name FROM jobs j LEFT JOIN projects p ON p.id = j.project_id"
"""What ``job_from_row`` reads: a job with its project's name. Add ``WHERE j.…``."""
IMAGES_SQL = ("SELECT i.*, j.project_id AS project_id, p.name AS project_name FROM images i "
              "LEFT JOIN jobs j ON j.id = i.job_id LEFT JOIN projects p ON p.id = j.project_id")
"""What ``image_from_row`` reads: an image with its job's project. Add ``WHERE i.…``."""


def job_from_row(row: sqlite3.Row) -> JobRow:
    try:
        status = JobStatus(row["status"])
        request = request_from_dict(_json(row["request"], "request"))
    except (ValueError, RequestFormatError) as exc:
        raise LibraryError(f"job {row['id']} in the library database is damaged: {exc}") from None
    return JobRow(
        id=row["id"], created_at=row["created_at"], updated_at=row["updated_at"], model=row["model"],
        prompt=row["prompt"], size=row["size"], request=request, body=_json(row["body"], "body") or {},
        status=status, task_id=row["task_id"], polling_url=row["polling_url"],
        cost_credits=as_decimal(row["cost_credits"]), estimated_credits=as_decimal(row["estimated_credits"]),
        input_mp=row["input_mp"], output_mp=row["output_mp"], submitted_at=row["submitted_at"],
        sample_url=row["sample_url"], sample_expires_at=row["sample_expires_at"],
        result=_json(row["result"], "result"), error=row["error"], demo=bool(row["demo"]),
        batch_id=row["batch_id"], seq=row["seq"], image_id=row["image_id"], project_id=row["project_id"],
        project_name=row["project_name"])


def image_from_row(row: sqlite3.Row) -> ImageRow:
    parameters = _json(row["parameters"], "parameters")
    return ImageRow(
        id=row["id"], job_id=row["job_id"], path=Path(row["path"]), model=row["model"], prompt=row["prompt"],
        prompt_used=row["prompt_used"], seed=row["seed"], width=row["width"], height=row["height"],
        aspect_ratio=row["aspect_ratio"], steps=row["steps"], guidance=row["guidance"],
        parameters=parameters if isinstance(parameters, dict) else {},
        cost_credits=as_decimal(row["cost_credits"]), created_at=row["created_at"],
        start_time=row["start_time"], end_time=row["end_time"], duration=row["duration"],
        task_id=row["task_id"], demo=bool(row["demo"]), favourite=bool(row["favourite"]),
        trashed_at=row["trashed_at"], trashed_from=Path(row["trashed_from"]) if row["trashed_from"] else None,
        file_size=row["file_size"], format=row["format"],
        record_json=row["record"], project_id=row["project_id"], project_name=row["project_name"])
