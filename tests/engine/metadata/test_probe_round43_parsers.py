"""Round-43 probe shapes (/tmp/r43): an independent-parser cross-check for non-ComfyUI formats.

Independent parsers read for comparison: receyuki/stable-diffusion-prompt-reader
(``sd_prompt_reader/image_data_reader.py``, ``sd_prompt_reader/format/*.py``) and d3x-at/sd-parsers
(``src/sd_parsers/parsers/*.py``, sample data ``tests/test_*.py`` / ``tests/resources/parsers/*/*.py``).
Where they and Atelier disagreed, the writer's source decided:

- InvokeAI 2.x ``ldm/invoke/conditioning.py`` ``split_prompt_to_positive_and_negative`` (also
  ``get_uc_and_c``): the negative prompt is ``" ".join(re.findall(r"\\[(.*?)\\]", prompt))`` and the prompt
  has each bracket replaced by ``" "`` then ``re.sub(" +", " ", …)`` (Atelier joined with ``", "`` and left
  a double space where a bracket had been);
- Stability-AI/StableSwarmUI ``src/Utils/Image.cs``: the first ``ConvertTo`` put the JSON in EXIF
  ``Copyright`` (every format; ImageSharp writes a PNG's EXIF as ``eXIf``), ``GetMetadata`` read it from EXIF
  ``Model`` (also what sd-prompt-reader's "swarm legacy format" reads, tag 0x0110), and a 2023 build wrote
  the PNG text keyword ``Parameters`` (``TextData.Add(new("Parameters", …))``, read back case-insensitively);
  Atelier read none of these;
- MoonRide303's Fooocus-MRE ``modules/async_worker.py``: the first builds wrote ``sampler_name`` and
  ``base_model_name``; later ones ``img2img`` with ``denoise`` and ``input_image``.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

from metadata_png_builder import build_jpeg, build_png, jpeg_segment, png_chunk, text_chunk, ztxt_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2025, 12, 3, 9, 15, 0, tzinfo=UTC)

SWARM = {
    "sui_image_params": {
        "prompt": "a lighthouse at dusk, volumetric light",
        "negativeprompt": "blurry",
        "images": 1,
        "seed": 1234567,
        "steps": 20,
        "cfgscale": 7.0,
        "width": 1024,
        "height": 1024,
        "model": "OfficialStableDiffusion/sd_xl_base_1.0",
        "comfyuisampler": "euler",
        "comfyuischeduler": "normal",
    }
}


def _read(data: bytes, name: str = "image.png") -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _tiff_ifd0_ascii(tag: int, text: str) -> bytes:
    """A little-endian TIFF whose IFD0 holds one ASCII tag (what ImageSharp writes for a string tag)."""
    value = text.encode("utf-8") + b"\0"
    header = b"II" + struct.pack("<HI", 42, 8)
    value_offset = 8 + 2 + 12 + 4
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", tag, 2, len(value), value_offset) + struct.pack("<I", 0)
    return header + ifd + value


def _swarm_fields(record: GenerationRecord) -> tuple[object, ...]:
    return (
        record.tool,
        record.prompt,
        record.negative_prompt,
        record.seed,
        record.steps,
        record.cfg_scale,
        record.sampler,
        record.model,
        record.width,
        record.height,
    )


SWARM_EXPECTED = (
    "swarmui",
    "a lighthouse at dusk, volumetric light",
    "blurry",
    1234567,
    20,
    7.0,
    "euler",
    "OfficialStableDiffusion/sd_xl_base_1.0",
    1024,
    1024,
)


def test_invokeai_dream_prompt_with_two_bracketed_negatives_is_split_as_invokeai_split_it() -> None:
    dream = (
        '"a castle on a hill [blurry, lowres] at sunset, dramatic sky [text]" '
        "-s 50 -S 2980747362 -W 512 -H 768 -C 7.5 -A k_lms"
    )
    record = _read(build_png(text_chunk("Dream", dream)), "000001.2980747362.png")
    assert record.tool == "invokeai"
    assert record.prompt == "a castle on a hill at sunset, dramatic sky"
    assert record.negative_prompt == "blurry, lowres text"
    assert (record.seed, record.steps, record.width, record.height) == (2980747362, 50, 512, 768)


def test_invokeai_sd_metadata_bracket_mid_prompt_leaves_one_space() -> None:
    meta = {
        "model": "stable diffusion",
        "model_weights": "deliberateForInvoke_v08",
        "app_id": "invoke-ai/InvokeAI",
        "app_version": "2.3.0",
        "image": {
            "prompt": [{"prompt": "portrait of a knight [cartoon] in ornate armor", "weight": 1.0}],
            "steps": 30,
            "cfg_scale": 7.5,
            "height": 768,
            "width": 512,
            "seed": 42,
            "sampler": "k_euler_a",
            "type": "txt2img",
        },
    }
    record = _read(build_png(text_chunk("sd-metadata", json.dumps(meta))), "000002.42.png")
    assert (record.prompt, record.negative_prompt) == ("portrait of a knight in ornate armor", "cartoon")


def test_stableswarmui_2023_png_parameters_keyword_capitalised() -> None:
    record = _read(build_png(text_chunk("Parameters", json.dumps(SWARM, indent=2))))
    assert _swarm_fields(record) == SWARM_EXPECTED
    assert "texts" not in record.extra


def test_stableswarmui_2023_png_parameters_compressed_by_imagesharp() -> None:
    import zlib

    text = json.dumps(SWARM, indent=2)
    record = _read(build_png(ztxt_chunk("Parameters", zlib.compress(text.encode()))))
    assert _swarm_fields(record) == SWARM_EXPECTED


def test_stableswarmui_legacy_exif_model_in_jpeg() -> None:
    exif = b"Exif\0\0" + _tiff_ifd0_ascii(0x0110, json.dumps(SWARM, indent=2))
    record = _read(build_jpeg(jpeg_segment(0xE1, exif)), "image.jpg")
    assert _swarm_fields(record) == SWARM_EXPECTED
    camera = b"Exif\0\0" + _tiff_ifd0_ascii(0x0110, "Canon EOS R5")
    assert _read(build_jpeg(jpeg_segment(0xE1, camera)), "a.jpg").tool != "swarmui"


def test_stableswarmui_first_builds_exif_copyright_in_png_exif_chunk() -> None:
    record = _read(build_png(png_chunk(b"eXIf", _tiff_ifd0_ascii(0x8298, json.dumps(SWARM)))))
    assert _swarm_fields(record) == SWARM_EXPECTED


def _mre_document(**changes: object) -> str:
    doc: dict[str, object] = {
        "prompt": "a red fox in the snow",
        "negative_prompt": "blurry",
        "style": "cinematic-default",
        "seed": 42,
        "width": 1152,
        "height": 896,
        "p_txt": "cinematic still a red fox in the snow",
        "n_txt": "blurry, anime",
        "steps": 30,
        "switch": 20,
        "sharpness": 2.0,
        "cfg": 7.0,
        "base_clip_skip": -2,
        "refiner_clip_skip": -2,
        "l1": "sd_xl_offset_example-lora_1.0.safetensors",
        "w1": 0.5,
        "l2": "None",
        "w2": 0.5,
        "software": "Fooocus 1.0.40 MRE",
    }
    doc.update(changes)
    return json.dumps(doc)


def test_fooocus_mre_first_builds_sampler_name_and_base_model_name() -> None:
    text = _mre_document(
        sampler_name="dpmpp_2m_sde_gpu",
        base_model_name="sd_xl_base_1.0_0.9vae.safetensors",
        refiner_model_name="sd_xl_refiner_1.0_0.9vae.safetensors",
    )
    record = _read(build_png(text_chunk("Comment", text)), "2023-08-20_12-00-00_1234.png")
    assert record.tool == "fooocus"
    assert (record.sampler, record.model) == ("dpmpp_2m_sde_gpu", "sd_xl_base_1.0_0.9vae.safetensors")
    assert record.loras == (LoraRef("sd_xl_offset_example-lora_1.0.safetensors", 0.5),)


def test_fooocus_mre_image_to_image_denoise_and_input_image() -> None:
    text = _mre_document(
        sampler="dpmpp_2m_sde_gpu",
        scheduler="karras",
        base_model="sd_xl_base_1.0_0.9vae.safetensors",
        img2img=True,
        start_step=18,
        denoise=0.4,
        input_image="fox_sketch.png",
    )
    record = _read(build_png(text_chunk("Comment", text)), "2023-08-25_12-00-00_5678.png")
    assert (record.denoise, record.source_image) == (0.4, "fox_sketch.png")
    text_to_image = _mre_document(
        sampler="dpmpp_2m_sde_gpu", img2img=False, start_step=0, denoise=0.7, input_image=None
    )
    record = _read(build_png(text_chunk("Comment", text_to_image)), "2023-08-25_12-00-00_5679.png")
    assert (record.denoise, record.source_image) == (None, None)
