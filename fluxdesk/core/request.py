"""A generation request and its validation against the model catalog.

``validate`` answers either the field errors in plain words or the exact JSON body to POST.
Nothing here spends money: a request that does not validate is never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from fluxdesk.core.catalog import (
    MEGAPIXEL,
    AspectRatioSize,
    DimensionSize,
    FloatRange,
    IntRange,
    Model,
    UnknownModelError,
    get_model,
    megapixels_text,
    parse_aspect_ratio,
    started_megapixels,
)
from fluxdesk.core.values import is_int, is_number

SEED_MAX = 2**63 - 1
"""Seeds are stored as SQLite integers; BFL echoes whatever integer it used."""


@dataclass(frozen=True)
class InputImage:
    """A reference image as sent: its base64 data, the SHA-256 and size of the bytes sent, and where it came from.

    ``data`` is only held while a job is on its way; what is stored (the journal, image metadata) keeps the
    SHA-256, by which the library finds the same bytes again.
    """

    data: str = ""
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    """Of the bytes sent (before base64)."""
    source: str | None = None
    """What the user gave: a file path, ``pasted``, or a gallery image's file."""
    from_image_id: int | None = None
    """The library image it was made from, for lineage."""

    @property
    def pixels(self) -> int | None:
        if self.width is None or self.height is None:
            return None
        return self.width * self.height

    def without_data(self) -> InputImage:
        return replace(self, data="")


def reference_name(index: int) -> str:
    """``"image 1"``: how a prompt names the ``index``-th (0-based) reference."""
    return f"image {index + 1}"


@dataclass(frozen=True)
class GenerationRequest:
    """What a designer asks for. ``None`` means "not set": left out of the body."""

    model: str
    prompt: str
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    aspect_ratio: str | None = None
    steps: int | None = None
    guidance: float | None = None
    interval: float | None = None
    prompt_upsampling: bool | None = None
    disable_pup: bool | None = None
    raw: bool | None = None
    safety_tolerance: int | None = None
    output_format: str | None = None
    image_prompt_strength: float | None = None
    input_images: tuple[InputImage, ...] = field(default=())
    """The references in the order the prompt names them (``image 1``, ``image 2`` …); for FLUX1.1 models
    the one image prompt."""

    def with_seed(self, seed: int | None) -> GenerationRequest:
        return replace(self, seed=seed)

    def with_input_images(self, images: tuple[InputImage, ...]) -> GenerationRequest:
        return replace(self, input_images=images)

    def parameters(self) -> dict[str, Any]:
        """Every set field except the model, prompt and input images, for display and storage."""
        skip = {"model", "prompt", "input_images"}
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in skip and getattr(self, f.name) is not None}


@dataclass(frozen=True)
class FieldType:
    """What a scalar request field holds: a check for values read back from JSON, and its name in words."""

    words: str
    check: Callable[[object], bool]


WHOLE_NUMBER = FieldType("a whole number", is_int)
NUMBER = FieldType("a number", is_number)
FLAG = FieldType("true or false", lambda value: isinstance(value, bool))
TEXT = FieldType("text", lambda value: isinstance(value, str))

FIELD_TYPES: dict[str, FieldType] = {
    "model": TEXT, "prompt": TEXT, "aspect_ratio": TEXT, "output_format": TEXT,
    "seed": WHOLE_NUMBER, "width": WHOLE_NUMBER, "height": WHOLE_NUMBER, "steps": WHOLE_NUMBER,
    "safety_tolerance": WHOLE_NUMBER,
    "guidance": NUMBER, "interval": NUMBER, "image_prompt_strength": NUMBER,
    "prompt_upsampling": FLAG, "disable_pup": FLAG, "raw": FLAG,
}
"""The type of every scalar field of ``GenerationRequest`` (``input_images`` is the only other one)."""

SCALAR_FIELDS = tuple(f.name for f in fields(GenerationRequest) if f.name != "input_images")
"""Every scalar field of ``GenerationRequest``, in its order."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Validation:
    errors: tuple[FieldError, ...]
    body: dict[str, Any] | None
    """The JSON body to POST; ``None`` exactly when there are errors."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self) -> str:
        return "; ".join(str(e) for e in self.errors)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_int(name: str, value: object, rng: IntRange, model: Model, errors: list[FieldError]) -> None:
    if not is_int(value) or value not in rng:
        errors.append(FieldError(name, f"must be a whole number from {rng.minimum} to {rng.maximum} "
                                       f"for {model.name}"))


def _check_float(name: str, value: object, rng: FloatRange, model: Model,
                 errors: list[FieldError]) -> None:
    if not is_number(value) or value not in rng:
        errors.append(FieldError(name, f"must be a number from {_fmt(rng.minimum)} to "
                                       f"{_fmt(rng.maximum)} for {model.name}"))


def _not_taken(name: str, model: Model) -> FieldError:
    return FieldError(name, f"is not accepted by {model.name}")


def _side_rule(size: DimensionSize) -> str:
    if size.maximum is not None:
        return f"a multiple of {size.step} between {size.minimum} and {size.maximum}"
    return f"a multiple of {size.step}, at least {size.minimum}"


def _check_dimensions(req: GenerationRequest, model: Model, size: DimensionSize,
                      errors: list[FieldError]) -> None:
    if req.aspect_ratio is not None:
        errors.append(FieldError("aspect_ratio", f"is not accepted by {model.name}; "
                                                 "give width and height"))
    sides_ok = True
    for name in ("width", "height"):
        value = getattr(req, name)
        if value is None:
            continue
        if not is_int(value) or not size.side_ok(value):
            hint = ""
            if is_int(value) and value >= size.minimum and (size.maximum is None or value <= size.maximum):
                lower = value - value % size.step
                hint = f" (nearest: {lower} or {lower + size.step})"
            errors.append(FieldError(name, f"must be {_side_rule(size)} for {model.name}{hint}"))
            sides_ok = False
    if sides_ok and size.max_pixels is not None:
        w, h = effective_size(req, model)
        if w * h > size.max_pixels:
            errors.append(FieldError(
                "width", f"{w}×{h} is {megapixels_text(w, h)}; {model.name} allows at most "
                         f"{size.max_pixels / MEGAPIXEL:g} MP"))


def _check_aspect(req: GenerationRequest, model: Model, size: AspectRatioSize,
                  errors: list[FieldError]) -> None:
    for name in ("width", "height"):
        if getattr(req, name) is not None:
            errors.append(FieldError(name, f"is not accepted by {model.name}; give an aspect ratio"))
    if req.aspect_ratio is None:
        return
    ratio = parse_aspect_ratio(req.aspect_ratio) if isinstance(req.aspect_ratio, str) else None
    widest = "{}:{}".format(*size.widest)
    tallest = "{}:{}".format(*size.tallest)
    if ratio is None or not size.accepts(ratio):
        errors.append(FieldError("aspect_ratio", f"must be W:H between {widest} and {tallest} "
                                                 f"for {model.name}"))


def references_limit_text(model: Model) -> str:
    """``"FLUX.2 [klein] 4B takes up to 4 reference images"``, or that it takes none."""
    if not model.takes_references:
        return f"{model.name} takes no reference images"
    if model.image_prompt:
        return f"{model.name} takes one image prompt"
    if model.stable_input_images is not None and model.stable_input_images < model.max_input_images:
        return (f"{model.name} takes {model.stable_input_images} reference image "
                f"(up to {model.max_input_images} with experimental extras)")
    return f"{model.name} takes up to {model.max_input_images} reference images"


def total_megapixels(req: GenerationRequest, model: Model) -> tuple[int, list[int]] | None:
    """The billed megapixels of the output and of each reference of a dimension-sized request (``None`` otherwise,
    or while a reference's size is unknown)."""
    if not isinstance(model.size, DimensionSize):
        return None
    sizes = [image.pixels for image in req.input_images]
    if any(pixels is None for pixels in sizes):
        return None
    width, height = effective_size(req, model)
    return started_megapixels(width * height), [started_megapixels(p) for p in sizes if p is not None]


def _check_references(req: GenerationRequest, model: Model, errors: list[FieldError]) -> None:
    if not req.input_images:
        return
    field = model.input_image_field(0) if model.takes_references else "input_image"
    if not model.takes_references:
        errors.append(FieldError(field, references_limit_text(model)))
        return
    if len(req.input_images) > model.max_input_images:
        errors.append(FieldError(field, f"{references_limit_text(model)}; this request has "
                                        f"{len(req.input_images)}"))
        return
    for index, image in enumerate(req.input_images):
        if not isinstance(image.data, str) or not image.data:
            errors.append(FieldError(model.input_image_field(index),
                                     f"{reference_name(index)} has no image data"))
    if model.max_total_megapixels is None:
        return
    counted = total_megapixels(req, model)
    if counted is None:
        return
    output_mp, reference_mp = counted
    total = output_mp + sum(reference_mp)
    if total > model.max_total_megapixels:
        largest = max(range(len(reference_mp)), key=lambda i: reference_mp[i])
        errors.append(FieldError(field, (
            f"{model.name} takes at most {model.max_total_megapixels} MP in all, references and output together; "
            f"this request counts {total} MP (output {output_mp} MP, references "
            f"{' + '.join(str(mp) for mp in reference_mp)} MP). Shrink {reference_name(largest)} "
            f"({reference_mp[largest]} MP), send fewer references, or choose a smaller output")))


def validate(req: GenerationRequest) -> Validation:
    """Check ``req`` against its model; answer the field errors or the body to POST."""
    try:
        model = get_model(req.model)
    except UnknownModelError as exc:
        return Validation((FieldError("model", str(exc)),), None)
    errors: list[FieldError] = []

    if not isinstance(req.prompt, str) or not req.prompt.strip():
        errors.append(FieldError("prompt", "must not be empty"))
    if req.seed is not None and (not is_int(req.seed) or not 0 <= req.seed <= SEED_MAX):
        errors.append(FieldError("seed", f"must be a whole number from 0 to {SEED_MAX}"))

    if isinstance(model.size, DimensionSize):
        _check_dimensions(req, model, model.size, errors)
    else:
        _check_aspect(req, model, model.size, errors)

    for name, rng in (("steps", model.steps),):
        value = getattr(req, name)
        if value is not None:
            if rng is None:
                errors.append(_not_taken(name, model))
            else:
                _check_int(name, value, rng, model, errors)
    for name, frng in (("guidance", model.guidance), ("interval", model.interval),
                       ("image_prompt_strength", model.image_prompt_strength)):
        value = getattr(req, name)
        if value is not None:
            if frng is None:
                errors.append(_not_taken(name, model))
            else:
                _check_float(name, value, frng, model, errors)
    for name, default in (("prompt_upsampling", model.prompt_upsampling), ("disable_pup", model.disable_pup),
                          ("raw", model.raw)):
        value = getattr(req, name)
        if value is not None:
            if default is None:
                errors.append(_not_taken(name, model))
            elif not isinstance(value, bool):
                errors.append(FieldError(name, "must be true or false"))

    if req.safety_tolerance is not None:
        rng = model.safety_tolerance
        if req.input_images and model.safety_with_input_image_max is not None:
            rng = IntRange(rng.minimum, model.safety_with_input_image_max, rng.default)
        _check_int("safety_tolerance", req.safety_tolerance, rng, model, errors)
    if req.output_format is not None and req.output_format not in model.output_formats:
        errors.append(FieldError("output_format", f"must be one of {', '.join(model.output_formats)} "
                                                  f"for {model.name}"))
    if req.image_prompt_strength is not None and not req.input_images and model.image_prompt:
        errors.append(FieldError("image_prompt_strength", "needs an image prompt"))
    _check_references(req, model, errors)

    if errors:
        return Validation(tuple(errors), None)
    return Validation((), _body(req, model))


_BODY_FIELDS = tuple(name for name in SCALAR_FIELDS if name != "model")
"""What the JSON body carries: every scalar field but the model, which the endpoint names."""


def _body(req: GenerationRequest, model: Model) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in _BODY_FIELDS:
        value = getattr(req, name)
        if value is not None:
            body[name] = value
    for index, image in enumerate(req.input_images):
        body[model.input_image_field(index)] = image.data
    return body


def output_size_following(model: Model, width: int, height: int, pixels: int) -> tuple[int, int]:
    """An output of about ``pixels`` pixels in the aspect ratio of a ``width`` × ``height`` reference, snapped to
    what ``model`` accepts."""
    if not isinstance(model.size, DimensionSize):
        raise ValueError(f"{model.name} is sized by aspect ratio")
    size = model.size
    scale = (pixels / (width * height)) ** 0.5
    w, h = size.snap_size(max(1, round(width * scale)), max(1, round(height * scale)))
    # Snapping may round both sides up: never past the megapixels asked for, which would bill one more.
    while w * h > pixels and max(w, h) - size.step >= size.minimum:
        if w >= h:
            w -= size.step
        else:
            h -= size.step
    return w, h


def effective_size(req: GenerationRequest, model: Model | None = None) -> tuple[int, int]:
    """The output size in pixels a dimension-sized model will produce (its defaults for unset sides)."""
    model = model or get_model(req.model)
    if not isinstance(model.size, DimensionSize):
        raise ValueError(f"{model.name} is sized by aspect ratio")
    return (req.width if req.width is not None else model.size.default_width,
            req.height if req.height is not None else model.size.default_height)


def seeds_for(seed: int | None, count: int) -> list[int | None]:
    """With N images: seed, seed+1, …; all random when no seed is fixed."""
    if seed is None:
        return [None] * count
    return [seed + i for i in range(count)]
