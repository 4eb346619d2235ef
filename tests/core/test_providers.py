"""Other providers of the same model: their billing mechanics (per image; per megapixel rounded up per image;
per run plus fractional megapixels), BFL first, the rest cheapest first, and bad tables refused in words."""

import copy
import json
from decimal import Decimal as D

import pytest

from fluxdesk.core.providers import (
    ProviderBilling,
    ProviderPrice,
    ProviderTableError,
    compare,
    parse_provider_table,
    quote,
)
from fluxdesk.core.request import GenerationRequest, InputImage
from fluxdesk.resources import resource_path
from fluxdesk.storage.price_table import bundled_price_table

RAW = json.loads(resource_path("providers.json").read_text(encoding="utf-8"))
TABLE = parse_provider_table(RAW)
BFL = bundled_price_table()


def row(provider: str, model: str) -> ProviderPrice:
    return next(r for r in TABLE.rows if r.provider == provider and r.model == model)


def ref(w: int | None, h: int | None) -> InputImage:
    return InputImage(width=w, height=h)


def req(model: str, w: int | None = None, h: int | None = None, *refs: InputImage) -> GenerationRequest:
    return GenerationRequest(model, "a fox", width=w, height=h, input_images=tuple(refs))


def test_every_row_is_dated_and_sourced() -> None:
    assert TABLE.rows and all(r.source and r.as_of for r in TABLE.rows)
    assert not TABLE.for_model("flux-kontext-max")  # no figure: nothing made up


def test_a_flat_price_ignores_size_and_references() -> None:
    ultra = row("fal.ai", "flux-pro-1.1-ultra")
    assert ultra.billing is ProviderBilling.PER_IMAGE
    q = quote(ultra, req("flux-pro-1.1-ultra", None, None, ref(4000, 3000)), count=3)
    assert (q.usd_per_image, q.usd_total, q.billing) == (D("0.06"), D("0.18"), "per_image")


def test_per_megapixel_rounds_output_and_every_reference_up_per_image() -> None:
    fal_pro = row("fal.ai", "flux-2-pro")
    # 1920×1088 = 1.99 MP → 2 MP: $0.03 + $0.015
    assert quote(fal_pro, req("flux-2-pro", 1920, 1088)).usd_per_image == D("0.045")
    # a 12 MP photo (4000×3000 = 11.4 MP started as 12) adds 12 × $0.015; as BFL bills it
    q = quote(fal_pro, req("flux-2-pro", 1920, 1088, ref(4000, 3000)), count=2)
    assert q.usd_per_image == D("0.225") and q.usd_total == D("0.45")
    # at least a megapixel: 512×512 costs what 1024×1024 costs
    assert quote(fal_pro, req("flux-2-pro", 512, 512)).usd_per_image == D("0.03")
    # a reference of unknown size counts as one megapixel (an estimate)
    assert quote(fal_pro, req("flux-2-pro", 1024, 1024, ref(None, None))).usd_per_image == D("0.045")


def test_the_fractional_megapixel_provider_with_references() -> None:
    replicate_max = row("Replicate", "flux-2-max")
    assert replicate_max.billing is ProviderBilling.PER_RUN_FRACTIONAL_MEGAPIXEL
    # $0.04 a run + $0.03 × 1,048,576/10^6 output MP + $0.03 × (2,000,000 + 1,000,000)/10^6 input MP
    q = quote(replicate_max, req("flux-2-max", 1024, 1024, ref(2000, 1000), ref(1000, 1000)), count=2)
    assert q.usd_per_image == D("0.04") + D("0.03145728") + D("0.09")
    assert q.usd_total == 2 * q.usd_per_image
    assert q.billing == "per_run_fractional_megapixel" and "fractional" in q.source
    # no rounding up: 512×512 is a quarter of a megapixel
    assert quote(replicate_max, req("flux-2-max", 512, 512)).usd_per_image == D("0.04786432")


def test_compare_puts_bfl_first_then_the_cheapest() -> None:
    quotes = compare(req("flux-2-max", 1024, 1024), 1, TABLE, BFL)
    assert [(q.provider, q.usd_per_image) for q in quotes] == [
        ("BFL", D("0.07")), ("fal.ai", D("0.07")), ("Replicate", D("0.07145728"))]
    assert quotes[0].as_of == BFL.as_of and quotes[0].billing == "per_megapixel" and quotes[0].source == BFL.source
    # at a quarter megapixel the fractional billing is the cheaper one
    small = compare(req("flux-2-max", 512, 512), 1, TABLE, BFL)
    assert [q.provider for q in small] == ["BFL", "Replicate", "fal.ai"]


def test_compare_klein_and_flex_and_a_flat_model() -> None:
    klein = compare(req("flux-2-klein-4b", 1024, 1024), 10, TABLE, BFL)
    assert [(q.provider, q.usd_per_image, q.usd_total) for q in klein] == [
        ("BFL", D("0.014"), D("0.14")), ("fal.ai", D("0.005"), D("0.05"))]
    flex = compare(req("flux-2-flex", 1024, 1024), 1, TABLE, BFL)
    assert [(q.provider, q.usd_per_image) for q in flex] == [("BFL", D("0.05")), ("fal.ai", D("0.05")),
                                                             ("Replicate", D("0.06"))]
    kontext = compare(req("flux-kontext-max"), 1, TABLE, BFL)
    assert [(q.provider, q.billing) for q in kontext] == [("BFL", "per_image")]


def test_a_quote_is_for_its_own_model() -> None:
    with pytest.raises(ValueError, match="not flux-2-pro"):
        quote(row("fal.ai", "flux-2-max"), req("flux-2-pro"))
    with pytest.raises(ValueError, match="count"):
        quote(row("fal.ai", "flux-2-max"), req("flux-2-max"), count=0)


def _broken(change) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d.update(as_of="soon"), "as_of: must be a date"),
    (lambda d: d.update(providers={}), "providers: must be a list"),
    (lambda d: d["providers"][0].update(billing="per_token"), "providers[0].billing: 'per_token' is not one of"),
    (lambda d: d["providers"][0].update(model="flux-9"), "providers[0].model: 'flux-9' is not a model FluxDesk"),
    (lambda d: d["providers"][0].pop("per_image_usd"), "providers[0].per_image_usd: expected a number"),
    (lambda d: d["providers"][0].update(per_image_usd="-0.04"), "must be a number of at least 0"),
    (lambda d: d["providers"][0].update(first_mp_usd="0.03"), "first_mp_usd: does not belong to per_image"),
    (lambda d: d["providers"][2].update(billing="per_megapixel", first_mp_usd="0.06", extra_mp_usd="0.06",
                                        per_image_usd=None) or d["providers"][2].pop("per_image_usd"),
     "sized by aspect ratio"),
    (lambda d: d["providers"][0].update(as_of="2026-02-30"), "providers[0].as_of: must be a date"),
    (lambda d: d["providers"][0].update(source=""), "providers[0].source: must be some text"),
    (lambda d: d["providers"].append(dict(d["providers"][0])), "fal.ai is listed twice for flux-pro-1.1"),
    (lambda d: d.pop("providers"), "providers: must be a list"),
])
def test_a_bad_table_is_refused_in_words(change, words) -> None:
    with pytest.raises(ProviderTableError) as error:
        parse_provider_table(_broken(change))
    assert words in str(error.value)
