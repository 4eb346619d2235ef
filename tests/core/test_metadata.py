"""The embedded generation record, A1111 text, and the request/time/money serialisation."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fluxdesk
from fluxdesk.core.catalog import get_model, model_ids
from fluxdesk.core.metadata import (
    STEPS_NOT_APPLICABLE,
    ImageRecord,
    MetadataError,
    build_record,
    from_json,
    load_settings_from_metadata,
    parse_a1111,
    parse_params_line,
    record_from_dict,
    settings_from_metadata,
    shortened,
    to_a1111,
    to_json,
)
from fluxdesk.core.request import GenerationRequest, InputImage, validate
from fluxdesk.core.serialize import (
    RequestFormatError,
    iso_utc,
    parse_iso,
    request_from_dict,
    request_to_dict,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RECORD = ImageRecord(
    model="flux-dev", prompt="a lighthouse at dusk, \"cinematic\", 灯台", prompt_used="A lighthouse at dusk",
    seed=123, width=1024, height=768, steps=28, guidance=3.0,
    parameters={"seed": 123, "steps": 28, "guidance": 3.0, "prompt_upsampling": False},
    cost_credits=Decimal("2.5"), job_id="3f2a", task_id="bfl-task", created_at="2026-05-09T07:35:25.000000Z",
    start_time=1746775000.25, end_time=1746775004.75, duration=4.5, demo=True, output_format="jpeg",
    input_images=0)

A1111_REAL = ('a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, '
              'Size: 512x768, Model hash: abc, Model: sd15, Lora hashes: "x: 1, y: 2"')


# --- JSON record -------------------------------------------------------------------------------

def test_json_round_trip_keeps_every_field() -> None:
    text = to_json(RECORD)
    assert json.loads(text)["cost_credits"] == "2.5"  # money as decimal text, never a float
    assert from_json(text) == RECORD
    assert from_json(text.encode("utf-8")) == RECORD


def test_json_ignores_unknown_keys_and_fills_defaults() -> None:
    data = {"model": "flux-2-pro", "prompt": "x", "from_the_future": {"a": 1}, "format_version": 7}
    record = from_json(json.dumps(data))
    assert record.model == "flux-2-pro" and record.seed is None and record.parameters == {}
    assert record.format_version == 7


@pytest.mark.parametrize(("key", "value"), [
    ("model", 5), ("prompt", None), ("seed", "123"), ("seed", True), ("width", 10.5), ("guidance", "3"),
    ("guidance", float("inf")), ("parameters", [1]), ("cost_credits", "-1"), ("cost_credits", "lots"),
    ("created_at", "yesterday"), ("created_at", 5), ("demo", "yes"), ("input_images", -1),
    ("fluxdesk_version", 1), ("job_id", 12),
])
def test_json_wrong_types_are_a_metadata_error(key: str, value: object) -> None:
    data = json.loads(to_json(RECORD))
    data[key] = value
    with pytest.raises(MetadataError, match=key):
        record_from_dict(data)


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", "null", "[" * 100_000, '{"model": "x"}',
                                  "1" * 5000, "x" * 1_000_001])
def test_json_garbage_is_a_metadata_error(text: str) -> None:
    with pytest.raises(MetadataError):
        from_json(text)


def test_json_refuses_non_utf8_bytes_and_non_text() -> None:
    with pytest.raises(MetadataError):
        from_json(b"\xff\xfe{")
    with pytest.raises(MetadataError):
        from_json(12)  # type: ignore[arg-type]


@FAST
@given(st.text(max_size=300))
def test_json_reader_raises_only_metadata_error_on_any_text(text: str) -> None:
    with contextlib.suppress(MetadataError):
        from_json(text)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


@FAST
@given(st.dictionaries(st.sampled_from(["model", "prompt", "seed", "width", "cost_credits", "parameters",
                                        "created_at", "demo", "guidance", "start_time", "x"]),
                       _json_values, max_size=8))
def test_json_reader_raises_only_metadata_error_on_any_object(data: dict) -> None:
    try:
        record = record_from_dict(data)
    except MetadataError:
        return
    assert from_json(to_json(record)) == record


def test_to_json_refuses_values_json_cannot_hold() -> None:
    with pytest.raises(MetadataError):
        to_json(ImageRecord(model="m", prompt="p", parameters={"bad": object()}))


def test_shortened_marks_the_record_truncated() -> None:
    short = shortened(RECORD, 5)
    assert short.prompt == RECORD.prompt[:5] and short.prompt_used == RECORD.prompt_used[:5]
    assert short.truncated and not RECORD.truncated


# --- build_record --------------------------------------------------------------------------------

def test_build_record_takes_what_bfl_used_and_drops_image_data() -> None:
    req = GenerationRequest(model="flux-pro-1.1", prompt="a fox", prompt_upsampling=True,
                            input_images=(InputImage("QUJD" * 1000, 640, 480, "ab" * 32, "/tmp/cat.png"),))
    record = build_record(req, {"prompt": "A majestic fox", "seed": 99, "start_time": 1, "end_time": 2.5,
                                "duration": "1.5"},
                          job_id="j", task_id="t", cost_credits=Decimal(4), demo=False,
                          created_at=datetime(2026, 5, 9, 9, 0, tzinfo=timezone(timedelta(hours=2))))
    assert record.prompt_used == "A majestic fox" and record.seed == 99
    assert (record.width, record.height) == (1024, 768)  # the model's defaults: what was asked for
    assert record.start_time == 1.0 and record.end_time == 2.5 and record.duration is None  # "1.5" is no number
    assert "image_prompt" not in record.parameters and "input_images" not in record.parameters
    assert record.input_images == 1
    assert [r.as_dict() for r in record.references] == [{"sha256": "ab" * 32, "width": 640, "height": 480}]
    assert record.parameters["prompt_upsampling"] is True
    assert record.created_at == "2026-05-09T07:00:00.000000Z"
    assert "QUJD" not in to_json(record)


def test_build_record_survives_a_hostile_result() -> None:
    req = GenerationRequest(model="flux-pro-1.1-ultra", prompt="p", seed=5, aspect_ratio="21:9")
    record = build_record(req, {"prompt": 5, "seed": "x", "start_time": [1]}, job_id="j", task_id=None,
                          cost_credits=None, demo=True, created_at=datetime.now(UTC))
    assert record.prompt_used is None and record.seed == 5 and record.start_time is None
    assert record.width is None and record.aspect_ratio == "21:9"
    assert build_record(req, None, job_id="j", task_id=None, cost_credits=None, demo=True,  # type: ignore[arg-type]
                        created_at=datetime.now(UTC)).seed == 5


# --- A1111 text ----------------------------------------------------------------------------------

def test_to_a1111_writes_the_familiar_settings_line() -> None:
    record = ImageRecord(model="flux-dev", prompt="a cat", seed=123, width=1024, height=768, steps=28,
                         guidance=3.0, fluxdesk_version="1.2.3")
    assert to_a1111(record) == ("a cat\nSteps: 28, Sampler: BFL API, CFG scale: 3, Seed: 123, "
                                "Size: 1024x768, Model: flux-dev, Version: FluxDesk 1.2.3")


def test_to_a1111_starts_with_steps_even_for_models_without_them() -> None:
    """AUTOMATIC1111's settings line always starts with Steps, and readers find it by that: a model without
    steps gets the placeholder 0 (no real count), never a CFG scale it does not take."""
    record = ImageRecord(model="flux-pro-1.1-ultra", prompt="sky", seed=1, width=2752, height=1536,
                         aspect_ratio="16:9", steps=40, guidance=2.5,
                         parameters={"prompt_upsampling": True}, fluxdesk_version="1.0")
    text = to_a1111(record)
    assert text == ('sky\nSteps: 0, Sampler: BFL API, Seed: 1, Size: 2752x1536, Aspect ratio: "16:9", '
                    "Model: flux-pro-1.1-ultra, Prompt upsampling: True, Version: FluxDesk 1.0")
    assert STEPS_NOT_APPLICABLE == 0
    parsed = parse_a1111(text)
    assert parsed["extra"]["Aspect ratio"] == "16:9" and parsed["extra"]["Steps"] == "0"
    assert parsed["steps"] is None and parsed["guidance"] is None  # FluxDesk reads the placeholder as "none"
    notes = load_settings_from_metadata(parsed).not_loaded
    assert not any("steps" in note for note in notes)  # so loading it says nothing about steps


@pytest.mark.parametrize("model", model_ids())
def test_to_a1111_for_every_model_has_the_shape_a1111_writes(model: str) -> None:
    """Prompt line(s), no negative prompt, then ``Steps: n, Sampler: …`` with the steps (and guidance) BFL used:
    the record's, else the model's default, which is what BFL runs when the request sent none."""
    spec = get_model(model)
    text = to_a1111(ImageRecord(model=model, prompt="line one\nline two", seed=5, width=64, height=48))
    *prompt, settings = text.split("\n")
    assert prompt == ["line one", "line two"] and "Negative prompt" not in text
    steps = spec.steps.default if spec.steps else 0
    assert settings.startswith(f"Steps: {steps}, Sampler: BFL API, ")
    assert ("CFG scale: " in settings) == (spec.guidance is not None)
    if spec.guidance is not None:
        assert f"CFG scale: {spec.guidance.default:g}, " in settings
    assert f"Seed: 5, Size: 64x48, Model: {model}" in settings and settings.endswith(f"FluxDesk {fluxdesk.__version__}")


def test_parse_a1111_real_world_text() -> None:
    parsed = parse_a1111(A1111_REAL)
    assert parsed["prompt"] == "a cat" and parsed["negative_prompt"] == "blurry"
    assert (parsed["steps"], parsed["guidance"], parsed["seed"]) == (20, 7.0, 42)
    assert (parsed["width"], parsed["height"], parsed["model"]) == (512, 768, "sd15")
    assert parsed["sampler"] == "Euler a"
    assert parsed["extra"]["Lora hashes"] == "x: 1, y: 2"
    assert parsed["extra"]["Model hash"] == "abc"


def test_parse_a1111_multiline_prompts_crlf_and_escaped_quotes() -> None:
    text = ('portrait of a knight,\r\nhighly detailed\r\nNegative prompt: lowres,\r\nbad hands\r\n'
            'Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 5.5, Seed: 3000000000, Size: 832x1216, '
            'Template: "say \\"hi\\", then: go", Denoising strength: 0.4')
    parsed = parse_a1111(text)
    assert parsed["prompt"] == "portrait of a knight,\nhighly detailed"
    assert parsed["negative_prompt"] == "lowres,\nbad hands"
    assert parsed["extra"]["Template"] == 'say "hi", then: go'
    assert parsed["guidance"] == 5.5 and parsed["seed"] == 3000000000 and parsed["model"] is None


def test_parse_a1111_prompt_only_and_lookalike_lines() -> None:
    assert parse_a1111("just a prompt")["prompt"] == "just a prompt"
    parsed = parse_a1111("a cat\nstyle: anime, mood: dark, light: soft")
    assert parsed["prompt"] == "a cat\nstyle: anime, mood: dark, light: soft" and parsed["extra"] == {}


def test_parse_a1111_tolerates_junk_values() -> None:
    parsed = parse_a1111("x\nSteps: many, Seed: -5, CFG scale: nan, Size: 0x9, Model: , junk, Sampler: a")
    assert parsed["steps"] is None and parsed["seed"] is None and parsed["guidance"] is None
    assert parsed["width"] is None and parsed["model"] is None and parsed["sampler"] == "a"
    assert parse_a1111("x\nSteps: 20, Seed: 99999999999999999999999999999, Size: 1x1")["seed"] is None


def test_parse_params_line_is_linear_on_hostile_input() -> None:
    # A backtracking regex like A1111's takes minutes on inputs like these; the scanner is instant.
    started = time.perf_counter()
    assert parse_params_line("a" * 20_000) == {}
    assert parse_params_line(",a" * 10_000 + ":") == {"a": ""}
    assert "Steps" in parse_params_line('Steps: "' + "\\" * 10_001)
    assert parse_a1111("x\n" + "Seed: 1, " * 2000)["seed"] == 1
    # A guard against catastrophic backtracking (minutes), not a speed target: those live in tests/bench.
    assert time.perf_counter() - started < 10.0


@pytest.mark.parametrize("text", ["", "   \n ", 5, None, "x" * 1_000_001])
def test_parse_a1111_refuses_what_is_not_text(text: object) -> None:
    with pytest.raises(MetadataError):
        parse_a1111(text)


@FAST
@given(st.text(max_size=400))
def test_parse_a1111_raises_only_metadata_error(text: str) -> None:
    with contextlib.suppress(MetadataError):
        parse_a1111(text)


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\u2028\u2029\x85"),
               min_size=1, max_size=80).filter(lambda s: s.strip() and "Negative prompt:" not in s),
       st.integers(0, 2**63 - 1), st.integers(1, 50), st.floats(1.5, 5.0).map(lambda f: round(f, 2)),
       st.integers(1, 4096), st.integers(1, 4096))
def test_a1111_round_trip(prompt: str, seed: int, steps: int, guidance: float, width: int, height: int) -> None:
    record = ImageRecord(model="flux-dev", prompt=prompt, seed=seed, width=width, height=height, steps=steps,
                         guidance=guidance)
    parsed = parse_a1111(to_a1111(record))
    assert parsed["prompt"] == prompt.strip()
    assert (parsed["seed"], parsed["steps"], parsed["guidance"]) == (seed, steps, guidance)
    assert (parsed["width"], parsed["height"], parsed["model"]) == (width, height, "flux-dev")


# --- settings from metadata ----------------------------------------------------------------------

def test_settings_from_a_record_reproduce_the_request() -> None:
    req = GenerationRequest(model="flux-2-flex", prompt="a bowl of fruit", width=1024, height=1024, steps=40,
                            guidance=5.0, prompt_upsampling=False, safety_tolerance=3, output_format="png")
    record = build_record(req, {"seed": 777}, job_id="j", task_id="t", cost_credits=None, demo=False,
                          created_at=datetime.now(UTC))
    rebuilt = GenerationRequest(**settings_from_metadata(from_json(to_json(record))))
    assert rebuilt == req.with_seed(777)
    assert validate(rebuilt).ok


def test_settings_from_an_ultra_record_do_not_invent_an_aspect_ratio() -> None:
    record = ImageRecord(model="flux-pro-1.1-ultra", prompt="p", seed=3, width=2752, height=1536,
                         parameters={"raw": True})
    settings_ = settings_from_metadata(record)
    assert settings_ == {"model": "flux-pro-1.1-ultra", "prompt": "p", "seed": 3, "raw": True}


def test_settings_from_another_tool_fit_the_chosen_model() -> None:
    parsed = parse_a1111(A1111_REAL.replace("CFG scale: 7", "CFG scale: 12").replace("Size: 512x768",
                                                                                       "Size: 500x770"))
    dev = settings_from_metadata(parsed, default_model="flux-dev")
    assert dev == {"model": "flux-dev", "prompt": "a cat", "seed": 42, "width": 512, "height": 768,
                   "steps": 20, "guidance": 5.0}
    assert validate(GenerationRequest(**dev)).ok
    ultra = settings_from_metadata(parse_a1111(A1111_REAL), default_model="flux-pro-1.1-ultra")
    assert ultra["aspect_ratio"] == "2:3" and "width" not in ultra and "steps" not in ultra
    assert validate(GenerationRequest(**ultra)).ok


def test_settings_need_a_model_flux_desk_can_run() -> None:
    with pytest.raises(MetadataError, match="sd15"):
        settings_from_metadata(parse_a1111(A1111_REAL))
    flux = parse_a1111(A1111_REAL.replace("Model: sd15", "Model: flux-pro-1.1"))
    assert settings_from_metadata(flux, default_model="flux-dev")["model"] == "flux-pro-1.1"


@pytest.mark.parametrize(("source", "expected"), [
    ({"prompt": "p", "seed": "1", "width": "a", "steps": 2.5, "guidance": "x", "aspect_ratio": 3},
     {"model": "flux-dev", "prompt": "p"}),
    ({"prompt": "p", "seed": -1, "width": -5, "height": 10, "model": ["x"]}, {"model": "flux-dev", "prompt": "p"}),
    ({"prompt": None}, MetadataError), (5, MetadataError), (["prompt"], MetadataError),
])
def test_settings_from_hostile_mappings(source: object, expected: object) -> None:
    if expected is MetadataError:
        with pytest.raises(MetadataError):
            settings_from_metadata(source, default_model="flux-dev")  # type: ignore[arg-type]
        return
    out = settings_from_metadata(source, default_model="flux-dev")  # type: ignore[arg-type]
    assert out == expected
    assert validate(GenerationRequest(**out)).ok


# --- request, time and money serialisation --------------------------------------------------------

def test_request_dict_round_trip() -> None:
    sent = (InputImage("AAAA", 640, 480, "a" * 64, "/photos/cat.jpg", 12), InputImage("BBBB", sha256="b" * 64))
    req = GenerationRequest(model="flux-kontext-pro", prompt="make it blue", seed=1, aspect_ratio="4:3",
                            safety_tolerance=2, input_images=sent)
    data = json.loads(json.dumps(request_to_dict(req)))
    assert data["input_images"] == [
        {"sha256": "a" * 64, "source": "/photos/cat.jpg", "width": 640, "height": 480, "from_image_id": 12},
        {"sha256": "b" * 64}]
    assert "AAAA" not in json.dumps(data)  # the library keeps the bytes; the journal names them
    assert request_from_dict(data) == req.with_input_images(tuple(i.without_data() for i in sent))
    assert "input_images" not in request_to_dict(req, include_input_images=False)
    assert "guidance" not in data  # unset fields are left out


@pytest.mark.parametrize("data", [
    None, [], {"prompt": "p"}, {"model": "m", "prompt": "p", "seed": "1"},
    {"model": "m", "prompt": "p", "raw": 1}, {"model": "m", "prompt": "p", "guidance": True},
    {"model": "m", "prompt": "p", "input_images": [{"data": 5}]},
    {"model": "m", "prompt": "p", "input_images": [{"data": "x", "width": "1"}]},
    {"model": "m", "prompt": "p", "input_images": "x"},
    {"model": "m", "prompt": "p", "input_images": [{"width": 64, "height": 64}]},  # names no image
    {"model": "m", "prompt": "p", "input_images": [{"sha256": 5}]},
    {"model": "m", "prompt": "p", "input_images": [{"sha256": "a" * 64, "from_image_id": "3"}]},
    {"model": "m", "prompt": "p", "input_images": ["a" * 64]},
])
def test_request_from_bad_dicts_is_a_request_format_error(data: object) -> None:
    with pytest.raises(RequestFormatError):
        request_from_dict(data)


def test_iso_utc_is_fixed_width_utc_and_refuses_naive_times() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert iso_utc(moment) == "2026-01-02T08:04:05.000000Z"
    assert parse_iso(iso_utc(moment)) == moment
    assert parse_iso("2026-01-02T08:04:05") == datetime(2026, 1, 2, 8, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))


def test_reproducibility_problems_name_every_reason_once() -> None:
    from fluxdesk.core.metadata import reproducibility_problems

    exact = ImageRecord(model="flux-dev", prompt="a fox", seed=7, parameters={"prompt_upsampling": False})
    assert reproducibility_problems(exact) == []
    everything = ImageRecord(model="flux-9000", prompt="a fo", parameters={"prompt_upsampling": True},
                             input_images=2, truncated=True)
    assert reproducibility_problems(everything) == [
        "FluxDesk does not know the model 'flux-9000', so it cannot run it again",
        "prompt upsampling was on: the server rewrites the prompt, so the same seed gives a different image",
        "no seed was recorded",
        "it used 2 reference image(s) that no record names, so FluxDesk cannot send them again",
        "the record was shortened to fit in the file (the prompt is cut)",
    ]
    by_default = ImageRecord(model="flux-2-flex", prompt="a fox", seed=7)  # the model upsamples unless told
    assert reproducibility_problems(by_default)[0].startswith(
        "prompt upsampling was on (FLUX.2 [flex] turns it on by default)")


def test_an_a1111_drop_says_what_it_did_not_load_and_what_it_read_differently() -> None:
    loaded = load_settings_from_metadata(parse_a1111(A1111_REAL), default_model="flux-dev")
    assert loaded.settings == settings_from_metadata(parse_a1111(A1111_REAL), default_model="flux-dev")
    assert loaded.not_loaded == ("the negative prompt (FLUX models take none)",
                                 "the model sd15 (not one FluxDesk can run; FLUX.1 [dev] is used)",
                                 "the sampler Euler a (BFL picks its own)")
    assert loaded.reinterpreted == (
        "CFG scale 7 as guidance 5 (FLUX guidance is not CFG; FLUX.1 [dev] takes 1.5 to 5)",)
    pro = load_settings_from_metadata(parse_a1111(A1111_REAL.replace("Size: 512x768", "Size: 500x700")),
                                      default_model="flux-2-pro")
    assert "steps 20 (FLUX.2 [pro] takes none)" in pro.not_loaded
    assert "CFG scale 7 (FLUX.2 [pro] takes no guidance)" in pro.not_loaded
    assert pro.reinterpreted == ("size 500×700 as 496×704 (the nearest FLUX.2 [pro] takes)",)
    assert pro.message("cat.png").startswith("Loaded the settings of cat.png. Not loaded: the negative prompt")


def test_a_fluxdesk_record_loads_with_nothing_to_report() -> None:
    loaded = load_settings_from_metadata(RECORD)
    assert (loaded.not_loaded, loaded.reinterpreted) == ((), ())
    assert loaded.message("a.png") == "Loaded the settings of a.png."
