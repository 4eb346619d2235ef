"""Break-even by model: the API price at the request's size, the open-weights model run instead, its time
scaled to the size and steps, utilisation, the overhead band, and verdicts that name all of it."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxdesk.core import breakeven as be
from fluxdesk.storage.price_table import bundled_price_table
from fluxdesk.storage.self_hosting import bundled_self_host_table

PRICES = bundled_price_table()
HOSTING = bundled_self_host_table()


def klein(width=1024, height=1024, steps=None, seconds="2", hourly="0.69", utilisation="1", overhead="3000",
          mode=be.Mode.ON_DEMAND, model="flux-2-klein-4b", references=()) -> be.ModelBreakEven:
    return be.model_inputs(model, width, height, steps, None, D(hourly), D(seconds), PRICES, HOSTING,
                           D(utilisation), D(overhead), mode, references)


def test_the_issue_example_at_one_megapixel_and_at_two() -> None:
    one = klein()
    assert one.api_model == "flux-2-klein-4b" and one.api_price == D("0.014")
    assert one.self_hostable and one.self_hosted_model.id == "flux-2-klein-4b"
    assert (one.licence, one.commercial_use) == ("Apache-2.0", True)
    assert one.seconds_per_image == 2
    assert one.self_hosted_per_image == D("0.69") * 2 / 3600
    assert str(one.self_hosted_per_image).startswith("0.000383")
    two = klein(width=2048)
    assert two.api_price == D("0.015")  # 1.4 credits + 0.1 for the second megapixel
    assert two.seconds_per_image == 2 * one.seconds_per_image
    assert two.self_hosted_per_image == D("0.69") * 4 / 3600  # twice the GPU time


def test_time_follows_the_steps_and_the_size() -> None:
    assert klein(steps=8).seconds_per_image == 4  # klein's default is 4 steps
    dev = be.model_inputs("flux-dev", 1024, 1024, 56, None, D(1), D(10), PRICES, HOSTING)
    assert dev.seconds_per_image == 20 and dev.steps == 56  # FLUX.1 [dev]'s default is 28
    assert klein(width=512, height=512).seconds_per_image == D("0.5")
    assert klein(width=512, height=512).api_price == D("0.014")  # BFL bills at least a megapixel


def test_sizes_default_to_the_models_and_aspect_ratio_models_to_their_megapixels() -> None:
    pro11 = be.model_inputs("flux-pro-1.1", None, None, None, None, D(1), D(8), PRICES, HOSTING)
    assert (pro11.width, pro11.height, pro11.seconds_per_image) == (1024, 768, 6)  # 0.75 MP
    assert be.default_size("flux-pro-1.1-ultra") == (2048, 2048)  # ~4 MP
    assert be.default_size("flux-kontext-pro") == (1024, 1024)
    ultra = be.model_inputs("flux-pro-1.1-ultra", None, None, None, None, D(1), D(8), PRICES, HOSTING)
    assert ultra.api_price == D("0.06") and ultra.seconds_per_image == 32


def test_references_are_priced_at_the_api() -> None:
    plain = klein(model="flux-2-pro")
    with_ref = klein(model="flux-2-pro", references=[(2048, 1024)])
    assert plain.api_price == D("0.03") and with_ref.api_price == D("0.06")  # + 2 MP × 1.5 credits
    assert with_ref.seconds_per_image == plain.seconds_per_image
    with pytest.raises(ValueError, match="takes 4 reference images, not 5"):
        klein(references=[(64, 64)] * 5)


def test_utilisation_divides_on_demand_and_leaves_always_on() -> None:
    half = klein(utilisation="0.5")
    assert half.self_hosted_per_image == 2 * klein().self_hosted_per_image
    assert be.self_hosted_cost(half.inputs, 1000, with_overhead=False) == D("0.69") * 1000 / (1800 * D("0.5"))
    assert half.inputs.gpu_cost_per_image == D("0.69") / 900
    on = klein(mode=be.Mode.ALWAYS_ON)
    on_half = klein(mode=be.Mode.ALWAYS_ON, utilisation="0.5")
    assert be.row(on_half.inputs, 10_000).self_hosted_monthly == be.row(on.inputs, 10_000).self_hosted_monthly
    assert on_half.self_hosted_per_image == on.self_hosted_per_image
    assert D("0.6") == be.DEFAULT_UTILISATION


@pytest.mark.parametrize("utilisation", ["0", "-0.5", "1.01"])
def test_utilisation_outside_zero_to_one_is_refused(utilisation) -> None:
    with pytest.raises(ValueError, match="utilisation must be more than 0 and at most 1"):
        klein(utilisation=utilisation)


def test_the_overhead_band() -> None:
    inputs = klein().inputs
    margin = D("0.014") - D("0.69") * 2 / 3600
    low, high = be.break_even_band(inputs)
    assert (low, high) == (220_319, 734_395)
    assert low - 1 < 3000 / margin <= low and high - 1 < 10_000 / margin <= high
    at_500 = be.break_even_volume(replace(inputs, overhead_monthly=D(500)))
    assert be.break_even_band(inputs, D(0), D(500)) == (1, at_500)
    assert (be.OVERHEAD_LOW, be.OVERHEAD_HIGH) == (3000, 10000)


def test_the_verdict_names_the_models_and_the_band() -> None:
    text = klein().verdict(1000)
    assert text == ("At 1,000 images a month, FLUX.2 [klein] 4B at BFL is cheaper than self-hosting FLUX.2 [klein] "
                    "4B by $2,986.38 a month ($35,836.60 a year). With $3,000–$10,000 of engineering a month, "
                    "self-hosting FLUX.2 [klein] 4B pays off from 220,319–734,395 images a month.")
    assert "cannot be self-hosted" not in text
    result = klein()
    at_fal = be.verdict(result.inputs, 1000, api_model=result.api_model, self_hosted=result.self_hosted_model,
                        provider="fal.ai")
    assert at_fal.startswith("At 1,000 images a month, FLUX.2 [klein] 4B at fal.ai is cheaper") and "BFL" not in at_fal


def test_with_zero_overhead_the_verdict_says_none_was_entered() -> None:
    text = klein(overhead="0").verdict(1000)
    assert "self-hosting FLUX.2 [klein] 4B is cheaper than FLUX.2 [klein] 4B at BFL" in text
    assert ("No engineering overhead was entered: on GPU time alone, self-hosting FLUX.2 [klein] 4B pays off from "
            "the very first image; with $3,000–$10,000 of engineering a month, it pays off from 220,319–734,395 "
            "images a month.") in text


def test_an_overhead_of_ones_own_is_named_beside_the_band() -> None:
    text = klein(overhead="5000").verdict(1000)
    assert ("With your $5,000 of engineering a month, self-hosting FLUX.2 [klein] 4B pays off from 367,198 images "
            "a month") in text
    assert "with $3,000–$10,000, it pays off from 220,319–734,395 images a month" in text


def test_an_api_only_model_says_it_cannot_be_self_hosted_and_what_runs_instead() -> None:
    rtx = HOSTING.gpu("RTX 4090 (secure cloud)")
    result = be.model_inputs("flux-pro-1.1", 1024, 1024, None, rtx, None, None, PRICES, HOSTING)
    assert not result.self_hostable and result.self_hosted_model.name == "FLUX.1 [dev]"
    assert (result.licence, result.commercial_use) == ("FLUX.1 [dev] Non-Commercial License", False)
    assert result.seconds_per_image == 11 and result.inputs.gpu_hourly == D("0.69") and result.gpu_name == rtx.name
    assert result.inputs.utilisation == be.DEFAULT_UTILISATION and result.inputs.overhead_monthly == 3000
    text = result.verdict(10_000)
    assert text.startswith("FLUX1.1 [pro] cannot be self-hosted: its weights are not published, so this prices "
                           "FLUX.1 [dev], whose images will differ. At 10,000 images a month, FLUX1.1 [pro] at BFL is "
                           "cheaper than self-hosting FLUX.1 [dev]")


def test_never_pays_off_when_the_gpu_costs_more_per_image() -> None:
    dear = klein(seconds="100")  # $0.69 × 100 s / 3600 = $0.019 > $0.014
    assert be.break_even_band(dear.inputs) == (None, None)
    assert "With $3,000–$10,000 of engineering a month, self-hosting FLUX.2 [klein] 4B never pays off at these " \
           "prices." in dear.verdict(1000)


def test_gpu_rows_give_price_and_speed_and_a_missing_speed_is_asked_for() -> None:
    r5090 = HOSTING.gpu("RTX 5090")
    nine = be.model_inputs("flux-2-klein-9b", 1024, 1024, None, r5090, None, None, PRICES, HOSTING)
    assert nine.seconds_per_image == 2 and nine.inputs.gpu_hourly == r5090.hourly_usd
    typed = be.model_inputs("flux-2-klein-9b", 1024, 1024, None, r5090, D("0.5"), D(3), PRICES, HOSTING)
    assert typed.inputs.gpu_hourly == D("0.5") and typed.seconds_per_image == 3  # typed figures win
    with pytest.raises(ValueError, match=r"no published speed for FLUX.1 \[dev\] on the A100 80 GB"):
        be.model_inputs("flux-dev", 1024, 1024, None, HOSTING.gpu("A100 80 GB"), None, None, PRICES, HOSTING)
    with pytest.raises(ValueError, match="give the GPU's speed"):
        be.model_inputs("flux-dev", 1024, 1024, None, None, D(1), None, PRICES, HOSTING)
    with pytest.raises(ValueError, match="give a GPU, or its hourly price"):
        be.model_inputs("flux-dev", 1024, 1024, None, None, None, D(1), PRICES, HOSTING)


def test_a_size_the_model_refuses_is_refused() -> None:
    with pytest.raises(ValueError, match="height: must be a multiple of 16"):
        klein(width=1920, height=1080)
    with pytest.raises(ValueError, match="give both"):
        klein(height=None)


def test_the_typed_price_form_keeps_its_one_sentence() -> None:
    inputs = be.BreakEvenInputs(D("0.04"), D("0.69"), D(250))
    assert be.verdict(inputs, 1000) == ("At 1,000 images a month, your own GPU is cheaper by $37.24 a month "
                                        "($446.88 a year). Self-hosting is cheaper from the very first image.")


def _brute_force(i: be.BreakEvenInputs, limit: int) -> int | None:
    for v in range(1, limit):
        if be.self_hosted_cost(i, v) <= be.api_cost(i, v):
            return v
    return None


@settings(max_examples=80, deadline=None)
@given(api=st.integers(1, 80), hourly=st.integers(0, 300), iph=st.integers(1, 40), overhead=st.integers(0, 300),
       utilisation=st.integers(1, 20))
def test_break_even_with_utilisation_is_the_first_volume_where_self_hosting_is_no_dearer(
        api, hourly, iph, overhead, utilisation) -> None:
    i = be.BreakEvenInputs(D(api) / 100, D(hourly) / 100, D(iph) / 10, D(overhead), be.Mode.ON_DEMAND,
                           D(utilisation) / 20)
    found, expected = be.break_even_volume(i), _brute_force(i, 20_000)
    if found is None or found < 20_000:
        assert found == expected
