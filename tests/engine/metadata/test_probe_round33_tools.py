"""Round-33 probe shapes (/tmp/probe63): Fooocus 2.5.x, RuinedFooocus, SD.Next and Easy Diffusion 3.x, from
their source.

Fooocus 2.5 writes the scheduler in both of its metadata schemes: the ``fooocus`` JSON scheme as the key
``scheduler`` (``FooocusMetadataParser.to_string``), the ``a1111`` scheme as ``Scheduler: <name>`` on the
parameter line (``A1111MetadataParser.to_string`` in lllyasviel/Fooocus ``modules/meta_parser.py``; A1111's
own key is ``Schedule type``). ``modules/private_logger.py`` ``log()`` puts the text in a PNG ``parameters``
chunk with ``fooocus_scheme``, or (JPEG/WEBP) in Pillow EXIF ``UserComment`` with ``Software`` "Fooocus v…"
and ``MakerNote`` the scheme. Both schemes must give the same record, scheduler included.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)

A1111_TEXT = (
    "a red fox sleeping in fresh snow, morning light, glowing, luminous\n"
    "Negative prompt: lowres, watermark\n"
    "Steps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 2093755478, Size: 1152x896, CFG scale: 4.0, "
    'Sharpness: 2.0, ADM Guidance: "(1.5, 0.8, 0.3)", Model: juggernautXL_v8Rundiffusion, '
    "Model hash: 8421598e93, Performance: Speed, Scheduler: karras, VAE: Default (model), "
    'Raw prompt: "a red fox sleeping in fresh snow, morning light", '
    'Raw negative prompt: "lowres, watermark", '
    'Lora hashes: "pixel-art-xl: bbdc7ef47b", Lora weights: "pixel-art-xl: 0.65", Version: Fooocus v2.5.5'
)

LIGHTNING_TEXT = (
    "a paper boat on a rain puddle\n"
    "Steps: 4, Sampler: Euler, Seed: 771203955, Size: 1024x1024, CFG scale: 1.0, Sharpness: 0.0, "
    'ADM Guidance: "(1.0, 1.0, 0.0)", Model: juggernautXL_v8Rundiffusion, Model hash: 8421598e93, '
    "Performance: Lightning, Scheduler: sgm_uniform, VAE: Default (model), "
    "Raw prompt: a paper boat on a rain puddle, Raw negative prompt: , "
    'Lora hashes: "sdxl_lightning_4step_lora: bf56cf2657", Lora weights: "sdxl_lightning_4step_lora: 1.0", '
    "Version: Fooocus v2.5.5"
)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _png(text: str, scheme: str) -> bytes:
    info = PngInfo()
    info.add_text("parameters", text)
    info.add_text("fooocus_scheme", scheme)
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 100, 110)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _exif_image(text: str, scheme: str, fmt: str) -> bytes:
    """``meta_parser.get_exif``: UserComment, Software and MakerNote in a Pillow ``Image.Exif``."""
    exif = Image.Exif()
    exif[0x9286] = text
    exif[0x0131] = "Fooocus v2.5.5"
    exif[0x927C] = scheme
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 100, 110)).save(out, format=fmt, quality=95, exif=exif)
    return out.getvalue()


def test_fooocus_a1111_scheme_png_scheduler_is_read() -> None:
    rec = _read(_png(A1111_TEXT, "a1111"), "2025-01-14_21-03-11_4821.png")
    assert rec.tool == "fooocus"
    assert rec.scheduler == "karras"
    assert rec.sampler == "DPM++ 2M SDE Karras"
    assert rec.prompt == "a red fox sleeping in fresh snow, morning light"
    assert rec.negative_prompt == "lowres, watermark"
    assert rec.loras == (LoraRef("pixel-art-xl", 0.65),)


def test_fooocus_a1111_scheme_jpeg_lightning_scheduler_is_read() -> None:
    rec = _read(_exif_image(LIGHTNING_TEXT, "a1111", "JPEG"), "2025-01-14_21-10-40_1187.jpeg")
    assert rec.tool == "fooocus"
    assert rec.scheduler == "sgm_uniform"
    assert rec.sampler == "Euler"
    assert rec.steps == 4
    assert rec.negative_prompt is None
    assert rec.loras == (LoraRef("sdxl_lightning_4step_lora", 1.0),)


def test_fooocus_both_schemes_give_the_same_scheduler() -> None:
    document = {
        "prompt": "a red fox sleeping in fresh snow, morning light",
        "negative_prompt": "lowres, watermark",
        "sampler": "dpmpp_2m_sde_gpu",
        "scheduler": "karras",
        "steps": 30,
        "guidance_scale": 4.0,
        "seed": "2093755478",
        "resolution": "(1152, 896)",
        "base_model": "juggernautXL_v8Rundiffusion",
        "loras": [["pixel-art-xl", 0.65, "bbdc7ef47b"]],
        "metadata_scheme": "fooocus",
        "version": "Fooocus v2.5.5",
    }
    json_rec = _read(_png(json.dumps(dict(sorted(document.items()))), "fooocus"), "a.png")
    a1111_rec = _read(_png(A1111_TEXT, "a1111"), "b.png")
    assert json_rec.scheduler == a1111_rec.scheduler == "karras"
    assert json_rec.prompt == a1111_rec.prompt
    assert json_rec.seed == a1111_rec.seed == 2093755478
