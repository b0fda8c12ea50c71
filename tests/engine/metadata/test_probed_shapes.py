"""Shapes found by probing the readers with files written the way real tools and extensions write them
(none of them is among the fixtures): each test names the writer whose code it follows."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from metadata_png_builder import build_jpeg, build_png, jpeg_segment, png_chunk, text_chunk, tiff_user_comment
from PIL import Image

from engine.metadata import read_image_bytes
from engine.metadata.cbor_scan import cbor_key
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2025, 6, 30, 18, 0, 0, tzinfo=UTC)
STEPS = "Steps: 30, Sampler: Euler a, CFG scale: 6.5, Seed: 1234567890, Size: 768x512, Model: v1-5-pruned"


def _read(data: bytes, name: str = "x.png") -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _png(**texts: str) -> bytes:
    return build_png(*(text_chunk(key, value) for key, value in texts.items()))


@pytest.mark.parametrize("space", [" ", ""])
def test_a_dynamic_prompts_template_after_the_parameter_line_leaves_the_parameters_read(space: str) -> None:
    """sd-dynamic-prompts (``pnginfo_saver.py``) appends ``Template:`` / ``Negative Template:`` lines
    after A1111's parameter line (older versions without a space after the colon)."""
    text = (
        "a portrait of a snow owl\nNegative prompt: blurry, lowres\n"
        f"{STEPS}, Version: f2.0.1v1.10.1-previous-669\n"
        f"Template:{space}a portrait of a {{red fox|snow owl}}\nNegative Template:{space}blurry, lowres"
    )
    record = _read(_png(parameters=text))
    assert (record.tool, record.prompt, record.negative_prompt) == (
        "forge",
        "a portrait of a snow owl",
        "blurry, lowres",
    )
    assert (record.seed, record.steps, record.cfg_scale, record.width) == (1234567890, 30, 6.5, 768)
    parameters = record.extra["parameters"]
    assert parameters["Template"] == "a portrait of a {red fox|snow owl}"
    assert parameters["Negative Template"] == "blurry, lowres"


def test_a_prompt_line_that_starts_like_a_template_is_still_prompt() -> None:
    text = f"Template: a poster layout\nwith two lines\n{STEPS}"
    record = _read(_png(parameters=text))
    assert record.prompt == "Template: a poster layout\nwith two lines" and record.seed == 1234567890


def test_an_inline_lora_without_a_weight_applies_at_one() -> None:
    """A1111's ``extra_networks_lora.py``: no multiplier given means 1.0."""
    record = _read(_png(parameters=f"a cat <lora:detail_slider> <lora:noise:0.5> <lora:odd:x>\n{STEPS}"))
    assert record.loras == (LoraRef("detail_slider", 1.0), LoraRef("noise", 0.5), LoraRef("odd", None))


def test_a_comfyui_image_saver_infotext_with_civitai_resources_is_comfyui() -> None:
    """ComfyUI-Image-Saver writes ``Version: ComfyUI`` and, by default, ``Civitai resources``."""
    resources = json.dumps(
        [{"modelName": "Pony Diffusion V6 XL", "air": "urn:air:sdxl:checkpoint:civitai:1@2"}]
    )
    text = f"a fox\n{STEPS}, Version: ComfyUI, Civitai resources: {resources}"
    assert _read(_png(parameters=text)).tool == "comfyui"


FOOOCUS_INFOTEXT = (
    "a cat astronaut floating in space, cinematic, highly detailed\n"
    "Negative prompt: unrealistic, saturated\n"
    "Steps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 608728543346, Size: 1152x896, CFG scale: 4.0, "
    "Model: juggernautXL_v8, Raw prompt: a cat astronaut floating in space, Raw negative prompt: , "
    'Lora weights: "sd_xl_offset_example-lora_1.0: 0.1, film_grain: 0.45", Version: Fooocus v2.5.5'
)
FOOOCUS_JSON = json.dumps(
    {
        "prompt": "a cat astronaut floating in space",
        "negative_prompt": "",
        "full_prompt": ["a cat astronaut floating in space, cinematic, highly detailed"],
        "base_model": "juggernautXL_v8",
        "seed": "608728543346",
        "steps": 30,
        "guidance_scale": 4.0,
        "sampler": "dpmpp_2m_sde_gpu",
        "resolution": "(1152, 896)",
        "loras": [["sd_xl_offset_example-lora_1.0", 0.1], ["film_grain", 0.45]],
        "metadata_scheme": "fooocus",
        "version": "Fooocus v2.5.5",
    }
)


def _fooocus_exif_image(text: str, scheme: str, image_format: str) -> bytes:
    """As Fooocus' ``modules/meta_parser.py`` ``get_exif`` and ``private_logger.log`` write JPEG/WEBP."""
    exif = Image.Exif()
    exif[0x9286] = text
    exif[0x0131] = "Fooocus v2.5.5"
    exif[0x927C] = scheme
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "navy").save(buffer, image_format, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (_png(parameters=FOOOCUS_INFOTEXT, fooocus_scheme="a1111"), "f.png"),
        (_png(parameters=FOOOCUS_JSON, fooocus_scheme="fooocus"), "f.png"),
        (_fooocus_exif_image(FOOOCUS_INFOTEXT, "a1111", "WEBP"), "f.webp"),
        (_fooocus_exif_image(FOOOCUS_JSON, "fooocus", "JPEG"), "f.jpeg"),
        (_fooocus_exif_image(FOOOCUS_JSON, "fooocus", "WEBP"), "f.webp"),
    ],
)
def test_fooocus_gives_the_same_record_in_both_schemes_and_every_format(data: bytes, name: str) -> None:
    record = _read(data, name)
    assert (record.tool, record.prompt, record.negative_prompt) == (
        "fooocus",
        "a cat astronaut floating in space",
        None,
    )
    assert (record.seed, record.steps, record.cfg_scale, record.model) == (
        608728543346,
        30,
        4.0,
        "juggernautXL_v8",
    )
    assert (record.width, record.height) == (1152, 896)
    assert record.loras == (LoraRef("sd_xl_offset_example-lora_1.0", 0.1), LoraRef("film_grain", 0.45))


EASY_DIFFUSION: dict[str, Any] = {
    "prompt": "a cottage by a lake",
    "seed": 2853011471,
    "use_stable_diffusion_model": "realisticVisionV60B1_v51VAE",
    "sampler_name": "dpmpp_2m",
    "num_inference_steps": 25,
    "guidance_scale": 7.5,
    "width": 768,
    "height": 512,
    "use_lora_model": ["add_detail", "loras/more_details"],
    "lora_alpha": [0.5, 0.3],
}


def test_easy_diffusion_loras_in_chunks_in_json_and_under_display_names() -> None:
    """sdkit's ``save_dicts`` writes one PNG chunk per field as ``str(value)`` (a list becomes Python list
    text), JSON in a JPEG's UserComment; newer versions use display names."""
    chunks = _read(_png(**{key: str(value) for key, value in EASY_DIFFUSION.items()}))
    comment = tiff_user_comment(b"ASCII\0\0\0" + json.dumps(EASY_DIFFUSION).encode())
    jpeg = _read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + comment)), "e.jpeg")
    display = _read(
        _png(
            **{
                "Prompt": "a cottage",
                "Stable Diffusion model": "rv51",
                "LoRA model": "add_detail",
                "LoRA Strength": "0.5",
            }
        )
    )
    none = _read(
        _png(**{"prompt": "a cottage", "use_stable_diffusion_model": "rv51", "use_lora_model": "None"})
    )
    expected = (LoraRef("add_detail", 0.5), LoraRef("more_details", 0.3))
    assert chunks.tool == jpeg.tool == "easydiffusion"
    assert chunks.loras == jpeg.loras == expected
    assert display.loras == (LoraRef("add_detail", 0.5),)
    assert none.loras == ()


def test_a_long_cjk_prompt_in_a_utf16_user_comment_is_read_in_the_right_byte_order() -> None:
    """piexif's ``UserComment.dump(..., encoding="unicode")`` (A1111's JPEGs) is UTF-16BE; a prompt in
    CJK script has no zero byte for hundreds of bytes before the parameter line's ASCII."""
    prompt = "一位穿着红色汉服的少女站在古老的石桥上，" * 20
    comment = b"UNICODE\0" + f"{prompt}\n{STEPS}".encode("utf-16-be")
    record = _read(
        build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(comment, little_endian=False))), "a.jpg"
    )
    assert (record.tool, record.prompt, record.seed) == ("a1111", prompt, 1234567890)


def test_an_invokeai_workflow_editor_image_without_a_metadata_node_is_read_from_its_graph() -> None:
    """``image_files_disk.py`` ``save``: ``invokeai_metadata`` only when the graph has a metadata node;
    ``invokeai_graph`` (v4+) and ``invokeai_workflow`` always."""
    graph = {
        "id": "g",
        "nodes": {
            "loader": {"id": "loader", "type": "sdxl_model_loader", "model": {"name": "juggernautXL_v9"}},
            "pos": {"id": "pos", "type": "sdxl_compel_prompt", "prompt": "a paper lantern over a dark lake"},
            "neg": {"id": "neg", "type": "sdxl_compel_prompt", "prompt": "blurry"},
            "noise": {"id": "noise", "type": "noise", "seed": 1471337, "width": 1024, "height": 768},
            "denoise": {
                "id": "denoise",
                "type": "denoise_latents",
                "cfg_scale": 6.0,
                "steps": 30,
                "scheduler": "dpmpp_2m_k",
            },
        },
        "edges": [
            {"source": {"node_id": src, "field": out}, "destination": {"node_id": "denoise", "field": into}}
            for src, out, into in (
                ("pos", "conditioning", "positive_conditioning"),
                ("neg", "conditioning", "negative_conditioning"),
                ("noise", "noise", "noise"),
            )
        ],
    }
    record = _read(_png(invokeai_workflow=json.dumps({"nodes": []}), invokeai_graph=json.dumps(graph)))
    assert (record.tool, record.prompt, record.negative_prompt) == (
        "invokeai",
        "a paper lantern over a dark lake",
        "blurry",
    )
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (1471337, 30, 6.0, "dpmpp_2m_k")
    assert (record.model, record.width, record.height) == ("juggernautXL_v9", 1024, 768)
    workflow_only = _read(_png(invokeai_workflow=json.dumps({"name": "My SD1.5 workflow", "nodes": []})))
    assert workflow_only.tool == "invokeai"


def test_stability_matrix_loras_come_from_prompt_tags_and_the_graph_it_ran() -> None:
    """Inference's prompt cards load ``<lora:…>`` tags; its Lora module adds a ``LoraLoader`` node."""
    graph = {
        "CheckpointLoader_Base": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "pony.safetensors"},
        },
        "Loras_Base": {
            "class_type": "LoraLoader",
            "inputs": {
                "lora_name": "samurai_style.safetensors",
                "strength_model": 0.65,
                "strength_clip": 1.0,
                "model": ["CheckpointLoader_Base", 0],
                "clip": ["CheckpointLoader_Base", 1],
            },
        },
        "Sampler": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 9,
                "steps": 25,
                "cfg": 7.0,
                "model": ["Loras_Base", 0],
                "latent_image": ["L", 0],
            },
        },
        "L": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
    }
    parameters = {
        "PositivePrompt": "1boy, samurai <lora:autumn:0.8>",
        "Steps": 25,
        "Seed": 9,
        "ModelName": "pony",
    }
    record = _read(_png(**{"parameters-json": json.dumps(parameters), "prompt": json.dumps(graph)}))
    assert record.tool == "stabilitymatrix"
    assert record.loras == (LoraRef("autumn", 0.8), LoraRef("samurai_style.safetensors", 0.65))


def test_ruinedfooocus_loras_are_hash_then_weight_and_name() -> None:
    """``modules/async_worker.py``: ``"loras": [[sha256, "0.6 - name"]]``."""
    document = {
        "software": "RuinedFooocus",
        "Prompt": "an airship",
        "loras": [
            ["7C6BAD76EB54", "0.6 - steampunk_xl.safetensors"],
            ["0D4B6A8C7E5F", "0.25 - detail.safetensors"],
        ],
    }
    record = _read(_png(parameters=json.dumps(document)))
    assert record.loras == (LoraRef("steampunk_xl.safetensors", 0.6), LoraRef("detail.safetensors", 0.25))


def _exif_png(user_comment: str) -> bytes:
    exif = Image.Exif()
    exif[0x9286] = user_comment
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


def test_mflux_json_in_a_png_exif_user_comment_is_mflux_not_a_comfyui_graph() -> None:
    """mflux ``image_util._embed_metadata``: its metadata JSON (which has a ``prompt`` key) as EXIF."""
    metadata = {
        "mflux_version": "0.6.2",
        "model": "dev",
        "seed": 1737,
        "steps": 20,
        "guidance": 3.5,
        "lora_paths": ["/loras/Flux_Watercolor.safetensors"],
        "lora_scales": [0.9],
        "image_path": None,
        "prompt": "Luxury food photograph of an italian pizza",
    }
    record = _read(_exif_png(json.dumps(metadata)))
    assert (record.tool, record.prompt, record.seed, record.steps, record.model) == (
        "mflux",
        "Luxury food photograph of an italian pizza",
        1737,
        20,
        "dev",
    )
    assert record.cfg_scale is None and record.loras == (LoraRef("/loras/Flux_Watercolor.safetensors", 0.9),)


def test_fooocus_mre_json_comment_in_png_and_jpeg() -> None:
    """Fooocus-MRE's ``private_logger.log``: the metadata JSON as PNG ``Comment`` / JPEG comment."""
    metadata = {
        "prompt": "a white stag",
        "negative_prompt": "lowres",
        "seed": 8675309123,
        "width": 1152,
        "height": 896,
        "sampler": "dpmpp_2m_sde_gpu",
        "steps": 30,
        "cfg": 7.0,
        "base_model": "sd_xl_base_1.0.safetensors",
        "l1": "offset-lora.safetensors",
        "w1": 0.5,
        "l2": "None",
        "w2": 0.5,
        "software": "Fooocus 2.0.93 MRE",
    }
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "olive").save(buffer, "JPEG", comment=json.dumps(metadata).encode())
    for record in (_read(_png(Comment=json.dumps(metadata))), _read(buffer.getvalue(), "f.jpg")):
        assert (record.tool, record.prompt, record.seed, record.cfg_scale, record.width) == (
            "fooocus",
            "a white stag",
            8675309123,
            7.0,
            1152,
        )
        assert record.loras == (LoraRef("offset-lora.safetensors", 0.5),)


def test_a_lora_tag_with_named_multipliers_takes_the_unet_one() -> None:
    """A1111 ``extra_networks_lora.activate``: ``unet=`` is the model multiplier, ``te=`` the text
    encoder's (also the model's when ``unet`` is not given)."""
    record = _read(
        _png(parameters=f"a cat <lora:a:unet=0.8:te=0.5> <lora:b:te=0.4> <lora:c:0.7:lbw=MIDD>\n{STEPS}")
    )
    assert record.loras == (LoraRef("a", 0.8), LoraRef("b", 0.4), LoraRef("c", 0.7))


def test_an_a1111_lora_tag_of_two_numbers_is_text_encoder_then_model() -> None:
    """A1111 reads ``<lora:name:te:unet>``: the model weight is the second number (a named ``unet=`` or
    ``te=`` overrides its position; one number is both). ComfyUI's tag loaders read ``model:clip``
    instead (``tests/engine/metadata/test_comfy_stacks.py``)."""
    tags = "<lora:a:0.5:0.8> <lora:b:0.5:te=0.2> <lora:c:0.5:0.8:unet=0.3> <lora:d:0.6>"
    record = _read(_png(parameters=f"a cat {tags}\n{STEPS}"))
    assert record.loras == (LoraRef("a", 0.8), LoraRef("b", 0.2), LoraRef("c", 0.3), LoraRef("d", 0.6))


def _c2pa_png(generator: str, agent: str) -> bytes:
    store = (
        b"jumbjumdc2pa\0jumdc2ma"
        + cbor_key("claim_generator")
        + cbor_key(generator)
        + cbor_key("action")
        + cbor_key("c2pa.created")
        + cbor_key("softwareAgent")
        + cbor_key(agent)
    )
    return build_png(png_chunk(b"caBX", store))


def test_adobe_firefly_is_told_by_its_claim_generator_not_by_a_generative_fill_agent() -> None:
    """A real Firefly manifest (contentauth/verify-site #316) claims "Adobe_Firefly …"; Photoshop's
    generative fill names Adobe Firefly only as the software agent of an edit."""
    assert (
        _read(_c2pa_png("Adobe_Firefly adobe_c2pa/0.12.4 c2pa-rs/0.32.7", "Adobe Firefly")).tool == "firefly"
    )
    assert _read(_c2pa_png("Adobe Photoshop 25.9 adobe_c2pa/0.7.6", "Adobe Firefly")).tool != "firefly"


def test_civitai_resources_name_loras_only_when_no_tag_does() -> None:
    """A Civitai download of an A1111 render lists the tagged LoRA again under its model name; Image
    Saver's resources have no ``type``, only the kind inside their ``air`` id."""
    tagged = json.dumps([{"type": "lora", "modelName": "Detail Tweaker LoRA", "weight": 0.6}])
    record = _read(_png(parameters=f"a cat <lora:add_detail:0.6>\n{STEPS}, Civitai resources: {tagged}"))
    assert record.loras == (LoraRef("add_detail", 0.6),)
    untyped = json.dumps(
        [{"modelName": "Detail Tweaker XL", "weight": 0.8, "air": "urn:air:sdxl:lora:civitai:122359@135867"}]
    )
    saver = _read(_png(parameters=f"a cat\n{STEPS}, Version: ComfyUI, Civitai resources: {untyped}"))
    assert saver.tool == "comfyui" and saver.loras == (LoraRef("Detail Tweaker XL", 0.8),)


def test_ngms_is_an_a1111_setting_not_a_yodayo_marker() -> None:
    """A1111's ``processing.py`` writes ``NGMS`` (negative guidance minimum sigma) when it is set."""
    assert _read(_png(parameters=f"a cat\n{STEPS}, NGMS: 0.5, Version: v1.10.1")).tool == "a1111"
    uuid_model = "Steps: 20, Seed: 1, Size: 512x512, Model: b15b2aae-e420-41c5-bcd7-03fc36993813, NGMS: 0.5"
    assert _read(_png(parameters=f"a cat\n{uuid_model}")).tool == "yodayo"
