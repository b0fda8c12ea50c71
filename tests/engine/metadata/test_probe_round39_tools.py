"""Round-39 probe shapes (/tmp/r39): non-ComfyUI writers of 2025-26, transcribed from their source:

- mflux's current metadata (filipstrand/mflux ``src/mflux/utils/generated_image.py`` ``_get_metadata``,
  ``src/mflux/utils/image_util.py`` ``_embed_metadata``, ``src/mflux/utils/metadata_builder.py``
  ``embed_metadata``): the JSON in EXIF ``UserComment`` (``ASCII`` prefix, PNG ``eXIf``) now holds
  ``width`` / ``height``, ``negative_prompt``, ``created_at`` (``datetime.now().isoformat()``, a local
  wall clock) and, for the edit models (Qwen-Image-Edit, Kontext), ``image_paths``; the PNG is then
  re-saved with an XMP packet and an ``IPTC`` hex text beside it;
- InvokeAI's high resolution fix: the Generate tab's ``addHighResFix.ts`` (``hrf_method`` ``latent`` /
  ``upscale_model``, ``hrf_scale``, metadata ``width`` / ``height`` the final size) and the 5.x canvas
  graphs' ``addHRF.ts`` (no ``hrf_scale``: the first pass is ``calculateHrfRes`` of the final size and
  ``getOptimalDimension`` of the model base, ``common/util/roundDownToMultiple.ts`` ``roundToMultiple``,
  ``features/parameters/util/optimalDimension.ts``) — both under
  ``invokeai/frontend/web/src/features/nodes/util/graph/generation/`` of invoke-ai/InvokeAI;
- SD.Next's hires pass to a fixed size (vladmandic/sdnext ``modules/processing_info.py``
  ``create_infotext``: ``Hires fixed`` / ``Hires size``, no ``Hires scale``);
- A1111's hires "Resize to" (AUTOMATIC1111 ``modules/processing.py``
  ``StableDiffusionProcessingTxt2Img.calculate_target_resolution``): ``Hires resize: 0x1824`` keeps the
  aspect from the given side, and a target of another aspect is cropped from an upscale that covers it.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from metadata_png_builder import build_png, text_chunk, tiff_user_comment
from PIL import Image, PngImagePlugin

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef, TimePrecision

MTIME = datetime(2025, 12, 3, 9, 15, 0, tzinfo=UTC)
"""A later copy's mtime."""


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _fields(record: GenerationRecord, names: tuple[str, ...]) -> dict[str, Any]:
    """The record's fields by name; ``hires_upscale`` is read from ``extra``."""
    return {
        name: record.extra.get(name) if name == "hires_upscale" else getattr(record, name) for name in names
    }


def check(record: GenerationRecord, expected: dict[str, Any]) -> None:
    assert _fields(record, tuple(expected)) == expected


# ------------------------------------------------------------------ mflux
def _mflux_png(metadata: dict[str, Any], width: int = 64, height: int = 40) -> bytes:
    """What mflux's ``ImageUtil.save_image`` leaves: ``image.save(path)``, then ``_embed_metadata`` re-saves
    with ``exif=`` (``piexif.dump`` of ``{"Exif": {0x9286: b"ASCII\\0\\0\\0" + json.dumps(metadata)}}``), then
    ``MetadataBuilder.embed_metadata`` re-opens it and saves again with an ``XML:com.adobe.xmp`` text and an
    ``IPTC`` hex text, the EXIF passed on."""
    comment = b"ASCII\x00\x00\x00" + json.dumps(metadata).encode("utf-8")
    exif = b"Exif\x00\x00" + tiff_user_comment(comment)
    first = io.BytesIO()
    Image.new("RGB", (width, height), (40, 60, 90)).save(first, format="PNG", exif=exif)
    image = Image.open(io.BytesIO(first.getvalue()))
    info = PngImagePlugin.PngInfo()
    prompt = str(metadata.get("prompt", "")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    info.add_text(
        "XML:com.adobe.xmp",
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:mflux="http://ns.mflux.ai/1.0/">\n'
        '    <dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{prompt}</rdf:li></rdf:Alt></dc:description>\n"
        f"    <xmp:CreatorTool>MFLUX {metadata['mflux_version']}</xmp:CreatorTool>\n"
        f"    <mflux:seed>{metadata['seed']}</mflux:seed>\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>',
    )
    info.add_text("IPTC", (b"\x1c\x02\x50\x00\x05MFLUX").hex())
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=image.info["exif"])
    return out.getvalue()


def _mflux_metadata(**overrides: Any) -> dict[str, Any]:
    """``GeneratedImage._get_metadata`` (every key, in its order) for a Qwen-Image text-to-image."""
    metadata: dict[str, Any] = {
        "mflux_version": "0.13.1",
        "model": "Qwen/Qwen-Image",
        "base_model": "None",
        "seed": 1703212,
        "steps": 30,
        "guidance": None,  # ModelConfig.qwen_image(): supports_guidance is None
        "height": 928,
        "width": 1664,
        "precision": "mlx.core.bfloat16",
        "quantize": 8,
        "generation_time_seconds": 212.48,
        "created_at": "2025-11-02T14:31:07.512348",
        "lora_paths": ["/Users/ana/loras/ink_wash.safetensors"],
        "lora_scales": [0.7],
        "image_path": None,
        "image_paths": None,
        "image_strength": None,
        "controlnet_image_path": None,
        "controlnet_strength": None,
        "masked_image_path": None,
        "depth_image_path": None,
        "redux_image_paths": None,
        "redux_image_strengths": None,
        "prompt": "an ink-wash landscape, misty mountains, a lone boat",
        "negative_prompt": "blurry, text, watermark",
    }
    metadata.update(overrides)
    return metadata


def test_mflux_current_metadata_gives_size_negative_prompt_and_its_creation_time() -> None:
    """``width`` / ``height`` are the generation size, ``negative_prompt`` the negative, and ``created_at``
    the wall-clock time mflux wrote the image (``datetime.now().isoformat()``: local, microseconds)."""
    record = _read(_mflux_png(_mflux_metadata()), "image.png")
    check(
        record,
        {
            "tool": "mflux",
            "prompt": "an ink-wash landscape, misty mountains, a lone boat",
            "negative_prompt": "blurry, text, watermark",
            "seed": 1703212,
            "steps": 30,
            "cfg_scale": None,
            "model": "Qwen/Qwen-Image",
            "loras": (LoraRef("/Users/ana/loras/ink_wash.safetensors", 0.7),),
            "width": 1664,
            "height": 928,
            "denoise": None,
            "source_image": None,
            "created_at": datetime(2025, 11, 2, 14, 31, 7, 512348, tzinfo=UTC),
            "created_at_source": "metadata:created_at",
            "created_at_precision": TimePrecision.MILLISECOND,
        },
    )


def test_mflux_edit_model_names_its_input_image_in_image_paths() -> None:
    """Qwen-Image-Edit / Kontext runs pass ``image_paths`` (``image_path`` stays ``None``); one input image
    is the source the edit was made from. Several inputs name no single source."""
    metadata = _mflux_metadata(
        model="Qwen/Qwen-Image-Edit-2509",
        prompt="make the boat red",
        negative_prompt=None,
        lora_paths=None,
        lora_scales=None,
        image_paths=["/Users/ana/mflux/image.png"],
        width=1024,
        height=576,
    )
    record = _read(_mflux_png(metadata), "image_1.png")
    expected = {
        "tool": "mflux",
        "prompt": "make the boat red",
        "negative_prompt": None,
        "model": "Qwen/Qwen-Image-Edit-2509",
        "width": 1024,
        "height": 576,
        "denoise": None,
        "source_image": "/Users/ana/mflux/image.png",
    }
    check(record, expected)

    metadata["image_paths"] = ["/Users/ana/mflux/image.png", "/Users/ana/refs/boat.png"]
    record = _read(_mflux_png(metadata), "image_2.png")
    check(record, {**expected, "source_image": None})


# ------------------------------------------------------------------ InvokeAI
SDXL_MODEL = {
    "key": "4d9b2a3c-5e61-4f0a-9c1e-2b7d8e6f1a30",
    "hash": "blake3:6bd4b1f3d1a4b6c2e0f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a39",
    "name": "juggernautXL_v9",
    "base": "sdxl",
    "type": "main",
}
SD1_MODEL = {
    "key": "0f3c1e2d-7a84-4b9e-8d21-6c5f4e3a2b10",
    "hash": "blake3:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
    "name": "dreamshaper_8",
    "base": "sd-1",
    "type": "main",
}


def _invoke_png(metadata: dict[str, Any]) -> bytes:
    # InvokeAI's image_files_disk.save: PNG texts invokeai_metadata (+ invokeai_graph, not needed here)
    return build_png(text_chunk("invokeai_metadata", json.dumps(metadata)), width=16, height=16)


def test_invokeai_generate_tab_latent_hrf_is_a_hires_pass_of_the_first_size() -> None:
    """``addLatentHighResFix``: metadata ``width`` / ``height`` are the final size
    (``roundDownToMultiple(dimensions * hrfScale, grid)``), ``hrf_strength`` the second pass's denoise
    (``denoising_start = 1 - hrfStrength``). The record keeps the first pass and the factor."""
    metadata = {
        "generation_mode": "sdxl_txt2img",
        "positive_prompt": "a lighthouse at dusk, volumetric light",
        "negative_prompt": "lowres",
        "width": 1248,
        "height": 1824,
        "seed": 90210,
        "cfg_scale": 5.5,
        "cfg_rescale_multiplier": 0,
        "steps": 30,
        "scheduler": "dpmpp_2m_k",
        "model": SDXL_MODEL,
        "hrf_enabled": True,
        "hrf_method": "latent",
        "hrf_strength": 0.45,
        "hrf_scale": 1.5,
        "hrf_latent_interpolation_mode": "bilinear",
    }
    record = _read(_invoke_png(metadata), "5f1c9e0a-2b3d-4c5e-8f70-1a2b3c4d5e6f.png")
    check(
        record,
        {
            "tool": "invokeai",
            "prompt": "a lighthouse at dusk, volumetric light",
            "seed": 90210,
            "steps": 30,
            "cfg_scale": 5.5,
            "sampler": "dpmpp_2m_k",
            "model": "juggernautXL_v9",
            "width": 832,
            "height": 1216,
            "denoise": 0.45,
            "hires_upscale": 1.5,
        },
    )


def test_invokeai_hrf_with_a_nonsense_size_keeps_the_rest_of_the_record() -> None:
    """A crafted file's negative or zero size with the fix enabled is left as read: the pass is not
    worked out (no square root of a negative aspect), and the prompt and seed are not lost with it."""
    for width, height in ((-5, 1024), (1024, 0), (0, 0)):
        metadata = {
            "generation_mode": "txt2img",
            "positive_prompt": "a lighthouse at dusk",
            "width": width,
            "height": height,
            "seed": 7,
            "model": SDXL_MODEL,
            "hrf_enabled": True,
            "hrf_strength": 0.45,
        }
        record = _read(_invoke_png(metadata), "a.png")
        assert (record.prompt, record.seed, record.denoise) == ("a lighthouse at dusk", 7, None)
        assert "hires_upscale" not in record.extra
        assert not record.extra.get("metadata_errors"), record.extra.get("metadata_errors")


def test_invokeai_generate_tab_upscale_model_hrf() -> None:
    """``addUpscaleModelHighResFix`` (SD1.5/SDXL): the final size comes from the Spandrel autoscale node's
    output (``addEdgeToMetadata``), the denoise is ``hrf_strength`` and the factor ``hrf_scale``."""
    metadata = {
        "generation_mode": "txt2img",
        "positive_prompt": "portrait of an old fisherman, film grain",
        "negative_prompt": "",
        "width": 1024,
        "height": 1536,
        "seed": 4242,
        "cfg_scale": 7,
        "steps": 28,
        "scheduler": "euler_a",
        "model": SD1_MODEL,
        "hrf_enabled": True,
        "hrf_method": "upscale_model",
        "hrf_strength": 0.35,
        "hrf_scale": 2,
        "hrf_upscale_model": {
            "key": "c1",
            "hash": "h",
            "name": "4x-UltraSharp",
            "base": "any",
            "type": "spandrel",
        },
        "hrf_tile_controlnet_model": {
            "key": "c2",
            "hash": "h",
            "name": "tile",
            "base": "sd-1",
            "type": "controlnet",
        },
        "hrf_structure": 0,
        "hrf_tile_size": 1024,
        "hrf_tile_overlap": 128,
    }
    record = _read(_invoke_png(metadata), "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d.png")
    check(
        record,
        {"model": "dreamshaper_8", "width": 512, "height": 768, "denoise": 0.35, "hires_upscale": 2.0},
    )


def test_invokeai_canvas_hrf_first_pass_is_calculate_hrf_res() -> None:
    """5.x canvas ``addHRF``: no ``hrf_scale``; the noise runs at ``calculateHrfRes(optimal, w, h)``
    (SD1.5's optimal dimension 512: 1024x1536 -> sqrt(512² x 2/3) = 418.0 -> 416, 627.1 -> 624, each
    ``roundToMultiple(floor(x), 8)``), the image is resized to the document size and re-denoised from
    ``1 - hrfStrength``."""
    metadata = {
        "generation_mode": "txt2img",
        "positive_prompt": "a castle on a floating island",
        "negative_prompt": "blurry",
        "width": 1024,
        "height": 1536,
        "seed": 777,
        "cfg_scale": 7.5,
        "steps": 25,
        "scheduler": "dpmpp_2m",
        "model": SD1_MODEL,
        "hrf_strength": 0.45,
        "hrf_enabled": True,
        "hrf_method": "ESRGAN",
    }
    record = _read(_invoke_png(metadata), "e2d1c0b9-a8f7-4e6d-8c5b-4a3f2e1d0c9b.png")
    check(
        record,
        {"width": 416, "height": 624, "denoise": 0.45, "hires_upscale": round(1024 / 416, 4)},
    )

    # SDXL (optimal 1024) at 1536x1536: the first pass is 1024x1024; hrf_enabled false is no hires pass
    sdxl = {**metadata, "model": SDXL_MODEL, "width": 1536, "height": 1536}
    record = _read(_invoke_png(sdxl), "sdxl.png")
    check(record, {"width": 1024, "height": 1024, "denoise": 0.45, "hires_upscale": 1.5})
    record = _read(_invoke_png({**sdxl, "hrf_enabled": False}), "off.png")
    check(record, {"width": 1536, "height": 1536, "denoise": None, "hires_upscale": None})


# ------------------------------------------------------------------ SD.Next and A1111 hires targets
def _infotext_png(params: str, prompt: str = "a red fox in fresh snow") -> bytes:
    return build_png(text_chunk("parameters", f"{prompt}\nNegative prompt: lowres\n{params}"))


def test_sdnext_hires_to_a_fixed_size_gives_the_factor() -> None:
    """``create_infotext`` writes ``Hires fixed`` (the requested size) and ``Hires size`` (the size the pass
    ran at) instead of ``Hires scale`` when the target was given as a size; ``Hires strength`` (latent or
    forced pass) is its denoise."""
    params = (
        "Steps: 20, Size: 832x1216, Sampler: DPM++ 2M, Seed: 5150, CFG scale: 6, App: SD.Next, "
        "Version: 3e9b1a2, Pipeline: StableDiffusionXLPipeline, Operations: hires; txt2img, "
        "Model: juggernautXL_v9, Model hash: c9e3e68f89, Refine: True, HiRes mode: 1, "
        "Hires upscaler: Latent, Hires fixed: 1248x1824, Hires size: 1248x1824, Hires force: False, "
        "Hires steps: 10, Hires strength: 0.4, Hires sampler: DPM++ 2M, Hires CFG scale: 6"
    )
    record = _read(_infotext_png(params), "00042-20251201.png")
    check(
        record,
        {"tool": "sdnext", "width": 832, "height": 1216, "denoise": 0.4, "hires_upscale": 1.5},
    )


def test_a1111_hires_resize_with_a_zero_side_keeps_the_aspect() -> None:
    """``Hires resize: 0x1824``: width 0 means ``hr_upscale_to_x = 1824 * 832 // 1216`` = 1248, a 1.5x
    pass (not a factor of 0)."""
    params = (
        "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 31337, Size: 832x1216, "
        "Model hash: 879db523c3, Model: dreamshaper_8, Denoising strength: 0.5, Hires resize: 0x1824, "
        "Hires upscaler: 4x-UltraSharp, Version: v1.10.1"
    )
    record = _read(_infotext_png(params), "00107-31337.png")
    check(record, {"tool": "a1111", "width": 832, "height": 1216, "denoise": 0.5, "hires_upscale": 1.5})


def test_a1111_hires_resize_to_another_aspect_is_cropped_from_a_covering_upscale() -> None:
    """``Hires resize: 1536x1536`` from a 1216x832 first pass: the source is wider than the target, so
    A1111 upscales to cover the height (``hr_upscale_to_x = 1536 * 1216 // 832`` = 2244, factor 1.85)
    and crops; the factor is not 1536 / 1216."""
    params = (
        "Steps: 28, Sampler: Euler a, CFG scale: 7, Seed: 2024, Size: 1216x832, Model hash: 879db523c3, "
        "Model: dreamshaper_8, Denoising strength: 0.4, Hires resize: 1536x1536, Hires upscaler: Latent, "
        "Version: v1.10.1"
    )
    record = _read(_infotext_png(params), "00108-2024.png")
    check(record, {"width": 1216, "height": 832, "denoise": 0.4, "hires_upscale": 1.85})
