"""Editing part of an image on the command line: ``--image``, ``--mask``, ``--expand``.

``estimate`` and ``generate`` build the request the same way, through ``services.masks.edit_request`` (as the mask
editor does): ``--model flux-pro-1.0-fill --image PATH --mask PATH`` (Fill), ``--model flux-pro-1.0-expand --image
PATH --expand TOP,RIGHT,BOTTOM,LEFT`` (Expand), ``--model flux-2-pro --image PATH --mask PATH`` (a local edit: the
crop around the mask is sent, the result composited back, so the file has the image's size). Whatever cannot be sent
is a ``UsageError`` in words: exit 2, nothing sent.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fluxdesk.cli.common import UsageError
from fluxdesk.core.catalog import get_model, megapixels_text
from fluxdesk.core.masks import Sides, box_size, crop_box, parse_sides
from fluxdesk.core.request import GenerationRequest, edit_output_size, is_local_edit

NOTHING_SENT = "Nothing was sent."


def add_edit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``estimate`` and ``generate``."""
    group = parser.add_argument_group("editing part of an image (Fill, Expand, FLUX.2 local edit)")
    group.add_argument("--image", metavar="PATH",
                       help="the image to edit: with --mask on flux-pro-1.0-fill (Fill) or a FLUX.2 model (a local "
                            "edit), with --expand on flux-pro-1.0-expand")
    group.add_argument("--mask", metavar="PATH",
                       help="where to repaint the image: any image of its size, whose non-black pixels are repainted "
                            "and black ones kept")
    group.add_argument("--expand", metavar="TOP,RIGHT,BOTTOM,LEFT",
                       help="pixels to add on each side, 0 to 2048, one at least more than 0 (e.g. 0,256,0,256)")


def edit_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) is not None for name in ("image", "mask", "expand"))


def _sides(args: argparse.Namespace) -> Sides | None:
    if args.expand is None:
        return None
    try:
        return parse_sides(args.expand)
    except ValueError as exc:
        raise UsageError(f"--expand: {exc}. {NOTHING_SENT}") from None


def with_edit(req: GenerationRequest, args: argparse.Namespace) -> tuple[GenerationRequest, list[str]]:
    """The edit ``args`` name, with ``req``'s model, prompt and options; and what to say of it, line by line."""
    from fluxdesk.services.masks import EditError, EditOptions, edit_request

    if args.image is None:
        option = "--mask" if args.mask is not None else "--expand"
        raise UsageError(f"{option}: give the image to edit with --image. {NOTHING_SENT}")
    if getattr(args, "input_images", None) or getattr(args, "image_prompt", None):
        raise UsageError(f"--image edits one image; --input-image and --image-prompt give references: not both. "
                         f"{NOTHING_SENT}")
    if req.width is not None or req.aspect_ratio is not None:
        option = "--width/--height" if req.width is not None else "--aspect-ratio"
        raise UsageError(f"{option}: an edit has the size of its image (a local edit is sent at its crop's): give "
                         f"none. {NOTHING_SENT}")
    sides = _sides(args)
    options = EditOptions(seed=req.seed, steps=req.steps, guidance=req.guidance,
                          safety_tolerance=req.safety_tolerance, output_format=req.output_format,
                          prompt_upsampling=bool(getattr(args, "prompt_upsampling", False)))
    try:
        edit = edit_request(req.model, Path(args.image), req.prompt,
                            mask=Path(args.mask) if args.mask is not None else None, sides=sides, options=options,
                            image_name=f"--image {args.image}",
                            mask_name=f"--mask {args.mask}" if args.mask is not None else None)
    except EditError as exc:
        raise UsageError(f"{exc}. {NOTHING_SENT}") from None
    return edit, edit_lines(edit)


def edit_lines(req: GenerationRequest) -> list[str]:
    """What the edit sends and what comes back, in words."""
    model = get_model(req.model)
    image = req.input_images[0]
    assert image.width is not None and image.height is not None
    size = f"{image.width}×{image.height}"
    if is_local_edit(req, model):
        assert req.mask is not None and req.mask.bounds is not None and req.width and req.height
        left, top, _right, _bottom = crop_box(req.mask.bounds, (image.width, image.height), model)
        return [f"local edit: the {req.width}×{req.height} crop at ({left}, {top}) around the mask is sent "
                f"({megapixels_text(req.width, req.height)}), and the answer composited back into the {size} image "
                "through the mask, feathered at its edge: the file has the image's size"]
    output = edit_output_size(req, model)
    assert output is not None
    if model.expand_sides is not None:
        top, right, bottom, left = req.sides
        return [f"expand: the {size} image grown by top {top}, right {right}, bottom {bottom}, left {left} px: "
                "output {}×{}".format(*output)]
    return [f"fill: the {size} image and its mask are sent; the output has the image's size"]


def edit_json(req: GenerationRequest) -> dict[str, Any]:
    """The edit as ``estimate --json`` lists it: what kind, the image, the output's size, a local edit's crop."""
    model = get_model(req.model)
    image = req.input_images[0]
    data: dict[str, Any] = {"image": {"source": image.source, "sha256": image.sha256, "width": image.width,
                                      "height": image.height}}
    if req.mask is not None:
        data["mask"] = {"source": req.mask.source, "sha256": req.mask.sha256}
    if is_local_edit(req, model):
        assert req.mask is not None and req.mask.bounds is not None
        assert image.width is not None and image.height is not None
        box = crop_box(req.mask.bounds, (image.width, image.height), model)
        data.update(kind="local_edit", crop=list(box), output_width=image.width, output_height=image.height)
        data["crop_width"], data["crop_height"] = box_size(box)
        return data
    output = edit_output_size(req, model)
    assert output is not None
    data.update(kind="expand" if model.expand_sides is not None else "fill", output_width=output[0],
                output_height=output[1])
    if model.expand_sides is not None:
        data["sides"] = dict(zip(("top", "right", "bottom", "left"), req.sides, strict=True))
    return data

