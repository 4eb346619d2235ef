"""The model catalog: every BFL endpoint FluxDesk speaks, with what each one accepts.

The facts come from ``shared/bfl-api.md``. Prices are not here: they are dated data
(``resources/prices.json``); a model only says *how* it is priced.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

MEGAPIXEL = 1024 * 1024
"""BFL counts one megapixel as 1024 × 1024 pixels."""


def megapixels(width: int, height: int) -> float:
    """The size of a ``width`` × ``height`` image in BFL's megapixels (1 MP = 1024 × 1024 px)."""
    return width * height / MEGAPIXEL


def started_megapixels(pixels: int) -> int:
    """Megapixels as BFL bills and limits them: every started megapixel counts, at least one."""
    return max(1, -(-pixels // MEGAPIXEL))


def megapixels_text(width: int, height: int) -> str:
    """``"3.98 MP"``: how every screen shows an image's megapixels, so one image reads the same everywhere."""
    return f"{megapixels(width, height):.2f} MP"

DEFAULT_CONCURRENCY = 24
"""Active tasks BFL allows per account."""


class Pricing(enum.Enum):
    FLAT = "flat"
    """A fixed number of credits per image."""
    MEGAPIXEL = "megapixel"
    """Credits for the first megapixel plus each further started megapixel (FLUX.2)."""


@dataclass(frozen=True)
class IntRange:
    minimum: int
    maximum: int
    default: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class FloatRange:
    minimum: float
    maximum: float
    default: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class DimensionSize:
    """Size given as ``width`` and ``height``."""

    step: int
    minimum: int
    maximum: int | None
    """Per side; ``None`` when only the megapixel cap limits a side."""
    max_pixels: int | None
    """Cap on width × height; ``None`` when the per-side limits are all there is."""
    default_width: int
    default_height: int

    @property
    def max_megapixels(self) -> Decimal | None:
        return None if self.max_pixels is None else Decimal(self.max_pixels) / MEGAPIXEL

    def side_ok(self, value: int) -> bool:
        if value < self.minimum or value % self.step:
            return False
        return self.maximum is None or value <= self.maximum

    def snap(self, value: int) -> int:
        """The nearest side length this model accepts (ignoring the pixel cap)."""
        snapped = max(self.minimum, round(value / self.step) * self.step)
        if self.maximum is not None:
            snapped = min(snapped, self.maximum - self.maximum % self.step)
        return snapped

    def snap_size(self, width: int, height: int) -> tuple[int, int]:
        """The nearest accepted size, shrunk evenly when it is over the pixel cap."""
        # No side can be longer than this; a huge one (image metadata is hostile input) would make the loop
        # below run for ever, or overflow the float division in ``snap``.
        longest = self.maximum or (self.max_pixels // self.minimum if self.max_pixels else None)
        if longest is not None:
            width, height = min(width, longest), min(height, longest)
        w, h = self.snap(width), self.snap(height)
        while self.max_pixels is not None and w * h > self.max_pixels:
            if w >= h:
                w -= self.step
            else:
                h -= self.step
        return w, h


@dataclass(frozen=True)
class AspectRatioSize:
    """Size given as an ``aspect_ratio`` string "W:H" within a range."""

    widest: tuple[int, int]
    tallest: tuple[int, int]
    default: str
    presets: tuple[str, ...]
    approx_megapixels: Decimal

    def accepts(self, ratio: Fraction) -> bool:
        return Fraction(*self.tallest) <= ratio <= Fraction(*self.widest)


def parse_aspect_ratio(text: str) -> Fraction | None:
    """``"16:9"`` → ``Fraction(16, 9)``; ``None`` for anything that is not two positive integers."""
    parts = text.split(":")
    if len(parts) != 2:
        return None
    try:
        w, h = (int(p.strip()) for p in parts)
    except ValueError:
        return None
    if w <= 0 or h <= 0:
        return None
    return Fraction(w, h)


@dataclass(frozen=True)
class ImageSize:
    """The output has the size of the image being edited (FLUX.1 Fill), grown by the sides asked for (Expand).

    No ``width``, ``height`` or ``aspect_ratio`` is sent."""


ASPECT_PRESETS = ("21:9", "16:9", "3:2", "4:3", "1:1", "3:4", "2:3", "9:16", "9:21")


@dataclass(frozen=True)
class Model:
    id: str
    """The endpoint: ``POST /v1/{id}``."""
    name: str
    """What a designer reads, e.g. ``FLUX1.1 [pro]``."""
    family: str
    size: DimensionSize | AspectRatioSize | ImageSize
    pricing: Pricing
    steps: IntRange | None = None
    guidance: FloatRange | None = None
    interval: FloatRange | None = None
    prompt_upsampling: bool | None = None
    """Its default; ``None`` when the model does not take the field."""
    raw: bool | None = None
    """Its default; ``None`` when the model does not take the field."""
    safety_tolerance: IntRange = IntRange(0, 6, 2)
    safety_with_input_image_max: int | None = None
    """Some models (Kontext) allow less tolerance when editing an input image."""
    output_formats: tuple[str, ...] = ("jpeg", "png")
    default_output_format: str = "jpeg"
    disable_pup: bool | None = None
    """Its default; ``None`` when the model does not take the field. FLUX.2 [pro]/[max] upsample the prompt
    unless ``disable_pup`` is true (they take no ``prompt_upsampling``)."""
    max_input_images: int = 0
    """References it takes: ``input_image``, ``input_image_2`` … (or one ``image_prompt``); 0 for none."""
    stable_input_images: int | None = None
    """References past this many are marked experimental by BFL (Kontext); ``None`` when all are stable."""
    max_total_megapixels: int | None = None
    """A cap on billed megapixels, references and output together (FLUX.2 [pro]: 9)."""
    image_prompt: bool = False
    """Its one reference is an ``image_prompt`` (FLUX1.1 "Redux"), not an ``input_image``."""
    image_prompt_strength: FloatRange | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    legacy: bool = False
    tool: bool = False
    """An editing tool (Fill, Expand): its one input is the image being edited, sent as ``image``. Tools are in
    ``TOOL_MODELS``, not ``MODELS``: the prompt panel and the break-even tab never list them."""
    takes_mask: bool = False
    """It takes a ``mask`` of the image's size: white is repainted, black kept (Fill)."""
    expand_sides: IntRange | None = None
    """Pixels it adds to each side (``top``, ``right``, ``bottom``, ``left``; Expand); ``None`` when it grows none."""
    local_edit: bool = False
    """It takes no mask, but FluxDesk can edit part of an image with it: the crop around a mask is sent as the
    reference and the result composited back through the mask (FLUX.2)."""

    @property
    def takes_dimensions(self) -> bool:
        return isinstance(self.size, DimensionSize)

    def input_image_field(self, index: int) -> str:
        """BFL's field name of the ``index``-th (0-based) reference."""
        if self.tool:
            return "image"
        if self.image_prompt:
            return "image_prompt"
        return "input_image" if index == 0 else f"input_image_{index + 1}"

    @property
    def takes_masks(self) -> bool:
        """A mask means something to it: sent as its ``mask`` field, or used by FluxDesk for a local edit."""
        return self.takes_mask or self.local_edit

    @property
    def takes_references(self) -> bool:
        return self.max_input_images > 0

    @property
    def references_priced(self) -> bool:
        """FLUX.2 bills every reference's megapixels; the flat models take them free."""
        return self.pricing is Pricing.MEGAPIXEL

    @property
    def upsamples_by_default(self) -> bool:
        """Whether BFL rewrites the prompt when the request does not say."""
        if self.disable_pup is not None:
            return not self.disable_pup
        return bool(self.prompt_upsampling)

    @property
    def upsampling_switchable(self) -> bool:
        return self.disable_pup is not None or self.prompt_upsampling is not None

    def upsampling_fields(self, on: bool) -> dict[str, bool]:
        """The request fields that turn prompt upsampling on or off at this endpoint (empty: it has no switch)."""
        if self.disable_pup is not None:
            return {"disable_pup": not on}
        if self.prompt_upsampling is not None:
            return {"prompt_upsampling": on}
        return {}


_FLUX1_SIZE = DimensionSize(step=32, minimum=256, maximum=1440, max_pixels=None,
                            default_width=1024, default_height=768)
_FLUX2_SIZE = DimensionSize(step=16, minimum=64, maximum=None, max_pixels=4 * MEGAPIXEL,
                            default_width=1024, default_height=1024)
_ULTRA_SIZE = AspectRatioSize(widest=(21, 9), tallest=(9, 21), default="16:9",
                              presets=ASPECT_PRESETS, approx_megapixels=Decimal(4))
_KONTEXT_SIZE = AspectRatioSize(widest=(21, 9), tallest=(9, 21), default="1:1",
                                presets=ASPECT_PRESETS, approx_megapixels=Decimal(1))
_FLUX2_SAFETY = IntRange(0, 5, 2)
_FLUX2_FORMATS = ("jpeg", "png", "webp")

MODELS: tuple[Model, ...] = (
    Model("flux-2-pro", "FLUX.2 [pro]", "FLUX.2", _FLUX2_SIZE, Pricing.MEGAPIXEL, disable_pup=False,
          safety_tolerance=_FLUX2_SAFETY, output_formats=_FLUX2_FORMATS, max_input_images=8,
          max_total_megapixels=9, local_edit=True),
    Model("flux-2-max", "FLUX.2 [max]", "FLUX.2", _FLUX2_SIZE, Pricing.MEGAPIXEL, disable_pup=False,
          safety_tolerance=_FLUX2_SAFETY, output_formats=_FLUX2_FORMATS, max_input_images=8, local_edit=True),
    Model("flux-2-flex", "FLUX.2 [flex]", "FLUX.2", _FLUX2_SIZE, Pricing.MEGAPIXEL,
          steps=IntRange(1, 50, 50), guidance=FloatRange(1.5, 10.0, 4.5), prompt_upsampling=True,
          safety_tolerance=_FLUX2_SAFETY, output_formats=_FLUX2_FORMATS, max_input_images=8, local_edit=True),
    Model("flux-2-klein-4b", "FLUX.2 [klein] 4B", "FLUX.2", _FLUX2_SIZE, Pricing.MEGAPIXEL,
          safety_tolerance=_FLUX2_SAFETY, output_formats=_FLUX2_FORMATS, max_input_images=4, local_edit=True),
    Model("flux-2-klein-9b", "FLUX.2 [klein] 9B", "FLUX.2", _FLUX2_SIZE, Pricing.MEGAPIXEL,
          safety_tolerance=_FLUX2_SAFETY, output_formats=_FLUX2_FORMATS, max_input_images=4, local_edit=True),
    Model("flux-pro-1.1", "FLUX1.1 [pro]", "FLUX1.1", _FLUX1_SIZE, Pricing.FLAT,
          prompt_upsampling=False, image_prompt=True, max_input_images=1),
    Model("flux-pro-1.1-ultra", "FLUX1.1 [pro] Ultra", "FLUX1.1", _ULTRA_SIZE, Pricing.FLAT,
          prompt_upsampling=False, raw=False, image_prompt=True, max_input_images=1,
          image_prompt_strength=FloatRange(0.0, 1.0, 0.1)),
    Model("flux-kontext-pro", "FLUX.1 Kontext [pro]", "Kontext", _KONTEXT_SIZE, Pricing.FLAT,
          prompt_upsampling=False, safety_with_input_image_max=2, default_output_format="png",
          max_input_images=4, stable_input_images=1),
    Model("flux-kontext-max", "FLUX.1 Kontext [max]", "Kontext", _KONTEXT_SIZE, Pricing.FLAT,
          prompt_upsampling=False, safety_with_input_image_max=2, default_output_format="png",
          max_input_images=4, stable_input_images=1, concurrency=6),
    Model("flux-pro", "FLUX.1 [pro]", "FLUX.1", _FLUX1_SIZE, Pricing.FLAT,
          steps=IntRange(1, 50, 40), guidance=FloatRange(1.5, 5.0, 2.5),
          interval=FloatRange(1.0, 4.0, 2.0), prompt_upsampling=False, image_prompt=True, max_input_images=1,
          legacy=True),
    Model("flux-dev", "FLUX.1 [dev]", "FLUX.1", _FLUX1_SIZE, Pricing.FLAT,
          steps=IntRange(1, 50, 28), guidance=FloatRange(1.5, 5.0, 3.0),
          prompt_upsampling=False, image_prompt=True, max_input_images=1, legacy=True),
)

"""The models a designer picks from: the prompt panel, the settings' default model and the break-even tab list
these (``model_ids()``). The editing tools are apart, in ``TOOL_MODELS``."""

_TOOL_SIZE = ImageSize()
_TOOL_STEPS = IntRange(15, 50, 50)
_TOOL_GUIDANCE = FloatRange(1.5, 100.0, 60.0)
EXPAND_SIDES = IntRange(0, 2048, 0)

TOOL_MODELS: tuple[Model, ...] = (
    Model("flux-pro-1.0-fill", "FLUX.1 Fill [pro]", "FLUX.1 tools", _TOOL_SIZE, Pricing.FLAT,
          steps=_TOOL_STEPS, guidance=_TOOL_GUIDANCE, prompt_upsampling=False, max_input_images=1,
          tool=True, takes_mask=True),
    Model("flux-pro-1.0-expand", "FLUX.1 Expand [pro]", "FLUX.1 tools", _TOOL_SIZE, Pricing.FLAT,
          steps=_TOOL_STEPS, guidance=_TOOL_GUIDANCE, prompt_upsampling=False, max_input_images=1,
          tool=True, expand_sides=EXPAND_SIDES),
)
"""BFL's FLUX.1 editing tools: valid for requests (the mask editor, Expand, the command line), priced like the
rest, but listed by no model picker."""

ALL_MODELS: tuple[Model, ...] = MODELS + TOOL_MODELS
"""Every endpoint FluxDesk speaks: what ``get_model`` finds, what the simulator answers and what is priced."""

_BY_ID = {m.id: m for m in ALL_MODELS}
DEFAULT_MODEL_ID = "flux-2-pro"


class UnknownModelError(KeyError):
    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.model_id = model_id

    def __str__(self) -> str:
        known = ", ".join(m.id for m in ALL_MODELS)
        return f"unknown model {self.model_id!r}; known models: {known}"


def get_model(model_id: str) -> Model:
    try:
        return _BY_ID[model_id]
    except KeyError:
        raise UnknownModelError(model_id) from None


def model_ids() -> tuple[str, ...]:
    """The models a designer picks from (``MODELS``); the editing tools are not among them."""
    return tuple(m.id for m in MODELS)


def endpoint_ids() -> tuple[str, ...]:
    """Every model id a request may name (``ALL_MODELS``): the pickers' models and the editing tools."""
    return tuple(_BY_ID)


def display_name(model_id: str) -> str:
    """``flux-2-pro`` → ``FLUX.2 [pro]``; an id the catalog does not know is shown as it is."""
    try:
        return get_model(model_id).name
    except UnknownModelError:
        return model_id or "Unknown model"
