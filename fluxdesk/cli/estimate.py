"""`fluxdesk estimate`: what a generation would cost, before anything is sent."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from fluxdesk.cli.common import EXIT_OK, UsageError, json_number, print_json
from fluxdesk.cli.edits import add_edit_arguments, edit_given, edit_json, with_edit
from fluxdesk.cli.references import (
    References,
    add_reference_arguments,
    reference_lines,
    references_json,
    with_references,
)
from fluxdesk.core.catalog import MODELS, TOOL_MODELS, get_model
from fluxdesk.core.pricing import Estimate, PriceTable, estimate, format_credits, format_price
from fluxdesk.core.request import GenerationRequest, validate

if TYPE_CHECKING:
    from fluxdesk.core.providers import ProviderQuote


def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """The generation parameters shared by ``estimate`` and ``generate``."""
    parser.add_argument("--model", default=None, help="model id (see `fluxdesk estimate --list`)")
    size = parser.add_argument_group("size (width/height or aspect ratio, as the model takes)")
    size.add_argument("--width", type=int)
    size.add_argument("--height", type=int)
    size.add_argument("--aspect-ratio", metavar="W:H")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--count", type=int, default=1, help="number of images (each is a separate job)")
    add_reference_arguments(parser)
    add_edit_arguments(parser)


def request_from_args(args: argparse.Namespace, *, prompt: str, model: str,
                      **extra: Any) -> GenerationRequest:
    if (args.width is None) != (args.height is None):
        raise UsageError("width and height: give both, or neither")
    if args.count < 1:
        raise UsageError("count: must be at least 1")
    return GenerationRequest(model=model, prompt=prompt, width=args.width, height=args.height,
                             aspect_ratio=args.aspect_ratio, steps=args.steps, guidance=args.guidance,
                             image_prompt_strength=args.image_prompt_strength, **extra)


def with_images(req: GenerationRequest, args: argparse.Namespace) -> tuple[GenerationRequest, References, list[str]]:
    """``req`` with the images ``args`` names, prepared as they will be sent: the edit of ``--image`` (with
    ``--mask`` or ``--expand``), or the references; and what to say of them beyond each reference's own notes."""
    if edit_given(args):
        edited, lines = with_edit(req, args)
        return edited, References(), lines
    with_refs, refs = with_references(req, args)
    return with_refs, refs, refs.request_notes(get_model(req.model))


def checked(req: GenerationRequest) -> GenerationRequest:
    """The request, or a ``UsageError`` naming every field that is wrong."""
    result = validate(req)
    if not result.ok:
        raise UsageError(result.message())
    return req


def estimate_json(est: Estimate, refs: References | None = None) -> dict[str, Any]:
    data = {
        "model": est.model,
        "count": est.count,
        "credits_per_image": json_number(est.credits_per_image),
        "usd_per_image": json_number(est.usd_per_image),
        "credits_total": json_number(est.credits_total),
        "usd_total": json_number(est.usd_total),
        "price_as_of": est.price_as_of,
    }
    if refs is not None and refs.given:
        data["references"] = references_json(refs, est)
    if est.note:
        data["note"] = est.note
    return data


def cmd_estimate(args: argparse.Namespace) -> int:
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.price_table import load_price_table

    if args.list:
        table = load_price_table(home_dir())
        for model in MODELS:
            est = estimate(GenerationRequest(model.id, "x"), table)
            print(f"{model.id:20} {model.name:24} {format_price(est.usd_per_image):>8} / image"
                  f"{'  (from, by megapixel)' if est.output_megapixels else ''}")
        print("Editing tools (--image with --mask or --expand):")
        for model in TOOL_MODELS:
            if model.id not in table.prices:
                print(f"{model.id:20} {model.name:24} no price in the table of {table.as_of}")
                continue
            est = estimate(GenerationRequest(model.id, "x"), table)
            print(f"{model.id:20} {model.name:24} {format_price(est.usd_per_image):>8} / image"
                  + (f"  ({est.note})" if est.note else ""))
        return EXIT_OK
    if args.model is None:
        raise UsageError("model: give --model (see `fluxdesk estimate --list`)")
    # The prompt does not change the price; validation only needs a non-empty one.
    req, refs, notes = with_images(request_from_args(args, prompt="estimate", model=args.model), args)
    checked(req)
    table = load_price_table(home_dir())
    est = estimate(req, table, args.count)
    quotes = _compare(req, args.count, table) if args.compare else None
    if args.json:
        data = estimate_json(est, refs)
        if edit_given(args):
            data["edit"] = edit_json(req)
        if quotes is not None:
            data["providers"] = [quote_json(q) for q in quotes]
        print_json(data)
        return EXIT_OK
    model = get_model(req.model)
    print(f"{model.name}: {est.summary()}  ({format_credits(est.credits_total)} credits)")
    if est.output_megapixels is not None:
        print(f"  {est.output_megapixels} MP billed per image"
              + (f", plus {est.input_megapixels} MP of reference images" if est.input_megapixels else ""))
    for line in reference_lines(refs, est, model):
        print(f"  {line}")
    for line in notes:  # each reference file's own notes are on its line
        print(f"  {line}")
    if not est.exact:
        print("  an estimate: BFL bills input images by a rule it does not publish")
    print(f"  prices as of {est.price_as_of}")
    if quotes is not None:
        print("The same request elsewhere (priced, not sent: FluxDesk sends to BFL only):")
        for line in compare_lines(quotes):
            print(f"  {line}")
        if len(quotes) == 1:
            print(f"  no other provider's price is known for {model.name}")
    return EXIT_OK


def _compare(req: GenerationRequest, count: int, table: PriceTable) -> list[ProviderQuote]:
    from fluxdesk.core.providers import compare
    from fluxdesk.storage.paths import home_dir
    from fluxdesk.storage.providers import load_provider_table

    return compare(req, count, load_provider_table(home_dir()), table)


def quote_json(q: ProviderQuote) -> dict[str, Any]:
    return {"provider": q.provider, "usd_per_image": json_number(q.usd_per_image),
            "usd_total": json_number(q.usd_total), "billing": q.billing, "as_of": q.as_of, "source": q.source}


def compare_lines(quotes: list[ProviderQuote]) -> list[str]:
    """One line a provider: ``fal.ai      $0.045 per image   $0.18   per megapixel, as of 2026-06-01``."""
    from fluxdesk.core.providers import billing_words

    width = max(len(q.provider) for q in quotes)
    return [f"{q.provider:<{width}}  {format_price(q.usd_per_image):>9} per image  {format_price(q.usd_total):>9}  "
            f"{billing_words(q.billing)}, as of {q.as_of}" for q in quotes]




def register(sub: Any) -> None:
    p = sub.add_parser("estimate", help="what a generation would cost, before sending it")
    add_request_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--list", action="store_true", help="list every model with its price")
    p.add_argument("--compare", action="store_true",
                   help="also price the same request at other providers of the model (nothing is sent to them)")
    p.set_defaults(func=cmd_estimate)
