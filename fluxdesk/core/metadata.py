"""The generation record FluxDesk embeds in every image, and the A1111 ``parameters`` text.

Two forms of the same facts:
- a JSON record (``to_json`` / ``from_json``): complete, versioned, what FluxDesk reads back;
- A1111-style text (``to_a1111`` / ``parse_a1111``): what other tools show and write.

Readers here take text from files of unknown origin: they cap sizes and raise nothing but
``MetadataError``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from fluxdesk.core.catalog import AspectRatioSize, DimensionSize, Model, UnknownModelError, get_model
from fluxdesk.core.masks import SIDE_NAMES
from fluxdesk.core.request import (
    FIELD_TYPES,
    SCALAR_FIELDS,
    SEED_MAX,
    GenerationRequest,
    InputImage,
    MaskImage,
    effective_size,
)
from fluxdesk.core.serialize import decimal_text, iso_utc, parse_iso
from fluxdesk.core.values import as_decimal, as_float, as_int, is_int, is_number

FORMAT_NAME = "fluxdesk.image"
FORMAT_VERSION = 1
MAX_TEXT_CHARS = 1_000_000
"""Longer metadata text is refused rather than parsed: no real record comes near it."""
MAX_PARAMS_LINE_CHARS = 20_000
SAMPLER = "BFL API"


class MetadataError(ValueError):
    """Metadata that cannot be read or written, said in words."""


class NotAnImageError(MetadataError):
    """Bytes that are not a PNG, JPEG or WebP image."""


@dataclass(frozen=True)
class ImageRecord:
    """What made one image: enough to show it, search it, and run it again."""

    model: str
    prompt: str
    prompt_used: str | None = None
    """The prompt BFL actually used (rewritten when prompt upsampling was on)."""
    seed: int | None = None
    """The seed BFL used (chosen by the server when none was sent)."""
    width: int | None = None
    height: int | None = None
    aspect_ratio: str | None = None
    steps: int | None = None
    guidance: float | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Every request field that was sent, except the model, the prompt and input image data."""
    cost_credits: Decimal | None = None
    job_id: str | None = None
    task_id: str | None = None
    """BFL's id of the task."""
    created_at: str | None = None
    """ISO 8601, UTC."""
    start_time: float | None = None
    end_time: float | None = None
    duration: float | None = None
    """BFL's timings, in seconds, as it sent them."""
    demo: bool = False
    output_format: str | None = None
    input_images: int = 0
    """How many references (input images or an image prompt) were sent; their data is never embedded."""
    references: tuple[ReferenceRecord, ...] = ()
    """Each reference as sent, in order: its SHA-256 and size, by which the library finds its bytes again. For an
    editing tool or a local edit, the image edited."""
    mask: ReferenceRecord | None = None
    """Fill and a local edit: the mask sent or composited through (white = repainted), kept by SHA-256."""
    crop: ReferenceRecord | None = None
    """A local edit: the crop of the image that was sent in its place, kept by SHA-256."""
    sample_sha256: str | None = None
    """SHA-256 of the image bytes exactly as BFL sent them (before metadata went in): reproduction
    compares it to tell a byte-identical re-run."""
    truncated: bool = False
    """Set when the record had to be shortened to fit in the file (very long prompts in JPEG)."""
    project: str | None = None
    """The name of the client project the image was made for, as it was then; ``None``: no project."""
    fluxdesk_version: str = field(default_factory=lambda: _fluxdesk_version())
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class ReferenceRecord:
    """One reference of an image's request, as embedded: never its bytes."""

    sha256: str
    width: int | None = None
    height: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "width": self.width, "height": self.height}


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _reference_record(item: object, where: str) -> ReferenceRecord:
    if not isinstance(item, Mapping) or not _is_sha256(item.get("sha256")):
        raise _field_error(where, "an object with a sha256 of 64 hex digits")
    sizes = []
    for key in ("width", "height"):
        value = item.get(key)
        if value is not None and (not is_int(value) or not 1 <= value <= MAX_SIDE):
            raise _field_error(f"{where}.{key}", _number_words(1, MAX_SIDE, whole=True))
        sizes.append(value)
    return ReferenceRecord(item["sha256"], sizes[0], sizes[1])


def _fluxdesk_version() -> str:
    # Read on first use: the package version comes from its metadata, which is not free at start-up.
    import fluxdesk

    return fluxdesk.__version__


_OPT_STR_FIELDS = ("prompt_used", "aspect_ratio", "job_id", "task_id", "output_format", "sample_sha256", "project")

# What a number read from a file may be: every one is range-checked before anything formats or computes with it
# (a crafted record is hostile input; "1e999999" credits is a valid number whose formatting takes minutes).
MAX_SIDE = 100_000
"""Pixels on a side: far beyond any image BFL makes, small enough that arithmetic on it stays cheap."""
MAX_STEPS = 1_000
MAX_GUIDANCE = 100.0
MAX_EPOCH_SECONDS = 253_402_300_799.0
"""The last second of the year 9999: a later time no calendar FluxDesk uses holds."""
MAX_DURATION_SECONDS = 10_000_000.0
MAX_COST_CREDITS = Decimal(1_000_000)
COST_PLACES = 12
MAX_PARAMETERS = 256
MAX_INPUT_IMAGES = 64
MAX_FORMAT_VERSION = 10_000
_INT64 = 2**63 - 1

MAX_RECORD_SEED = 2**128 - 1
"""A seed as a record may hold it: BFL's answer is kept as it came, even past what FluxDesk sends (``SEED_MAX``),
within reason."""
_OPT_INT_RANGES: dict[str, tuple[int, int]] = {
    "seed": (0, MAX_RECORD_SEED), "width": (1, MAX_SIDE), "height": (1, MAX_SIDE), "steps": (1, MAX_STEPS)}
_OPT_NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "guidance": (0.0, MAX_GUIDANCE), "start_time": (0.0, MAX_EPOCH_SECONDS), "end_time": (0.0, MAX_EPOCH_SECONDS),
    "duration": (0.0, MAX_DURATION_SECONDS)}


def _number_words(low: float, high: float, *, whole: bool) -> str:
    def text(bound: float) -> str:
        return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"

    return f"{'a whole number' if whole else 'a number'} from {text(low)} to {text(high)}"


def _record_dict(record: ImageRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"format": FORMAT_NAME}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name == "cost_credits":
            value = decimal_text(value)
        elif f.name == "parameters":
            value = dict(value)
        elif f.name == "references":
            value = [reference.as_dict() for reference in value]
        elif f.name in ("mask", "crop"):
            if value is None:
                continue
            value = value.as_dict()
        data[f.name] = value
    return data


def to_json(record: ImageRecord) -> str:
    """The record as compact JSON text (UTF-8 friendly: non-ASCII stays readable)."""
    try:
        return json.dumps(_record_dict(record), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"this record cannot be written as JSON: {exc}") from None


class RecordFieldError(MetadataError):
    """One field of a record is of the wrong kind or out of range: ``field`` names it, ``words`` says what it must
    be."""

    def __init__(self, name: str, words: str) -> None:
        super().__init__(f"FluxDesk metadata: {name} must be {words}")
        self.field = name
        self.words = words


def _field_error(name: str, words: str) -> MetadataError:
    return RecordFieldError(name, words)


def _scalar_parameters(parameters: Mapping[Any, Any]) -> dict[str, Any]:
    """The request fields a record names: text, flags and finite numbers. Anything else (a list, an object, as a
    later version might write) is left out rather than refusing the record; at most ``MAX_PARAMETERS``."""
    if len(parameters) > MAX_PARAMETERS:
        raise _field_error("parameters", f"an object of at most {MAX_PARAMETERS} fields")
    kept: dict[str, Any] = {}
    for key, value in parameters.items():
        if not isinstance(key, str):
            continue
        if value is None or isinstance(value, bool | str) or (is_int(value) and abs(value) <= _INT64) or (
                isinstance(value, float) and is_number(value)):
            kept[key] = value
    return kept


def _created_at(value: object) -> str:
    words = "an ISO 8601 time"
    if not isinstance(value, str) or len(value) > 64:
        raise _field_error("created_at", words)
    try:
        parse_iso(value)
    except (ValueError, OverflowError):  # year 1 at +14:00 is before the calendar's first day in UTC
        raise _field_error("created_at", words) from None
    return value


def record_from_dict(data: object) -> ImageRecord:
    """Build a record from decoded JSON: unknown keys ignored, wrong types and numbers out of range a
    ``MetadataError`` that names the field."""
    if not isinstance(data, Mapping):
        raise MetadataError("FluxDesk metadata must be a JSON object")
    kwargs: dict[str, Any] = {}
    for name in ("model", "prompt"):
        if not isinstance(data.get(name), str):
            raise _field_error(name, "text")
        kwargs[name] = data[name]
    for name in _OPT_STR_FIELDS:
        value = data.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise _field_error(name, "text")
            kwargs[name] = value
    for name, (low, high) in _OPT_INT_RANGES.items():
        value = data.get(name)
        if value is not None:
            if not is_int(value) or not low <= value <= high:
                raise _field_error(name, _number_words(low, high, whole=True))
            kwargs[name] = value
    for name, (lowest, highest) in _OPT_NUMBER_RANGES.items():
        value = data.get(name)
        if value is not None:
            if not is_number(value) or not lowest <= value <= highest:
                raise _field_error(name, _number_words(lowest, highest, whole=False))
            kwargs[name] = value
    parameters = data.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise _field_error("parameters", "an object")
        kwargs["parameters"] = _scalar_parameters(parameters)
    cost = data.get("cost_credits")
    if cost is not None:
        kwargs["cost_credits"] = as_decimal(cost, maximum=MAX_COST_CREDITS, max_places=COST_PLACES)
        if kwargs["cost_credits"] is None:
            raise _field_error("cost_credits", f"a number of credits from 0 to {MAX_COST_CREDITS:,} "
                                               f"with at most {COST_PLACES} decimals")
    created = data.get("created_at")
    if created is not None:
        kwargs["created_at"] = _created_at(created)
    for name in ("demo", "truncated"):
        value = data.get(name)
        if value is not None:
            if not isinstance(value, bool):
                raise _field_error(name, "true or false")
            kwargs[name] = value
    for name, most in (("input_images", MAX_INPUT_IMAGES), ("format_version", MAX_FORMAT_VERSION)):
        value = data.get(name)
        if value is not None:
            if not is_int(value) or not 0 <= value <= most:
                raise _field_error(name, _number_words(0, most, whole=True))
            kwargs[name] = value
    references = data.get("references")
    if references is not None:
        if not isinstance(references, list) or len(references) > MAX_INPUT_IMAGES:
            raise _field_error("references", "a list")
        kwargs["references"] = tuple(_reference_record(item, f"references[{i}]") for i, item in enumerate(references))
    for name in ("mask", "crop"):
        if data.get(name) is not None:
            kwargs[name] = _reference_record(data[name], name)
    version = data.get("fluxdesk_version")
    if version is not None:
        if not isinstance(version, str):
            raise _field_error("fluxdesk_version", "text")
        kwargs["fluxdesk_version"] = version
    return ImageRecord(**kwargs)


def from_json(text: object) -> ImageRecord:
    """Read a record written by ``to_json`` (any version); only ``MetadataError`` escapes."""
    return record_from_dict(_decoded(_record_text(text)))


def _record_text(text: object) -> str:
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise MetadataError("FluxDesk metadata is not UTF-8 text") from None
    if not isinstance(text, str):
        raise MetadataError("FluxDesk metadata must be text")
    if len(text) > MAX_TEXT_CHARS:
        raise MetadataError("FluxDesk metadata is too long to be a real record")
    return text


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise MetadataError("FluxDesk metadata is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise MetadataError(f"FluxDesk metadata is not valid JSON: {exc}") from None


_REQUIRED = frozenset({"model", "prompt"})


def record_from_json_partly(text: object) -> tuple[ImageRecord, tuple[str, ...]]:
    """``from_json``, leaving out each optional field that is of the wrong kind or out of range, and saying which:
    a crafted or damaged field costs that field, not the whole record. ``MetadataError`` when the text is no
    record at all (not JSON, no model or prompt)."""
    record_text = _record_text(text)
    data = _decoded(record_text)
    if not isinstance(data, Mapping):
        raise MetadataError("FluxDesk metadata must be a JSON object")
    data = dict(data)
    left_out: list[str] = []
    while True:
        try:
            return record_from_dict(data), tuple(left_out)
        except RecordFieldError as exc:
            key = exc.field.partition("[")[0].partition(".")[0]
            if key in _REQUIRED or key not in data:
                raise
            del data[key]
            left_out.append(f"{exc.field}, which must be {exc.words}")


def _within(value: float | None, low: float, high: float) -> float | None:
    return value if value is not None and low <= value <= high else None


def build_record(request: GenerationRequest, result: Mapping[str, Any] | None, *, job_id: str,
                 task_id: str | None, cost_credits: Decimal | None, demo: bool, created_at: datetime,
                 width: int | None = None, height: int | None = None, project: str | None = None) -> ImageRecord:
    """The record of one finished job, from what was asked and what BFL's ``result`` said.

    ``result`` comes from the network: fields of the wrong type are left out, never trusted.
    Width and height default to the size asked for; the library overwrites them with the decoded size.
    ``project``: the name of the project the job was sent for.
    """
    result = result if isinstance(result, Mapping) else {}
    prompt_used = result.get("prompt") if isinstance(result.get("prompt"), str) else None
    answered = result.get("seed")
    seed = answered if is_int(answered) and 0 <= answered <= MAX_RECORD_SEED else request.seed
    if width is None and height is None and request.aspect_ratio is None:
        with contextlib.suppress(ValueError, UnknownModelError):
            width, height = effective_size(request)
    # What the record reader accepts, so that the record stored can always be read back (a timing out of range
    # from the network is left out, never stored to make the image's record unreadable).
    timings = {name: _within(as_float(result.get(name)), *_OPT_NUMBER_RANGES[name])
               for name in ("start_time", "end_time", "duration")}
    parameters = request.parameters()
    references = tuple(ReferenceRecord(image.sha256, image.width, image.height)
                       for image in request.input_images if image.sha256 is not None)
    mask, crop = (None if image is None or image.sha256 is None else
                  ReferenceRecord(image.sha256, image.width, image.height) for image in (request.mask, request.crop))
    return ImageRecord(
        model=request.model, prompt=request.prompt, prompt_used=prompt_used, seed=seed,
        width=width, height=height, aspect_ratio=request.aspect_ratio, steps=request.steps,
        guidance=request.guidance, parameters=parameters, cost_credits=cost_credits, job_id=job_id,
        task_id=task_id, created_at=iso_utc(created_at), demo=demo,
        output_format=request.output_format, input_images=len(request.input_images), references=references,
        mask=mask, crop=crop, start_time=timings["start_time"],
        end_time=timings["end_time"], duration=timings["duration"], project=project)


# --- A1111 "parameters" text -------------------------------------------------------------------

def reproducibility_problems(record: ImageRecord) -> list[str]:
    """Why running ``record`` again would not give the same image, in words; empty when it would."""
    problems: list[str] = []
    try:
        model: Model | None = get_model(record.model)
    except UnknownModelError:
        model = None
        problems.append(f"FluxDesk does not know the model {record.model!r}, so it cannot run it again")
    if prompt_upsampling_on(record):
        unsaid = (record.parameters.get("prompt_upsampling") is None
                  and record.parameters.get("disable_pup") is None)
        default_note = f" ({model.name} turns it on by default)" if unsaid and model else ""
        problems.append(f"prompt upsampling was on{default_note}: the server rewrites the prompt, "
                        "so the same seed gives a different image")
    if record.seed is None:
        problems.append("no seed was recorded")
    unkept = record.input_images - len(record.references)
    if unkept > 0:
        problems.append(f"it used {unkept} reference image(s) that no record names, so FluxDesk cannot send "
                        "them again")
    if record.truncated:
        problems.append("the record was shortened to fit in the file (the prompt is cut)")
    return problems


def prompt_upsampling_on(record: ImageRecord) -> bool:
    """Whether BFL rewrote the prompt: asked for, or the model's default when the request did not say.

    FLUX.2 [pro]/[max] upsample unless sent ``disable_pup: true``: a request sent without it (as FluxDesk did
    before it knew) was upsampled."""
    disabled = record.parameters.get("disable_pup")
    upsampling = record.parameters.get("prompt_upsampling")
    try:
        model: Model | None = get_model(record.model)
    except UnknownModelError:
        model = None
    if model is not None and model.disable_pup is not None:
        return disabled is not True
    if upsampling is not None:
        return upsampling is True
    return model is not None and model.upsamples_by_default


@dataclass(frozen=True)
class ReproductionVerdict:
    """Whether a re-run gave the original's image, told by BFL's bytes (the files differ: their metadata does)."""

    identical: bool | None
    """``None`` when it cannot be told."""
    reason: str | None = None

    def text(self) -> str:
        words = {True: "the image data is identical to the original's",
                 False: "the image data is NOT identical to the original's",
                 None: "the image data cannot be compared with the original's"}[self.identical]
        return words + (f": {self.reason}" if self.reason else "")


def reproduction_verdict(original: ImageRecord | None, new: ImageRecord) -> ReproductionVerdict:
    """Compare the hashes of the image bytes exactly as BFL sent them, before any metadata went in."""
    before, after = (original.sample_sha256 if original else None), new.sample_sha256
    if prompt_upsampling_on(new):
        return ReproductionVerdict(before is not None and before == after,
                                   "prompt upsampling was on: BFL rewrote the prompt, so the same seed need not "
                                   "give the same image")
    if before is None or after is None:
        return ReproductionVerdict(None, "the original carries no fingerprint of its pixels to compare with")
    if before == after:
        return ReproductionVerdict(True)
    return ReproductionVerdict(False, "same model, parameters and seed, yet BFL sent different image data "
                                      "(a model update?)")


def _number_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _quote(value: str) -> str:
    """A1111's rule: values holding a comma, colon or line break are written as JSON strings."""
    if any(c in value for c in ',:\n"'):
        return json.dumps(value, ensure_ascii=False)
    return value


def _known_model(model_id: str) -> Model | None:
    try:
        return get_model(model_id)
    except UnknownModelError:
        return None


STEPS_NOT_APPLICABLE = 0
"""The ``Steps`` of the A1111 text for a model that takes no steps (BFL does not say how many it runs).

AUTOMATIC1111 starts every settings line with ``Steps:`` and the readers rely on it: sd-parsers finds the
line by its sampler keys (three of Steps, Sampler, CFG scale, Seed …), A1111 pastes the value as a number
(``float(v)``), other readers parse it as an integer. So it must be a whole number, and one no reader can
take for a real count: no sampler runs 0 steps (a 1 would read as a one-step image), and FluxDesk's own
``parse_a1111`` reads a count below 1 as "no steps"."""


def _a1111_steps(record: ImageRecord, model: Model | None) -> int:
    """The steps BFL ran: the record's, else the model's default (BFL's when the request sent none);
    ``STEPS_NOT_APPLICABLE`` for a model that takes none."""
    if model is not None and model.steps is None:
        return STEPS_NOT_APPLICABLE
    if record.steps is not None:
        return record.steps
    return model.steps.default if model is not None and model.steps is not None else STEPS_NOT_APPLICABLE


def _a1111_guidance(record: ImageRecord, model: Model | None) -> float | None:
    if model is not None and model.guidance is None:
        return None
    if record.guidance is not None:
        return record.guidance
    return model.guidance.default if model is not None and model.guidance is not None else None


def to_a1111(record: ImageRecord) -> str:
    """The text AUTOMATIC1111 writes: the prompt, then one settings line starting with ``Steps:``.

    ``a cat`` / ``Steps: 28, Sampler: BFL API, CFG scale: 3, Seed: 123, Size: 1024x768, Model: flux-dev, …,
    Version: FluxDesk 1.0``. FLUX takes no negative prompt, so there is never a ``Negative prompt:`` line.
    A model without steps gets ``Steps: 0`` (``STEPS_NOT_APPLICABLE``); one without guidance no CFG scale.
    """
    model = _known_model(record.model)
    pairs: list[tuple[str, str]] = [("Steps", str(_a1111_steps(record, model))), ("Sampler", SAMPLER)]
    guidance = _a1111_guidance(record, model)
    if guidance is not None:
        pairs.append(("CFG scale", _number_text(guidance)))
    if record.seed is not None:
        pairs.append(("Seed", str(record.seed)))
    if record.width is not None and record.height is not None:
        pairs.append(("Size", f"{record.width}x{record.height}"))
    if record.aspect_ratio is not None:
        pairs.append(("Aspect ratio", record.aspect_ratio))
    pairs.append(("Model", record.model))
    if prompt_upsampling_on(record):
        pairs.append(("Prompt upsampling", "True"))
    if record.references:
        pairs.append(("Reference images", "; ".join(
            f"image {i + 1} sha256:{ref.sha256} {ref.width}x{ref.height}" for i, ref in enumerate(record.references))))
    elif record.input_images:
        pairs.append(("Reference images", str(record.input_images)))
    if record.mask is not None:
        pairs.append(("Mask", f"sha256:{record.mask.sha256} {record.mask.width}x{record.mask.height}"))
    sides = [record.parameters.get(name) for name in SIDE_NAMES]
    if any(is_int(side) for side in sides):
        pairs.append(("Expand", ",".join(str(side if is_int(side) else 0) for side in sides)))
    if record.project:
        pairs.append(("Project", record.project))
    pairs.append(("Version", f"FluxDesk {record.fluxdesk_version}"))
    line = ", ".join(f"{key}: {_quote(value)}" for key, value in pairs)
    return f"{record.prompt.strip()}\n{line}"


_KNOWN_KEYS = frozenset({"Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Model hash"})
_KEY_CHARS = frozenset(" -/_")


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 64 and (key[0].isalnum() or key[0] == "_") and all(
        c.isalnum() or c in _KEY_CHARS for c in key)


def _quoted_value(line: str, start: int) -> tuple[str, int]:
    """The JSON-style string starting at ``line[start] == '"'``; and the index after it."""
    i, n = start + 1, len(line)
    while i < n:
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == '"':
            break
        i += 1
    raw = line[start:i + 1]
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, str):
        value = raw.strip('"').replace('\\"', '"').replace("\\\\", "\\")
    return value, i + 1


def parse_params_line(line: str) -> dict[str, str]:
    """``Key: value, Key2: "quoted, value"`` → a dict; pieces that are not pairs are skipped.

    A hand-written scanner, linear in the line's length: regexes like A1111's backtrack badly on
    hostile input.
    """
    pairs: dict[str, str] = {}
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " ,\t":
            i += 1
        colon = line.find(":", i)
        if i >= n or colon < 0:
            break
        key = line[i:colon]
        if "," in key:
            i += key.rfind(",") + 1
            continue
        key = key.strip()
        j = colon + 1
        while j < n and line[j] == " ":
            j += 1
        if j < n and line[j] == '"':
            value, i = _quoted_value(line, j)
            comma = line.find(",", i)
            i = n if comma < 0 else comma + 1
        else:
            comma = line.find(",", j)
            end = n if comma < 0 else comma
            value = line[j:end].strip()
            i = end + 1
        if _valid_key(key) and key not in pairs:
            pairs[key] = value
    return pairs


def _looks_like_params(pairs: Mapping[str, str]) -> bool:
    return any(key in _KNOWN_KEYS for key in pairs) and (len(pairs) >= 3 or "Steps" in pairs
                                                        or "Seed" in pairs)


def _size_value(text: str | None) -> tuple[int | None, int | None]:
    if text is None:
        return None, None
    w, sep, h = text.lower().replace("×", "x").partition("x")
    width, height = (as_int(w, text=True, minimum=1, maximum=MAX_SIDE),
                     as_int(h, text=True, minimum=1, maximum=MAX_SIDE))
    if not sep or width is None or height is None:
        return None, None
    return width, height


def parse_a1111(text: object) -> dict[str, Any]:
    """Read A1111-style ``parameters`` text, as written by A1111, Forge, Fooocus, FluxDesk and others.

    Answers ``prompt``, ``negative_prompt``, ``steps``, ``guidance`` (CFG scale), ``seed``, ``width``,
    ``height``, ``model``, ``sampler`` (each ``None`` when absent or unreadable) and ``extra``: every
    ``Key: value`` pair of the settings line as text.
    """
    if not isinstance(text, str):
        raise MetadataError("A1111 parameters must be text")
    if len(text) > MAX_TEXT_CHARS:
        raise MetadataError("the A1111 parameters text is too long to be real")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not text:
        raise MetadataError("the A1111 parameters text is empty")
    lines = text.split("\n")
    pairs: dict[str, str] = {}
    if len(lines[-1]) <= MAX_PARAMS_LINE_CHARS:
        candidate = parse_params_line(lines[-1])
        if _looks_like_params(candidate):
            pairs = candidate
            lines.pop()
    prompt_lines: list[str] = []
    negative_lines: list[str] | None = None
    for line in lines:
        if negative_lines is None and line.startswith("Negative prompt:"):
            negative_lines = [line[len("Negative prompt:"):].strip()]
        elif negative_lines is not None:
            negative_lines.append(line)
        else:
            prompt_lines.append(line)
    width, height = _size_value(pairs.get("Size"))
    seed = as_int(pairs.get("Seed"), text=True, minimum=0, maximum=SEED_MAX)
    guidance = as_float(pairs.get("CFG scale"), text=True)
    return {
        "prompt": "\n".join(prompt_lines).strip(),
        "negative_prompt": None if negative_lines is None else "\n".join(negative_lines).strip(),
        "steps": as_int(pairs.get("Steps"), text=True, minimum=1, maximum=MAX_STEPS),
        "guidance": guidance if guidance is not None and 0 <= guidance <= MAX_GUIDANCE else None,
        "seed": seed,
        "width": width,
        "height": height,
        "model": pairs.get("Model") or None,
        "sampler": pairs.get("Sampler") or None,
        "extra": pairs,
    }


# --- From metadata to a request ----------------------------------------------------------------

_REQUEST_SCALARS = tuple(name for name in SCALAR_FIELDS if name not in ("model", "prompt"))
"""The settings an image record's parameters give back."""


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _fit_to_model(settings: dict[str, Any], model: Model, *, exact: bool) -> dict[str, Any]:
    """Drop what ``model`` does not take; bring sizes and ranges within what it accepts.

    ``exact``: the settings are a FluxDesk record's, so an aspect ratio is never guessed from the
    decoded size (an Ultra image sent without one used the model's default, not 43:24).
    """
    out: dict[str, Any] = {"model": model.id, "prompt": settings["prompt"]}
    seed = settings.get("seed")
    if seed is not None and 0 <= seed <= SEED_MAX:
        out["seed"] = seed
    width, height, ratio = settings.get("width"), settings.get("height"), settings.get("aspect_ratio")
    if isinstance(model.size, DimensionSize):
        if width is not None and height is not None and width > 0 and height > 0:
            out["width"], out["height"] = model.size.snap_size(width, height)
    elif not isinstance(model.size, AspectRatioSize):
        pass  # an editing tool: its output has the size of the image it edits
    elif ratio is not None:
        out["aspect_ratio"] = ratio
    elif not exact and width is not None and height is not None and width > 0 and height > 0:
        fraction = Fraction(width, height)
        if model.size.accepts(fraction):
            out["aspect_ratio"] = f"{fraction.numerator}:{fraction.denominator}"
    for name in ("steps", "guidance", "interval", "image_prompt_strength"):
        value, rng = settings.get(name), getattr(model, name)
        if value is not None and rng is not None:
            clamped = _clamp(value, rng.minimum, rng.maximum)
            out[name] = round(clamped) if name == "steps" else clamped
    for name in ("prompt_upsampling", "disable_pup", "raw"):
        if settings.get(name) is not None and getattr(model, name) is not None:
            out[name] = settings[name]
    references = settings.get("input_images")
    if references and model.takes_references:
        out["input_images"] = tuple(references[:model.max_input_images])
    if model.expand_sides is not None:
        rng = model.expand_sides
        out.update({name: round(_clamp(settings[name], rng.minimum, rng.maximum)) for name in SIDE_NAMES
                    if settings.get(name) is not None})
    if settings.get("mask") is not None and model.takes_masks:
        out["mask"] = settings["mask"]
        if settings.get("crop") is not None and model.local_edit:
            out["crop"] = settings["crop"]
    tolerance = settings.get("safety_tolerance")
    if tolerance is not None:
        out["safety_tolerance"] = round(_clamp(tolerance, model.safety_tolerance.minimum,
                                               model.safety_tolerance.maximum))
    if settings.get("output_format") in model.output_formats:
        out["output_format"] = settings["output_format"]
    if "image_prompt_strength" in out and not model.image_prompt:
        del out["image_prompt_strength"]
    return out


def _model_or_default(model_id: object, default_model: str | None) -> Model:
    for candidate in (model_id, default_model):
        if isinstance(candidate, str):
            try:
                return get_model(candidate)
            except UnknownModelError:
                continue
    raise MetadataError(f"the image was made with {model_id!r}, which FluxDesk cannot run; "
                        "pick a model first")


@dataclass(frozen=True)
class LoadedSettings:
    """Settings read from an image's metadata, and what of it was left out or read as something else."""

    settings: dict[str, Any]
    not_loaded: tuple[str, ...] = ()
    reinterpreted: tuple[str, ...] = ()
    origin: str | None = None
    """Where in the file they came from, when that is worth saying ("its ComfyUI workflow")."""

    def message(self, file_name: str) -> str:
        """One paragraph for the user: ``"Loaded the settings of a.png. Not loaded: …. Reinterpreted: …."``"""
        text = f"Loaded the settings of {file_name}" + (f" from {self.origin}." if self.origin else ".")
        if self.not_loaded:
            text += " Not loaded: " + "; ".join(self.not_loaded) + "."
        if self.reinterpreted:
            text += " Reinterpreted: " + "; ".join(self.reinterpreted) + "."
        return text


def _a1111_notes(source: Mapping[str, Any], model: Model, out: Mapping[str, Any]) -> LoadedSettings:
    """What of another tool's settings did not make it into ``out``, or changed meaning on the way."""
    skipped: list[str] = []
    changed: list[str] = []
    if source.get("negative_prompt"):
        skipped.append("the negative prompt (FLUX models take none)")
    named = source.get("model")
    if isinstance(named, str) and named != model.id:
        skipped.append(f"the model {named} (not one FluxDesk can run; {model.name} is used)")
    if isinstance(source.get("sampler"), str):
        skipped.append(f"the sampler {source['sampler']} (BFL picks its own)")
    steps = source.get("steps")
    if is_int(steps):
        if model.steps is None:
            skipped.append(f"steps {steps} ({model.name} takes none)")
        elif out.get("steps") != steps:
            changed.append(f"steps {steps} as {out.get('steps')} ({model.name} takes "
                           f"{model.steps.minimum} to {model.steps.maximum})")
    cfg = source.get("guidance")
    if is_number(cfg):
        if model.guidance is None:
            skipped.append(f"CFG scale {_number_text(cfg)} ({model.name} takes no guidance)")
        else:
            changed.append(f"CFG scale {_number_text(cfg)} as guidance {_number_text(out['guidance'])} "
                           f"(FLUX guidance is not CFG; {model.name} takes {_number_text(model.guidance.minimum)} "
                           f"to {_number_text(model.guidance.maximum)})")
    width, height = source.get("width"), source.get("height")
    if is_int(width) and is_int(height):
        size = f"size {width}×{height}"
        if "width" in out and (out["width"], out["height"]) != (width, height):
            changed.append(f"{size} as {out['width']}×{out['height']} (the nearest {model.name} takes)")
        elif "aspect_ratio" in out:
            changed.append(f"{size} as aspect ratio {out['aspect_ratio']} ({model.name} is sized by ratio)")
        elif "width" not in out:
            skipped.append(f"{size} (outside the aspect ratios {model.name} takes)")
    return LoadedSettings(dict(out), tuple(skipped), tuple(changed))


def load_settings_from_metadata(source: ImageRecord | Mapping[str, Any], *,
                                default_model: str | None = None) -> LoadedSettings:
    """``settings_from_metadata``, with what another tool's settings lost or changed on the way, in words."""
    settings = settings_from_metadata(source, default_model=default_model)
    if isinstance(source, ImageRecord):
        return LoadedSettings(settings)
    return _a1111_notes(source, get_model(settings["model"]), settings)


def settings_from_metadata(source: ImageRecord | Mapping[str, Any], *,
                           default_model: str | None = None) -> dict[str, Any]:
    """Settings for ``GenerationRequest(**settings)`` from a FluxDesk record or a ``parse_a1111`` dict.

    From a FluxDesk record, the result reproduces the image: what was sent, with the seed BFL used.
    From another tool's text, the model is ``default_model`` unless the text names a FLUX model
    FluxDesk knows, and sizes and ranges are brought within what that model accepts
    (``load_settings_from_metadata`` says what that left out or changed).
    """
    settings: dict[str, Any] = {}
    model_id: object
    prompt: object
    if isinstance(source, ImageRecord):
        model_id, prompt = source.model, source.prompt
        for name in _REQUEST_SCALARS:
            value = source.parameters.get(name)
            if value is not None and FIELD_TYPES[name].check(value):
                settings[name] = value
        for name in ("seed", "width", "height", "aspect_ratio", "steps", "guidance"):
            value = getattr(source, name)
            if value is not None and (name == "seed" or name not in settings):
                settings[name] = value
        if source.references:
            settings["input_images"] = tuple(InputImage(sha256=ref.sha256, width=ref.width, height=ref.height)
                                             for ref in source.references)
        if source.mask is not None:
            settings["mask"] = MaskImage(sha256=source.mask.sha256, width=source.mask.width,
                                         height=source.mask.height)
        if source.crop is not None:
            settings["crop"] = InputImage(sha256=source.crop.sha256, width=source.crop.width,
                                          height=source.crop.height)
    elif isinstance(source, Mapping):
        model_id, prompt = source.get("model"), source.get("prompt")
        for name in ("seed", "width", "height", "steps", "guidance", "aspect_ratio", "prompt_upsampling",
                     "disable_pup", "raw", "image_prompt_strength"):
            value = source.get(name)
            if value is not None and FIELD_TYPES[name].check(value):
                settings[name] = value
    else:
        raise MetadataError("settings come from a FluxDesk record or parsed A1111 text")
    if not isinstance(prompt, str):
        raise MetadataError("the metadata holds no prompt")
    settings["prompt"] = prompt
    if settings.get("aspect_ratio") is not None and not isinstance(settings["aspect_ratio"], str):
        del settings["aspect_ratio"]
    model = _model_or_default(model_id, default_model)
    return _fit_to_model(settings, model, exact=isinstance(source, ImageRecord))


def shortened(record: ImageRecord, max_prompt_chars: int) -> ImageRecord:
    """The record with its prompts cut to fit a small container; marked ``truncated``."""
    def cut(text: str | None) -> str | None:
        return None if text is None else text[:max_prompt_chars]
    return replace(record, prompt=cut(record.prompt) or "", prompt_used=cut(record.prompt_used),
                   truncated=True)
