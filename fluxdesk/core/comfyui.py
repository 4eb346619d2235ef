"""ComfyUI's graphs, as ComfyUI writes them into the PNGs it saves, and what FluxDesk can use of them.

ComfyUI stores two JSON texts in a PNG: ``prompt``, the graph it ran (the API format: ``{node id: {"class_type",
"inputs"}}``, an input fed by another node written ``[node id, output index]``), and ``workflow``, the editor's
graph (the UI format: ``nodes`` whose settings are positional ``widgets_values``, and ``links``). The API graph is
read first; the UI graph only when the API one is missing or unreadable.

Settings are taken where they are unambiguous: from the one BFL API node (ComfyUI's ``FluxProUltraImageNode``,
``Flux2ProImageNode`` …), or by following the links from the one sampler of a FLUX text-to-image graph
(a FLUX model loader, ``CLIPTextEncode`` or ``CLIPTextEncodeFlux``, ``FluxGuidance``, ``KSampler`` or
``SamplerCustomAdvanced`` with ``RandomNoise``, an empty latent image). Where two candidates exist nothing is
guessed; what could not be mapped is said in words. Graphs are hostile input like any file's metadata: sizes,
depths and every number are bounded. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fluxdesk.core.catalog import Model, get_model, parse_aspect_ratio
from fluxdesk.core.metadata import (
    MAX_GUIDANCE,
    MAX_SIDE,
    MAX_STEPS,
    MAX_TEXT_CHARS,
    LoadedSettings,
    MetadataError,
    settings_from_metadata,
)
from fluxdesk.core.request import SEED_MAX
from fluxdesk.core.values import is_int, is_number

NOTHING_USABLE = "ComfyUI workflow found; no FLUX parameters FluxDesk can use"
MAX_NODES = 5_000
"""A graph with more nodes is not read: real ones have tens, a few hundred at most."""
MAX_HOPS = 64
"""How far a link is followed (through reroutes, guidance and LoRA nodes) before FluxDesk gives up."""

# --- The graph, whichever format it came in ----------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """An input fed by another node's output."""

    node: str
    slot: int


@dataclass(frozen=True)
class Node:
    id: str
    class_type: str
    inputs: Mapping[str, Any]
    """Literal values, or ``Link``. A UI-format node whose settings could not be read has none but its links."""
    unread: bool = False
    """Its settings (``widgets_values``) are in an order FluxDesk does not know."""

    def label(self) -> str:
        return f"{self.class_type} (node {self.id})"


Graph = dict[str, Node]


def _json(text: str) -> Any:
    if len(text) > MAX_TEXT_CHARS:
        raise MetadataError("it is too long to be real")
    try:
        return json.loads(text)
    except RecursionError:
        raise MetadataError("it is nested too deeply") from None
    except ValueError:
        raise MetadataError("it is not valid JSON") from None


def api_graph(text: str) -> Graph:
    """The API-format graph (the ``prompt`` text); ``MetadataError`` in words when it is not one."""
    data = _json(text)
    if not isinstance(data, dict) or not data:
        raise MetadataError("it is not a ComfyUI graph (an object of nodes)")
    if len(data) > MAX_NODES:
        raise MetadataError(f"it has {len(data):,} nodes, more than the {MAX_NODES:,} FluxDesk reads")
    graph: Graph = {}
    for node_id, node in data.items():
        if not isinstance(node, dict) or len(node_id) > _MAX_NAME:
            continue
        class_type, raw_inputs = node.get("class_type"), node.get("inputs")
        if not isinstance(class_type, str) or len(class_type) > _MAX_NAME or not isinstance(raw_inputs, dict):
            continue
        inputs: dict[str, Any] = {}
        for name, value in raw_inputs.items():
            if isinstance(value, list):
                if len(value) == 2 and _is_id(value[0]) and is_int(value[1]):
                    inputs[name] = Link(str(value[0]), value[1])
            else:
                inputs[name] = value
        graph[str(node_id)] = Node(str(node_id), class_type, inputs)
    if not graph:
        raise MetadataError("it holds no nodes FluxDesk can read")
    return graph


_MAX_NAME = 128
"""Longer node ids and class names are no real graph's: such nodes are left out (they would only fill messages)."""


def _is_name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_NAME


def _is_id(value: object) -> bool:
    return _is_name(value) or (is_int(value) and abs(value) < 10**18)


_CONTROL = "$control"
"""A seed widget's "control after generate" choice, stored after it in ``widgets_values``."""
_CONTROL_WORDS = frozenset({"fixed", "increment", "decrement", "randomize"})
_LATENT = ("width", "height", "batch_size")
_KONTEXT = ("prompt", "aspect_ratio", "guidance", "steps", "seed", _CONTROL, "prompt_upsampling")
_FLUX2 = ("prompt", "width", "height", "seed", _CONTROL, "prompt_upsampling")
_WIDGETS: dict[str, tuple[str, ...]] = {
    "KSampler": ("seed", _CONTROL, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": ("add_noise", "noise_seed", _CONTROL, "steps", "cfg", "sampler_name", "scheduler",
                         "start_at_step", "end_at_step", "return_with_leftover_noise"),
    "SamplerCustom": ("add_noise", "noise_seed", _CONTROL, "cfg"),
    "RandomNoise": ("noise_seed", _CONTROL),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "Flux2Scheduler": ("steps", "width", "height"),
    "KSamplerSelect": ("sampler_name",),
    "CFGGuider": ("cfg",),
    "FluxGuidance": ("guidance",),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "EmptyLatentImage": _LATENT,
    "EmptySD3LatentImage": _LATENT,
    "EmptyFlux2LatentImage": _LATENT,
    "UNETLoader": ("unet_name", "weight_dtype"),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "DualCLIPLoader": ("clip_name1", "clip_name2", "type"),
    "CLIPLoader": ("clip_name", "type"),
    "ModelSamplingFlux": ("max_shift", "base_shift", "width", "height"),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "PrimitiveString": ("value",),
    "PrimitiveStringMultiline": ("value",),
    "PrimitiveInt": ("value", _CONTROL),
    "PrimitiveFloat": ("value",),
    "FluxProUltraImageNode": ("prompt", "prompt_upsampling", "seed", _CONTROL, "aspect_ratio", "raw",
                              "image_prompt_strength"),
    "FluxProImageNode": ("prompt", "prompt_upsampling", "width", "height", "seed", _CONTROL),
    "FluxKontextProImageNode": _KONTEXT,
    "FluxKontextMaxImageNode": _KONTEXT,
    "FluxProExpandNode": ("prompt", "prompt_upsampling", "top", "bottom", "left", "right", "guidance", "steps",
                          "seed", _CONTROL),
    "FluxProFillNode": ("prompt", "prompt_upsampling", "guidance", "steps", "seed", _CONTROL),
    "Flux2ProImageNode": _FLUX2,
    "Flux2MaxImageNode": _FLUX2,
}
"""The names of each known node's ``widgets_values``, in order (the UI format stores them by position)."""

_INT_WIDGETS = frozenset({"seed", "noise_seed", "steps", "width", "height", "batch_size", "top", "bottom", "left",
                          "right", "start_at_step", "end_at_step"})
_NUMBER_WIDGETS = frozenset({"cfg", "denoise", "guidance", "max_shift", "base_shift", "image_prompt_strength",
                             "strength_model", "strength_clip"})
_TEXT_WIDGETS = frozenset({"text", "prompt", "clip_l", "t5xxl", "aspect_ratio", "sampler_name", "scheduler",
                           "unet_name", "ckpt_name", "weight_dtype", "clip_name", "clip_name1", "clip_name2", "type",
                           "lora_name"})
_FLAG_WIDGETS = frozenset({"prompt_upsampling", "raw"})


def _fits(name: str, value: object) -> bool:
    if name in _INT_WIDGETS:
        return is_int(value)
    if name in _NUMBER_WIDGETS:
        return is_number(value)
    if name in _TEXT_WIDGETS:
        return isinstance(value, str)
    if name in _FLAG_WIDGETS:
        return isinstance(value, bool)
    return True


def _widget_inputs(class_type: str, values: object) -> dict[str, Any] | None:
    """A UI node's ``widgets_values`` by name; ``None`` when their order is not the one FluxDesk knows."""
    names = _WIDGETS.get(class_type)
    if names is None:
        return None
    if isinstance(values, dict):
        return {name: values[name] for name in names if name in values and _fits(name, values[name])}
    if not isinstance(values, list):
        return None
    out: dict[str, Any] = {}
    i = 0
    for name in names:
        if i >= len(values):
            break
        value = values[i]
        if name == _CONTROL:
            if isinstance(value, str) and value in _CONTROL_WORDS:
                i += 1
            continue
        if not _fits(name, value):
            return None
        out[name] = value
        i += 1
    return out


def _links_table(links: object) -> dict[int, tuple[str, int]]:
    """``link id → (origin node, origin slot)`` from the list or object form of a UI graph's ``links``."""
    table: dict[int, tuple[str, int]] = {}
    if not isinstance(links, list):
        return table
    for link in links[:MAX_NODES * 4]:
        if isinstance(link, list) and len(link) >= 3:
            link_id, origin, slot = link[0], link[1], link[2]
        elif isinstance(link, dict):
            link_id, origin, slot = link.get("id"), link.get("origin_id"), link.get("origin_slot")
        else:
            continue
        if is_int(link_id) and _is_id(origin) and is_int(slot):
            table[link_id] = (str(origin), slot)
    return table


_MUTED_MODES = (2, 4)
"""A UI node's ``mode``: 2 is muted (never), 4 bypassed: neither ran."""


def ui_graph(text: str) -> Graph:
    """The UI-format graph (the ``workflow`` text) as an API-like graph; ``MetadataError`` in words when it is not
    one. Widget values are named where FluxDesk knows the node; muted and bypassed nodes are left out."""
    data = _json(text)
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list) or not nodes:
        raise MetadataError("it is not a ComfyUI workflow (no list of nodes)")
    if len(nodes) > MAX_NODES:
        raise MetadataError(f"it has {len(nodes):,} nodes, more than the {MAX_NODES:,} FluxDesk reads")
    links = _links_table(data.get("links"))
    primitives = {str(n.get("id")) for n in nodes if isinstance(n, dict) and n.get("type") == "PrimitiveNode"}
    graph: Graph = {}
    for node in nodes:
        if not isinstance(node, dict) or not _is_name(node.get("type")) or not _is_id(node.get("id")) \
                or node.get("mode") in _MUTED_MODES:
            continue
        node_id, class_type = str(node["id"]), node["type"]
        widgets = _widget_inputs(class_type, node.get("widgets_values"))
        inputs: dict[str, Any] = dict(widgets or {})
        raw_inputs = node.get("inputs")
        for slot in raw_inputs if isinstance(raw_inputs, list) else ():
            if not isinstance(slot, dict) or not isinstance(slot.get("name"), str):
                continue
            origin = links.get(slot["link"]) if is_int(slot.get("link")) else None
            # A widget fed by a (front-end only) primitive node keeps the value in its own widgets_values.
            if origin is not None and not (slot.get("widget") and origin[0] in primitives):
                inputs[slot["name"]] = Link(*origin)
        unread = widgets is None and (class_type in _WIDGETS or class_type in BFL_NODES)
        graph[node_id] = Node(node_id, class_type, inputs, unread=unread)
    if not graph:
        raise MetadataError("it holds no nodes FluxDesk can read")
    return graph


# --- What FluxDesk makes of it -----------------------------------------------------------------------


@dataclass(frozen=True)
class BflNode:
    model: str | None
    """The FluxDesk model it ran; ``None`` for a BFL tool FluxDesk does not run."""
    name: str
    fields: tuple[str, ...]
    images: tuple[str, ...] = ()
    """Its image inputs, which FluxDesk cannot take from a graph."""


_KONTEXT_FIELDS = ("prompt", "seed", "aspect_ratio", "steps", "guidance", "prompt_upsampling")
_FLUX2_FIELDS = ("prompt", "seed", "width", "height", "prompt_upsampling")
BFL_NODES: dict[str, BflNode] = {
    "FluxProUltraImageNode": BflNode("flux-pro-1.1-ultra", "FLUX1.1 [pro] Ultra",
                                     ("prompt", "seed", "aspect_ratio", "prompt_upsampling", "raw",
                                      "image_prompt_strength"), ("image_prompt",)),
    "FluxProImageNode": BflNode("flux-pro-1.1", "FLUX1.1 [pro]",
                                ("prompt", "seed", "width", "height", "prompt_upsampling"), ("image_prompt",)),
    "FluxKontextProImageNode": BflNode("flux-kontext-pro", "FLUX.1 Kontext [pro]", _KONTEXT_FIELDS,
                                       ("input_image",)),
    "FluxKontextMaxImageNode": BflNode("flux-kontext-max", "FLUX.1 Kontext [max]", _KONTEXT_FIELDS,
                                       ("input_image",)),
    "Flux2ProImageNode": BflNode("flux-2-pro", "FLUX.2 [pro]", _FLUX2_FIELDS, ("images",)),
    "Flux2MaxImageNode": BflNode("flux-2-max", "FLUX.2 [max]", _FLUX2_FIELDS, ("images",)),
    "Flux2ImageNode": BflNode(None, "FLUX.2", ("prompt", "seed", "model.width", "model.height"), ("model.images",)),
    "FluxProExpandNode": BflNode(None, "FLUX.1 Expand", ("prompt", "seed", "steps", "guidance"), ("image",)),
    "FluxProFillNode": BflNode(None, "FLUX.1 Fill", ("prompt", "seed", "steps", "guidance"), ("image", "mask")),
    "FluxEraseNode": BflNode(None, "FLUX Erase", ("seed",), ("image", "mask")),
    "FluxVTONode": BflNode(None, "FLUX Virtual Try-On", ("prompt", "seed"), ("person", "garment")),
    "FluxProCannyNode": BflNode(None, "FLUX.1 Canny", ("prompt", "seed", "steps", "guidance"), ("control_image",)),
    "FluxProDepthNode": BflNode(None, "FLUX.1 Depth", ("prompt", "seed", "steps", "guidance"), ("control_image",)),
}
"""ComfyUI's BFL API nodes (comfy_api_nodes/nodes_bfl.py), by class name."""
_FLUX2_CHOICES = {"Flux.2 [pro]": "flux-2-pro", "Flux.2 [max]": "flux-2-max"}
"""``Flux2ImageNode`` picks its model with a ``model`` choice (a dynamic combo: the inputs of the choice are named
``model.width``, ``model.height``, as its price badge reads them)."""

SAMPLERS = frozenset({"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"})
_ENCODERS = frozenset({"CLIPTextEncode", "CLIPTextEncodeFlux"})
_FLUX_NODES = frozenset({"FluxGuidance", "CLIPTextEncodeFlux", "ModelSamplingFlux", "EmptyFlux2LatentImage",
                         "Flux2Scheduler", "FluxKontextImageScale", "FluxKontextMultiReferenceLatentMethod"})
_LATENTS = frozenset({"EmptyLatentImage", "EmptySD3LatentImage", "EmptyFlux2LatentImage", "EmptyHunyuanLatentVideo"})
_LOADERS = {"UNETLoader": "unet_name", "UnetLoaderGGUF": "unet_name", "CheckpointLoaderSimple": "ckpt_name",
            "CheckpointLoader": "ckpt_name", "ImageOnlyCheckpointLoader": "ckpt_name"}
_TEXT_SOURCES = frozenset({"PrimitiveString", "PrimitiveStringMultiline", "String", "StringMultiline",
                           "Text Multiline", "Text", "PrimitiveNode"})
_NUMBER_SOURCES = frozenset({"PrimitiveInt", "PrimitiveFloat", "Seed", "Seed (rgthree)", "PrimitiveNode"})


@dataclass(frozen=True)
class ComfyReading:
    """What a ComfyUI graph says that FluxDesk can use, and what it could not, in words."""

    graph: str
    """The text read: ``prompt`` (the API graph ComfyUI ran) or ``workflow`` (the editor's graph)."""
    found: str
    """What was found: "the BFL API node FluxProUltraImageNode (node 4)", "a FLUX graph sampled by KSampler
    (node 3)"."""
    usable: bool
    """Whether it gives FLUX settings (a prompt at least) FluxDesk can load."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """What mapped, under FluxDesk's names: ``prompt``, ``model`` (a FluxDesk model id), ``seed``, ``width``,
    ``height``, ``aspect_ratio``, ``steps``, ``guidance``, ``prompt_upsampling``, ``disable_pup``, ``raw``,
    ``image_prompt_strength``."""
    not_mapped: tuple[str, ...] = ()
    """What the graph holds that could not be mapped, and why."""
    reinterpreted: tuple[str, ...] = ()
    """What mapped as something close to it (a local FLUX.1 [dev] file as BFL's FLUX.1 [dev])."""
    prompt: str | None = None
    """The prompt: mapped, or merely obvious (the graph's one text) when nothing else could be used."""
    model_file: str | None = None
    """The model file a sampler graph loads, as the graph names it."""

    def summary(self) -> str:
        """One sentence: what was found, or ``NOTHING_USABLE`` and why."""
        if self.usable:
            return f"ComfyUI workflow found: {self.found}"
        why = "; ".join(self.not_mapped)
        return f"{NOTHING_USABLE}" + (f": {why}" if why else "")


class _Walk:
    """Following links through one graph, noting what could not be followed."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.not_mapped: list[str] = []
        self.seen_flux = False

    def source(self, value: object) -> Node | None:
        """The node a link comes from, through reroutes; ``None`` for a literal or a dangling link."""
        hops = 0
        while isinstance(value, Link) and hops < MAX_HOPS:
            node = self.graph.get(value.node)
            if node is None:
                return None
            if node.class_type != "Reroute":
                return node
            value = next((v for v in node.inputs.values() if isinstance(v, Link)), None)
            hops += 1
        return None

    def literal(self, node: Node, name: str, kinds: frozenset[str] = _TEXT_SOURCES) -> tuple[bool, Any]:
        """``(True, value)`` of an input that is a literal, or fed by a node holding just that value (a primitive);
        ``(False, words)`` saying where it comes from otherwise."""
        if node.unread:
            return False, f"{node.label()} stores its settings in an order FluxDesk does not know"
        if name not in node.inputs:
            return False, f"{node.label()} has no {name}"
        value = node.inputs[name]
        if not isinstance(value, Link):
            return True, value
        origin = self.source(value)
        if origin is None:
            return False, f"{node.label()}'s {name} comes from a node that is not in the graph"
        if origin.class_type in kinds or origin.class_type.startswith("Primitive"):
            held = [v for v in origin.inputs.values() if not isinstance(v, Link)]
            if len(held) == 1:
                return True, held[0]
        return False, f"{node.label()}'s {name} comes from {origin.label()}, which FluxDesk does not read"

    def follow(self, node: Node, name: str) -> Node | None:
        value = node.inputs.get(name)
        return self.source(value) if isinstance(value, Link) else None


def _nodes_of(graph: Graph, kinds: frozenset[str] | Mapping[str, Any]) -> list[Node]:
    return [node for node in graph.values() if node.class_type in kinds]


def _labels(nodes: list[Node]) -> str:
    shown = [node.label() for node in nodes[:4]]
    return ", ".join(shown) + (f" and {len(nodes) - 4} more" if len(nodes) > 4 else "")


def _obvious_prompt(graph: Graph) -> str | None:
    """The graph's one prompt text: the only non-empty text of a text encoder or BFL node, if there is one."""
    texts = set()
    for node in graph.values():
        if node.unread:
            continue
        for name in ("text", "prompt", "t5xxl", "clip_l"):
            if (node.class_type in _ENCODERS or node.class_type in BFL_NODES) and isinstance(
                    node.inputs.get(name), str) and node.inputs[name].strip():
                texts.add(node.inputs[name].strip())
    return texts.pop() if len(texts) == 1 else None


# --- Checking each value before it is used ----------------------------------------------------------------


def _checked(name: str, value: object) -> tuple[bool, Any, str]:
    """``(True, value, "")`` for a value FluxDesk can take as ``name``; ``(False, None, why not)`` otherwise."""
    shown = _shown(value)
    if name == "prompt":
        if isinstance(value, str) and len(value) <= MAX_TEXT_CHARS:
            return True, value, ""
        return False, None, "the prompt is not text"
    if name == "seed":
        if is_int(value) and 0 <= value <= SEED_MAX:
            return True, value, ""
        return False, None, f"the seed {shown} (BFL takes 0 to {SEED_MAX:,})"
    if name in ("width", "height"):
        if is_int(value) and 1 <= value <= MAX_SIDE:
            return True, value, ""
        return False, None, f"the {name} {shown} (not a size in pixels)"
    if name == "steps":
        if is_int(value) and 1 <= value <= MAX_STEPS:
            return True, value, ""
        return False, None, f"steps {shown} (not a number of steps)"
    if name == "guidance":
        if is_number(value) and 0 <= value <= MAX_GUIDANCE:
            return True, float(value), ""
        return False, None, f"guidance {shown} (not a guidance from 0 to {MAX_GUIDANCE:g})"
    if name == "aspect_ratio":
        if isinstance(value, str) and len(value) <= 16 and parse_aspect_ratio(value) is not None:
            return True, value.strip().replace(" ", ""), ""
        return False, None, f"the aspect ratio {shown} (not width:height)"
    if name == "image_prompt_strength":
        if is_number(value) and 0 <= value <= 1:
            return True, float(value), ""
        return False, None, f"the image prompt strength {shown} (not from 0 to 1)"
    if name in ("prompt_upsampling", "raw"):
        if isinstance(value, bool):
            return True, value, ""
        return False, None, f"{name.replace('_', ' ')} {shown} (not true or false)"
    return False, None, f"{name} {shown}"


def _shown(value: object) -> str:
    """A value from a graph in a message: short, whatever it is."""
    if isinstance(value, float):
        return f"{value:g}"
    if is_int(value):
        text = str(value) if abs(value) < 10**30 else ("a number of " + str(len(str(abs(value)))) + " digits")
        return text
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:39] + "…", ensure_ascii=False)
    return f"of the wrong kind ({type(value).__name__})"


class _Mapping:
    """The values that mapped, and what did not."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.not_mapped: list[str] = []
        self.reinterpreted: list[str] = []

    def take(self, name: str, found: tuple[bool, Any]) -> None:
        ok, value = found
        if not ok:
            self.not_mapped.append(f"the {name.replace('_', ' ')}: {value}")
            return
        good, checked, why = _checked(name, value)
        if good:
            self.values[name] = checked
        else:
            self.not_mapped.append(why)


# --- BFL API nodes -----------------------------------------------------------------------------------


def _from_bfl_node(walk: _Walk, node: Node, mapping: _Mapping) -> None:
    spec = BFL_NODES[node.class_type]
    model_id = spec.model
    if node.class_type == "Flux2ImageNode":
        ok, choice = walk.literal(node, "model")
        model_id = _FLUX2_CHOICES.get(choice) if ok and isinstance(choice, str) else None
        if model_id is None:
            mapping.not_mapped.append(f"the model: {node.label()} names {_shown(choice) if ok else 'none'}, "
                                      "not FLUX.2 [pro] or [max]")
    elif model_id is None:
        mapping.not_mapped.append(f"the model: {spec.name} is a BFL tool FluxDesk does not run")
    if model_id is not None:
        mapping.values["model"] = model_id
    for name in spec.fields:
        target = name.removeprefix("model.")
        if name not in node.inputs and name not in ("prompt_upsampling", "raw", "image_prompt_strength"):
            mapping.not_mapped.append(f"the {target.replace('_', ' ')}: {node.label()} has none")
            continue
        if name in node.inputs:
            mapping.take(target, walk.literal(node, name, _TEXT_SOURCES | _NUMBER_SOURCES))
    if "image_prompt_strength" in mapping.values and not isinstance(node.inputs.get("image_prompt"), Link):
        del mapping.values["image_prompt_strength"]  # it only weighs an image prompt, and there is none
    images = [name for name in spec.images if isinstance(node.inputs.get(name), Link)]
    if images:
        mapping.not_mapped.append(f"the input image{'s' if len(images) > 1 else ''} ({', '.join(images)}): "
                                  "FluxDesk cannot take images from a ComfyUI file; add them as references")


# --- FLUX sampler graphs ------------------------------------------------------------------------------------


_MODEL_FILES = (
    ("flux-2-klein-4b", ("klein-4b", "klein4b")),
    ("flux-2-klein-9b", ("klein-9b", "klein9b")),
)


def _model_from_file(name: str) -> str | None:
    """The FluxDesk model a local model file is the same model as; ``None`` when there is none."""
    plain = name.lower().replace("_", "-").replace(" ", "-").replace(".", "-")
    for model_id, marks in _MODEL_FILES:
        if any(mark in plain for mark in marks):
            return model_id
    others = ("kontext", "fill", "canny", "depth", "redux", "schnell", "krea", "flux2", "flux-2")
    if any(mark in plain for mark in ("flux1-dev", "flux-1-dev", "flux-dev")) and not any(
            mark in plain for mark in others):
        return "flux-dev"
    return None


def _model_file(walk: _Walk, start: Node | None, mapping: _Mapping) -> str | None:
    """Follow a sampler's ``model`` input through patches (model sampling, LoRAs) to its loader's file name."""
    node, hops = start, 0
    while node is not None and hops < MAX_HOPS:
        if node.class_type in _LOADERS:
            ok, name = walk.literal(node, _LOADERS[node.class_type])
            if ok and isinstance(name, str):
                return name
            mapping.not_mapped.append(f"the model: {name if not ok else 'its loader names no file'}")
            return None
        if node.class_type in _FLUX_NODES:
            walk.seen_flux = True
        if "lora" in node.class_type.lower():
            ok, lora = walk.literal(node, "lora_name")
            named = _shown(lora) if ok else "a LoRA"
            mapping.not_mapped.append(f"the LoRA {named} (BFL's API takes none)")
        node = walk.follow(node, "model")
        hops += 1
    mapping.not_mapped.append("the model: the sampler's model does not come from a model loader FluxDesk reads")
    return None


def _positive_text(walk: _Walk, start: Node | None, mapping: _Mapping) -> None:
    """Follow the positive conditioning to its one text encoder: the prompt, and the FLUX guidance on the way."""
    node, hops = start, 0
    guidance_found = False
    while node is not None and hops < MAX_HOPS:
        kind = node.class_type
        if kind == "FluxGuidance":
            walk.seen_flux = True
            if not guidance_found:
                mapping.take("guidance", walk.literal(node, "guidance", _NUMBER_SOURCES))
                guidance_found = True
            node = walk.follow(node, "conditioning")
        elif kind == "CLIPTextEncode":
            mapping.take("prompt", walk.literal(node, "text"))
            return
        elif kind == "CLIPTextEncodeFlux":
            walk.seen_flux = True
            clip_l, t5xxl = walk.literal(node, "clip_l"), walk.literal(node, "t5xxl")
            texts = {v.strip() for ok, v in (clip_l, t5xxl) if ok and isinstance(v, str) and v.strip()}
            if len(texts) > 1:
                mapping.not_mapped.append(f"the prompt: {node.label()} holds two different texts (clip_l and "
                                          "t5xxl), and FluxDesk will not guess which to use")
            else:
                mapping.take("prompt", t5xxl if t5xxl[0] and str(t5xxl[1]).strip() else clip_l)
            if not guidance_found:
                mapping.take("guidance", walk.literal(node, "guidance", _NUMBER_SOURCES))
            return
        else:
            conditionings = [name for name, value in node.inputs.items()
                             if isinstance(value, Link) and "conditioning" in name.lower()]
            if kind == "ReferenceLatent" or "reference" in kind.lower():
                mapping.not_mapped.append(f"the reference image of {node.label()}: FluxDesk cannot take images "
                                          "from a ComfyUI file; add it as a reference")
            if len(conditionings) != 1:
                words = ("combines several conditionings" if conditionings else "is not a text encoder")
                mapping.not_mapped.append(f"the prompt: it comes from {node.label()}, which {words}; "
                                          "FluxDesk will not guess")
                return
            node = walk.follow(node, conditionings[0])
        hops += 1
    mapping.not_mapped.append("the prompt: the sampler's positive conditioning does not come from a text encoder")


def _negative_text(walk: _Walk, node: Node | None, mapping: _Mapping) -> None:
    if node is not None and node.class_type == "CLIPTextEncode":
        ok, text = walk.literal(node, "text")
        if ok and isinstance(text, str) and text.strip():
            mapping.not_mapped.append(f"the negative prompt {_shown(text)} (FLUX models take none)")


def _latent_size(walk: _Walk, node: Node | None, mapping: _Mapping) -> None:
    if node is None:
        mapping.not_mapped.append("the size: the sampler has no latent image")
    elif node.class_type in _LATENTS:
        if node.class_type == "EmptyFlux2LatentImage":
            walk.seen_flux = True
        mapping.take("width", walk.literal(node, "width", _NUMBER_SOURCES))
        mapping.take("height", walk.literal(node, "height", _NUMBER_SOURCES))
        batch = node.inputs.get("batch_size")
        if is_int(batch) and batch > 1:
            mapping.not_mapped.append(f"the batch of {batch} (FluxDesk makes one image per request)")
    elif node.class_type == "VAEEncode":
        mapping.not_mapped.append(f"the size: the image was made from another image ({node.label()}), "
                                  "which FluxDesk cannot take from a ComfyUI file")
    else:
        mapping.not_mapped.append(f"the size: the latent image comes from {node.label()}, which FluxDesk does "
                                  "not read")


def _from_sampler(walk: _Walk, sampler: Node, mapping: _Mapping) -> str | None:
    """Map what ``sampler`` ran; answers the model file it loads."""
    kind = sampler.class_type
    guider = walk.follow(sampler, "guider") if kind == "SamplerCustomAdvanced" else None
    if kind == "SamplerCustomAdvanced":
        noise = walk.follow(sampler, "noise")
        if noise is not None and noise.class_type == "RandomNoise":
            mapping.take("seed", walk.literal(noise, "noise_seed", _NUMBER_SOURCES))
        else:
            what = noise.label() if noise is not None else "nothing FluxDesk can follow"
            mapping.not_mapped.append(f"the seed: the noise comes from {what}")
    else:
        mapping.take("seed", walk.literal(sampler, "seed" if kind == "KSampler" else "noise_seed",
                                          _NUMBER_SOURCES))
    if kind in ("KSampler", "KSamplerAdvanced"):
        mapping.take("steps", walk.literal(sampler, "steps", _NUMBER_SOURCES))
    else:
        sigmas = walk.follow(sampler, "sigmas")
        if sigmas is not None and "steps" in sigmas.inputs:
            if sigmas.class_type == "Flux2Scheduler":
                walk.seen_flux = True
            mapping.take("steps", walk.literal(sigmas, "steps", _NUMBER_SOURCES))
        else:
            mapping.not_mapped.append("the steps: the sampler's sigmas come from "
                                      f"{sigmas.label() if sigmas is not None else 'nothing FluxDesk can follow'}")
    denoise = sampler.inputs.get("denoise")
    if is_number(denoise) and denoise < 1:
        mapping.not_mapped.append(f"the denoise {denoise:g} (an image-to-image pass; BFL's text-to-image "
                                  "starts from noise)")
    cfg_owner = guider if guider is not None and guider.class_type == "CFGGuider" else sampler
    cfg = cfg_owner.inputs.get("cfg")
    if is_number(cfg) and cfg != 1:
        mapping.not_mapped.append(f"CFG scale {cfg:g} (FLUX guidance is separate, and BFL's API takes no CFG)")
    if guider is not None:
        if guider.class_type == "BasicGuider":
            model_from, positive, negative = guider, walk.follow(guider, "conditioning"), None
        elif guider.class_type == "CFGGuider":
            model_from, positive, negative = (guider, walk.follow(guider, "positive"),
                                              walk.follow(guider, "negative"))
        else:
            what = guider.label() if guider is not None else "nothing FluxDesk can follow"
            mapping.not_mapped.append(f"the prompt and the model: the guider is {what}, which FluxDesk does not read")
            model_from, positive, negative = None, None, None
    elif kind == "SamplerCustomAdvanced":
        mapping.not_mapped.append("the prompt and the model: the sampler has no guider FluxDesk can follow")
        model_from, positive, negative = None, None, None
    else:
        model_from, positive, negative = sampler, walk.follow(sampler, "positive"), walk.follow(sampler, "negative")
    model_file = None
    if model_from is not None:
        model_file = _model_file(walk, walk.follow(model_from, "model"), mapping)
        if positive is None:
            mapping.not_mapped.append("the prompt: the sampler has no positive conditioning FluxDesk can follow")
        else:
            _positive_text(walk, positive, mapping)
        _negative_text(walk, negative, mapping)
    _latent_size(walk, walk.follow(sampler, "latent_image"), mapping)
    return model_file


def _clip_says_flux(graph: Graph) -> bool:
    for node in graph.values():
        if node.class_type in ("DualCLIPLoader", "CLIPLoader"):
            kind = node.inputs.get("type")
            if isinstance(kind, str) and kind.lower().startswith("flux"):
                return True
    return False


def _sampler_reading(graph: Graph, walk: _Walk, sampler: Node, source: str) -> ComfyReading:
    mapping = _Mapping()
    model_file = _from_sampler(walk, sampler, mapping)
    is_flux = walk.seen_flux or _clip_says_flux(graph) or (model_file is not None and "flux" in model_file.lower())
    found = f"a FLUX graph sampled by {sampler.label()}"
    if not is_flux:
        named = f"its model {_shown(model_file)} is not" if model_file else "nothing in it is"
        return ComfyReading(source, f"a graph sampled by {sampler.label()}", False,
                            not_mapped=(f"{named} a FLUX model",), prompt=mapping.values.get("prompt")
                            or _obvious_prompt(graph), model_file=model_file)
    if model_file is not None:
        model_id = _model_from_file(model_file)
        if model_id is None:
            mapping.not_mapped.append(f"the model {_shown(model_file)} (a local model no BFL endpoint runs)")
        else:
            mapping.values["model"] = model_id
            mapping.reinterpreted.append(f"the model file {_shown(model_file)} as {get_model(model_id).name}, "
                                         "which BFL runs on its own servers: the same seed gives a different image")
    return _finished(source, found, mapping, graph, model_file)


def _finished(source: str, found: str, mapping: _Mapping, graph: Graph, model_file: str | None = None) -> ComfyReading:
    values = mapping.values
    prompt = values.get("prompt")
    usable = isinstance(prompt, str) and bool(prompt.strip())
    if not usable:
        if values.pop("prompt", None) is not None:
            mapping.not_mapped.insert(0, "the prompt: it is empty")
        elif not mapping.not_mapped:
            mapping.not_mapped.append("the prompt: none was found")
    model_id = values.get("model")
    if isinstance(model_id, str) and "prompt_upsampling" in values:
        model = get_model(model_id)
        if model.disable_pup is not None:  # FLUX.2 [pro]/[max]: upsampling is switched by disable_pup
            values["disable_pup"] = not values.pop("prompt_upsampling")
    return ComfyReading(source, found, usable, dict(values), tuple(mapping.not_mapped),
                        tuple(mapping.reinterpreted), prompt if usable else _obvious_prompt(graph), model_file)


def read_graph(graph: Graph, source: str) -> ComfyReading:
    """What one graph says: from its one BFL node, its one FLUX sampler, or nothing usable (and why)."""
    walk = _Walk(graph)
    bfl = _nodes_of(graph, BFL_NODES)
    samplers = _nodes_of(graph, SAMPLERS)
    candidates = bfl + samplers
    if len(candidates) > 1:
        return ComfyReading(source, "a ComfyUI graph", False,
                            not_mapped=(f"it holds {len(candidates)} image makers ({_labels(candidates)}) and "
                                        "FluxDesk will not guess which one made this image",),
                            prompt=_obvious_prompt(graph))
    if not candidates:
        return ComfyReading(source, "a ComfyUI graph", False,
                            not_mapped=("it holds neither a BFL API node nor a sampler",),
                            prompt=_obvious_prompt(graph))
    node = candidates[0]
    if node.class_type in BFL_NODES:
        mapping = _Mapping()
        if node.unread:
            mapping.not_mapped.append(f"the settings: {node.label()} stores them in an order FluxDesk does not know")
        else:
            _from_bfl_node(walk, node, mapping)
        return _finished(source, f"the BFL API node {node.label()}", mapping, graph)
    return _sampler_reading(graph, walk, node, source)


def read_comfyui(prompt_text: str | None, workflow_text: str | None) -> ComfyReading | None:
    """What ComfyUI's ``prompt`` (the API graph, read first) and ``workflow`` (the editor's graph, the fallback)
    texts say; ``None`` when there is neither. Never raises: an unreadable graph is a reading that says so."""
    problems: list[str] = []
    fallback: ComfyReading | None = None
    for source, text, parse in (("prompt", prompt_text, api_graph), ("workflow", workflow_text, ui_graph)):
        if text is None:
            continue
        try:
            reading = read_graph(parse(text), source)
        except MetadataError as exc:
            problems.append(f"its {source} text cannot be read: {exc}")
            continue
        except RecursionError:
            problems.append(f"its {source} text is nested too deeply")
            continue
        if reading.usable:
            return reading
        fallback = fallback or reading
    if fallback is not None:
        return fallback if not problems else ComfyReading(
            fallback.graph, fallback.found, False, fallback.values, (*problems, *fallback.not_mapped),
            fallback.reinterpreted, fallback.prompt, fallback.model_file)
    if not problems:
        return None
    return ComfyReading("prompt" if prompt_text is not None else "workflow", "a ComfyUI graph", False,
                        not_mapped=tuple(problems))


# --- Loading it into the prompt panel ----------------------------------------------------------------------


def load_comfyui_settings(reading: ComfyReading, *, default_model: str | None = None) -> LoadedSettings:
    """Settings for the prompt panel from a usable reading, with what did not map or changed on the way.

    ``MetadataError`` when it is not usable (the message is ``summary()``)."""
    if not reading.usable:
        raise MetadataError(reading.summary())
    values = dict(reading.values)
    settings = settings_from_metadata(values, default_model=default_model)
    model = get_model(settings["model"])
    skipped = list(reading.not_mapped)
    changed = list(reading.reinterpreted)
    if "model" not in values:
        skipped.append(f"the model (none FluxDesk can run was found; {model.name} is used)")
    _fit_notes(values, settings, model, skipped, changed)
    origin = "its ComfyUI workflow" + (f" ({reading.found})" if reading.found.startswith("the BFL") else "")
    return LoadedSettings(settings, tuple(skipped), tuple(changed), origin)


def _fit_notes(values: Mapping[str, Any], out: Mapping[str, Any], model: Model, skipped: list[str],
               changed: list[str]) -> None:
    """What the model the settings run on does not take (``skipped``), or takes otherwise (``changed``)."""
    for name in ("steps", "guidance"):
        value = values.get(name)
        if value is None:
            continue
        if name not in out:
            skipped.append(f"{name} {_shown(value)} ({model.name} takes none)")
        elif out[name] != value:
            changed.append(f"{name} {_shown(value)} as {_shown(out[name])} (the nearest {model.name} takes)")
    width, height = values.get("width"), values.get("height")
    if is_int(width) and is_int(height):
        if "width" in out and (out["width"], out["height"]) != (width, height):
            changed.append(f"the size {width}×{height} as {out['width']}×{out['height']} "
                           f"(the nearest {model.name} takes)")
        elif "aspect_ratio" in out and "aspect_ratio" not in values:
            changed.append(f"the size {width}×{height} as aspect ratio {out['aspect_ratio']} "
                           f"({model.name} is sized by ratio)")
        elif "width" not in out and "aspect_ratio" not in out:
            skipped.append(f"the size {width}×{height} (outside the aspect ratios {model.name} takes)")
    ratio = values.get("aspect_ratio")
    if isinstance(ratio, str) and out.get("aspect_ratio") != ratio:
        skipped.append(f"the aspect ratio {ratio} ({model.name} is sized in pixels)")
    for name in ("prompt_upsampling", "disable_pup", "raw", "image_prompt_strength"):
        if name in values and name not in out:
            skipped.append(f"{name.replace('_', ' ')} {_shown(values[name])} ({model.name} takes none)")

