"""Round-24 probe shapes (/tmp/probe54): files written by the non-ComfyUI tools of 2025-26 that the
readers got wrong. Each test names the writer whose output it follows:

- reForge since its 2.0 rewrite (2025): ``Version: f2.0.0dev-v1.10.1RC-…`` (``launch_utils.git_tag``);
- SD.Next's hires pass: its denoise is written ``Hires strength`` (``processing_info`` / the UI's
  infotext map), not A1111's ``Denoising strength``;
- InvokeAI 5.x/6.x Upscaling tab: ``upscale_initial_image`` names the image it upscaled
  (``buildMultidiffusionUpscaleGraph``);
- SwarmUI 0.9.x refiner (``refinercontrolpercentage`` / ``refinermethod`` / ``refinerupscale``);
- Draw Things' High Resolution Fix (``hires_fix`` / ``hires_fix_start_*`` / ``hires_fix_strength``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from metadata_png_builder import build_png, itxt_chunk, text_chunk

from engine.analysis import LineageKind
from engine.metadata import read_image_bytes
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records

MTIME = datetime(2025, 11, 12, 18, 30, 44, tzinfo=UTC)


def _read(data: bytes, name: str, mtime: datetime = MTIME) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=mtime).record


def _infotext_png(params: str, prompt: str = "a cozy bookshop cat") -> bytes:
    return build_png(text_chunk("parameters", f"{prompt}\nNegative prompt: lowres\n{params}"))


# ------------------------------------------------------------------ A1111 family
def test_reforge_2025_version_is_told_from_forge_2() -> None:
    """reForge's ``git_tag()`` is ``'f' + forge_version.version + '-' + git describe``; since 2025 its
    version is ``2.0.0dev-v1.10.1RC``, so its infotext starts ``f2.`` like Forge 2's. The hyphen before
    the A1111 version is reForge's; Forge writes ``f2.0.1v1.10.1`` (and early Forge ``f0.0.17v1.8.0rc``)."""
    versions = {
        "f2.0.0dev-v1.10.1RC-latest-2311-g1d09c247": "reforge",  # reForge 2025 (forge_version 2.0.0dev-…)
        "f1.7.0-v1.10.1RC-latest-2188-g2b3c4d5e": "reforge",  # reForge 2024
        "f2.0.1v1.10.1-previous-669-gdfdcbab6": "forge",  # Forge 2
        "f0.0.17v1.8.0rc-latest-276-g29be1da7": "forge",  # early Forge
        "neo": "forge",  # Forge Neo
        "classic": "forge",  # Forge Classic
    }
    tools = {}
    for version in versions:
        params = f"Steps: 24, Sampler: Euler a, CFG scale: 6, Seed: 31337, Size: 896x1152, Version: {version}"
        tools[version] = _read(_infotext_png(params), "00205-31337.png").tool
    assert tools == versions


def test_sdnext_hires_strength_is_the_denoise() -> None:
    """SD.Next 2025 writes the hires pass's denoise as ``Hires strength``; ``Size`` stays the first pass."""
    params = (
        "Steps: 24, Size: 1024x1024, Sampler: DPM++ 2M, Seed: 13572468, CFG scale: 5, Model: juggernautXL, "
        "App: SD.Next, Version: 2a7f3c1, Pipeline: StableDiffusionXLPipeline, Operations: txt2img; hires, "
        "Hires upscaler: RealESRGAN 4x+, Hires scale: 1.5, Hires steps: 12, Hires strength: 0.4"
    )
    record = _read(_infotext_png(params), "00303-13572468.png")
    assert (record.tool, record.denoise, record.width, record.height) == ("sdnext", 0.4, 1024, 1024)
    assert record.extra["hires_upscale"] == 1.5


# ------------------------------------------------------------------ InvokeAI Upscaling tab
def _invoke_png(meta: dict[str, Any]) -> bytes:
    return build_png(text_chunk("invokeai_metadata", json.dumps(meta)))


PARENT = "7b6f2c1e-5d4a-4c3b-9e8f-1a2b3c4d5e6f.png"
FLUX = {
    "key": "k",
    "hash": "blake3:00",
    "name": "FLUX.1 Krea dev (Quantized)",
    "base": "flux",
    "type": "main",
}
HARBOUR = "an old harbour town at golden hour, fishing boats, gulls, oil painting"


def test_invokeai_upscaling_tab_names_its_source_and_is_linked_as_an_upscale() -> None:
    """InvokeAI 6.x FLUX upscale: ``upscale_initial_image.image_name`` is the image it upscaled; the
    metadata's width/height are the output's (edges from the spandrel autoscale node)."""
    parent = _read(
        _invoke_png(
            {
                "generation_mode": "flux_txt2img",
                "positive_prompt": HARBOUR,
                "width": 1024,
                "height": 768,
                "seed": 1234567,
                "steps": 28,
                "guidance": 3.5,
                "scheduler": "euler",
                "model": FLUX,
            }
        ),
        PARENT,
    )
    upscale = _read(
        _invoke_png(
            {
                "guidance": 3.5,
                "model": FLUX,
                "steps": 20,
                "creativity": 0,
                "structure": 0,
                "upscale_scale": 2,
                "upscale_initial_image": {"image_name": PARENT, "width": 1024, "height": 768},
                "width": 2048,
                "height": 1536,
                "seed": 1234567,
                "positive_prompt": HARBOUR,
            }
        ),
        "c9d8e7f6-a5b4-4c3d-8e2f-0a1b2c3d4e5f.png",
        MTIME + timedelta(minutes=2),
    )
    assert upscale.source_image == PARENT
    edges = analyze_records([parent, upscale]).lineage
    assert [(edge.parent, edge.child, edge.kind) for edge in edges] == [
        (parent.id, upscale.id, LineageKind.UPSCALE)
    ]

    # a 3.x/4.x image-to-image ``init_image`` stays the source; an entry without a name names nothing
    both = {
        "positive_prompt": HARBOUR,
        "strength": 0.6,
        "init_image": "a.png",
        "upscale_initial_image": {"image_name": "b.png"},
    }
    assert (_read(_invoke_png(both), "x.png").source_image, _read(_invoke_png(both), "x.png").denoise) == (
        "a.png",
        0.6,
    )
    assert (
        _read(_invoke_png({"positive_prompt": HARBOUR, "upscale_initial_image": {}}), "y.png").source_image
        is None
    )


# ------------------------------------------------------------------ SwarmUI refiner
def _swarm(**params: Any) -> GenerationRecord:
    base = {
        "prompt": "a vintage tram in Lisbon",
        "model": "Flux/flux1-dev-fp8",
        "seed": 7070707,
        "steps": 24,
        "cfgscale": 1,
        "width": 1024,
        "height": 1024,
        "sampler": "euler",
        "scheduler": "simple",
    }
    document = {"sui_image_params": {**base, **params}, "sui_extra_data": {"date": "2025-11-12"}}
    return _read(build_png(text_chunk("parameters", json.dumps(document, indent=2))), "1830001-a tram.png")


def test_swarmui_refiner_post_apply_percentage_is_the_denoise() -> None:
    """SwarmUI's refiner ``PostApply`` (the default method) re-noises the finished image by
    ``refinercontrolpercentage``, like an A1111 hires pass: that is the denoise, the params' size stays
    the record's size and the refiner upscale factor goes to ``extra["hires_upscale"]``."""
    record = _swarm(refinercontrolpercentage=0.3, refinermethod="PostApply", refinerupscale=2)
    assert (record.denoise, record.width, record.height) == (0.3, 1024, 1024)
    assert record.extra["hires_upscale"] == 2
    # the default method is PostApply; StepSwap hands steps to another model (a switch point, no denoise)
    no_upscale = _swarm(refinercontrolpercentage=0.2)
    assert (no_upscale.denoise, no_upscale.extra["hires_upscale"]) == (0.2, 1.0)
    assert _swarm(refinercontrolpercentage=0.2, refinermethod="StepSwap").denoise is None


def test_swarmui_zero_init_image_creativity_is_no_image_to_image() -> None:
    """Swarm 0.9.3 writes ``initimagecreativity: 0.0`` with no init image (real published metadata,
    round 10): it is no denoise, and the refiner's percentage is; a real creativity still wins."""
    assert _swarm(initimagecreativity=0.0).denoise is None
    assert (
        _swarm(initimagecreativity=0.0, refinercontrolpercentage=0.2, refinermethod="PostApply").denoise
        == 0.2
    )
    assert _swarm(initimagecreativity=0.6, refinercontrolpercentage=0.2).denoise == 0.6


# ------------------------------------------------------------------ Draw Things High Resolution Fix
def _drawthings(doc: dict[str, Any]) -> GenerationRecord:
    js = json.dumps(doc, separators=(",", ":"))
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/">'
        "<xmp:CreatorTool>Draw Things</xmp:CreatorTool><exif:UserComment><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{js}</rdf:li></rdf:Alt></exif:UserComment>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return _read(build_png(itxt_chunk("XML:com.adobe.xmp", xmp)), "a_koi_pond_in_a_zen_garden_5050.png")


KOI = {
    "c": "a koi pond in a zen garden",
    "uc": "lowres",
    "model": "juggernaut_xl_v9_f16.ckpt",
    "sampler": "DPM++ 2M Karras",
    "scale": 5,
    "seed": 5050,
    "size": "1536x1536",
    "steps": 30,
    "strength": 1,
}


def test_drawthings_hires_fix_strength_is_the_denoise_and_the_size_the_first_pass() -> None:
    """Draw Things renders ``hires_fix_start_*`` first and re-noises the upscale to ``size`` at
    ``hires_fix_strength`` (``strength`` 1 = text-to-image): the record is read as an A1111 hires pass."""
    hires = {
        "hires_fix": True,
        "hires_fix_start_width": 1024,
        "hires_fix_start_height": 1024,
        "hires_fix_strength": 0.6,
    }
    record = _drawthings({**KOI, **hires})
    assert (record.denoise, record.width, record.height) == (0.6, 1024, 1024)
    assert record.extra["hires_upscale"] == 1.5
    # an image-to-image keeps its strength and size; without the fix the keys mean nothing
    image_to_image = _drawthings({**KOI, **hires, "strength": 0.55})
    assert (image_to_image.denoise, image_to_image.width, "hires_upscale" in image_to_image.extra) == (
        0.55,
        1536,
        False,
    )
    plain = _drawthings({**KOI, **hires, "hires_fix": False})
    assert (plain.denoise, plain.width) == (None, 1536)
