"""Plain-data forms of domain values: requests as dicts, times as UTC ISO text, money as Decimal.

Everything FluxDesk stores (the job journal, image records) goes through here, so the formats
stay the same in the database, in image files and on the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fluxdesk.core.request import FIELD_TYPES, SCALAR_FIELDS, GenerationRequest, InputImage, MaskImage
from fluxdesk.core.values import is_int


class RequestFormatError(ValueError):
    """A stored request that cannot be turned back into a ``GenerationRequest``."""


def request_to_dict(req: GenerationRequest, *, include_input_images: bool = True) -> dict[str, Any]:
    """The set fields of ``req`` as JSON-ready data; unset (``None``) fields are left out."""
    data: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        value = getattr(req, name)
        if value is not None:
            data[name] = value
    if include_input_images and req.input_images:
        data["input_images"] = [reference_to_dict(i) for i in req.input_images]
    if include_input_images and req.mask is not None:
        data["mask"] = reference_to_dict(req.mask)
        if req.mask.bounds is not None:
            data["mask"]["bounds"] = list(req.mask.bounds)
    if include_input_images and req.crop is not None:
        data["crop"] = reference_to_dict(req.crop)
    return data


_REFERENCE_TEXT = ("sha256", "source")
_REFERENCE_INTS = ("width", "height", "from_image_id")


def reference_to_dict(image: InputImage) -> dict[str, Any]:
    """A reference as stored: its SHA-256, size and origin. Never its data: the library keeps the bytes."""
    return {name: getattr(image, name) for name in (*_REFERENCE_TEXT, *_REFERENCE_INTS)
            if getattr(image, name) is not None}


def _image_values(item: object, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, Mapping):
        raise RequestFormatError(f"{where} must be an object")
    values: dict[str, Any] = {}
    for key in _REFERENCE_TEXT:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise RequestFormatError(f"{where}.{key} must be text")
        values[key] = value
    for key in _REFERENCE_INTS:
        value = item.get(key)
        if value is not None and not is_int(value):
            raise RequestFormatError(f"{where}.{key} must be a whole number")
        values[key] = value
    data = item.get("data")  # journals before references were kept by SHA-256 held the data itself
    if not isinstance(data, str):
        data = ""
    if not data and values["sha256"] is None:
        raise RequestFormatError(f"{where} names no image (no sha256)")
    return data, values


def _input_image(item: object, where: str) -> InputImage:
    data, values = _image_values(item, where)
    return InputImage(data, **values)


def _mask_image(item: object) -> MaskImage:
    data, values = _image_values(item, "mask")
    assert isinstance(item, Mapping)
    bounds = item.get("bounds")
    if bounds is not None:
        if not isinstance(bounds, list) or len(bounds) != 4 or not all(is_int(v) for v in bounds):
            raise RequestFormatError("mask.bounds must be four whole numbers")
        values["bounds"] = (bounds[0], bounds[1], bounds[2], bounds[3])
    return MaskImage(data, **values)


def request_from_dict(data: object) -> GenerationRequest:
    """Rebuild a request; unknown keys are ignored, a wrong type is a ``RequestFormatError``."""
    if not isinstance(data, Mapping):
        raise RequestFormatError("a request must be an object")
    for name in ("model", "prompt"):
        if not isinstance(data.get(name), str):
            raise RequestFormatError(f"{name} must be text")
    kwargs: dict[str, Any] = {"model": data["model"], "prompt": data["prompt"]}
    for name in SCALAR_FIELDS:
        value = data.get(name)
        if value is None or name in kwargs:
            continue
        if not FIELD_TYPES[name].check(value):
            raise RequestFormatError(f"{name} must be {FIELD_TYPES[name].words}")
        kwargs[name] = value
    images = data.get("input_images")
    if images is not None:
        if not isinstance(images, list):
            raise RequestFormatError("input_images must be a list")
        kwargs["input_images"] = tuple(_input_image(item, f"input_images[{i}]") for i, item in enumerate(images))
    if data.get("mask") is not None:
        kwargs["mask"] = _mask_image(data["mask"])
    if data.get("crop") is not None:
        kwargs["crop"] = _input_image(data["crop"], "crop")
    return GenerationRequest(**kwargs)


def iso_utc(moment: datetime) -> str:
    """``2026-05-09T07:35:25.123456Z``: fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def decimal_text(value: Decimal | None) -> str | None:
    """How money is stored: plain decimal text, never exponent notation."""
    return None if value is None else f"{value:f}"
