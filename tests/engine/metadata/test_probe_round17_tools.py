"""Round-seventeen probe shapes (/tmp/probe47): older StableSwarmUI parameter ids and list strings, and the
``simple`` metadata scheme of the Fooocus forks SimpleSDXL / FooocusPlus. Each test names the writer whose
code it follows."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from metadata_png_builder import build_png, text_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2024, 5, 4, 3, 2, 1, tzinfo=UTC)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _swarm_png(params: dict[str, object]) -> bytes:
    # T2IParamInput.MetadataToString: indented JSON; Image.ConvertTo: PNG text 'parameters'.
    return build_png(text_chunk("parameters", json.dumps({"sui_image_params": params}, indent=2)))


def test_stableswarm_comfyui_backend_sampler_and_comma_separated_lora_lists() -> None:
    # StableSwarmUI 0.6: the ComfyUI backend's params are 'comfyuisampler' / 'comfyuischeduler'; list values
    # may be one comma-separated string (docs/Image Metadata Format.md).
    record = _read(
        _swarm_png(
            {
                "prompt": "a watercolor fox",
                "seed": 1706241,
                "comfyuisampler": "dpmpp_2m_sde",
                "comfyuischeduler": "karras",
                "loras": "watercolor_xl,fox_style_v2",
                "loraweights": "0.8,0.5",
                "date": "2023-12-14",
            }
        ),
        "1632-a watercolor fox-sd_xl_base_1.0.png",
    )
    assert record.tool == "swarmui"
    assert (record.sampler, record.scheduler) == ("dpmpp_2m_sde", "karras")
    assert record.loras == (LoraRef("watercolor_xl", 0.8), LoraRef("fox_style_v2", 0.5))


def test_stableswarm_autowebui_backend_sampler() -> None:
    # StableSwarmUI 0.5 on its auto-webui (A1111 API) backend: 'autowebuisampler' with A1111 sampler names.
    record = _read(
        _swarm_png({"prompt": "isometric bakery", "seed": 55443322, "autowebuisampler": "DPM++ 2M Karras"}),
        "isometric bakery-v1-5-pruned-emaonly-55443322.png",
    )
    assert record.sampler == "DPM++ 2M Karras"


FOOOCUSPLUS_1_0_0 = {
    # the real FooocusPlus 1.0.0 metadata quoted in fkleon/fooocus-metadata (internal/fooocusplus test)
    "ADM Guidance": "(1.5, 0.8, 0.3)",
    "Backend Engine": "SDXL-Fooocus",
    "Base Model": "elsewhereXL_v10",
    "Base Model Hash": "79fd29ab43",
    "CLIP Skip": 2,
    "Fooocus V2 Expansion": "A sunflower field, beautiful dynamic dramatic bright shining atmosphere",
    "Full Negative Prompt": ["(worst quality, low quality:1.4)"],
    "Full Prompt": [
        "A sunflower field",
        "A sunflower field, beautiful dynamic dramatic bright shining atmosphere",
    ],
    "Guidance Scale": 4.5,
    "LoRAs": [],
    "Metadata Scheme": "Fooocus",
    "Negative Prompt": "",
    "Performance": "Speed",
    "Prompt": "A sunflower field",
    "Refiner Model": "None",
    "Refiner Switch": 0.6,
    "Resolution": "(1024, 1024)",
    "Sampler": "dpmpp_2m_sde_gpu",
    "Scheduler": "karras",
    "Seed": "5256010854089202552",
    "Sharpness": 6,
    "Steps": 30,
    "Styles": "['Fooocus V2', 'Fooocus Enhance']",
    "User": "FooocusPlus",
    "VAE": "Default (model)",
    "Version": "FooocusPlus 1.0.0",
    "styles_definition": "",
}


def test_fooocusplus_simple_scheme_in_png_comment() -> None:
    # FooocusPlus / SimpleSDXL private_logger.log: scheme 'simple' -> pnginfo.add_text("Comment", ...).
    data = build_png(text_chunk("Comment", json.dumps(dict(sorted(FOOOCUSPLUS_1_0_0.items())))))
    record = _read(data, "2025-02-09_14-22-31_4417.png")
    assert record.tool == "fooocus"
    assert (record.prompt, record.negative_prompt) == ("A sunflower field", None)
    assert (record.seed, record.steps, record.cfg_scale) == (5256010854089202552, 30, 4.5)
    assert (record.sampler, record.scheduler) == ("dpmpp_2m_sde_gpu", "karras")
    assert record.model == "elsewhereXL_v10"
    assert (record.width, record.height) == (1024, 1024)


def test_fooocusplus_simple_scheme_in_jpeg_exif_with_loras() -> None:
    # get_exif: Pillow Image.Exif() with 0x9286 UserComment = the JSON, 0x0131 Software, 0x927C MakerNote =
    # 'simple'; async_worker writes 'LoRA i' = 'name : w' and to_string adds 'LoRAs' = [[name, w, hash]].
    doc = dict(
        FOOOCUSPLUS_1_0_0,
        **{
            "LoRA 1": "sd_xl_offset_example-lora_1.0 : 0.1",
            "LoRA 2": "SDXL_FILM_PHOTOGRAPHY_STYLE_V1 : 0.25",
            "LoRAs": [
                ["sd_xl_offset_example-lora_1.0", 0.1, "4852686128"],
                ["SDXL_FILM_PHOTOGRAPHY_STYLE_V1", 0.25, "e31c2b6e0a"],
            ],
            "Negative Prompt": "cartoon, painting",
            "Resolution": "(896, 1152)",
        },
    )
    exif = Image.Exif()
    exif[0x9286] = json.dumps(dict(sorted(doc.items())))
    exif[0x0131] = "FooocusPlus 1.0.5.Hotfix 2, Preset: Default"
    exif[0x927C] = "simple"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG", quality=95, exif=exif)
    record = _read(buffer.getvalue(), "2025-02-09_14-25-02_8830.jpeg")
    assert record.tool == "fooocus"
    assert (record.prompt, record.negative_prompt) == ("A sunflower field", "cartoon, painting")
    assert (record.width, record.height) == (896, 1152)
    assert record.loras == (
        LoraRef("sd_xl_offset_example-lora_1.0", 0.1),
        LoraRef("SDXL_FILM_PHOTOGRAPHY_STYLE_V1", 0.25),
    )


def test_early_simplesdxl_bracketed_lora_weight_keys() -> None:
    # Early SimpleSDXL wrote 'LoRA [name] weight': w (what its meta_parser.params_lora_fixed converts back).
    doc = {
        "Prompt": "a lone samurai on a misty bridge",
        "Base Model": "juggernautXL_v8Rundiffusion",
        "Resolution": "(896, 1152)",
        "Seed": "1357924680",
        "LoRA [sd_xl_offset_example-lora_1.0] weight": 0.1,
        "LoRA [samurai_ink_xl] weight": 0.7,
        "Metadata Scheme": "simple",
    }
    record = _read(build_png(text_chunk("Comment", json.dumps(doc))), "2024-03-09_06-15-40_7302.png")
    assert record.tool == "fooocus"
    assert record.loras == (LoraRef("sd_xl_offset_example-lora_1.0", 0.1), LoraRef("samurai_ink_xl", 0.7))


def test_simple_scheme_numbered_loras_keep_their_ui_slot_numbers() -> None:
    # async_worker: d.append((f'LoRA {li + 1}', ...)) for each slot whose name is not 'None', so an empty
    # second slot leaves 'LoRA 1' and 'LoRA 3'.
    doc = {
        "Prompt": "a koi pond in autumn",
        "Base Model": "juggernautXL_v8Rundiffusion",
        "Resolution": "(1152, 896)",
        "LoRA 1": "sd_xl_offset_example-lora_1.0 : 0.1",
        "LoRA 3": "koi_xl : 0.55",
    }
    record = _read(build_png(text_chunk("Comment", json.dumps(doc))), "2025-03-01_08-00-00_1234.png")
    assert record.loras == (LoraRef("sd_xl_offset_example-lora_1.0", 0.1), LoraRef("koi_xl", 0.55))
