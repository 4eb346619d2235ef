"""What a POST body asks for: a validated ``GenerationRequest``, or BFL's 422 details."""

from __future__ import annotations

import base64
import binascii
import io
import random
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from fluxdesk.core.catalog import Model
from fluxdesk.core.request import (
    SCALAR_FIELDS,
    FieldError,
    GenerationRequest,
    InputImage,
    MaskImage,
    reference_name,
    references_limit_text,
    validate,
)
from fluxdesk.storage.imaging import DECODE_ERRORS, MAX_REFERENCE_PIXELS

_IMAGE_FIELD = re.compile(r"input_image(_[0-9]+)?|image_prompt")
"""A reference field of some endpoint: past what this one takes it is refused by its count, not as a stranger."""
_SCALAR_FIELDS = frozenset(SCALAR_FIELDS) - {"model"}

_EMBELLISHMENTS = (
    "bathed in soft golden-hour light",
    "with crisp cinematic detail",
    "in a muted pastel palette",
    "shot on 35mm film with gentle grain",
    "under dramatic volumetric lighting",
    "with a shallow depth of field",
    "in the style of a vintage travel poster",
    "rendered with intricate textures",
)
_MOODS = ("serene", "vibrant", "moody", "whimsical", "majestic", "minimalist", "dreamlike", "bold")


@dataclass(frozen=True)
class Body:
    """A POST body read: the validated request, or the errors naming BFL's fields; and each reference's bytes."""

    request: GenerationRequest | None
    errors: list[FieldError]
    references: tuple[bytes | None, ...] = ()
    """The decoded bytes of each reference, in order; ``None`` for a URL (BFL fetches it; the simulator cannot)."""
    mask: bytes | None = None
    """Fill: the decoded bytes of the mask."""


def request_from_body(model: Model, data: Any) -> Body:
    """Build and validate the request; the errors name BFL's body fields."""
    if not isinstance(data, dict):
        return Body(None, [FieldError("", "must be a JSON object")])
    image_fields = {model.input_image_field(i): i for i in range(max(1, model.max_input_images))}
    values: dict[str, Any] = {}
    images: dict[int, tuple[InputImage, bytes | None]] = {}
    mask: tuple[InputImage, bytes | None] | None = None
    errors: list[FieldError] = []
    for name, value in data.items():
        if value is None:  # like BFL's schema: null means "not set"
            continue
        if name in image_fields or (name == "mask" and model.takes_mask):
            label = "the mask" if name == "mask" else "the image" if model.tool else reference_name(image_fields[name])
            read = _input_image(name, label, value)
            if isinstance(read, FieldError):
                errors.append(read)
            elif name == "mask":
                mask = read
            else:
                images[image_fields[name]] = read
        elif name in _SCALAR_FIELDS:
            values[name] = value
        elif _IMAGE_FIELD.fullmatch(name):
            errors.append(FieldError(name, f"{references_limit_text(model)}; {name} is not one of its fields"))
        else:
            errors.append(FieldError(name, f"extra inputs are not permitted by {model.name}"))
    if errors:
        return Body(None, errors)
    ordered = [images[i] for i in sorted(images)]
    prompt = values.pop("prompt", "")
    # The mask's bounds are not measured: BFL documents no refusal of an all-black mask, so none is made up here.
    mask_image = None if mask is None else MaskImage(mask[0].data, mask[0].width, mask[0].height)
    req = GenerationRequest(model=model.id, prompt=prompt, input_images=tuple(image for image, _ in ordered),
                            mask=mask_image, **values)
    result = validate(req)
    if not result.ok:
        return Body(None, list(result.errors))
    return Body(req, [], tuple(data for _, data in ordered), None if mask is None else mask[1])


def error_detail(errors: list[FieldError]) -> list[dict[str, Any]]:
    """FastAPI's 422 ``detail`` list."""
    return [{"loc": ["body", e.field] if e.field else ["body"], "msg": e.message, "type": "value_error"}
            for e in errors]


REFERENCE_FORMATS = ("PNG", "JPEG", "WEBP")
"""What the simulator decodes: BFL documents no list; PNG and JPEG are safe, WebP is common."""


def _input_image(field: str, name: str, value: Any) -> tuple[InputImage, bytes | None] | FieldError:
    """Base64 data is decoded and measured (input megapixels are billed); a URL's size stays unknown."""
    if not isinstance(value, str):
        return FieldError(field, f"{name} must be base64 image data or an https URL")
    if value.startswith(("http://", "https://")):
        return InputImage(data=value), None
    encoded = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        return FieldError(field, f"{name} is not valid base64")
    if not raw:
        return FieldError(field, f"{name} is empty")
    try:
        with Image.open(io.BytesIO(raw), formats=REFERENCE_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_REFERENCE_PIXELS:
                return FieldError(field, f"{name} is {width}×{height} pixels, too large to decode")
            image.load()  # a truncated file is refused now, not when the sample is drawn
    except Image.DecompressionBombError:
        return FieldError(field, f"{name} claims a size too large to decode")
    except UnidentifiedImageError:
        return FieldError(field, f"{name} is not a PNG, JPEG or WebP image")
    except DECODE_ERRORS:
        return FieldError(field, f"{name} is damaged or incomplete")
    return InputImage(data=value, width=width, height=height), raw


def upsampling_on(model: Model, req: GenerationRequest) -> bool:
    """Whether the endpoint rewrites the prompt: FLUX.2 [pro]/[max] unless ``disable_pup`` is true, the others
    as ``prompt_upsampling`` says or by their default (klein never)."""
    if model.disable_pup is not None:
        return req.disable_pup is not True
    if req.prompt_upsampling is not None:
        return req.prompt_upsampling
    return model.upsamples_by_default


def upsample(prompt: str, rng: random.Random) -> str:
    """BFL rewrites the prompt with a language model; this one appends a random flourish."""
    return f"{prompt.rstrip().rstrip('.,')}, {rng.choice(_MOODS)}, {rng.choice(_EMBELLISHMENTS)}"
