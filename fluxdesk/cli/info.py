"""`fluxdesk info`: the generation parameters embedded in an image file.

Reads FluxDesk's own JSON record, or A1111-style ``parameters`` text written by other tools. The
file is of unknown origin: at most ``MAX_READ_BYTES`` are read, and every problem is a sentence.
"""

from __future__ import annotations

import argparse
import math
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, json_number, print_json
from fluxdesk.core.wording import moment_text, to_moment

if TYPE_CHECKING:
    from fluxdesk.core.comfyui import ComfyReading
    from fluxdesk.core.metadata import ImageRecord
    from fluxdesk.storage.metadata_io import MetadataReading

MAX_READ_BYTES = 256 * 1024 * 1024
_SHOWN_ELSEWHERE = frozenset({"seed", "width", "height", "aspect_ratio", "steps", "guidance"})
_LABEL = 13
_EPOCH_2001 = 1e9
"""BFL's timings are epoch seconds; smaller numbers are shown as plain seconds."""


class InfoError(Exception):
    """The file could not be read as an image with metadata: exit 1 with this message.

    ``details``: what the JSON answer adds to ``path`` and ``error`` (what was found, an obvious prompt …);
    ``lines``: what the readable answer shows on standard output beside the message."""

    def __init__(self, message: str, details: dict[str, Any] | None = None, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
        self.lines = lines or []


def read_image_file(path: Path, limit: int = MAX_READ_BYTES) -> bytes:
    """The file's bytes, checked to start like an image before the rest is read.

    ``UsageError`` for a path that does not name a file; ``InfoError`` for anything else.
    """
    from fluxdesk.core.metadata import NotAnImageError
    from fluxdesk.storage.metadata_io import image_format

    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            try:
                image_format(head)
            except NotAnImageError:
                raise InfoError(f"{path} is not an image (FluxDesk reads PNG, JPEG and WebP files)") from None
            data = head + handle.read(limit + 1 - len(head))
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not an image file") from None
    except OSError as exc:
        raise InfoError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        most = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"
        raise InfoError(f"{path} is larger than {most}: too large to be an image FluxDesk reads")
    return data


def _plain(value: Any) -> Any:
    """JSON-safe data: NaN and infinities (which some JSON writers allow) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def reproducibility(record: ImageRecord) -> tuple[bool, str]:
    """Whether running the record again should give the same image, and why (not)."""
    from fluxdesk.core.metadata import reproducibility_problems

    problems = reproducibility_problems(record)
    if problems:
        return False, "; ".join(problems)
    return True, "same model, prompt, seed and parameters: running it again should give the same image"


def _references_folder(record: ImageRecord) -> Path | None:
    """The references folder of the library on this machine the image was made in (the demo library for a
    demo image), or ``None`` when that library is not here. Looked at, never opened or created."""
    from fluxdesk.storage.paths import database_path, demo_home, home_dir, references_dir

    home = home_dir()
    library_home = demo_home(home) if record.demo else home
    return references_dir(library_home) if database_path(library_home).is_file() else None


def references_json(record: ImageRecord) -> list[dict[str, Any]]:
    """Each reference the image was made from: its SHA-256 and size as sent, and whether the library it was made in
    still holds its bytes (``None`` when that library is not on this machine)."""
    from fluxdesk.storage.library import stored_reference

    folder = _references_folder(record) if record.references else None
    return [{"sha256": ref.sha256, "width": ref.width, "height": ref.height,
             "in_library": None if folder is None else stored_reference(folder, ref.sha256) is not None}
            for ref in record.references]


def edit_images_json(record: ImageRecord) -> dict[str, dict[str, Any]]:
    """A masked edit's ``mask`` and a local edit's ``crop``, as ``references_json`` lists a reference; none for
    other images."""
    from fluxdesk.storage.library import stored_reference

    images = {name: ref for name, ref in (("mask", record.mask), ("crop", record.crop)) if ref is not None}
    folder = _references_folder(record) if images else None
    return {name: {"sha256": ref.sha256, "width": ref.width, "height": ref.height,
                   "in_library": None if folder is None else stored_reference(folder, ref.sha256) is not None}
            for name, ref in images.items()}


def record_json(path: Path, record: ImageRecord, usd_per_credit: Decimal) -> dict[str, Any]:
    from fluxdesk.core.request import reference_name

    reproducible, reason = reproducibility(record)
    references = references_json(record)
    edit_images = edit_images_json(record)
    gone = [reference_name(i) for i, ref in enumerate(references) if ref["in_library"] is False]
    gone += [f"the {name}" for name, ref in edit_images.items() if ref["in_library"] is False]
    if gone:
        missing = (f"{gone[0]} is" if len(gone) == 1 else f"{', '.join(gone[:-1])} and {gone[-1]} are")
        problem = f"{missing} no longer in the library, so {'it' if len(gone) == 1 else 'they'} cannot be sent again"
        reason = problem if reproducible else f"{reason}; {problem}"
        reproducible = False
    cost = record.cost_credits
    return {
        **edit_images,
        "path": str(path),
        "source": "fluxdesk",
        "model": record.model,
        "prompt": record.prompt,
        "prompt_used": record.prompt_used,
        "seed": record.seed,
        "width": record.width,
        "height": record.height,
        "aspect_ratio": record.aspect_ratio,
        "steps": record.steps,
        "guidance": _plain(record.guidance),
        "parameters": _plain(dict(record.parameters)),
        "cost_credits": json_number(cost),
        "cost_usd": json_number(None if cost is None else cost * usd_per_credit),
        "job_id": record.job_id,
        "task_id": record.task_id,
        "created_at": record.created_at,
        "start_time": record.start_time,
        "end_time": record.end_time,
        "duration": record.duration,
        "output_format": record.output_format,
        "input_images": record.input_images,
        "references": references,
        "truncated": record.truncated,
        "demo": record.demo,
        "project": record.project,
        "reproducible": reproducible,
        "reproducible_reason": reason,
    }


def a1111_json(path: Path, params: dict[str, Any]) -> dict[str, Any]:
    keys = ("prompt", "negative_prompt", "seed", "width", "height", "steps", "guidance", "model", "sampler")
    out: dict[str, Any] = {"path": str(path), "source": "a1111"}
    out.update({key: _plain(params.get(key)) for key in keys})
    out["extra"] = dict(params.get("extra") or {})
    out["reproducible"] = False
    out["reproducible_reason"] = ("only A1111-style text was found: its settings can be reused, "
                                  "but it does not record everything a FluxDesk record does")
    return out


def _line(label: str, value: object) -> str:
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    body = ("\n" + " " * (_LABEL + 2)).join(text.split("\n"))
    return f"  {label:<{_LABEL}}{body}"


def _moment(seconds: float) -> str:
    moment = to_moment(seconds) if seconds >= _EPOCH_2001 else None
    return f"{seconds:g} s" if moment is None else moment_text(moment, utc=True)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _model_text(model_id: str) -> str:
    from fluxdesk.core.catalog import UnknownModelError, get_model

    try:
        return f"{get_model(model_id).name} ({model_id})"
    except UnknownModelError:
        return f"{model_id} (not a model FluxDesk knows)"


def _size_text(width: object, height: object, aspect_ratio: object = None) -> str | None:
    size = f"{width}×{height}" if width is not None and height is not None else None
    if aspect_ratio is not None:
        return f"{size} (aspect ratio {aspect_ratio})" if size else f"aspect ratio {aspect_ratio}"
    return size


_HELD_WORDS = {True: "in the library", False: "no longer in the library", None: "library not on this machine"}


def _reference_text(model_id: str, index: int, ref: dict[str, Any]) -> str:
    """``"image 1  1182×886  sha256 edea…  (in the library)"``."""
    from fluxdesk.core.catalog import UnknownModelError, get_model
    from fluxdesk.core.request import reference_name

    try:
        name = "image prompt" if get_model(model_id).image_prompt else reference_name(index)
    except UnknownModelError:
        name = reference_name(index)
    size = _size_text(ref["width"], ref["height"]) or "size unknown"
    return f"{name}  {size}  sha256 {ref['sha256']}  ({_HELD_WORDS[ref['in_library']]})"


def record_lines(data: dict[str, Any]) -> list[str]:
    """The readable form of ``record_json``'s object."""
    from fluxdesk.core.pricing import format_credits, format_price

    lines = [str(data["path"]), _line("source", "FluxDesk record"), _line("model", _model_text(data["model"])),
             _line("prompt", data["prompt"])]
    used = data["prompt_used"]
    if used is not None and used.strip() != data["prompt"].strip():
        lines.append(_line("prompt used", used))
    optional = [("seed", data["seed"]), ("size", _size_text(data["width"], data["height"], data["aspect_ratio"])),
                ("steps", data["steps"]), ("guidance", data["guidance"])]
    lines += [_line(label, _number(value)) for label, value in optional if value is not None]
    others = {k: v for k, v in data["parameters"].items() if k not in _SHOWN_ELSEWHERE}
    if others:
        lines.append(_line("parameters", ", ".join(f"{k}={_number(v)}" for k, v in sorted(others.items()))))
    references = [_reference_text(data["model"], i, ref) for i, ref in enumerate(data["references"])]
    if references:
        lines.append(_line("references", "\n".join(references)))
    for name in ("mask", "crop"):
        if name in data:
            ref = data[name]
            lines.append(_line(name, f"{_size_text(ref['width'], ref['height']) or 'size unknown'}  sha256 "
                                     f"{ref['sha256']}  ({_HELD_WORDS[ref['in_library']]})"))
    if data["cost_credits"] is not None:
        credits, usd = Decimal(str(data["cost_credits"])), Decimal(str(data["cost_usd"]))
        lines.append(_line("cost", f"{format_credits(credits)} credits ({format_price(usd)})"))
    for label, key in (("job id", "job_id"), ("BFL task id", "task_id")):
        if data[key] is not None:
            lines.append(_line(label, data[key]))
    if data["created_at"] is not None:
        lines.append(_line("created", moment_text(data["created_at"], utc=True)))
    timings = [f"{name} {_moment(data[key])}" for name, key in (("started", "start_time"), ("ended", "end_time"))
               if data[key] is not None]
    if data["duration"] is not None:
        timings.append(f"took {_number(round(data['duration'], 2))} s")
    if timings:
        lines.append(_line("timings", ", ".join(timings)))
    if data["project"] is not None:
        lines.append(_line("project", data["project"]))
    if data["demo"]:
        lines.append(_line("demo", "yes: made on the offline simulator, not by BFL"))
    verdict = "yes" if data["reproducible"] else "no"
    lines.append(_line("reproducible", f"{verdict}: {data['reproducible_reason']}"))
    return lines


def a1111_lines(data: dict[str, Any]) -> list[str]:
    """The readable form of ``a1111_json``'s object."""
    lines = [str(data["path"]), _line("source", "A1111-style parameters (written by another tool, or a "
                                                "FluxDesk file whose record could not be read)")]
    lines.append(_line("prompt", data["prompt"]))
    if data["negative_prompt"]:
        lines.append(_line("negative", data["negative_prompt"]))
    optional = [("model", data["model"]), ("sampler", data["sampler"]), ("seed", data["seed"]),
                ("size", _size_text(data["width"], data["height"])), ("steps", data["steps"]),
                ("guidance", data["guidance"])]
    lines += [_line(label, _number(value)) for label, value in optional if value is not None]
    shown = {"Steps", "Sampler", "CFG scale", "Seed", "Size", "Model"}
    others = {k: v for k, v in data["extra"].items() if k not in shown}
    if others:
        lines.append(_line("other", ", ".join(f"{k}: {v}" for k, v in others.items())))
    lines.append(_line("reproducible", f"no: {data['reproducible_reason']}"))
    return lines


def comfyui_json(path: Path, reading: ComfyReading) -> dict[str, Any]:
    """The JSON object of what a ComfyUI graph gives FluxDesk (``reading.usable``)."""
    values = reading.values
    return {
        "path": str(path),
        "source": "comfyui",
        "graph": reading.graph,
        "found": reading.found,
        "model": values.get("model"),
        "model_file": reading.model_file,
        "prompt": values.get("prompt"),
        "seed": values.get("seed"),
        "width": values.get("width"),
        "height": values.get("height"),
        "aspect_ratio": values.get("aspect_ratio"),
        "steps": values.get("steps"),
        "guidance": values.get("guidance"),
        "parameters": {k: v for k, v in values.items() if k in _COMFY_PARAMETERS},
        "not_mapped": list(reading.not_mapped),
        "reinterpreted": list(reading.reinterpreted),
        "reproducible": False,
        "reproducible_reason": (
            "read from ComfyUI's BFL node: the graph records what was asked, not the seed and prompt BFL used"
            if reading.found.startswith("the BFL API node") else
            "read from a ComfyUI graph that ran the model itself: BFL's servers sample differently, so the same "
            "seed gives a different image"),
    }


_COMFY_PARAMETERS = ("prompt_upsampling", "disable_pup", "raw", "image_prompt_strength")


def comfyui_lines(data: dict[str, Any]) -> list[str]:
    """The readable form of ``comfyui_json``'s object."""
    graph = "the prompt graph it ran" if data["graph"] == "prompt" else "the editor's workflow"
    lines = [str(data["path"]), _line("source", f"ComfyUI ({graph}): {data['found']}")]
    model = _model_text(data["model"]) if data["model"] else "none FluxDesk can run"
    lines += [_line("model", model), _line("prompt", data["prompt"])]
    optional = [("seed", data["seed"]), ("size", _size_text(data["width"], data["height"], data["aspect_ratio"])),
                ("steps", data["steps"]), ("guidance", data["guidance"])]
    lines += [_line(label, _number(value)) for label, value in optional if value is not None]
    if data["parameters"]:
        lines.append(_line("parameters", ", ".join(f"{k}={_number(v)}" for k, v in data["parameters"].items())))
    if data["reinterpreted"]:
        lines.append(_line("read as", "\n".join(data["reinterpreted"])))
    if data["not_mapped"]:
        lines.append(_line("not mapped", "\n".join(data["not_mapped"])))
    lines.append(_line("reproducible", f"no: {data['reproducible_reason']}"))
    return lines


def _with_reading_notes(data: dict[str, Any], reading: MetadataReading) -> dict[str, Any]:
    """``data`` with the damage and what was found but not used, when there is any (the keys are left out
    otherwise)."""
    if reading.damage is not None:
        data["damage"] = reading.damage
    if reading.unused:
        data["not_used"] = list(reading.unused)
    return data


def _note_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    if data.get("damage"):
        lines.append(_line("damage", data["damage"]))
    if data.get("not_used"):
        lines.append(_line("not used", "\n".join(data["not_used"])))
    return lines


def readable_lines(data: dict[str, Any]) -> list[str]:
    """The readable answer for any of ``describe``'s objects."""
    lines = {"fluxdesk": record_lines, "a1111": a1111_lines, "comfyui": comfyui_lines}[data["source"]](data)
    return lines[:-1] + _note_lines(data) + lines[-1:]


def _nothing_usable(path: Path, reading: MetadataReading) -> InfoError:
    """The answer for an image whose metadata gives nothing FluxDesk can use: what was found, and why not."""
    from fluxdesk.core.comfyui import NOTHING_USABLE

    found = list(reading.unused)
    details: dict[str, Any] = {}
    lines: list[str] = []
    comfy = reading.comfyui
    if comfy is not None:
        found.insert(0, comfy.summary())
        details.update({"source": "comfyui", "graph": comfy.graph, "prompt": comfy.prompt,
                        "not_mapped": list(comfy.not_mapped)})
        if comfy.prompt is not None:
            lines = [str(path), _line("found", NOTHING_USABLE), _line("prompt", comfy.prompt)]
    if reading.damage is not None:
        details["damage"] = reading.damage
    details["found"] = found
    words = reading.unusable_text()
    if words is None:
        return InfoError(f"no generation parameters found in {path}: it is an image, but no FluxDesk or A1111 "
                         "metadata", details)
    return InfoError(f"no generation parameters FluxDesk can use in {path}: {words}", details, lines)


def describe(path: Path, data: bytes, usd_per_credit: Decimal) -> dict[str, Any]:
    """The JSON object for an image's metadata; ``InfoError`` when it has none or cannot be read."""
    from fluxdesk.core.metadata import MetadataError, NotAnImageError
    from fluxdesk.storage.metadata_io import read_image_metadata

    try:
        reading = read_image_metadata(data)
    except NotAnImageError:
        raise InfoError(f"{path} is not an image (FluxDesk reads PNG, JPEG and WebP files)") from None
    except MetadataError as exc:
        raise InfoError(f"cannot read the metadata in {path}: {exc}") from None
    if reading.record is not None:
        return _with_reading_notes(record_json(path, reading.record, usd_per_credit), reading)
    if reading.a1111 is not None:
        return _with_reading_notes(a1111_json(path, reading.a1111), reading)
    if reading.comfyui is not None and reading.comfyui.usable:
        return _with_reading_notes(comfyui_json(path, reading.comfyui), reading)
    raise _nothing_usable(path, reading)


def _answer(path: Path) -> dict[str, Any]:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.price_table import load_price_table

    data = read_image_file(path, MAX_READ_BYTES)
    return describe(path, data, load_price_table(home_dir()).usd_per_credit)


def cmd_info(args: argparse.Namespace) -> int:
    """Prints one answer whatever happens: with ``--json`` always one JSON object (``error`` when it failed, with
    a non-zero exit), and never a traceback."""
    from fluxdesk.core.catalog import UnknownModelError
    from fluxdesk.core.pricing import PriceTableError

    path = Path(args.path)
    try:
        data = _answer(path)
        text = "\n".join(readable_lines(data)) if not args.json else ""
    except (UsageError, PriceTableError, UnknownModelError) as exc:
        return _failed(args, path, str(exc), EXIT_USAGE)
    except InfoError as exc:
        return _failed(args, path, str(exc), EXIT_FAILED, exc.details, exc.lines)
    except Exception as exc:  # a bug must still answer in words, never with a traceback
        return _failed(args, path, f"FluxDesk could not read {path}: an unexpected error ({type(exc).__name__})",
                       EXIT_FAILED)
    if args.json:
        print_json(_plain(data))
    else:
        print(text)
    return EXIT_OK


def _failed(args: argparse.Namespace, path: Path, message: str, code: int, details: dict[str, Any] | None = None,
            lines: list[str] | None = None) -> int:
    if args.json:
        print_json(_plain({"path": str(path), "error": message, **(details or {})}))
    elif lines:
        print("\n".join(lines))
    print(f"fluxdesk info: {message}", file=sys.stderr)
    return code


def register(sub: Any) -> None:
    p = sub.add_parser("info", help="show the generation parameters embedded in an image file")
    p.add_argument("path", metavar="PATH", help="a PNG, JPEG or WebP image")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_info)
