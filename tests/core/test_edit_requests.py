"""Fill, Expand and FLUX.2 local edits as requests: the catalog's tools, validation before any money, the bodies sent,
the prices (with Expand's note), and what the journal and the image's record keep so Reproduce is exact."""

import json
import re
from decimal import Decimal

import pytest

from fluxdesk.core.catalog import MODELS, TOOL_MODELS, endpoint_ids, get_model, model_ids
from fluxdesk.core.metadata import build_record, from_json, settings_from_metadata, to_a1111, to_json
from fluxdesk.core.pricing import PriceTableError, estimate, parse_price_table
from fluxdesk.core.request import GenerationRequest, InputImage, MaskImage, validate
from fluxdesk.core.serialize import request_from_dict, request_to_dict, utc_now
from fluxdesk.resources import resource_path
from fluxdesk.storage.price_table import bundled_price_table

TABLE = bundled_price_table()
SHA = {name: name[0] * 64 for name in ("aimage", "bmask", "ccrop")}


def image(width: int = 1024, height: int = 768) -> InputImage:
    return InputImage("SU1H", width, height, SHA["aimage"], "photo.png", from_image_id=7)


def mask(width: int = 1024, height: int = 768, bounds=(100, 100, 300, 250)) -> MaskImage:
    return MaskImage("TUFTSw==", width, height, SHA["bmask"], "mask.png", bounds=bounds)


def fill(**kw) -> GenerationRequest:
    kw.setdefault("input_images", (image(),))
    kw.setdefault("mask", mask())
    return GenerationRequest(model="flux-pro-1.0-fill", prompt=kw.pop("prompt", "a red boat"), **kw)


def expand(**kw) -> GenerationRequest:
    kw.setdefault("input_images", (image(),))
    return GenerationRequest(model="flux-pro-1.0-expand", prompt=kw.pop("prompt", ""), **kw)


def local_edit(**kw) -> GenerationRequest:
    kw.setdefault("input_images", (image(),))
    kw.setdefault("mask", mask())
    kw.setdefault("crop", InputImage("Q1JPUA==", 512, 512, SHA["ccrop"], "crop"))
    kw.setdefault("width", 512)
    kw.setdefault("height", 512)
    return GenerationRequest(model=kw.pop("model", "flux-2-pro"), prompt="a red boat", **kw)


def messages(req: GenerationRequest) -> dict[str, str]:
    result = validate(req)
    assert not result.ok and result.body is None
    return {error.field: error.message for error in result.errors}


# --- the catalog ---------------------------------------------------------------------------------------------------

def test_the_tools_are_requestable_but_no_picker_lists_them() -> None:
    tools = {"flux-pro-1.0-fill", "flux-pro-1.0-expand"}
    assert {m.id for m in TOOL_MODELS} == tools and all(m.tool for m in TOOL_MODELS)
    assert not tools & set(model_ids()) and not tools & {m.id for m in MODELS}
    assert tools <= set(endpoint_ids())
    fill_model, expand_model = get_model("flux-pro-1.0-fill"), get_model("flux-pro-1.0-expand")
    for model in (fill_model, expand_model):
        assert (model.steps.minimum, model.steps.maximum, model.steps.default) == (15, 50, 50)
        assert (model.guidance.minimum, model.guidance.maximum, model.guidance.default) == (1.5, 100, 60)
        assert model.input_image_field(0) == "image"
    assert fill_model.takes_mask and fill_model.expand_sides is None
    assert not expand_model.takes_mask and (expand_model.expand_sides.minimum, expand_model.expand_sides.maximum) \
        == (0, 2048)


def test_every_flux2_model_that_takes_references_makes_local_edits_and_no_other_does() -> None:
    for model in MODELS:
        assert model.local_edit == (model.family == "FLUX.2" and model.takes_references), model.id


# --- bodies --------------------------------------------------------------------------------------------------------

def test_fill_sends_the_image_and_the_mask_with_its_options() -> None:
    body = validate(fill(steps=30, guidance=70.5, seed=3, safety_tolerance=4, output_format="png",
                         prompt_upsampling=False)).body
    assert body == {"prompt": "a red boat", "seed": 3, "steps": 30, "guidance": 70.5, "prompt_upsampling": False,
                    "safety_tolerance": 4, "output_format": "png", "image": "SU1H", "mask": "TUFTSw=="}


def test_expand_sends_the_image_and_all_four_sides() -> None:
    body = validate(expand(right=256, left=128)).body
    assert body == {"prompt": "", "image": "SU1H", "top": 0, "right": 256, "bottom": 0, "left": 128}


def test_a_local_edit_sends_the_crop_at_its_size_and_no_mask() -> None:
    body = validate(local_edit(disable_pup=True, seed=9)).body
    assert body == {"prompt": "a red boat", "seed": 9, "width": 512, "height": 512, "disable_pup": True,
                    "input_image": "Q1JPUA=="}


# --- refused before any money -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("request_", "field", "words"), [
    (fill(input_images=()), "image", "needs the image to edit"),
    (fill(mask=None), "mask", "needs a mask"),
    (fill(mask=mask(1024, 767)), "mask", "the mask is 1024×767 pixels and the image 1024×768"),
    (fill(mask=mask(bounds=(0, 0, 0, 0))), "mask", "all black"),
    (fill(steps=14), "steps", "from 15 to 50"),
    (fill(steps=51), "steps", "from 15 to 50"),
    (fill(guidance=1.4), "guidance", "from 1.5 to 100"),
    (fill(guidance=100.5), "guidance", "from 1.5 to 100"),
    (fill(width=1024, height=768), "width", "has the size of the image"),
    (fill(top=10), "top", "is not accepted by FLUX.1 Fill \\[pro\\]"),
    (fill(input_images=(image(), image())), "image", "takes one image: the one it edits"),
    (expand(), "sides", "add pixels to at least one side"),
    (expand(top=0, right=0, bottom=0, left=0), "sides", "at least one side"),
    (expand(top=2049), "top", "from 0 to 2048"),
    (expand(left=-1), "left", "from 0 to 2048"),
    (expand(right=True), "right", "whole number"),
    (expand(top=10, mask=mask()), "mask", "takes no mask"),
    (expand(top=10, input_images=()), "image", "needs the image to edit"),
    (expand(top=10, steps=60), "steps", "from 15 to 50"),
    (GenerationRequest("flux-pro-1.1", "p", input_images=(image(),), mask=mask()), "mask", "takes no mask"),
    (GenerationRequest("flux-kontext-pro", "p", input_images=(image(),), mask=mask()), "mask", "takes no mask"),
    (local_edit(mask=mask(800, 600)), "mask", "the mask is 800×600 pixels and the image 1024×768"),
    (local_edit(mask=mask(bounds=(0, 0, 0, 0))), "mask", "all black"),
    (local_edit(width=1024, height=768), "width", "at the size of the crop around its mask, 512×512"),
    (local_edit(crop=None), "input_image", "the crop around the mask has not been made"),
    (local_edit(crop=InputImage("Q1JPUA==", 256, 256, SHA["ccrop"])), "input_image", "not the 512×512"),
    (local_edit(input_images=(image(), image())), "input_image", "takes no other references"),
    (local_edit(mask=mask(4096, 4096, (0, 0, 2100, 2100)), input_images=(image(4096, 4096),)), "mask",
     "more than FLUX.2 \\[pro\\] takes"),
    (GenerationRequest("flux-2-pro", "p", crop=InputImage("QQ==", 64, 64, SHA["ccrop"])), "crop",
     "only a local edit"),
])
def test_what_cannot_be_sent_is_refused_in_words(request_, field, words) -> None:
    found = messages(request_)
    assert field in found, found
    assert re.search(words, found[field]), found


def test_a_tool_takes_an_empty_prompt_and_other_models_do_not() -> None:
    assert validate(fill(prompt="")).ok and validate(expand(top=8, prompt="")).ok
    assert "prompt" in messages(GenerationRequest("flux-2-pro", ""))


# --- prices --------------------------------------------------------------------------------------------------------

def test_fill_costs_5_credits_from_bfls_page_and_expand_5_with_its_note() -> None:
    fill_price, expand_price = estimate(fill(), TABLE, 2), estimate(expand(top=64), TABLE)
    assert fill_price.credits_per_image == 5 and fill_price.credits_total == 10 and fill_price.note == ""
    assert fill_price.summary() == "2 × $0.05 = $0.10"
    assert expand_price.credits_per_image == 5
    assert expand_price.note == "5 credits per ComfyUI's published badge; not on BFL's price page"
    assert expand_price.summary() == "1 × $0.05 = $0.05 (5 credits per ComfyUI's published badge; not on BFL's price " \
                                     "page)"


def test_every_bundled_row_names_its_source_and_expands_says_where_its_figure_comes_from() -> None:
    assert all(price.source for price in TABLE.prices.values())
    assert set(TABLE.prices) == set(endpoint_ids())
    assert "ComfyUI" in TABLE.price("flux-pro-1.0-expand").source
    assert "not on BFL's price page" in TABLE.price("flux-pro-1.0-expand").note
    assert "BFL" in TABLE.price("flux-pro-1.0-fill").source and not TABLE.price("flux-pro-1.0-fill").note


def test_a_local_edit_is_priced_at_its_crop_not_at_the_image() -> None:
    whole = image(2048, 2048)
    edit = local_edit(input_images=(whole,), mask=mask(2048, 2048, (900, 700, 1000, 760)))
    price = estimate(edit, TABLE)
    # the 512×512 crop: 1 MP out (3 credits) + 1 MP reference (1.5), where editing the whole 4 MP image would cost
    # 3 + 3 × 1.5 out and 4 × 1.5 in
    assert price.credits_per_image == Decimal("4.5") and price.reference_megapixels == (1,)
    assert estimate(GenerationRequest("flux-2-pro", "p", width=2048, height=2048, input_images=(whole,)),
                    TABLE).credits_per_image == Decimal("13.5")
    assert estimate(local_edit(model="flux-2-max"), TABLE).credits_per_image == 7 + 3


def test_a_table_without_the_tools_still_prices_the_rest_and_never_makes_up_a_tools_price() -> None:
    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    for tool in TOOL_MODELS:
        del data["models"][tool.id]
    older = parse_price_table(data)
    assert estimate(GenerationRequest("flux-pro-1.1", "p"), older).credits_per_image == 4
    with pytest.raises(PriceTableError, match=r"no price for flux-pro-1\.0-fill"):
        estimate(fill(), older)


@pytest.mark.parametrize("bad", [{"note": 5}, {"source": ["x"]}, {"source": "x" * 3000}])
def test_a_rows_source_and_note_are_short_text(bad) -> None:
    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["models"]["flux-pro-1.0-expand"].update(bad)
    with pytest.raises(PriceTableError, match=r"flux-pro-1\.0-expand"):
        parse_price_table(data)


# --- kept for Reproduce --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("request_", [fill(seed=4, steps=20), expand(top=64, right=32, seed=5), local_edit(seed=6)],
                         ids=["fill", "expand", "local edit"])
def test_the_journal_keeps_every_image_by_sha256_and_gives_the_request_back(request_) -> None:
    data = json.loads(json.dumps(request_to_dict(request_)))
    assert "data" not in json.dumps(data) and "SU1H" not in json.dumps(data)
    back = request_from_dict(data)
    assert back.mask == (None if request_.mask is None else
                         MaskImage(sha256=SHA["bmask"], width=1024, height=768, source="mask.png",
                                   bounds=request_.mask.bounds))
    assert back.input_images == tuple(i.without_data() for i in request_.input_images)
    assert back.crop == (None if request_.crop is None else request_.crop.without_data())
    assert back.sides == request_.sides


@pytest.mark.parametrize("request_", [fill(seed=4, steps=20), expand(top=64, right=32, seed=5), local_edit(seed=6)],
                         ids=["fill", "expand", "local edit"])
def test_the_images_record_names_image_mask_and_crop_and_reproduces_the_request(request_) -> None:
    record = build_record(request_, {"seed": request_.seed}, job_id="j", task_id="t", cost_credits=Decimal(5),
                          demo=False, created_at=utc_now())
    record = from_json(to_json(record))
    assert [r.sha256 for r in record.references] == [SHA["aimage"]]
    assert (record.mask is not None) == (request_.mask is not None)
    assert (record.crop is not None) == (request_.crop is not None)
    again = GenerationRequest(**settings_from_metadata(record))
    assert again.model == request_.model and again.seed == request_.seed and again.sides == request_.sides
    assert (again.width, again.height) == (request_.width, request_.height)
    assert [i.sha256 for i in again.input_images] == [SHA["aimage"]]
    assert (again.mask and again.mask.sha256) == (request_.mask and request_.mask.sha256)
    assert (again.crop and again.crop.sha256) == (request_.crop and request_.crop.sha256)
    text = to_a1111(record)
    assert (f"Mask: \"sha256:{SHA['bmask']} 1024x768\"" in text) == (request_.mask is not None)
    assert ('Expand: "64,32,0,0"' in text) == (request_.model == "flux-pro-1.0-expand")


def test_a_damaged_mask_in_a_record_costs_the_mask_not_the_record() -> None:
    from fluxdesk.core.metadata import record_from_json_partly

    record = build_record(fill(seed=1), None, job_id="j", task_id=None, cost_credits=None, demo=False,
                          created_at=utc_now())
    data = json.loads(to_json(record))
    data["mask"]["sha256"] = "not a hash"
    kept, left_out = record_from_json_partly(json.dumps(data))
    assert kept.mask is None and kept.references and left_out and left_out[0].startswith("mask")
