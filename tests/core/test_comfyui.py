"""ComfyUI graphs: what FluxDesk maps from a BFL API node or a plain FLUX graph, and what it refuses to guess."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from comfyui_support import (
    FLUX2_PRO_WITH_IMAGE_API,
    FLUX_CHECKPOINT_UI,
    FLUX_DEV_API,
    FLUX_DEV_UI,
    FOX,
    KONTEXT_API,
    SDXL_API,
    TWO_BFL_NODES_API,
    ULTRA_API,
    ULTRA_UI,
    UPSCALE_ONLY_API,
    api,
    hires_fix_api,
    two_texts_flux_api,
    ui,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxdesk.core.comfyui import (
    MAX_NODES,
    NOTHING_USABLE,
    ComfyReading,
    load_comfyui_settings,
    read_comfyui,
)
from fluxdesk.core.metadata import MetadataError
from fluxdesk.core.request import GenerationRequest, validate

HOSTILE = settings(max_examples=150, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
"""Each example must finish within a second (hypothesis's deadline is in milliseconds)."""


def read(prompt: str | None = None, workflow: str | None = None) -> ComfyReading:
    reading = read_comfyui(prompt, workflow)
    assert reading is not None
    return reading


FLUX_DEV_VALUES = {"model": "flux-dev", "prompt": FOX, "seed": 219670278747233, "width": 1024, "height": 768,
                   "steps": 20, "guidance": 3.5}


@pytest.mark.parametrize(("prompt", "workflow", "graph"), [
    (FLUX_DEV_API, None, "prompt"),
    (FLUX_DEV_API, FLUX_DEV_UI, "prompt"),
    (None, FLUX_DEV_UI, "workflow"),  # the editor's graph when ComfyUI's API graph is missing
    ("{not json", FLUX_DEV_UI, "workflow"),  # … or unreadable
])
def test_a_plain_flux_graph_maps_prompt_seed_size_steps_guidance_and_model(prompt: str | None,
                                                                            workflow: str | None,
                                                                            graph: str) -> None:
    reading = read(prompt, workflow)
    assert reading.usable and reading.graph == graph
    assert reading.found == "a FLUX graph sampled by SamplerCustomAdvanced (node 13)"
    assert dict(reading.values) == FLUX_DEV_VALUES
    assert reading.not_mapped == () and reading.model_file == "flux1-dev.safetensors"
    assert reading.reinterpreted == ('the model file "flux1-dev.safetensors" as FLUX.1 [dev], which BFL runs on its '
                                     'own servers: the same seed gives a different image',)


def test_a_flux_checkpoint_graph_sampled_by_ksampler_from_the_editors_workflow() -> None:
    reading = read(None, FLUX_CHECKPOINT_UI)
    assert reading.usable and reading.found == "a FLUX graph sampled by KSampler (node 31)"
    assert dict(reading.values) == {"model": "flux-dev", "prompt": FOX, "seed": 972054013131368, "width": 832,
                                    "height": 1216, "steps": 20, "guidance": 3.5}
    assert reading.not_mapped == ()  # the negative prompt is empty and CFG is 1: nothing lost


@pytest.mark.parametrize(("prompt", "workflow"), [(ULTRA_API, None), (None, ULTRA_UI)])
def test_the_bfl_ultra_node_maps_its_request(prompt: str | None, workflow: str | None) -> None:
    reading = read(prompt, workflow)
    assert reading.usable and reading.found == "the BFL API node FluxProUltraImageNode (node 1)"
    # image_prompt_strength only weighs an image prompt, and none is connected: left out.
    assert dict(reading.values) == {"model": "flux-pro-1.1-ultra", "prompt": FOX, "seed": 4242, "aspect_ratio": "21:9",
                                    "prompt_upsampling": False, "raw": True}
    assert reading.not_mapped == ()


def test_the_flux2_pro_node_maps_upsampling_to_disable_pup_and_names_its_images() -> None:
    reading = read(FLUX2_PRO_WITH_IMAGE_API)
    assert dict(reading.values) == {"model": "flux-2-pro", "prompt": "the sofa in a sunlit loft", "seed": 77,
                                    "width": 1000, "height": 770, "disable_pup": True}
    assert reading.not_mapped == ("the input image (images): FluxDesk cannot take images from a ComfyUI file; add "
                                  "them as references",)
    loaded = load_comfyui_settings(reading)
    request = GenerationRequest(**loaded.settings)
    assert validate(request).errors == ()
    assert (request.model, request.width, request.height, request.disable_pup) == ("flux-2-pro", 992, 768, True)
    assert loaded.not_loaded == (
        "the input image (images): FluxDesk cannot take images from a ComfyUI file; add them as references",)
    assert loaded.reinterpreted == ("the size 1000×770 as 992×768 (the nearest FLUX.2 [pro] takes)",)


def test_the_flux2_node_with_a_model_choice() -> None:
    text = api({"1": ("Flux2ImageNode", {"prompt": "a kite", "model": "Flux.2 [max]", "model.width": 1024,
                                         "model.height": 1024, "seed": 5})})
    assert dict(read(text).values) == {"model": "flux-2-max", "prompt": "a kite", "seed": 5, "width": 1024,
                                       "height": 1024}
    text = api({"1": ("Flux2ImageNode", {"prompt": "a kite", "model": "Flux.3 [ultra]", "seed": 5})})
    reading = read(text)
    assert reading.usable and "model" not in reading.values
    assert reading.not_mapped[0] == ('the model: Flux2ImageNode (node 1) names "Flux.3 [ultra]", not FLUX.2 [pro] '
                                     "or [max]")


def test_loading_says_what_the_model_does_not_take() -> None:
    loaded = load_comfyui_settings(read(KONTEXT_API))
    assert loaded.settings["model"] == "flux-kontext-pro" and loaded.settings["aspect_ratio"] == "16:9"
    assert "steps" not in loaded.settings and "guidance" not in loaded.settings
    assert loaded.not_loaded == ("steps 50 (FLUX.1 Kontext [pro] takes none)",
                                 "guidance 3 (FLUX.1 Kontext [pro] takes none)")


def test_loading_a_local_model_that_no_bfl_endpoint_runs_uses_the_default_and_says_so() -> None:
    graph = json.loads(FLUX_DEV_API)
    graph["12"]["inputs"]["unet_name"] = "flux1-schnell.safetensors"
    reading = read(json.dumps(graph))
    assert reading.usable and "model" not in reading.values
    assert reading.not_mapped == ('the model "flux1-schnell.safetensors" (a local model no BFL endpoint runs)',)
    loaded = load_comfyui_settings(reading, default_model="flux-2-flex")
    assert loaded.settings["model"] == "flux-2-flex" and loaded.settings["steps"] == 20
    assert "the model (none FluxDesk can run was found; FLUX.2 [flex] is used)" in loaded.not_loaded


def test_what_a_sampler_graph_holds_beyond_flux_is_named() -> None:
    graph = json.loads(FLUX_DEV_API)
    graph["40"] = {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "ink_style.safetensors",
                                                                   "strength_model": 0.8, "model": ["12", 0]}}
    graph["30"]["inputs"]["model"] = ["40", 0]
    graph["27"]["inputs"]["batch_size"] = 4
    reading = read(json.dumps(graph))
    assert reading.usable
    assert reading.not_mapped == ('the LoRA "ink_style.safetensors" (BFL\'s API takes none)',
                                  "the batch of 4 (FluxDesk makes one image per request)")


# --- nothing usable, or nothing FluxDesk will guess -----------------------------------------------------------

def test_a_graph_that_is_not_flux_shows_its_prompt_and_says_why() -> None:
    reading = read(SDXL_API)
    assert not reading.usable and reading.values == {}
    assert reading.prompt == "a lighthouse on a cliff at dusk"  # the sampler's positive text, shown anyway
    assert reading.summary() == f'{NOTHING_USABLE}: its model "sd_xl_base_1.0.safetensors" is not a FLUX model'
    with pytest.raises(MetadataError, match=NOTHING_USABLE):
        load_comfyui_settings(reading)


def test_a_graph_without_an_image_maker() -> None:
    reading = read(UPSCALE_ONLY_API)
    assert not reading.usable and reading.prompt is None
    assert reading.summary() == f"{NOTHING_USABLE}: it holds neither a BFL API node nor a sampler"


@pytest.mark.parametrize(("text", "words", "prompt"), [
    (TWO_BFL_NODES_API, "it holds 2 image makers (FluxProUltraImageNode (node 1), Flux2ProImageNode (node 2)) and "
                        "FluxDesk will not guess which one made this image", None),
    (hires_fix_api(), "it holds 2 image makers (SamplerCustomAdvanced (node 13), KSampler (node 41))", FOX),
    (two_texts_flux_api(), "the prompt: CLIPTextEncodeFlux (node 6) holds two different texts (clip_l and t5xxl), "
                           "and FluxDesk will not guess which to use", None),
])
def test_ambiguous_graphs_are_refused_in_words(text: str, words: str, prompt: str | None) -> None:
    reading = read(text)
    assert not reading.usable and words in reading.summary()
    assert reading.prompt == prompt


def test_a_positive_prompt_combined_from_two_texts_is_not_guessed() -> None:
    graph = json.loads(FLUX_DEV_API)
    graph["50"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "oil painting", "clip": ["11", 0]}}
    graph["51"] = {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0],
                                                                   "conditioning_2": ["50", 0]}}
    graph["26"]["inputs"]["conditioning"] = ["51", 0]
    reading = read(json.dumps(graph))
    assert not reading.usable and reading.prompt is None
    assert ("the prompt: it comes from ConditioningCombine (node 51), which combines several conditionings; "
            "FluxDesk will not guess") in reading.not_mapped
    assert reading.values["seed"] == 219670278747233  # what did map is still said


def test_a_prompt_fed_by_a_primitive_is_read_and_one_fed_by_other_nodes_is_named() -> None:
    graph = json.loads(FLUX_DEV_API)
    graph["60"] = {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "a heron at dawn"}}
    graph["6"]["inputs"]["text"] = ["60", 0]
    assert read(json.dumps(graph)).values["prompt"] == "a heron at dawn"
    graph["60"] = {"class_type": "StringConcatenate", "inputs": {"string_a": "a", "string_b": "b", "delimiter": ""}}
    reading = read(json.dumps(graph))
    assert not reading.usable
    assert ("the prompt: CLIPTextEncode (node 6)'s text comes from StringConcatenate (node 60), which FluxDesk does "
            "not read") in reading.not_mapped


def test_muted_and_bypassed_nodes_of_the_editors_graph_did_not_run() -> None:
    nodes = [(1, "FluxProUltraImageNode", [FOX, False, 7, "fixed", "16:9", False, 0.1], {}),
             (2, "Flux2ProImageNode", ["other", 1024, 1024, 9, "fixed", True], {}),
             (3, "SaveImage", ["ComfyUI"], {"images": (1, 0)})]
    reading = read(None, ui(nodes, mode={2: 4}))
    assert reading.usable and reading.values["seed"] == 7


def test_widgets_in_an_order_flux_desk_does_not_know_are_not_guessed_at() -> None:
    nodes = [(1, "FluxProUltraImageNode", [4242, FOX, "16:9"], {}), (2, "SaveImage", ["x"], {"images": (1, 0)})]
    reading = read(None, ui(nodes))
    assert not reading.usable
    assert reading.not_mapped[0].startswith("the settings: FluxProUltraImageNode (node 1) stores them in an order")


def test_values_out_of_range_are_named_not_used() -> None:
    text = api({"1": ("Flux2ProImageNode", {"prompt": "p", "width": -5, "height": 10**40, "seed": 2**64 - 1,
                                            "prompt_upsampling": "yes"})})
    reading = read(text)
    assert reading.usable and dict(reading.values) == {"model": "flux-2-pro", "prompt": "p"}
    assert reading.not_mapped == ("the seed 18446744073709551615 (BFL takes 0 to 9,223,372,036,854,775,807)",
                                  "the width -5 (not a size in pixels)",
                                  "the height a number of 41 digits (not a size in pixels)",
                                  'prompt upsampling "yes" (not true or false)')


# --- hostile graphs: a reading in words, in well under a second ---------------------------------------------------

@pytest.mark.parametrize("text", [
    "", "null", "[]", "{}", "[" * 100_000, '{"1": 5}', '{"1": {"class_type": 5, "inputs": {}}}',
    json.dumps({str(i): {"class_type": "KSampler", "inputs": {}} for i in range(MAX_NODES + 1)}),
    "x" * 1_000_001, '{"nodes": "no"}', json.dumps({"1": {"class_type": "Reroute", "inputs": {"x": ["1", 0]}}}),
])
def test_garbage_is_a_reading_that_says_so(text: str) -> None:
    started = time.perf_counter()
    for reading in (read_comfyui(text, None), read_comfyui(None, text)):
        assert reading is not None and not reading.usable and NOTHING_USABLE in reading.summary()
    assert time.perf_counter() - started < 1.0


def test_a_cycle_of_links_ends() -> None:
    text = api({"1": ("KSampler", {"seed": 1, "steps": 4, "model": ["2", 0], "positive": ["3", 0],
                                   "latent_image": ["4", 0]}),
                "2": ("LoraLoaderModelOnly", {"lora_name": "x", "model": ["2", 0]}),
                "3": ("FluxGuidance", {"guidance": 2.0, "conditioning": ["3", 0]}),
                "4": ("Reroute", {"": ["4", 0]})})
    started = time.perf_counter()
    reading = read(text)
    assert time.perf_counter() - started < 1.0 and not reading.usable


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25)
_links = st.lists(st.sampled_from(["1", "2", "3", "4", 7, "x"]), min_size=2, max_size=2).map(
    lambda pair: [pair[0], 0])
_class_types = st.sampled_from(["KSampler", "SamplerCustomAdvanced", "RandomNoise", "BasicGuider", "CFGGuider",
                                "CLIPTextEncode", "CLIPTextEncodeFlux", "FluxGuidance", "UNETLoader",
                                "EmptySD3LatentImage", "BasicScheduler", "Reroute", "FluxProUltraImageNode",
                                "Flux2ImageNode", "LoraLoader", "PrimitiveInt", "VAEEncode", "Other"])
_input_names = st.sampled_from(["seed", "noise_seed", "steps", "cfg", "model", "positive", "negative", "guider",
                                "noise", "sigmas", "latent_image", "conditioning", "text", "prompt", "guidance",
                                "width", "height", "unet_name", "aspect_ratio", "clip_l", "t5xxl", "model.width",
                                "value", "batch_size", "denoise"])


@HOSTILE
@given(st.dictionaries(st.sampled_from(["1", "2", "3", "4"]),
                       st.fixed_dictionaries({"class_type": _class_types,
                                              "inputs": st.dictionaries(_input_names, _links | _json_values,
                                                                        max_size=8)}),
                       max_size=4))
def test_any_api_graph_is_read_without_raising(graph: dict[str, Any]) -> None:
    reading = read_comfyui(json.dumps(graph), None)
    assert reading is not None
    reading.summary()
    if reading.usable:
        settings_ = load_comfyui_settings(reading, default_model="flux-2-pro").settings
        assert validate(GenerationRequest(**settings_)).errors == ()


@HOSTILE
@given(st.lists(st.fixed_dictionaries({"id": st.integers(1, 4), "type": _class_types,
                                       "mode": st.sampled_from([0, 2, 4]),
                                       "inputs": st.lists(st.fixed_dictionaries(
                                           {"name": _input_names, "link": st.integers(1, 6) | st.none()}),
                                           max_size=4),
                                       "widgets_values": st.lists(_json_values, max_size=8) | _json_values}),
                max_size=5),
       st.lists(st.lists(st.integers(0, 6), min_size=6, max_size=6), max_size=6))
def test_any_editor_graph_is_read_without_raising(nodes: list[dict[str, Any]], links: list[list[int]]) -> None:
    reading = read_comfyui(None, json.dumps({"nodes": nodes, "links": links}))
    assert reading is not None
    reading.summary()
