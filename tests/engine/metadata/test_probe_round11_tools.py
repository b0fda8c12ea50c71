"""Round-eleven probe shapes: metadata as the less common tools write it (Easy Diffusion, RuinedFooocus,
Tensor.Art, InvokeAI 2.2, Midjourney, Mochi Diffusion). Each test names the writer whose code it follows."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

from metadata_png_builder import build_jpeg, build_png, itxt_chunk, jpeg_segment, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef, TimePrecision

MTIME = datetime(2024, 5, 4, 3, 2, 1, tzinfo=UTC)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def test_easydiffusion_txt_format_joins_two_loras_with_comma_space() -> None:
    # save_utils.get_metadata_entries_for_request: with 'txt' among the formats the display keys are used and
    # a list value is written as ", ".join(...); sdkit save_dicts 'embed' then writes one tEXt per key.
    fields = {
        "Prompt": "a cozy cabin",
        "Negative Prompt": "people",
        "Seed": "1605431512",
        "Stable Diffusion model": "juggernautXL_v9",
        "Sampler": "dpmpp_sde",
        "Width": "1024",
        "Height": "768",
        "Steps": "6",
        "Guidance Scale": "2.0",
        "LoRA model": "add-detail-xl, cinematic_lighting_xl",
        "LoRA Strength": "0.6, 0.35",
    }
    record = _read(build_png(*(text_chunk(k, v) for k, v in fields.items())), "cabin_LT7Q2V40.png")
    assert record.tool == "easydiffusion"
    assert record.loras == (LoraRef("add-detail-xl", 0.6), LoraRef("cinematic_lighting_xl", 0.35))


def test_ruinedfooocus_2023_lora_string_with_folders_marker_and_empty_slots() -> None:
    # RuinedFooocus 2023 async_worker: "loras": "Loras:" + ",".join(f"<{name}:{weight}>"); the real example
    # in RupertAvery/DiffusionToolkit#154 has sub-folders, the menu's keyword-file emoji and <None:0.5> slots.
    doc = {
        "Prompt": "a spaceship inside an abandoned barn",
        "Negative": "photo",
        "steps": 30,
        "cfg": 5,
        "width": 1344,
        "height": 768,
        "seed": 2394374243,
        "sampler_name": "dpmpp_2m_sde_gpu",
        "scheduler": "karras",
        "base_model_name": "juggernautXL_version6Rundiffusion.safetensors",
        "loras": "Loras:<Objects\\Serenity_SDXL.safetensors \U0001f5d2\ufe0f:1>,"
        "<Detailers\\Grit-SDXL.safetensors \U0001f5d2\ufe0f:0.7>,<None:0.5>,<None:0.5>,<None:0.5>",
        "start_step": 0,
        "denoise": None,
        "software": "RuinedFooocus",
    }
    record = _read(build_png(text_chunk("parameters", json.dumps(doc))), "2023-12-06_22-53-02_7768.png")
    assert record.tool == "ruinedfooocus"
    assert record.loras == (
        LoraRef("Objects\\Serenity_SDXL.safetensors", 1.0),
        LoraRef("Detailers\\Grit-SDXL.safetensors", 0.7),
    )


def test_tensorart_lora_is_reported_once_not_as_ems_file_and_display_name() -> None:
    # Tensor.Art: the graph loads the site LoRA as 'EMS-<id>-EMS.safetensors'; generation_data.models lists it
    # under its display name. One LoRA, one entry.
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "EMS-1401459-EMS.safetensors"}},
        "2": {
            "class_type": "LoraLoader",
            "inputs": {
                "model": ["1", 0],
                "clip": ["1", 1],
                "strength_model": 0.9,
                "strength_clip": 0.9,
                "lora_name": "EMS-902311-EMS.safetensors",
            },
        },
        "3": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["2", 1], "text": "a knitted toy dinosaur"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["2", 1], "text": ""}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 768, "height": 1024, "batch_size": 1}},
        "6": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["2", 0],
                "positive": ["3", 0],
                "negative": ["4", 0],
                "latent_image": ["5", 0],
                "seed": 2091847561,
                "steps": 20,
                "cfg": 7,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1,
            },
        },
        "7": {"class_type": "VAEDecode", "inputs": {"samples": ["6", 0], "vae": ["1", 2]}},
        "8": {
            "class_type": "SaveImage",
            "inputs": {"images": ["7", 0], "filename_prefix": "812345678901234567"},
        },
    }
    data = {
        "prompt": "a knitted toy dinosaur",
        "negativePrompt": "",
        "width": 768,
        "height": 1024,
        "steps": 20,
        "cfgScale": 7,
        "seed": "2091847561",
        "baseModel": {"modelFileName": "Knit Model v1", "type": "BASE_MODEL"},
        "models": [{"type": "LORA", "modelFileName": "Knitted Toys F1", "weight": 0.9}],
        "ksamplerName": "euler",
    }
    png = build_png(
        text_chunk("generation_data", json.dumps(data) + "\x00"), text_chunk("prompt", json.dumps(graph))
    )
    record = _read(png, "812345678901234567.png")
    assert record.tool == "tensorart"
    assert record.loras == (LoraRef("Knitted Toys F1", 0.9),)


def test_invokeai_22_sd_metadata_model_id() -> None:
    # InvokeAI 2.2 args.metadata_dumps: "model": "stable diffusion", "model_id": <the weights' name>
    # (2.3 renamed it model_weights).
    meta = {
        "model": "stable diffusion",
        "model_id": "stable-diffusion-1.5",
        "app_version": "2.2.5",
        "image": {
            "prompt": [{"prompt": "a castle [blurry]", "weight": 1.0}],
            "seed": 1010101010,
            "steps": 40,
            "cfg_scale": 8.5,
            "width": 768,
            "height": 512,
            "sampler": "k_euler_a",
            "type": "txt2img",
        },
    }
    record = _read(build_png(text_chunk("sd-metadata", json.dumps(meta))), "000412.1010101010.png")
    assert record.tool == "invokeai"
    assert record.model == "stable-diffusion-1.5"
    assert (record.prompt, record.negative_prompt) == ("a castle", "blurry")


def test_midjourney_creation_time_with_milliseconds_keeps_millisecond_precision() -> None:
    png = build_png(
        text_chunk("Author", "5c1e9a7b-2d3f-4e6a-8b9c-0d1e2f3a4b5c"),
        itxt_chunk(
            "Description", "a tiny dragon in a teacup --v 7 Job ID: 3f2a1b0c-9d8e-4f7a-a6b5-c4d3e2f1a0b9"
        ),
        text_chunk("Creation Time", "2025-07-21T18:44:09.512Z"),
    )
    record = _read(png, "user_a_tiny_dragon_3f2a1b0c-9d8e-4f7a-a6b5-c4d3e2f1a0b9_2.png")
    assert record.created_at == datetime(2025, 7, 21, 18, 44, 9, 512000, tzinfo=UTC)
    assert record.created_at_precision == TimePrecision.MILLISECOND


def _iptc_app13(caption: str, program: bytes = b"Mochi Diffusion", version: bytes = b"4.7") -> bytes:
    """What Apple ImageIO writes for an IPTC dictionary in a JPEG: APP13 'Photoshop 3.0', one 8BIM 0x0404."""
    iim = b"\x1c\x02\x00\x00\x02\x00\x04"
    for dataset, value in ((120, caption.encode()), (65, program), (70, version)):
        iim += b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(value)) + value
    resource = (
        b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + (b"\x00" if len(iim) % 2 else b"")
    )
    return jpeg_segment(0xED, b"Photoshop 3.0\x00" + resource)


def test_mochi_diffusion_v1_caption_in_jpeg_iptc() -> None:
    # MochiDiffusion SDImage.metadata(): "Include in Image: …; Exclude from Image: …; Model: …; Steps: …;
    # Guidance Scale: …; Seed: …; Size: WxH; Scheduler: …; ML Compute Unit: …; Generator: Mochi Diffusion V".
    caption = (
        "Include in Image: a corgi astronaut; in space; Exclude from Image: blurry, lowres; "
        "Model: stable-diffusion-2-1_split-einsum; Steps: 25; Guidance Scale: 7.5; Seed: 2840117931; "
        "Size: 768x768; Scheduler: DPM-Solver++; ML Compute Unit: CPU & Neural Engine; "
        "Generator: Mochi Diffusion 4.7"
    )
    result = read_image_bytes(
        build_jpeg(_iptc_app13(caption)), file_name="a corgi.2840117931.jpeg", mtime=MTIME
    )
    record = result.record
    assert record.tool == "mochidiffusion"
    assert record.prompt == "a corgi astronaut; in space"
    assert record.negative_prompt == "blurry, lowres"
    assert (record.seed, record.steps, record.cfg_scale) == (2840117931, 25, 7.5)
    assert (record.sampler, record.model) == ("DPM-Solver++", "stable-diffusion-2-1_split-einsum")
    assert (record.width, record.height) == (768, 768)
    assert not result.edited  # an IPTC-only APP13 written by ImageIO is not a Photoshop re-save


def test_mochi_diffusion_v2_caption_and_png_xmp_description() -> None:
    # MetadataCodec version 2: "Metadata Version: 2" line, one "Key: value" per line, "\n" escaped in values.
    caption = (
        "Metadata Version: 2\nModel: Flux.2 Klein 4B\nSize: 1024x768\n"
        "Include in Image: a paper boat,\\nreflections\nExclude from Image: \nSeed: 991\nSteps: 4\n"
        "Guidance Scale: 1.0\nScheduler: Euler\nGenerator: Mochi Diffusion 6.1"
    )
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        '<rdf:li xml:lang="x-default">'
        + caption.replace("\n", "&#xA;")
        + "</rdf:li></rdf:Alt></dc:description>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    record = _read(build_png(itxt_chunk("XML:com.adobe.xmp", xmp)), "a paper boat.991.png")
    assert record.tool == "mochidiffusion"
    assert record.prompt == "a paper boat,\nreflections"
    assert record.negative_prompt is None
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (991, 4, 1.0, "Euler")
    assert (record.model, record.width, record.height) == ("Flux.2 Klein 4B", 1024, 768)
