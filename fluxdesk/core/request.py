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
    ImageSize,
    IntRange,
    Model,
    UnknownModelError,
    get_model,
    megapixels_text,
    parse_aspect_ratio,
    started_megapixels,
)
from fluxdesk.core.masks import SIDE_NAMES, Box, CropError, box_is_empty, box_size, crop_box, expanded_size
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


@dataclass(frozen=True)
class MaskImage(InputImage):
    """A mask as sent and stored: a greyscale PNG of the image's size, white (255) where to repaint, black (0)
    where to keep; kept in the library by SHA-256 like a reference."""

    bounds: Box | None = None
    """The box of its white pixels (``core.masks``); an empty box when it is all black; ``None`` when not measured
    (the pipeline measures it before sending)."""


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
    top: int | None = None
    right: int | None = None
    bottom: int | None = None
    left: int | None = None
    """Expand: the pixels added to each side (unset sides add none)."""
    input_images: tuple[InputImage, ...] = field(default=())
    """The references in the order the prompt names them (``image 1``, ``image 2`` …); for FLUX1.1 models
    the one image prompt; for an editing tool or a local edit, the one image being edited."""
    mask: MaskImage | None = None
    """Fill and a FLUX.2 local edit: where to repaint ``input_images[0]``."""
    crop: InputImage | None = None
    """A FLUX.2 local edit: the part of ``input_images[0]`` inside ``crop_box`` as sent in its place (at the request's
    width and height), kept in the library by SHA-256 like a reference; made by ``storage.masks.make_crop``."""

    def with_seed(self, seed: int | None) -> GenerationRequest:
        return replace(self, seed=seed)

    def with_input_images(self, images: tuple[InputImage, ...]) -> GenerationRequest:
        return replace(self, input_images=images)

    @property
    def sides(self) -> tuple[int, int, int, int]:
        """Expand's ``(top, right, bottom, left)``, unset sides as 0."""
        return self.top or 0, self.right or 0, self.bottom or 0, self.left or 0

    def parameters(self) -> dict[str, Any]:
        """Every set field except the model, prompt and images, for display and storage."""
        skip = set(IMAGE_FIELDS) | {"model", "prompt"}
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
    "top": WHOLE_NUMBER, "right": WHOLE_NUMBER, "bottom": WHOLE_NUMBER, "left": WHOLE_NUMBER,
}
"""The type of every scalar field of ``GenerationRequest`` (the images, ``IMAGE_FIELDS``, are the others)."""

IMAGE_FIELDS = ("input_images", "mask", "crop")
"""The fields of ``GenerationRequest`` that hold images: stored by SHA-256, never in the scalar parameters."""

SCALAR_FIELDS = tuple(f.name for f in fields(GenerationRequest) if f.name not in IMAGE_FIELDS)
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
    if model.tool:
        return f"{model.name} takes one image: the one it edits"
    if model.image_prompt:
        return f"{model.name} takes one image prompt"
    if model.stable_input_images is not None and model.stable_input_images < model.max_input_images:
        return (f"{model.name} takes {model.stable_input_images} reference image "
                f"(up to {model.max_input_images} with experimental extras)")
    return f"{model.name} takes up to {model.max_input_images} reference images"


def is_local_edit(req: GenerationRequest, model: Model | None = None) -> bool:
    """A FLUX.2 local edit: a mask on a model that takes none but edits the crop around it (``Model.local_edit``)."""
    model = model or get_model(req.model)
    return req.mask is not None and model.local_edit


def sent_reference_pixels(req: GenerationRequest, model: Model | None = None) -> tuple[int | None, ...]:
    """The pixels of each reference as sent, in order (``None`` where unknown): the references themselves, or for
    a local edit its crop alone (the size of the output asked for), not the whole image it was cut from."""
    model = model or get_model(req.model)
    if is_local_edit(req, model):
        if req.crop is not None and req.crop.pixels is not None:
            return (req.crop.pixels,)
        return (req.width * req.height if is_int(req.width) and is_int(req.height) else None,)
    return tuple(image.pixels for image in req.input_images)


def total_megapixels(req: GenerationRequest, model: Model) -> tuple[int, list[int]] | None:
    """The billed megapixels of the output and of each reference of a dimension-sized request (``None`` otherwise,
    or while a reference's size is unknown)."""
    if not isinstance(model.size, DimensionSize):
        return None
    sizes = sent_reference_pixels(req, model)
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
            what = "the image to edit" if model.tool or req.mask is not None else reference_name(index)
            errors.append(FieldError(model.input_image_field(index), f"{what} has no image data"))
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

    # BFL's tools take an empty prompt (Expand then continues the picture); the other models need one.
    if not isinstance(req.prompt, str) or (not req.prompt.strip() and not model.tool):
        errors.append(FieldError("prompt", "must not be empty"))
    if req.seed is not None and (not is_int(req.seed) or not 0 <= req.seed <= SEED_MAX):
        errors.append(FieldError("seed", f"must be a whole number from 0 to {SEED_MAX}"))

    if isinstance(model.size, DimensionSize):
        _check_dimensions(req, model, model.size, errors)
    elif isinstance(model.size, AspectRatioSize):
        _check_aspect(req, model, model.size, errors)
    else:
        _check_image_sized(req, model, errors)

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
    _check_sides(req, model, errors)
    _check_mask(req, model, errors)

    if errors:
        return Validation(tuple(errors), None)
    return Validation((), _body(req, model))


def _check_image_sized(req: GenerationRequest, model: Model, errors: list[FieldError]) -> None:
    for name in ("width", "height", "aspect_ratio"):
        if getattr(req, name) is not None:
            errors.append(FieldError(name, f"is not accepted by {model.name}: its output has the size of the image "
                                           "it edits"))


def _check_sides(req: GenerationRequest, model: Model, errors: list[FieldError]) -> None:
    rng = model.expand_sides
    given = [(name, getattr(req, name)) for name in SIDE_NAMES if getattr(req, name) is not None]
    if rng is None:
        errors.extend(_not_taken(name, model) for name, _value in given)
        return
    fine = True
    for name, value in given:
        if not is_int(value) or value not in rng:
            errors.append(FieldError(name, f"must be a whole number of pixels from {rng.minimum} to {rng.maximum}"))
            fine = False
    if fine and not any(value for _name, value in given):
        errors.append(FieldError("sides", "add pixels to at least one side (top, right, bottom or left)"))


def _check_mask(req: GenerationRequest, model: Model, errors: list[FieldError]) -> None:
    """The mask and the image it masks: both there, the same size, something to repaint; a local edit's crop."""
    if model.tool and not req.input_images:
        errors.append(FieldError("image", f"{model.name} needs the image to edit"))
    mask = req.mask
    if mask is None:
        if model.takes_mask:
            errors.append(FieldError("mask", f"{model.name} needs a mask: white where to repaint, black where to keep"))
        if req.crop is not None:
            errors.append(FieldError("crop", "only a local edit sends a crop"))
        return
    if not model.takes_masks:
        errors.append(FieldError("mask", f"{model.name} takes no mask: a masked edit is for FLUX.1 Fill [pro] or a "
                                         "FLUX.2 model's local edit"))
        return
    if not isinstance(mask.data, str) or not mask.data:
        errors.append(FieldError("mask", "the mask has no image data"))
    image = req.input_images[0] if req.input_images else None
    if image is None:
        if not model.tool:
            errors.append(FieldError("input_image", "a mask needs the image it masks"))
        return
    image_size, mask_size = (image.width, image.height), (mask.width, mask.height)
    if None not in image_size and None not in mask_size and image_size != mask_size:
        errors.append(FieldError("mask", "the mask is {}×{} pixels and the image {}×{}: a mask has the size of its "
                                         "image".format(*mask_size, *image_size)))
        return
    if mask.bounds is not None and box_is_empty(mask.bounds):
        errors.append(FieldError("mask", "the mask is all black: nothing to repaint (white marks what to repaint)"))
        return
    if model.local_edit:
        _check_crop(req, model, image, errors)


def _check_crop(req: GenerationRequest, model: Model, image: InputImage, errors: list[FieldError]) -> None:
    """A local edit is sent as its crop, at the crop's size: the crop ``crop_box`` finds around the mask."""
    crop = req.crop
    if len(req.input_images) > 1:
        errors.append(FieldError("input_image", "a local edit sends one image, the crop around its mask: it takes no "
                                                "other references"))
    if crop is None or not isinstance(crop.data, str) or not crop.data:
        errors.append(FieldError("input_image", "the crop around the mask has not been made"))
    assert req.mask is not None
    bounds = req.mask.bounds
    if bounds is None or image.width is None or image.height is None:
        return  # measured before sending: the pipeline checks again with the sizes known
    try:
        box = crop_box(bounds, (image.width, image.height), model)
    except CropError as exc:
        errors.append(FieldError("mask", str(exc)))
        return
    size = box_size(box)
    if crop is not None and None not in (crop.width, crop.height) and (crop.width, crop.height) != size:
        errors.append(FieldError("input_image", "the crop sent is {}×{}, not the {}×{} around the mask".format(
            crop.width, crop.height, *size)))
    if (req.width, req.height) != size:
        errors.append(FieldError("width", "a local edit is sent at the size of the crop around its mask, {}×{}"
                                          .format(*size)))


_BODY_FIELDS = tuple(name for name in SCALAR_FIELDS if name != "model")
"""What the JSON body carries: every scalar field but the model, which the endpoint names."""


def _body(req: GenerationRequest, model: Model) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in _BODY_FIELDS:
        value = getattr(req, name)
        if value is not None:
            body[name] = value
    if model.expand_sides is not None:
        body.update(zip(SIDE_NAMES, req.sides, strict=True))
    if is_local_edit(req, model):
        assert req.crop is not None
        body[model.input_image_field(0)] = req.crop.data
    else:
        for index, image in enumerate(req.input_images):
            body[model.input_image_field(index)] = image.data
    if model.takes_mask and req.mask is not None:
        body["mask"] = req.mask.data
    return body


def edit_output_size(req: GenerationRequest, model: Model | None = None) -> tuple[int, int] | None:
    """The size an editing tool delivers: the image's (Fill), grown by the sides (Expand); ``None`` when the
    image's size is not known, or for a model sized otherwise."""
    model = model or get_model(req.model)
    if not isinstance(model.size, ImageSize) or not req.input_images:
        return None
    image = req.input_images[0]
    if image.width is None or image.height is None:
        return None
    if model.expand_sides is None:
        return image.width, image.height
    return expanded_size((image.width, image.height), req.sides)


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
