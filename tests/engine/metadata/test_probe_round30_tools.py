"""Round-30 probe shapes (/tmp/probe60): tools not probed before, transcribed from their source:

- Krita AI Diffusion's "Save image" (Acly/krita-ai-diffusion ``ai_diffusion/model/model.py``
  ``_save_job_result``, ``text.py`` ``create_img_metadata``, ``image.py`` ``save_png_w_itxt``): one
  uncompressed iTXt ``parameters`` right after IHDR holding an A1111-style text with no ``Version``, the
  literal ``Model hash: unknown``, the style's sampler preset name, LoRA tags naming files, and in newer
  versions ``, Mode: Generate`` / ``Refine`` / ``Inpaint (Fill)``; its own tool id ``kritaai``;
- Impact-Pack's ``ImageSender`` (``impact_pack.py``): an output node whose class names no save or
  preview; it saves through core ``PreviewImage.save_images`` as ``{prefix}_temp_xxxxx_00001_.png``;
- Stability Matrix's ``ImageMetadata.EmbedGenerationParameters`` for a WEBP: the ``GenerationParameters``
  JSON in EXIF ``ImageDescription`` and nothing else.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from comfy_graph_builder import Graph, node
from metadata_png_builder import build_png, itxt_chunk, text_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef
from engine.sessions.labels import TOOL_DISPLAY_NAMES

MTIME = datetime(2025, 12, 1, 14, 15, 9, tzinfo=UTC)
XL_NEG = "anime, cartoon, graphic, text, painting, crayon, graphite, abstract"
XL_CKPT = "juggernautXL_version6Rundiffusion.safetensors"


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _krita(text: str) -> bytes:
    return build_png(itxt_chunk("parameters", text), width=8, height=8, colour_type=6)


def _krita_text(prompt: str, negative: str, tail: str) -> str:
    return f"{prompt}\nNegative prompt: {negative}\n{tail}"


def test_krita_save_image_names_its_own_tool() -> None:
    text = _krita_text(
        "cinematic film still lighthouse",
        XL_NEG,
        "Steps: 20, Sampler: Default - DPM++ 2M, CFG scale: 6.0, Seed: 2871345521, Size: 1024x1024, "
        f"Model hash: unknown, Model: {XL_CKPT}, Mode: Generate",
    )
    rec = _read(_krita(text), "harbor-generated-20251201-141502-0-lighthouse.png")
    assert rec.tool == "kritaai"
    assert (rec.prompt, rec.negative_prompt) == ("cinematic film still lighthouse", XL_NEG)
    assert (rec.seed, rec.steps, rec.cfg_scale) == (2871345521, 20, 6.0)
    assert (rec.sampler, rec.model) == ("Default - DPM++ 2M", XL_CKPT)
    assert (rec.width, rec.height) == (1024, 1024)


def test_krita_older_text_without_mode_and_a_refine_strength() -> None:
    text = _krita_text(
        "girl",
        "lowres, bad hands",
        "Steps: 24, Sampler: Alternative - Euler A, CFG scale: 7.0, Seed: 58812, Size: 832x1216, "
        "Model hash: unknown, Model: dreamshaperXL_v21TurboDPMSDE.safetensors, Denoising strength: 0.6",
    )
    rec = _read(_krita(text), "portrait-generated-20251201-143500-2-girl.png")
    assert rec.tool == "kritaai"
    assert rec.denoise == 0.6
    assert (rec.width, rec.height) == (832, 1216)


def test_krita_lora_tag_names_the_file_and_an_empty_negative() -> None:
    text = _krita_text(
        "photo of fox, atmospheric film still <lora:flux/detailer_v2.safetensors:0.8>",
        "",
        "Steps: 20, Sampler: Flux - Euler simple, CFG scale: 3.5, Seed: 1730592268, Size: 1024x768, "
        "Model hash: unknown, Model: flux1-dev-fp8.safetensors, Mode: Generate",
    )
    rec = _read(_krita(text), "harbor-generated-20251201-141933-1-fox.png")
    assert rec.tool == "kritaai"
    assert rec.loras == (LoraRef("flux/detailer_v2.safetensors", 0.8),)
    assert not rec.negative_prompt
    assert rec.sampler == "Flux - Euler simple"


def test_a1111_text_with_a_real_model_hash_is_not_krita() -> None:
    """Regression guard (passes before the fix too): only the literal ``unknown`` hash names Krita."""
    text = _krita_text(
        "a lighthouse",
        "",
        "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 1, Size: 512x512, "
        "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly",
    )
    assert _read(_krita(text), "00001-1.png").tool == "a1111"


def test_krita_has_a_display_name() -> None:
    assert TOOL_DISPLAY_NAMES["kritaai"] == "Krita AI Diffusion"


POS = "portrait of an elderly fisherman, weathered face, rim light, 85mm"
NEG = "cartoon, lowres, deformed"
CKPT = "realvisxlV40_v40Bakedvae.safetensors"


def _sender_graph() -> Graph:
    sampler: dict[str, Any] = {"cfg": 5.0, "sampler_name": "dpmpp_2m_sde", "scheduler": "karras"}
    links = {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0]}
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=CKPT),
        "6": node("CLIPTextEncode", text=POS, clip=["4", 1]),
        "7": node("CLIPTextEncode", text=NEG, clip=["4", 1]),
        "5": node("EmptyLatentImage", width=896, height=1152, batch_size=1),
        "3": node("KSampler", seed=5150001, steps=30, denoise=1.0, latent_image=["5", 0], **sampler, **links),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
        "11": node("LatentUpscaleBy", upscale_method="nearest-exact", scale_by=1.5, samples=["3", 0]),
        "12": node(
            "KSampler", seed=5150002, steps=14, denoise=0.45, latent_image=["11", 0], **sampler, **links
        ),
        "13": node("VAEDecode", samples=["12", 0], vae=["4", 2]),
        "14": node("ImageSender", filename_prefix="ImgSender", link_id=0, images=["13", 0]),
    }


def _comfy_png(graph: Graph) -> bytes:
    return build_png(text_chunk("prompt", json.dumps(graph)), width=8, height=8)


def test_image_sender_file_is_read_from_the_pass_it_sends() -> None:
    rec = _read(_comfy_png(_sender_graph()), "ImgSender_temp_qxbvm_00001_.png")
    assert rec.tool == "comfyui"
    assert (rec.seed, rec.steps, rec.denoise) == (5150002, 14, 0.45)
    assert rec.extra["output_node"]["class_type"] == "ImageSender"


def test_save_image_file_of_the_same_run_keeps_the_base_pass() -> None:
    """Regression guard (passes before the fix too): the core SaveImage's file is the base pass."""
    rec = _read(_comfy_png(_sender_graph()), "ComfyUI_00031_.png")
    assert (rec.seed, rec.steps, rec.denoise) == (5150001, 30, 1.0)


def _sm_webp(description: str) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = description
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 100, 80)).save(out, "WEBP", exif=exif)
    return out.getvalue()


SM_JSON: dict[str, Any] = {
    "PositivePrompt": "cafe terrace at night, oil painting",
    "NegativePrompt": "blurry, lowres",
    "Steps": 28,
    "Sampler": "DPM++ 2M Karras",
    "CfgScale": 6.5,
    "Seed": 2718281828,
    "Height": 1152,
    "Width": 896,
    "ModelHash": None,
    "ModelName": "sdxl/juggernautXL_v9Rdphoto2Lightning.safetensors",
    "FrameCount": 0,
    "ModelVersionId": None,
}


def test_stability_matrix_webp_parameters_json_in_exif_image_description() -> None:
    rec = _read(_sm_webp(json.dumps(SM_JSON)), "Inference_20251201153344_2718281828.webp")
    assert rec.tool == "stabilitymatrix"
    assert (rec.prompt, rec.negative_prompt) == ("cafe terrace at night, oil painting", "blurry, lowres")
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.sampler) == (2718281828, 28, 6.5, "DPM++ 2M Karras")
    assert (rec.width, rec.height) == (896, 1152)
    assert rec.model == "sdxl/juggernautXL_v9Rdphoto2Lightning.safetensors"


def test_other_json_in_exif_image_description_is_not_stability_matrix() -> None:
    """Regression guard (passes before the fix too): a JSON description without those properties."""
    rec = _read(_sm_webp(json.dumps({"title": "holiday", "rating": 5})), "holiday.webp")
    assert rec.tool != "stabilitymatrix"
