"""What a POST body asks for: a validated ``GenerationRequest``, or BFL's 422 details."""

from __future__ import annotations

import base64
import binascii
import io
import random
from dataclasses import fields
from typing import Any

from PIL import Image, UnidentifiedImageError

from fluxdesk.core.catalog import Model
from fluxdesk.core.request import FieldError, GenerationRequest, InputImage, validate

_SCALAR_FIELDS = frozenset(f.name for f in fields(GenerationRequest)) - {"model", "input_images"}

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


def request_from_body(model: Model, data: Any) -> tuple[GenerationRequest | None, list[FieldError]]:
    """Build and validate the request; the errors name BFL's body fields."""
    if not isinstance(data, dict):
        return None, [FieldError("", "must be a JSON object")]
    image_fields = {model.input_image_field(i): i for i in range(max(1, model.max_input_images))}
    values: dict[str, Any] = {}
    images: dict[int, InputImage] = {}
    errors: list[FieldError] = []
    for name, value in data.items():
        if value is None:  # like BFL's schema: null means "not set"
            continue
        if name in image_fields:
            images[image_fields[name]] = _input_image(value)
        elif name in _SCALAR_FIELDS:
            values[name] = value
        else:
            errors.append(FieldError(name, f"extra inputs are not permitted by {model.name}"))
    if errors:
        return None, errors
    prompt = values.pop("prompt", "")
    req = GenerationRequest(model=model.id, prompt=prompt,
                            input_images=tuple(images[i] for i in sorted(images)), **values)
    result = validate(req)
    if not result.ok:
        return None, list(result.errors)
    return req, []


def error_detail(errors: list[FieldError]) -> list[dict[str, Any]]:
    """FastAPI's 422 ``detail`` list."""
    return [{"loc": ["body", e.field] if e.field else ["body"], "msg": e.message, "type": "value_error"}
            for e in errors]


def _input_image(value: Any) -> InputImage:
    """Base64 data is measured (input megapixels are billed); a URL's size stays unknown."""
    if not isinstance(value, str) or value.startswith(("http://", "https://")):
        return InputImage(data=value)
    encoded = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
            width, height = image.size
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        return InputImage(data=value)
    return InputImage(data=value, width=width, height=height)


def upsampling_on(model: Model, req: GenerationRequest) -> bool:
    if req.prompt_upsampling is not None:
        return req.prompt_upsampling
    return bool(model.prompt_upsampling)


def upsample(prompt: str, rng: random.Random) -> str:
    """BFL rewrites the prompt with a language model; this one appends a random flourish."""
    return f"{prompt.rstrip().rstrip('.,')}, {rng.choice(_MOODS)}, {rng.choice(_EMBELLISHMENTS)}"
