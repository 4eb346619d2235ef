"""Prices checked by hand from bfl-api.md, in Decimal."""

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxdesk.core.catalog import MODELS
from fluxdesk.core.pricing import (
    PriceTableError,
    estimate,
    format_credits,
    format_percent,
    format_price,
    format_usd,
    parse_price_table,
    started_megapixels,
)
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.resources import resource_path
from fluxdesk.storage.price_table import bundled_price_table, import_price_table, load_price_table

TABLE = bundled_price_table()


def credits(model: str, count: int = 1, **kw) -> Decimal:
    return estimate(GenerationRequest(model=model, prompt="p", **kw), TABLE, count).credits_total


def test_the_bundled_table_is_dated_and_sourced() -> None:
    assert TABLE.as_of == "2026-11-01" and "bfl" in TABLE.source.lower()
    assert TABLE.usd_per_credit == Decimal("0.01")


# Hand-checked: FLUX.2 = first MP + each further started MP (1 MP = 1024×1024).
@pytest.mark.parametrize(("model", "w", "h", "expected"), [
    # 1920×1080 is 1.98 MP → 2 MP → 3 + 1.5 (bfl-api.md's own figure). BFL's sides must be multiples of
    # 16, so the request below is priced, not validated; 1920×1088 (1.99 MP) costs the same.
    ("flux-2-pro", 1920, 1080, "4.5"),
    ("flux-2-pro", 1920, 1088, "4.5"),
    ("flux-2-pro", 1024, 1024, "3"),
    ("flux-2-pro", 64, 64, "3"),  # the 65×65 = 3.0 credits case: never below one megapixel
    ("flux-2-pro", 2048, 2048, "7.5"),  # 4 MP: 3 + 3 × 1.5
    ("flux-2-pro", 1024, 1040, "4.5"),  # just over 1 MP starts a second one
    ("flux-2-max", 1024, 1024, "7"),
    ("flux-2-max", 1920, 1088, "10"),
    ("flux-2-flex", 1024, 1024, "5"),
    ("flux-2-flex", 2048, 1024, "10"),
    ("flux-2-klein-4b", 1024, 1024, "1.4"),
    ("flux-2-klein-4b", 2048, 2048, "1.7"),
    ("flux-2-klein-9b", 2048, 2048, "2.1"),
])
def test_flux2_megapixel_prices(model, w, h, expected) -> None:
    assert credits(model, width=w, height=h) == Decimal(expected)


@pytest.mark.parametrize(("model", "expected"), [
    ("flux-pro-1.1", "4"), ("flux-pro-1.1-ultra", "6"), ("flux-kontext-pro", "4"),
    ("flux-kontext-max", "8"), ("flux-pro", "5"), ("flux-dev", "2.5")])
def test_flat_prices(model, expected) -> None:
    assert credits(model) == Decimal(expected)


def test_ultra_raw_costs_the_same() -> None:
    assert credits("flux-pro-1.1-ultra", raw=True) == credits("flux-pro-1.1-ultra")


def test_unset_size_is_priced_at_the_model_default() -> None:
    assert credits("flux-2-pro") == Decimal(3)  # default 1024×1024


def test_count_and_dollars() -> None:
    est = estimate(GenerationRequest("flux-2-pro", "p", width=1920, height=1088), TABLE, 4)
    assert est.credits_per_image == Decimal("4.5") and est.usd_per_image == Decimal("0.045")
    assert est.credits_total == Decimal(18) and est.usd_total == Decimal("0.18")
    assert est.summary() == "4 × $0.045 = $0.18"


def test_input_images_add_their_megapixels_at_the_further_rate() -> None:
    two_mp = InputImage("x", 1920, 1088)
    est = estimate(GenerationRequest("flux-2-pro", "p", input_images=(two_mp,)), TABLE)
    assert est.credits_per_image == Decimal(3) + Decimal("1.5") * 2
    assert est.input_megapixels == 2 and est.exact  # the size is known: the figure is BFL's rule, not a guess
    assert est.reference_megapixels == (2,) and est.reference_credits == (Decimal(3),)
    assert est.output_credits == Decimal(3)


def test_input_image_of_unknown_size_is_estimated_at_one_megapixel() -> None:
    est = estimate(GenerationRequest("flux-2-max", "p", input_images=(InputImage("url"),)), TABLE)
    assert est.credits_per_image == Decimal(10) and not est.exact


def test_flat_models_ignore_input_images() -> None:
    est = estimate(GenerationRequest("flux-kontext-pro", "p", input_images=(InputImage("x"),)), TABLE)
    assert est.credits_per_image == Decimal(4) and est.exact


@given(w=st.integers(64, 4096).map(lambda v: v - v % 16), h=st.integers(64, 4096).map(lambda v: v - v % 16),
       count=st.integers(1, 50))
def test_flux2_price_is_exact_decimal_arithmetic(w, h, count) -> None:
    r = GenerationRequest("flux-2-pro", "p", width=w, height=h)
    if not validate(r).ok:
        return
    mp = started_megapixels(w * h)
    assert 1 <= mp <= 4
    est = estimate(r, TABLE, count)
    assert est.credits_total == (Decimal(3) + Decimal("1.5") * (mp - 1)) * count
    assert est.usd_total == est.credits_total / 100


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError):
        estimate(GenerationRequest("flux-dev", "p"), TABLE, 0)


@pytest.mark.parametrize(("amount", "text"), [
    ("0.18", "$0.18"), ("0.045", "$0.05"), ("4", "$4.00"), ("1234.5", "$1,234.50"), ("12.345", "$12.35"),
    ("0.00136", "$0.00"), ("-3.5", "-$3.50"), ("-0.004", "$0.00"), ("0.276", "$0.28")])
def test_amounts_read_in_whole_cents(amount, text) -> None:
    assert format_usd(Decimal(amount)) == text


@pytest.mark.parametrize(("amount", "text"), [
    ("0.04", "$0.04"), ("0.045", "$0.045"), ("0.025", "$0.025"), ("0.00276", "$0.0028"), ("0.69", "$0.69"),
    ("1200", "$1,200.00"), ("0.00001", "$0.00")])
def test_prices_keep_up_to_four_decimals(amount, text) -> None:
    assert format_price(Decimal(amount)) == text


@pytest.mark.parametrize(("value", "text"), [
    ("93.14", "93.1%"), ("0", "0.0%"), ("-0.01", "0.0%"), ("999", "999.0%"), ("999.04", "999.0%"),
    ("999.96", "over 999%"), ("-186455.6", "under -999%"), ("1e30", "over 999%")])
def test_percentages_are_bounded(value, text) -> None:
    assert format_percent(Decimal(value)) == text


@given(st.decimals(min_value=-10**9, max_value=10**9, places=6))
def test_every_amount_has_exactly_cents_and_every_price_at_most_four_decimals(amount: Decimal) -> None:
    text = format_usd(amount)
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d{2}", text), text
    assert abs(Decimal(text.replace("$", "").replace(",", "")) - amount) <= Decimal("0.005")
    shown = format_price(amount)
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d{2,4}", shown), shown
    assert abs(Decimal(shown.replace("$", "").replace(",", "")) - amount) <= Decimal("0.00005")


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=3))
def test_every_percentage_is_short(value: Decimal) -> None:
    assert len(format_percent(value)) <= len("under -999%")


def test_format_credits() -> None:
    assert format_credits(Decimal("4.50")) == "4.5" and format_credits(Decimal("18")) == "18"


# --- the table as data --------------------------------------------------------------------------

def _bundled_data() -> dict:
    return json.loads(resource_path("prices.json").read_text())


@pytest.mark.parametrize(("mutate", "words"), [
    (lambda d: d.pop("as_of"), "as_of"),
    (lambda d: d.update(as_of="yesterday"), "as_of"),
    (lambda d: d["models"].pop("flux-dev"), "flux-dev"),
    (lambda d: d["models"]["flux-dev"].update(per_image="free"), "flux-dev.per_image"),
    (lambda d: d["models"]["flux-2-pro"].update(extra_mp=-1), "flux-2-pro.extra_mp"),
    (lambda d: d["models"]["flux-2-pro"].update(first_mp=True), "flux-2-pro.first_mp"),
    (lambda d: d.update(models=[]), "models"),
])
def test_bad_price_tables_are_refused_in_words(mutate, words) -> None:
    data = _bundled_data()
    mutate(data)
    with pytest.raises(PriceTableError, match=words.replace(".", r"\.")):
        parse_price_table(data)



@pytest.mark.parametrize("as_of", ["2026-13-45", "2027-02-30", "abcd-ef-gh", "2026-1-011"])
def test_an_impossible_date_is_refused(as_of: str) -> None:
    # Found by the hostile-input drill: the shape alone let "2026-13-45" in, and as text it sorted
    # after every real date, so such a table would always win over the bundled one.
    data = _bundled_data()
    data["as_of"] = as_of
    with pytest.raises(PriceTableError, match="as_of"):
        parse_price_table(data)

def test_every_model_has_a_bundled_price() -> None:
    for model in MODELS:
        TABLE.price(model.id)


def test_import_a_newer_table(tmp_path) -> None:
    data = _bundled_data()
    data["as_of"] = "2027-02-01"
    data["models"]["flux-pro-1.1"]["per_image"] = "3.5"
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps(data))
    home = tmp_path / "home"
    import_price_table(newer, home)
    table = load_price_table(home)
    assert table.as_of == "2027-02-01" and table.price("flux-pro-1.1").per_image == Decimal("3.5")


def test_a_broken_import_is_refused_and_keeps_the_old_table(tmp_path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PriceTableError, match="not valid JSON"):
        import_price_table(bad, home)
    assert load_price_table(home).as_of == TABLE.as_of
    assert not (home / "prices.json").exists()


def test_an_import_writes_the_bytes_it_checked_and_leaves_no_temporary_file(tmp_path) -> None:
    source = tmp_path / "new.json"
    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["as_of"] = "2027-03-01"
    source.write_text(json.dumps(data, indent=1), encoding="utf-8")
    home = tmp_path / "home"
    table = import_price_table(source, home)
    assert table.as_of == "2027-03-01"
    assert (home / "prices.json").read_bytes() == source.read_bytes()
    assert sorted(p.name for p in home.iterdir()) == ["prices.json"]
