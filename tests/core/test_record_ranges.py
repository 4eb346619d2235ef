"""Every number a FluxDesk record read from a file holds is range-checked before anything uses it."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from fluxdesk.core.metadata import (
    MAX_COST_CREDITS,
    ImageRecord,
    MetadataError,
    from_json,
    record_from_dict,
    to_json,
)
from fluxdesk.core.request import SEED_MAX
from fluxdesk.core.values import as_decimal

BASE = json.loads(to_json(ImageRecord(model="flux-dev", prompt="a fox", seed=1, width=64, height=64)))


def with_field(key: str, value: object) -> dict[str, object]:
    data = dict(BASE)
    data[key] = value
    return data


@pytest.mark.parametrize(("key", "value", "words"), [
    ("cost_credits", "1e30", "from 0 to 1,000,000 with at most 12 decimals"),
    ("cost_credits", "1e999999", "credits"),
    ("cost_credits", "1e-999999", "at most 12 decimals"),
    ("cost_credits", "9" * 40, "credits"),
    ("cost_credits", 1e300, "credits"),
    ("cost_credits", "NaN", "credits"),
    ("cost_credits", "-Infinity", "credits"),
    ("seed", -1, "from 0 to 340,282,366,920,938,463,463,374,607,431,768,211,455"),
    ("seed", 2**128, "seed"),
    ("width", 0, "from 1 to 100,000"),
    ("height", 10**12, "height"),
    ("steps", -28, "from 1 to 1,000"),
    ("guidance", -3.0, "from 0 to 100"),
    ("guidance", 1e308, "guidance"),
    ("start_time", -1.0, "start_time"),
    ("end_time", 1e20, "end_time"),
    ("duration", 1e12, "duration"),
    ("input_images", 10**9, "input_images"),
    ("format_version", 10**40, "format_version"),
    ("created_at", "0001-01-01T00:00:00+14:00", "created_at"),  # before year 1 in UTC: an OverflowError once
    ("created_at", "9999-12-31T23:59:59-14:00", "created_at"),
])
def test_numbers_out_of_range_are_refused_in_words_and_at_once(key: str, value: object, words: str) -> None:
    started = time.perf_counter()
    with pytest.raises(MetadataError, match=key) as caught:
        record_from_dict(with_field(key, value))
    assert words in str(caught.value)
    assert time.perf_counter() - started < 0.1


def test_the_bounds_themselves_are_accepted() -> None:
    assert record_from_dict(with_field("seed", 2**70)).seed == 2**70  # BFL's answer, kept as it came
    record = record_from_dict({**BASE, "seed": SEED_MAX, "width": 100_000, "steps": 1000, "guidance": 0,
                               "cost_credits": str(MAX_COST_CREDITS), "duration": 0.0})
    assert record.seed == SEED_MAX and record.cost_credits == MAX_COST_CREDITS
    assert record_from_dict(with_field("cost_credits", "0.000000000001")).cost_credits == Decimal("1E-12")
    assert record_from_dict(with_field("cost_credits", "2.500000000000000")).cost_credits == Decimal("2.5")


def test_parameters_keep_only_text_flags_and_numbers() -> None:
    nested: object = 1
    for _ in range(500):
        nested = {"a": nested}
    record = record_from_dict(with_field("parameters", {"seed": 1, "raw": True, "note": "x", "gone": None,
                                                        "deep": nested, "list": [1, 2], "huge": 10**40}))
    assert dict(record.parameters) == {"seed": 1, "raw": True, "note": "x", "gone": None}
    assert from_json(to_json(record)) == record
    with pytest.raises(MetadataError, match="parameters"):
        record_from_dict(with_field("parameters", {str(i): i for i in range(1000)}))


def test_bounded_decimals_refuse_long_text_before_reading_it() -> None:
    assert as_decimal("1" * 30) == Decimal("1" * 30)  # unbounded, as storage and the API client read
    assert as_decimal("1" * 30, maximum=Decimal(10) ** 40) is None
    assert as_decimal("-5", negative=True, maximum=Decimal(10)) == Decimal(-5)
    assert as_decimal("-50", negative=True, maximum=Decimal(10)) is None
    assert as_decimal(10**5000, maximum=Decimal(1)) is None


def test_a_record_built_from_an_odd_answer_can_always_be_read_back() -> None:
    from datetime import UTC, datetime

    from fluxdesk.core.metadata import build_record
    from fluxdesk.core.request import GenerationRequest

    request = GenerationRequest(model="flux-dev", prompt="p", seed=3)
    answer = {"seed": -4, "start_time": -1.0, "end_time": 1e300, "duration": 12.5}
    record = build_record(request, answer, job_id="j", task_id="t", cost_credits=None, demo=False,
                          created_at=datetime(2026, 5, 9, tzinfo=UTC))
    assert (record.seed, record.start_time, record.end_time, record.duration) == (3, None, None, 12.5)
    assert from_json(to_json(record)) == record
