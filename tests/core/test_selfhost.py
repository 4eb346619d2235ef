"""Self-hosting: which open-weights model runs instead of each API model, under which licence, and how its
time follows the request (linear in megapixels and steps)."""

import copy
import json
from decimal import Decimal as D

import pytest

from fluxdesk.core.catalog import MODELS
from fluxdesk.core.selfhost import (
    SelfHostTableError,
    parse_self_host_table,
    scaled_seconds,
    substitute_note,
)
from fluxdesk.resources import resource_path

RAW = json.loads(resource_path("self_hosting.json").read_text(encoding="utf-8"))
TABLE = parse_self_host_table(RAW)

# api model → (open-weights model, its licence, commercial use allowed, the API model itself has open weights)
MAPPING = {
    "flux-pro-1.1": ("flux-dev", "FLUX.1 [dev] Non-Commercial License", False, False),
    "flux-pro-1.1-ultra": ("flux-dev", "FLUX.1 [dev] Non-Commercial License", False, False),
    "flux-pro": ("flux-dev", "FLUX.1 [dev] Non-Commercial License", False, False),
    "flux-dev": ("flux-dev", "FLUX.1 [dev] Non-Commercial License", False, True),
    "flux-kontext-pro": ("flux-kontext-dev", "FLUX.1 [dev] Non-Commercial License", False, False),
    "flux-kontext-max": ("flux-kontext-dev", "FLUX.1 [dev] Non-Commercial License", False, False),
    "flux-2-pro": ("flux-2-dev", "FLUX Non-Commercial License", False, False),
    "flux-2-max": ("flux-2-dev", "FLUX Non-Commercial License", False, False),
    "flux-2-flex": ("flux-2-dev", "FLUX Non-Commercial License", False, False),
    "flux-2-klein-4b": ("flux-2-klein-4b", "Apache-2.0", True, True),
    "flux-2-klein-9b": ("flux-2-klein-9b", "FLUX Non-Commercial License", False, True),
}


def test_the_mapping_covers_every_catalog_model() -> None:
    assert set(MAPPING) == {m.id for m in MODELS}


@pytest.mark.parametrize("api_id", sorted(MAPPING))
def test_each_api_model_maps_to_its_open_weights_model_and_licence(api_id) -> None:
    sub_id, licence, commercial, hostable = MAPPING[api_id]
    sub = TABLE.substitute(api_id)
    assert (sub.id, sub.licence, sub.commercial_use, TABLE.self_hostable(api_id)) == (sub_id, licence, commercial,
                                                                                      hostable)
    assert sub.source and sub.default_steps >= 1


def test_default_steps_of_the_open_weights_models() -> None:
    steps = {m.id: m.default_steps for m in TABLE.models.values()}
    assert steps["flux-dev"] == 28 and steps["flux-2-klein-4b"] == 4 and steps["flux-2-klein-9b"] == 4


def test_the_notes_say_plainly_what_can_be_run() -> None:
    assert substitute_note("flux-pro-1.1", TABLE) == (
        "FLUX1.1 [pro] cannot be self-hosted: its weights are not published. The nearest you can run is FLUX.1 "
        "[dev] (FLUX.1 [dev] Non-Commercial License; commercial use needs a licence from BFL), and its images will "
        "differ.")
    assert substitute_note("flux-2-klein-4b", TABLE) == (
        "FLUX.2 [klein] 4B can be self-hosted (Apache-2.0, commercial use allowed).")
    assert "FLUX.2 [dev]" in substitute_note("flux-2-max", TABLE)
    assert "cannot be self-hosted" not in substitute_note("flux-2-klein-9b", TABLE)


def test_the_published_gpu_figures_and_the_article_rows() -> None:
    rows = {g.name: g for g in TABLE.gpus}
    assert rows["RTX 4090 (community cloud)"].hourly_usd == D("0.34")
    assert rows["RTX 4090 (secure cloud)"].hourly_usd == D("0.69")
    assert rows["RTX 5090"].seconds == {"flux-2-klein-4b": D("1.2"), "flux-2-klein-9b": D(2)}
    assert rows["H100 80 GB"].seconds_for("flux-2-klein-4b") == D("0.57")
    assert rows["A100 80 GB"].seconds_for("flux-dev") is None  # no published figure: the user enters one
    assert all(g.source for g in TABLE.gpus)
    assert TABLE.gpu("  rtx 5090 ") is rows["RTX 5090"]
    with pytest.raises(KeyError, match="known GPUs: RTX 4090"):
        TABLE.gpu("TPU")


def test_time_scales_linearly_with_megapixels_and_steps() -> None:
    base = D(2)
    assert scaled_seconds(base, 1024, 1024, None, 4) == 2
    assert scaled_seconds(base, 2048, 1024, None, 4) == 4
    assert scaled_seconds(base, 512, 512, None, 4) == D("0.5")
    assert scaled_seconds(base, 1024, 1024, 8, 4) == 4
    assert scaled_seconds(base, 2048, 2048, 2, 4) == 4  # 4 MP, half the steps
    assert scaled_seconds(D(10), 1024, 768, 28, 28) == D("7.5")


@pytest.mark.parametrize(("args", "words"), [
    ((D(0), 1024, 1024, None, 4), "seconds per image"),
    ((D(1), 0, 1024, None, 4), "width and height"),
    ((D(1), 1024, 1024, 0, 4), "steps"),
])
def test_scaling_refuses_nonsense(args, words) -> None:
    with pytest.raises(ValueError, match=words):
        scaled_seconds(*args)


def _broken(change) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d.update(as_of="2026-13-45"), "as_of: must be a date"),
    (lambda d: d["substitutes"].pop("flux-2-max"), "does not say what would run instead of flux-2-max"),
    (lambda d: d["substitutes"].update({"flux-2-max": "flux-3-dev"}), "'flux-3-dev' is not one of the table's"),
    (lambda d: d["models"]["flux-dev"].update(commercial_use="no"), "models.flux-dev.commercial_use"),
    (lambda d: d["models"]["flux-dev"].update(default_steps=0), "default_steps: must be a whole number"),
    (lambda d: d["models"]["flux-dev"].pop("licence"), "models.flux-dev.licence: must be some text"),
    (lambda d: d["gpus"][2].update(hourly_usd="cheap"), "gpus[2].hourly_usd: 'cheap' is not a number"),
    (lambda d: d["gpus"][2]["seconds"].update({"flux-2-klein-4b": 0}), "must be a number more than 0"),
    (lambda d: d["gpus"][2]["seconds"].update({"sdxl": 3}), "'sdxl' is not one of the table's models"),
    (lambda d: d["gpus"].append(dict(d["gpus"][0])), "is listed twice"),
    (lambda d: d.update(gpus=[]), "names no GPU"),
    (lambda d: d.update(gpus={}), "gpus: must be a list"),
    (lambda d: d["gpus"][0].pop("source"), "gpus[0].source"),
])
def test_a_bad_table_is_refused_in_words(change, words) -> None:
    with pytest.raises(SelfHostTableError, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_self_host_table(_broken(change))


def test_a_newer_table_may_name_models_this_version_does_not_know() -> None:
    data = _broken(lambda d: d["substitutes"].update({"flux-3-pro": "flux-2-dev"}))
    assert "flux-3-pro" not in parse_self_host_table(data).substitutes


def test_an_open_model_with_a_published_speed_is_offered_where_none_is_published() -> None:
    ids = [m.id for m in MODELS]
    # FLUX.2 [dev] and FLUX.1 Kontext [dev] have no published speed: an open model with one is named,
    # commercial use allowed first.
    assert not TABLE.has_speed("flux-2-dev") and TABLE.has_speed("flux-dev")
    assert TABLE.runnable_instead("flux-2-pro", ids) == "flux-2-klein-4b"
    assert TABLE.runnable_instead("flux-kontext-max", ids) == "flux-2-klein-4b"
    # Where the stand-in's speed is published, nothing is offered instead.
    assert TABLE.runnable_instead("flux-pro-1.1", ids) is None
    assert TABLE.runnable_instead("flux-2-klein-9b", ids) is None
    # Among the non-commercial ones, the same family first.
    assert TABLE.runnable_instead("flux-2-pro", [m for m in ids if m != "flux-2-klein-4b"]) == "flux-2-klein-9b"
    assert TABLE.runnable_instead("flux-2-pro", ["flux-2-pro", "flux-2-max"]) is None
