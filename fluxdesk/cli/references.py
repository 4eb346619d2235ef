"""Reference images on the command line: ``--input-image``, ``--image-prompt``, ``--reference-size``.

``estimate`` and ``generate`` read the files the same way (``with_references``): each is prepared exactly as
it will be sent (oriented, converted, downscaled, encoded), so the price ``estimate`` shows is the price of
the bytes ``generate`` sends. Every file that cannot be a reference is a ``UsageError`` naming it: exit 2,
nothing sent.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import UsageError, json_number
from fluxdesk.core.catalog import AspectRatioSize, DimensionSize, Model, get_model, started_megapixels
from fluxdesk.core.pricing import Estimate, format_credits
from fluxdesk.core.references import ReferenceSize, limit_pixels, output_pixels
from fluxdesk.core.request import (
    GenerationRequest,
    InputImage,
    output_size_following,
    reference_name,
    references_limit_text,
)

if TYPE_CHECKING:
    from fluxdesk.storage.references import PreparedReference

NOTHING_SENT = "Nothing was sent."


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    """The reference options shared by ``estimate`` and ``generate``."""
    group = parser.add_argument_group("reference images (editing)")
    group.add_argument("--input-image", metavar="PATH", action="append", dest="input_images", default=None,
                       help="a reference image to edit or combine (FLUX.2, Kontext); repeat for more: in the "
                            "order given they are sent as input_image, input_image_2, … and the prompt calls "
                            "them image 1, image 2, …. With no size given, a FLUX.2 output takes image 1's aspect "
                            "ratio")
    group.add_argument("--image-prompt", metavar="PATH",
                       help="the one image prompt of FLUX1.1 [pro], its Ultra and FLUX.1 [pro]/[dev]")
    group.add_argument("--image-prompt-strength", metavar="X", type=float,
                       help="how closely Ultra follows the image prompt, 0 to 1 (BFL's default 0.1)")
    group.add_argument("--reference-size", choices=[s.value for s in ReferenceSize], default="output",
                       help="output (default): each reference downscaled to at most the output's megapixels, "
                            "since FLUX.2 bills every started megapixel of every reference; original: as the "
                            "file is, capped at 4 MP. Never enlarged, aspect kept")


@dataclass(frozen=True)
class GivenReference:
    """One file named on the command line, as it will be sent."""

    index: int
    path: str
    """As given."""
    label: str
    """``"image 1 (photo.jpg)"``, ``"the image prompt (style.png)"``: how messages name it."""
    prepared: PreparedReference

    @property
    def original_size(self) -> tuple[int, int]:
        return self.prepared.original_width, self.prepared.original_height

    @property
    def sent_size(self) -> tuple[int, int]:
        return self.prepared.width, self.prepared.height


@dataclass(frozen=True)
class References:
    """The references of a request, and how its output size was chosen for them."""

    given: tuple[GivenReference, ...] = ()
    output_note: str | None = None
    """Set when the references decided the output's shape: ``"1184×880: image 1's aspect ratio at 1 MP"``."""

    def file_notes(self) -> list[str]:
        """What was done to the files beyond the size: ``"image 2 (scan.jpg): converted from CMYK to RGB"``."""
        return [f"{ref.label}: {note}" for ref in self.given for note in ref.prepared.notes]

    def request_notes(self, model: Model) -> list[str]:
        """What to expect of the request: experimental references, the output's shape."""
        lines = []
        stable = model.stable_input_images
        if stable is not None and len(self.given) > stable:
            extra = [reference_name(i) for i in range(stable, len(self.given))]
            what = (f"{extra[0]} as an experimental reference" if len(extra) == 1
                    else f"{', '.join(extra[:-1])} and {extra[-1]} as experimental references")
            lines.append(f"{model.name} takes {what} (BFL's word): the result may not follow "
                         f"{'it' if len(extra) == 1 else 'them'}")
        if self.output_note:
            lines.append(f"output {self.output_note}")
        return lines


def _label(model: Model, index: int, path: str) -> str:
    return f"the image prompt ({path})" if model.image_prompt else f"{reference_name(index)} ({path})"


def reference_paths(args: argparse.Namespace, model: Model) -> list[str]:
    """The files named, in order, checked against what ``model`` takes before any of them is read."""
    inputs = list(getattr(args, "input_images", None) or [])
    prompt = getattr(args, "image_prompt", None)
    if not inputs and prompt is None:
        return []
    if not model.takes_references or model.tool:
        option = "--image-prompt" if prompt is not None else "--input-image"
        hint = "; give it with --image (and --mask or --expand)" if model.tool else ""
        raise UsageError(f"{option}: {references_limit_text(model)}{hint}. {NOTHING_SENT}")
    if model.image_prompt:
        if inputs:
            raise UsageError(f"--input-image: {model.name} takes no input images; its one reference is an image "
                             f"prompt: give it with --image-prompt. {NOTHING_SENT}")
        return [prompt] if prompt is not None else []
    if prompt is not None:
        raise UsageError(f"--image-prompt: {model.name} takes no image prompt; give references with "
                         f"--input-image. {NOTHING_SENT}")
    if len(inputs) > model.max_input_images:
        raise UsageError(f"--input-image: {references_limit_text(model)}; this command names {len(inputs)}. "
                         f"{NOTHING_SENT}")
    return inputs


def _follows_first_reference(req: GenerationRequest, model: Model) -> bool:
    """An edit with no size chosen takes its shape from image 1 (FLUX.2; FLUX1.1's image prompt is a style)."""
    return (isinstance(model.size, DimensionSize) and not model.image_prompt
            and req.width is None and req.height is None)


def with_references(req: GenerationRequest, args: argparse.Namespace) -> tuple[GenerationRequest, References]:
    """``req`` with the files ``args`` names, each prepared as it will be sent; a ``UsageError`` for any file that
    cannot be a reference, naming it.

    With no size chosen, a FLUX.2 edit's output takes image 1's aspect ratio at the model's default megapixels
    (snapped to what the model takes), and each reference is then downscaled to at most the output's pixels
    (``--reference-size output``) or to 4 MP (``original``).
    """
    from fluxdesk.storage.references import ReferenceImageError, decode_size, prepare_reference

    model = get_model(req.model)
    paths = reference_paths(args, model)
    if not paths:
        return req, References()
    output_note = None
    try:
        if _follows_first_reference(req, model):
            assert isinstance(model.size, DimensionSize)
            width, height = decode_size(Path(paths[0]), _label(model, 0, paths[0]))
            budget = model.size.default_width * model.size.default_height
            out_w, out_h = output_size_following(model, width, height, budget)
            req = replace(req, width=out_w, height=out_h)
            output_note = (f"{out_w}×{out_h}: {reference_name(0)}'s aspect ratio at "
                           f"{started_megapixels(budget)} MP (give --width and --height to choose)")
        max_pixels = limit_pixels(ReferenceSize.parse(args.reference_size), output_pixels(req, model))
        given = []
        for index, path in enumerate(paths):
            label = _label(model, index, path)
            prepared = prepare_reference(Path(path), max_pixels=max_pixels, name=label)
            given.append(GivenReference(index, path, label, prepared))
    except ReferenceImageError as exc:
        raise UsageError(f"{exc}. {NOTHING_SENT}") from None
    if isinstance(model.size, AspectRatioSize) and not model.image_prompt and req.aspect_ratio is None:
        # Kontext: no ratio sent, so BFL follows the input's.
        output_note = (f"about {model.size.approx_megapixels} MP in the aspect ratio of {reference_name(0)} "
                       "({}×{}), which BFL follows when no --aspect-ratio is given".format(*given[0].original_size))
    images: tuple[InputImage, ...] = tuple(replace(ref.prepared.input_image(), source=ref.path) for ref in given)
    return req.with_input_images(images), References(tuple(given), output_note)


def reference_lines(refs: References, est: Estimate, model: Model) -> list[str]:
    """``"image 1: photo.jpg 4032×3024 → sent as 1182×886, 1 MP, +1.5 credits"``: what each reference adds."""
    lines = []
    for ref in refs.given:
        name = "image prompt" if model.image_prompt else reference_name(ref.index)
        w, h = ref.sent_size
        ow, oh = ref.original_size
        size = f"{ow}×{oh} → sent as {w}×{h}" if ref.prepared.downscaled else f"{w}×{h}, not downscaled"
        if model.references_priced:
            mp, credits = est.reference_megapixels[ref.index], est.reference_credits[ref.index]
            price = f"{mp} MP, +{format_credits(credits)} credits"
        else:
            price = f"{started_megapixels(w * h)} MP, included in the flat price"
        notes = f" ({'; '.join(ref.prepared.notes)})" if ref.prepared.notes else ""
        lines.append(f"{name}: {ref.path} {size}, {price}{notes}")
    return lines


def references_json(refs: References, est: Estimate) -> list[dict[str, Any]]:
    """Each reference as ``estimate --json`` lists it."""
    return [{"source": ref.path, "sha256": ref.prepared.sha256, "width": ref.prepared.width,
             "height": ref.prepared.height, "original_width": ref.prepared.original_width,
             "original_height": ref.prepared.original_height,
             "megapixels": started_megapixels(ref.prepared.width * ref.prepared.height),
             "credits": json_number(est.reference_credits[ref.index]), "notes": list(ref.prepared.notes)}
            for ref in refs.given]


def input_images_json(images: tuple[InputImage, ...]) -> list[dict[str, Any]]:
    """The references of a job as ``generate --json`` and ``reproduce --json`` list them (never their data)."""
    return [{"sha256": image.sha256, "width": image.width, "height": image.height, "source": image.source}
            for image in images]
