"""ComfyUI graphs as ComfyUI writes them into a PNG: the API-format ``prompt`` it ran and the editor's ``workflow``,
shaped after ComfyUI's own examples (flux_dev, flux_dev_checkpoint, its BFL API node templates)."""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

FOX = "a red fox in deep snow, golden hour, 35mm photo"


def api(nodes: dict[str, tuple[str, dict[str, Any]]]) -> str:
    """``{id: (class_type, inputs)}`` as ComfyUI's API-format JSON; a link is written ``[node id, slot]``."""
    return json.dumps({node_id: {"inputs": inputs, "class_type": kind, "_meta": {"title": kind}}
                       for node_id, (kind, inputs) in nodes.items()})


def ui(nodes: list[tuple[int, str, list[Any], dict[str, tuple[int, int]]]], *, mode: dict[int, int] | None = None,
       widget_inputs: dict[int, set[str]] | None = None) -> str:
    """The editor's JSON: ``(id, type, widgets_values, {input name: (origin id, origin slot)})`` per node, with
    ComfyUI's ``links`` rows ``[link id, origin id, origin slot, target id, target slot, type]``."""
    links: list[list[Any]] = []
    out_nodes = []
    for order, (node_id, kind, widgets, inputs) in enumerate(nodes):
        node_inputs = []
        for slot, (name, (origin, origin_slot)) in enumerate(inputs.items()):
            link_id = len(links) + 1
            links.append([link_id, origin, origin_slot, node_id, slot, "*"])
            entry: dict[str, Any] = {"name": name, "type": "*", "link": link_id}
            if name in (widget_inputs or {}).get(node_id, set()):
                entry["widget"] = {"name": name}
            node_inputs.append(entry)
        out_nodes.append({"id": node_id, "type": kind, "pos": [100 * order, 100], "size": [315, 100], "flags": {},
                          "order": order, "mode": (mode or {}).get(node_id, 0), "inputs": node_inputs,
                          "outputs": [], "properties": {"Node name for S&R": kind}, "widgets_values": widgets})
    return json.dumps({"last_node_id": max(n[0] for n in nodes), "last_link_id": len(links), "nodes": out_nodes,
                       "links": links, "groups": [], "config": {}, "extra": {"ds": {"scale": 1, "offset": [0, 0]}},
                       "version": 0.4})


def comfy_png(prompt: str | None = None, workflow: str | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG saved the way ComfyUI's SaveImage saves one: ``prompt`` then ``workflow`` as tEXt chunks."""
    info = PngInfo()
    if prompt is not None:
        info.add_text("prompt", prompt)
    if workflow is not None:
        info.add_text("workflow", workflow)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


# --- A plain FLUX.1 [dev] graph: ComfyUI's flux_dev example (UNETLoader, SamplerCustomAdvanced) ------------------

FLUX_DEV_API = api({
    "6": ("CLIPTextEncode", {"text": FOX, "clip": ["11", 0]}),
    "8": ("VAEDecode", {"samples": ["13", 0], "vae": ["10", 0]}),
    "9": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["8", 0]}),
    "10": ("VAELoader", {"vae_name": "ae.safetensors"}),
    "11": ("DualCLIPLoader", {"clip_name1": "t5xxl_fp16.safetensors", "clip_name2": "clip_l.safetensors",
                              "type": "flux"}),
    "12": ("UNETLoader", {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}),
    "13": ("SamplerCustomAdvanced", {"noise": ["25", 0], "guider": ["22", 0], "sampler": ["16", 0],
                                     "sigmas": ["17", 0], "latent_image": ["27", 0]}),
    "16": ("KSamplerSelect", {"sampler_name": "euler"}),
    "17": ("BasicScheduler", {"scheduler": "simple", "steps": 20, "denoise": 1, "model": ["30", 0]}),
    "22": ("BasicGuider", {"model": ["30", 0], "conditioning": ["26", 0]}),
    "25": ("RandomNoise", {"noise_seed": 219670278747233}),
    "26": ("FluxGuidance", {"guidance": 3.5, "conditioning": ["6", 0]}),
    "27": ("EmptySD3LatentImage", {"width": 1024, "height": 768, "batch_size": 1}),
    "30": ("ModelSamplingFlux", {"max_shift": 1.15, "base_shift": 0.5, "width": 1024, "height": 768,
                                 "model": ["12", 0]}),
})

FLUX_DEV_UI = ui([
    (12, "UNETLoader", ["flux1-dev.safetensors", "default"], {}),
    (11, "DualCLIPLoader", ["t5xxl_fp16.safetensors", "clip_l.safetensors", "flux"], {}),
    (10, "VAELoader", ["ae.safetensors"], {}),
    (30, "ModelSamplingFlux", [1.15, 0.5, 1024, 768], {"model": (12, 0)}),
    (6, "CLIPTextEncode", [FOX], {"clip": (11, 0)}),
    (26, "FluxGuidance", [3.5], {"conditioning": (6, 0)}),
    (22, "BasicGuider", [], {"model": (30, 0), "conditioning": (26, 0)}),
    (25, "RandomNoise", [219670278747233, "randomize"], {}),
    (16, "KSamplerSelect", ["euler"], {}),
    (17, "BasicScheduler", ["simple", 20, 1], {"model": (30, 0)}),
    (27, "EmptySD3LatentImage", [1024, 768, 1], {}),
    (13, "SamplerCustomAdvanced", [], {"noise": (25, 0), "guider": (22, 0), "sampler": (16, 0),
                                       "sigmas": (17, 0), "latent_image": (27, 0)}),
    (8, "VAEDecode", [], {"samples": (13, 0), "vae": (10, 0)}),
    (9, "SaveImage", ["ComfyUI"], {"images": (8, 0)}),
])

# --- FLUX.1 [dev] from one checkpoint file, sampled by KSampler (ComfyUI's flux_dev_checkpoint example) ----------

FLUX_CHECKPOINT_UI = ui([
    (30, "CheckpointLoaderSimple", ["flux1-dev-fp8.safetensors"], {}),
    (6, "CLIPTextEncode", [FOX], {"clip": (30, 1)}),
    (33, "CLIPTextEncode", [""], {"clip": (30, 1)}),
    (35, "FluxGuidance", [3.5], {"conditioning": (6, 0)}),
    (27, "EmptySD3LatentImage", [832, 1216, 1], {}),
    (31, "KSampler", [972054013131368, "fixed", 20, 1, "euler", "simple", 1],
     {"model": (30, 0), "positive": (35, 0), "negative": (33, 0), "latent_image": (27, 0)}),
    (8, "VAEDecode", [], {"samples": (31, 0), "vae": (30, 2)}),
    (9, "SaveImage", ["ComfyUI"], {"images": (8, 0)}),
])

# --- ComfyUI's BFL API nodes ------------------------------------------------------------------------------

ULTRA_API = api({
    "1": ("FluxProUltraImageNode", {"prompt": FOX, "prompt_upsampling": False, "seed": 4242,
                                    "aspect_ratio": "21:9", "raw": True, "image_prompt_strength": 0.1}),
    "2": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["1", 0]}),
})

ULTRA_UI = ui([
    (1, "FluxProUltraImageNode", [FOX, False, 4242, "fixed", "21:9", True, 0.1], {}),
    (2, "SaveImage", ["ComfyUI"], {"images": (1, 0)}),
])

FLUX2_PRO_WITH_IMAGE_API = api({
    "3": ("LoadImage", {"image": "sofa.png", "upload": "image"}),
    "4": ("Flux2ProImageNode", {"prompt": "the sofa in a sunlit loft", "width": 1000, "height": 770, "seed": 77,
                                "prompt_upsampling": False, "images": ["3", 0]}),
    "5": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["4", 0]}),
})

KONTEXT_API = api({
    "1": ("FluxKontextProImageNode", {"prompt": "make it night", "aspect_ratio": "16:9", "guidance": 3.0,
                                      "steps": 50, "seed": 1234, "prompt_upsampling": False}),
    "2": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["1", 0]}),
})

# --- Graphs FluxDesk has nothing to use from, or cannot choose in -------------------------------------------

SDXL_API = api({
    "4": ("CheckpointLoaderSimple", {"ckpt_name": "sd_xl_base_1.0.safetensors"}),
    "5": ("EmptyLatentImage", {"width": 1024, "height": 1024, "batch_size": 1}),
    "6": ("CLIPTextEncode", {"text": "a lighthouse on a cliff at dusk", "clip": ["4", 1]}),
    "7": ("CLIPTextEncode", {"text": "blurry, watermark", "clip": ["4", 1]}),
    "3": ("KSampler", {"seed": 156680208700286, "steps": 25, "cfg": 7.0, "sampler_name": "dpmpp_2m",
                       "scheduler": "karras", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
                       "negative": ["7", 0], "latent_image": ["5", 0]}),
    "8": ("VAEDecode", {"samples": ["3", 0], "vae": ["4", 2]}),
    "9": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["8", 0]}),
})

UPSCALE_ONLY_API = api({
    "1": ("LoadImage", {"image": "photo.png", "upload": "image"}),
    "2": ("ImageScaleBy", {"upscale_method": "lanczos", "scale_by": 2.0, "image": ["1", 0]}),
    "3": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["2", 0]}),
})

TWO_BFL_NODES_API = api({
    "1": ("FluxProUltraImageNode", {"prompt": FOX, "prompt_upsampling": False, "seed": 1, "aspect_ratio": "16:9",
                                    "raw": False, "image_prompt_strength": 0.1}),
    "2": ("Flux2ProImageNode", {"prompt": "a lighthouse", "width": 1024, "height": 1024, "seed": 2,
                                "prompt_upsampling": True}),
    "3": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["1", 0]}),
    "4": ("SaveImage", {"filename_prefix": "ComfyUI", "images": ["2", 0]}),
})

def hires_fix_api() -> str:
    """The FLUX graph with a second, upscaling KSampler pass: two samplers, so which one's settings made it?"""
    graph = json.loads(FLUX_DEV_API)
    graph["40"] = {"class_type": "LatentUpscaleBy", "inputs": {"upscale_method": "nearest-exact", "scale_by": 1.5,
                                                               "samples": ["13", 0]}}
    graph["41"] = {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 10, "cfg": 1.0, "sampler_name": "euler",
                                                        "scheduler": "simple", "denoise": 0.45, "model": ["30", 0],
                                                        "positive": ["26", 0], "negative": ["26", 0],
                                                        "latent_image": ["40", 0]}}
    graph["8"]["inputs"]["samples"] = ["41", 0]
    return json.dumps(graph)


def two_texts_flux_api() -> str:
    """The FLUX graph prompted by CLIPTextEncodeFlux with different clip_l and t5xxl texts."""
    graph = json.loads(FLUX_DEV_API)
    graph["6"] = {"class_type": "CLIPTextEncodeFlux", "inputs": {"clip_l": "fox, snow", "t5xxl": FOX,
                                                                 "guidance": 3.5, "clip": ["11", 0]}}
    return json.dumps(graph)
