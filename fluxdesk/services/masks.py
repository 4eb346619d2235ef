"""Building a masked edit or an Expand: from an image, a mask or the sides to add, a prompt and options, the
``GenerationRequest`` to queue (``Session.generate``, or the window's ``AppController.generate``).

One entry point, ``edit_request``, for the mask editor and the command line alike; the model decides what is made:

- ``flux-pro-1.0-fill``: the image and the mask are sent as they are (white = repaint);
- a FLUX.2 model (``Model.local_edit``): the crop around the mask (``core.masks.crop_box``) is sent as the
  reference at the crop's size, and the pipeline composites BFL's answer back into the image through the mask;
- ``flux-pro-1.0-expand``: the image and the pixels to add per side.

The image is prepared losslessly and at its own size (a mask must match it, and the pixels a local edit keeps must
stay the file's); it is a reference like any other: kept by SHA-256, linked to the gallery image it came from.
Everything here reads and decodes files: call it off the GUI thread. Whatever cannot be sent is an ``EditError`` in
words, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from fluxdesk.core.catalog import UnknownModelError, get_model, megapixels_text
from fluxdesk.core.masks import CropError, Sides, box_is_empty, box_size, check_sides, crop_box, expanded_size
from fluxdesk.core.request import FieldError, GenerationRequest, validate
from fluxdesk.storage.imaging import MAX_IMAGE_PIXELS, MAX_REFERENCE_PIXELS
from fluxdesk.storage.masks import make_crop, prepare_mask
from fluxdesk.storage.references import ReferenceImageError, prepare_reference

ImageSource = Path | bytes
"""A file, or the bytes of one (an image dropped or painted in the window)."""

LOCAL_EDIT_FORMAT = "png"
"""What a local edit asks BFL for unless told otherwise: the composite is PNG, so the crop is not compressed twice."""


class EditError(ValueError):
    """A masked edit or Expand that cannot be sent, and why in words; ``errors`` name the request's fields when the
    request itself was refused. Nothing was sent."""

    def __init__(self, message: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class EditOptions:
    """What else the prompt panel would ask: ``None`` leaves a field to BFL's default."""

    seed: int | None = None
    steps: int | None = None
    """Fill and Expand: 15–50 (BFL's default 50)."""
    guidance: float | None = None
    """Fill and Expand: 1.5–100 (BFL's default 60)."""
    safety_tolerance: int | None = None
    output_format: str | None = None
    """A local edit asks for ``png`` unless told: its composite is PNG either way."""
    prompt_upsampling: bool = False
    """Off unless asked for, wherever the model lets it be turned off: a re-run then gives the same image."""


def edit_request(model_id: str, image: ImageSource, prompt: str, *, mask: ImageSource | None = None,
                 sides: Sides | None = None, from_image_id: int | None = None, options: EditOptions | None = None,
                 image_name: str | None = None, mask_name: str | None = None) -> GenerationRequest:
    """The request that edits ``image`` with ``model_id``: Fill or a FLUX.2 local edit with ``mask`` (any image
    file: its non-black pixels are repainted), Expand with ``sides`` (top, right, bottom, left).

    ``from_image_id``: the gallery image it is, for "Made from"; ``image_name``/``mask_name``: how messages name the
    files (their file names by default). Blocking (decodes and encodes images). ``EditError`` for anything that
    cannot be sent: a model that is no editing model, a mask on a model without masks, a mask of another size or all
    black, sides out of range or all 0, a file that is no image, a crop the model cannot take.
    """
    try:
        model = get_model(model_id)
    except UnknownModelError as exc:
        raise EditError(str(exc)) from None
    options = options or EditOptions()
    _check_kind(model_id, mask is not None, sides)
    image_label = image_name or (image.name if isinstance(image, Path) else "the image")
    try:
        prepared = prepare_reference(image, max_pixels=MAX_REFERENCE_PIXELS, name=image_label, lossless=True)
    except ReferenceImageError as exc:
        raise EditError(str(exc)) from None
    size = (prepared.width, prepared.height)
    output = expanded_size(size, sides) if sides is not None else size
    if output[0] * output[1] > MAX_IMAGE_PIXELS:
        raise EditError("the result would be {}×{} pixels ({}), more than the largest image FluxDesk keeps ({} "
                        "pixels): use a smaller image{}".format(*output, megapixels_text(*output),
                                                                 f"{MAX_IMAGE_PIXELS:,}",
                                                                 " or add fewer pixels" if sides is not None else ""))
    upsampling = model.upsampling_fields(options.prompt_upsampling)
    if options.prompt_upsampling and not upsampling:
        raise EditError(f"{model.name} has no prompt upsampling to turn on")
    source = image_label if not isinstance(image, Path) else str(image)
    request = GenerationRequest(
        model=model.id, prompt=prompt, seed=options.seed, steps=options.steps, guidance=options.guidance,
        safety_tolerance=options.safety_tolerance, output_format=options.output_format,
        input_images=(replace(prepared.input_image(from_image_id), source=source),),
        prompt_upsampling=upsampling.get("prompt_upsampling"), disable_pup=upsampling.get("disable_pup"))
    if sides is not None:
        request = replace(request, top=sides[0], right=sides[1], bottom=sides[2], left=sides[3])
    if mask is not None:
        request = _with_mask(request, prepared.data, size, mask, mask_name)
    result = validate(request)
    if not result.ok:
        raise EditError(result.message(), result.errors)
    return request


def _check_kind(model_id: str, has_mask: bool, sides: Sides | None) -> None:
    model = get_model(model_id)
    if has_mask and not model.takes_masks:
        raise EditError(f"{model.name} takes no mask: paint masks for FLUX.1 Fill [pro] (flux-pro-1.0-fill) or a "
                        "FLUX.2 model's local edit (flux-2-pro and its siblings)")
    if sides is not None and model.expand_sides is None:
        raise EditError(f"{model.name} adds no pixels around an image: Expand is flux-pro-1.0-expand")
    if model.takes_mask and not has_mask:
        raise EditError(f"{model.name} needs a mask: white where to repaint, black where to keep")
    if model.local_edit and not has_mask:
        raise EditError(f"a local edit with {model.name} needs a mask: white where to repaint")
    if model.expand_sides is not None and sides is None:
        raise EditError(f"{model.name} needs the pixels to add to each side (top, right, bottom, left)")
    if not model.takes_masks and model.expand_sides is None:
        raise EditError(f"{model.name} is no editing model: use FLUX.1 Fill [pro], FLUX.1 Expand [pro] or a FLUX.2 "
                        "model's local edit")
    if sides is not None:
        try:
            check_sides(sides)
        except ValueError as exc:
            raise EditError(f"expand: {exc}") from None


def _with_mask(request: GenerationRequest, image_data: bytes, size: tuple[int, int], mask: ImageSource,
               mask_name: str | None) -> GenerationRequest:
    label = mask_name or (mask.name if isinstance(mask, Path) else "the mask")
    try:
        prepared = prepare_mask(mask, name=label)
    except ReferenceImageError as exc:
        raise EditError(str(exc)) from None
    if (prepared.width, prepared.height) != size:
        raise EditError("the mask is {}×{} pixels and the image {}×{}: a mask has the size of its image".format(
            prepared.width, prepared.height, *size))
    if box_is_empty(prepared.bounds):
        raise EditError("the mask is all black: nothing to repaint (white, or any colour but black, marks what to "
                        "repaint)")
    mask_image = replace(prepared.mask_image(), source=str(mask) if isinstance(mask, Path) else label)
    request = replace(request, mask=mask_image)
    model = get_model(request.model)
    if not model.local_edit:
        return request
    try:
        box = crop_box(prepared.bounds, size, model)
    except CropError as exc:
        raise EditError(str(exc)) from None
    if request.output_format not in (None, LOCAL_EDIT_FORMAT):
        raise EditError(f"a local edit is saved as PNG (its pixels outside the mask are the original's, exactly), "
                        f"not {request.output_format}")
    width, height = box_size(box)
    crop = make_crop(image_data, box)
    return replace(request, width=width, height=height, crop=crop.input_image(),
                   output_format=request.output_format or LOCAL_EDIT_FORMAT)
