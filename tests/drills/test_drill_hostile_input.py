"""Hostile input, by hypothesis: what the existing tests do not yet throw at FluxDesk.

- the request validator, fed requests that arrive through hostile image metadata (a dropped or
  reproduced image: record JSON → settings → request → validate);
- the metadata reader, fed PNG text in wrong encodings and very large text;
- the settings file, fed random JSON, mutated good files, random bytes and other encodings;
- the price-table import, fed mutated tables: refused in words, or accepted and usable; a refused
  one never replaces the table imported before.

Examples per test: ``FLUXDESK_DRILL_EXAMPLES`` (40 in the normal suite; the drills run thousands).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sys
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

for _sub in ("core", "storage"):
    _path = str(Path(__file__).resolve().parents[1] / _sub)
    if _path not in sys.path:
        sys.path.insert(0, _path)

from test_request import any_request  # noqa: E402
from test_storage_metadata_io import _png_with_chunk  # noqa: E402
from test_storage_settings import GOOD  # noqa: E402

from fluxdesk.core.catalog import MODELS, model_ids  # noqa: E402
from fluxdesk.core.metadata import ImageRecord, MetadataError, settings_from_metadata, to_json  # noqa: E402
from fluxdesk.core.pricing import PriceTableError, estimate  # noqa: E402
from fluxdesk.core.request import GenerationRequest, validate  # noqa: E402
from fluxdesk.resources import resource_path  # noqa: E402
from fluxdesk.storage.metadata_io import read_metadata  # noqa: E402
from fluxdesk.storage.paths import settings_path  # noqa: E402
from fluxdesk.storage.price_table import import_price_table, load_price_table  # noqa: E402
from fluxdesk.storage.settings import (  # noqa: E402
    KEY_STORAGES,
    OUTPUT_FORMATS,
    REGIONS,
    THEMES,
    Settings,
    load_settings,
    save_settings,
)

EXAMPLES = int(os.environ.get("FLUXDESK_DRILL_EXAMPLES", "40"))
DRILL = settings(max_examples=EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])
KEY = "bfl_hostile-input-drill-key-0123456789"

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=20)
hostile_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8), st.integers(1, 20_000)),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\u202e evil", "<x>&amp;]]>", "Steps: 20, Seed: 1", "\r\n" * 50]))


# --- the request validator, through hostile metadata -------------------------------------------------

def _validated(req: GenerationRequest) -> None:
    result = validate(req)
    if result.ok:
        text = json.dumps(result.body, allow_nan=False)  # what would be POSTed is valid JSON
        assert json.loads(text)["prompt"].strip()
    else:
        assert result.errors and all(e.field and e.message for e in result.errors)


@DRILL
@given(any_request(), hostile_text)
def test_validator_with_hostile_prompts(req: GenerationRequest, prompt: str) -> None:
    _validated(GenerationRequest(**{**req.__dict__, "prompt": prompt}))


_RECORD = json.loads(to_json(ImageRecord(model="flux-2-pro", prompt="a fox", seed=5, width=1024, height=768,
                                         parameters={"seed": 5, "width": 1024, "height": 768})))


@DRILL
@given(st.dictionaries(st.sampled_from([*sorted(_RECORD), "parameters", "extra"]), json_values, max_size=6),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(["seed", "width", "height", "steps", "guidance",
                                                             "aspect_ratio", "raw", "interval",
                                                             "safety_tolerance", "output_format",
                                                             "prompt_upsampling", "image_prompt"]),
                                            json_values, max_size=6)),
       st.sampled_from([b"tEXt", b"iTXt", b"zTXt"]))
@example({"width": 10**12}, None, b"tEXt")  # hung snap_size, found by this drill
@example({"height": 10**400, "model": "flux-dev"}, None, b"zTXt")  # overflowed snap
def test_hostile_record_metadata_to_a_request(changes: dict, parameters: dict | None, ctype: bytes) -> None:
    data = {**copy.deepcopy(_RECORD), **changes}
    if parameters is not None:
        data["parameters"] = parameters
    text = json.dumps(data).encode("utf-8")
    payload = {b"tEXt": b"fluxdesk\x00" + text,
               b"iTXt": b"fluxdesk\x00\x00\x00\x00\x00" + text,
               b"zTXt": b"fluxdesk\x00\x00" + zlib.compress(text)}[ctype]
    with contextlib.suppress(MetadataError):
        record, _a1111 = read_metadata(_png_with_chunk(ctype, payload))
        if record is not None:
            _validated(GenerationRequest(**settings_from_metadata(record)))


@DRILL
@given(hostile_text, st.sampled_from(["utf-8", "utf-16", "utf-16-be", "latin-1", "cp1252", "utf-8-sig"]),
       st.sampled_from([b"tEXt", b"iTXt", b"zTXt"]), st.sampled_from([b"parameters", b"fluxdesk", b"Comment"]))
def test_png_text_in_any_encoding(text: str, encoding: str, ctype: bytes, key: bytes) -> None:
    raw = text.encode(encoding, errors="replace")
    payload = {b"tEXt": key + b"\x00" + raw, b"iTXt": key + b"\x00\x00\x00\x00\x00" + raw,
               b"zTXt": key + b"\x00\x00" + zlib.compress(raw)}[ctype]
    with contextlib.suppress(MetadataError):
        _record, a1111 = read_metadata(_png_with_chunk(ctype, payload))
        if a1111 is not None:
            _validated(GenerationRequest(**settings_from_metadata(a1111, default_model="flux-dev")))


# --- the settings file ----------------------------------------------------------------------------

def _sane(s: Settings) -> None:
    assert s.region in REGIONS and s.theme in THEMES and s.key_storage in KEY_STORAGES
    assert s.default_output_format in OUTPUT_FORMATS and s.default_model in model_ids()
    assert isinstance(s.monthly_budget_usd, Decimal) and s.monthly_budget_usd.is_finite()
    assert s.library_folder is None or Path(s.library_folder).is_absolute()
    assert all(isinstance(p, str) and p.strip() for p in s.prompt_history)
    assert s.last_seed is None or (isinstance(s.last_seed, int) and s.last_seed >= 0)


settings_content = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(sorted(GOOD)), json_values, max_size=4).map(
        lambda bad: json.dumps({**GOOD, **bad}).encode()),
    st.binary(max_size=300),
    st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]).map(
        lambda enc: json.dumps({**GOOD, "prompt_history": ["été ☃"]}, ensure_ascii=False).encode(enc,
                                                                                                 "replace")),
    st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),  # nesting deep enough to hit the recursion limit
)


@DRILL
@given(settings_content, st.booleans())
def test_settings_file_fuzz(tmp_path_factory, content: bytes, plant_key: bool) -> None:
    home = tmp_path_factory.mktemp("home")
    if plant_key:  # a key pasted into the file by hand must not survive a save
        with contextlib.suppress(ValueError, UnicodeDecodeError, RecursionError):
            data = json.loads(content)
            if isinstance(data, dict):
                data["api_key"] = KEY
                data["panel_state"] = {"apiKey": KEY, "nested": [{"token": KEY}]}
                content = json.dumps(data).encode()
    settings_path(home).write_bytes(content)
    loaded = load_settings(home)
    _sane(loaded)
    save_settings(home, loaded)
    assert load_settings(home) == loaded
    assert KEY.encode() not in settings_path(home).read_bytes()


# --- the price table import -------------------------------------------------------------------------

_BUNDLED = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
_PATHS = [("as_of",), ("source",), ("usd_per_credit",), ("models",),
          *(("models", m.id) for m in MODELS),
          *(("models", m.id, k) for m in MODELS for k in ("per_image", "first_mp", "extra_mp"))]
price_values = st.one_of(json_values, st.sampled_from(["NaN", "Infinity", "-1", "1e999999", "0", "2027-13-45",
                                                       "2027-02-30", "abcd-ef-gh", "2027-01-01", "3.25"]))


def _mutated(changes: list[tuple[tuple[str, ...], object]]) -> dict:
    data = copy.deepcopy(_BUNDLED)
    for path, value in changes:
        target = data
        for part in path[:-1]:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            if value is _DELETE:
                target.pop(path[-1], None)
            else:
                target[path[-1]] = value
    return data


_DELETE = object()


@DRILL
@given(st.lists(st.tuples(st.sampled_from(_PATHS), st.one_of(price_values, st.just(_DELETE))), max_size=4),
       st.one_of(st.none(), st.binary(max_size=200)))
def test_price_table_import_fuzz(tmp_path_factory, changes: list, raw: bytes | None) -> None:
    folder = tmp_path_factory.mktemp("prices")
    home = folder / "home"
    before = copy.deepcopy(_BUNDLED)
    before["as_of"] = "2099-01-01"
    first = folder / "first.json"
    first.write_text(json.dumps(before))
    import_price_table(first, home)
    kept = (home / "prices.json").read_bytes()
    source = folder / "new.json"
    if raw is not None:
        source.write_bytes(raw)
    else:
        data = _mutated(changes)
        assume(data != _BUNDLED or not changes)
        source.write_text(json.dumps(data))
    try:
        table = import_price_table(source, home)
    except PriceTableError as exc:
        assert str(exc)
        assert (home / "prices.json").read_bytes() == kept  # a refused table never replaces the old one
        return
    date.fromisoformat(table.as_of)  # an accepted table is dated with a real date
    in_use = load_price_table(home)
    for model in MODELS:
        est = estimate(GenerationRequest(model=model.id, prompt="p"), in_use)
        assert est.credits_per_image.is_finite() and est.credits_per_image >= 0
