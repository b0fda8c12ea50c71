"""ComfyUI API-format graphs for reader tests: nodes and links, a plain sampled graph, graphs several
probe rounds share (Impact's regional prompt graph), reading one as the PNG ComfyUI's SaveImage writes
(a ``prompt`` text chunk), and the settings a test compares."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

Graph = dict[str, dict[str, Any]]
MTIME = datetime(2026, 1, 3, tzinfo=UTC)


def node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def read(graph: Graph, file_name: str = "ComfyUI_00001_.png") -> GenerationRecord:
    data = build_png(text_chunk("prompt", json.dumps(graph)))
    return read_image_bytes(data, file_name=file_name, mtime=MTIME).record


def sampled(latent: list[Any] | None = None, **overrides: Any) -> Graph:
    """Checkpoint ``4``, encoders ``6``/``7``, a 1024 × 1024 latent ``5``, KSampler ``3`` on ``latent``
    (default ``5``; its inputs overridable, ``model`` included), decode ``8`` and save ``9``."""
    sampler = {
        "seed": 11,
        "steps": 20,
        "cfg": 6.0,
        "sampler_name": "euler",
        "scheduler": "normal",
        "denoise": 1.0,
        "model": ["4", 0],
        "positive": ["6", 0],
        "negative": ["7", 0],
        "latent_image": latent or ["5", 0],
    }
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
        "6": node("CLIPTextEncode", text="a lighthouse at dusk", clip=["4", 1]),
        "7": node("CLIPTextEncode", text="blurry", clip=["4", 1]),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": node("KSampler", **(sampler | overrides)),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }


def lora_sampled(
    output: dict[str, Any],
    *,
    checkpoint: str,
    positive: str,
    negative: str,
    seed: int,
    lora_strength: float,
    upscale: dict[str, Any] | None = None,
    hires_seed: int | None = None,
    hires_denoise: float = 0.5,
) -> Graph:
    """Checkpoint ``4`` + LoraLoader ``10`` (``add-detail-xl``, ``lora_strength``) + encoders ``6``/``7``
    + KSampler ``3`` (30 steps, CFG 6.5, dpmpp_2m / karras) on a 1024 × 1024 latent ``5``, decoded by
    ``8`` into ``output`` ``9`` (whose image input the caller links to ``["8", 0]``). With ``upscale``
    (an upscale-latent node; its ``samples`` is linked to ``3``) as ``11``, a second KSampler ``12``
    (``hires_seed``, default ``seed``; 15 steps, ``hires_denoise``) feeds the decode: a hires pass."""
    graph: Graph = {
        "4": node("CheckpointLoaderSimple", ckpt_name=checkpoint),
        "10": node(
            "LoraLoader",
            lora_name="add-detail-xl.safetensors",
            strength_model=lora_strength,
            strength_clip=lora_strength,
            model=["4", 0],
            clip=["4", 1],
        ),
        "6": node("CLIPTextEncode", text=positive, clip=["10", 1]),
        "7": node("CLIPTextEncode", text=negative, clip=["10", 1]),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": node(
            "KSampler",
            seed=seed,
            steps=30,
            cfg=6.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            model=["10", 0],
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["5", 0],
        ),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": output,
    }
    if upscale is not None:
        graph["11"] = {
            "class_type": upscale["class_type"],
            "inputs": upscale["inputs"] | {"samples": ["3", 0]},
        }
        graph["12"] = node(
            "KSampler",
            seed=seed if hires_seed is None else hires_seed,
            steps=15,
            cfg=6.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=hires_denoise,
            model=["10", 0],
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["11", 0],
        )
        graph["8"]["inputs"]["samples"] = ["12", 0]
    return graph


def ui_node(
    node_id: int,
    node_type: str,
    *,
    inputs: tuple[tuple[str, str, int | None], ...] = (),
    outputs: tuple[tuple[str, str, list[int]], ...] = (),
    widgets: list[Any] | dict[str, Any] | None = None,
    mode: int = 0,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A UI-format (litegraph) node: ``inputs`` as ``(name, type, link id)``, ``outputs`` as
    ``(name, type, link ids)``; positional (or VideoHelperSuite dict) ``widgets``."""
    return {
        "id": node_id,
        "type": node_type,
        "mode": mode,
        "inputs": [{"name": name, "type": kind, "link": link} for name, kind, link in inputs],
        "outputs": [{"name": name, "type": kind, "links": links} for name, kind, links in outputs],
        "properties": properties or {},
        "widgets_values": widgets if widgets is not None else [],
    }


def read_workflow(workflow: dict[str, Any], file_name: str = "ComfyUI_00001_.png") -> GenerationRecord:
    """The record of a PNG that carries only the UI ``workflow`` chunk (no ``prompt``)."""
    data = build_png(text_chunk("workflow", json.dumps(workflow)))
    return read_image_bytes(data, file_name=file_name, mtime=MTIME).record


class UiWorkflow:
    """A UI-format (litegraph) workflow built node by node, as the frontend saves it: each node's
    positional ``widgets_values``, its inputs (a 3-tuple ``(name, type, widget)`` is a widget converted
    to an input) and outputs; links are numbered in the order :meth:`link` makes them and carry real
    slots. :meth:`save` decodes a latent with a VAE and saves it as ``SaveImage`` ``ComfyUI`` would."""

    def __init__(self) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.links: list[list[Any]] = []

    def add(
        self,
        node_id: int,
        node_type: str,
        widgets: list[Any] | None = None,
        inputs: tuple[tuple[str, ...], ...] = (),
        outputs: tuple[tuple[str, str], ...] = (),
        mode: int = 0,
    ) -> None:
        """Add a node (``mode`` 4 = bypassed, 2 = muted)."""
        self.nodes[node_id] = {
            "id": node_id,
            "type": node_type,
            "mode": mode,
            "inputs": [
                {"name": entry[0], "type": entry[1], "link": None}
                | ({"widget": {"name": entry[2]}} if len(entry) > 2 else {})
                for entry in inputs
            ],
            "outputs": [{"name": name, "type": kind, "links": []} for name, kind in outputs],
            "properties": {"Node name for S&R": node_type},
            "widgets_values": widgets if widgets is not None else [],
        }

    def link(self, origin: int, slot: int, target: int, name: str) -> None:
        """Link output ``slot`` of ``origin`` to the input called ``name`` of ``target``."""
        inputs = self.nodes[target]["inputs"]
        index = next(i for i, entry in enumerate(inputs) if entry["name"] == name)
        link_id = len(self.links) + 1
        inputs[index]["link"] = link_id
        self.nodes[origin]["outputs"][slot]["links"].append(link_id)
        self.links.append([link_id, origin, slot, target, index, inputs[index]["type"]])

    def save(self, latent: tuple[int, int], vae: tuple[int, int]) -> dict[str, Any]:
        """Decode ``latent`` (node, output slot) with ``vae`` and save it; the workflow document."""
        self.add(
            980, "VAEDecode", inputs=(("samples", "LATENT"), ("vae", "VAE")), outputs=(("IMAGE", "IMAGE"),)
        )
        self.add(990, "SaveImage", ["ComfyUI"], inputs=(("images", "IMAGE"),))
        self.link(*latent, 980, "samples")
        self.link(*vae, 980, "vae")
        self.link(980, 0, 990, "images")
        return self.document()

    def save_image(self, image: tuple[int, int]) -> dict[str, Any]:
        """Save ``image`` (node, output slot: an IMAGE, a partner node's or a decoder's) with
        ``SaveImage``; the workflow document."""
        self.add(990, "SaveImage", ["ComfyUI"], inputs=(("images", "IMAGE"),))
        self.link(*image, 990, "images")
        return self.document()

    def document(self) -> dict[str, Any]:
        """The workflow document as the frontend saves it (nodes, links, version)."""
        return {"nodes": list(self.nodes.values()), "links": self.links, "extra": {}, "version": 0.4}


def link(node_id: int, output: int = 0) -> list[Any]:
    return [str(node_id), output]


def record_settings(record: GenerationRecord) -> tuple[Any, ...]:
    """Seed, steps, CFG, sampler, scheduler, model, LoRAs (name, weight) and size of a read record."""
    return (
        record.seed,
        record.steps,
        record.cfg_scale,
        record.sampler,
        record.scheduler,
        record.model,
        [(lora.name, lora.weight) for lora in record.loras],
        record.width,
        record.height,
    )


REGIONAL_BASE = "photorealistic:1.4, 1girl and 1man sitting in the cafe"
REGIONAL_GIRL = "photorealistic:1.4, 1girl wear red hat"
REGIONAL_MAN = "photorealistic:1.4, 1 man wear jeans"
REGIONAL_MODEL = "V07_v07.safetensors"


def regional_provider(pipe: int) -> dict[str, Any]:
    """Impact's ``KSamplerAdvancedProvider`` on the pipe ``pipe`` (euler / normal, CFG 8)."""
    return node(
        "KSamplerAdvancedProvider", cfg=8.0, sampler_name="euler", scheduler="normal", basic_pipe=link(pipe)
    )


def regional_prompt_graph() -> Graph:
    """Impact Pack's ``test/regional_prompt.json`` (round 35): a ``RegionalSampler`` with a base
    provider and two ``RegionalPrompt`` regions, each its own provider on a pipe whose positive
    ``EditBasicPipe`` replaced."""
    return {
        "50": node("CheckpointLoaderSimple", ckpt_name=REGIONAL_MODEL),
        "51": node("CLIPTextEncode", text=REGIONAL_BASE, clip=link(50, 1)),
        "52": node("CLIPTextEncode", text="lowres, bad anatomy", clip=link(50, 1)),
        "5": node(
            "ToBasicPipe",
            model=link(50),
            clip=link(50, 1),
            vae=link(50, 2),
            positive=link(51),
            negative=link(52),
        ),
        "6": node("FromBasicPipe", basic_pipe=link(5)),
        "10": node("CLIPTextEncode", text=REGIONAL_GIRL, clip=link(6, 1)),
        "18": node("CLIPTextEncode", text=REGIONAL_MAN, clip=link(6, 1)),
        "9": node("EditBasicPipe", basic_pipe=link(5), positive=link(10)),
        "17": node("EditBasicPipe", basic_pipe=link(5), positive=link(18)),
        "4": regional_provider(5),
        "13": regional_provider(9),
        "21": regional_provider(17),
        "1": node(
            "LoadImage", image="clipspace/clipspace-mask-1650741.700000003.png [input]", upload="image"
        ),
        "15": node("LoadImage", image="clipspace/clipspace-mask-1683237.5.png [input]", upload="image"),
        "12": node("RegionalPrompt", mask=link(1, 1), advanced_sampler=link(13)),
        "20": node("RegionalPrompt", mask=link(15, 1), advanced_sampler=link(21)),
        "22": node("CombineRegionalPrompts", regional_prompts1=link(12), regional_prompts2=link(20)),
        "14": node("EmptyLatentImage", width=1024, height=768, batch_size=1),
        "2": node(
            "RegionalSampler",
            seed=212608453650633,
            seed_2nd=0,
            seed_2nd_mode="ignore",
            steps=20,
            base_only_steps=1,
            denoise=1.0,
            samples=link(14),
            base_sampler=link(4),
            regional_prompts=link(22),
            overlap_factor=10,
            restore_latent=True,
            additional_mode="ratio between",
            additional_sampler="AUTO",
            additional_sigma_ratio=0.3,
        ),
        "7": node("VAEDecode", samples=link(2), vae=link(6, 2)),
        "8": node("PreviewImage", images=link(7)),
    }


MOODY_TEXT = (
    "Proportional portrait photo, middle shot of a female Korean idol, in front of a tteokbokki "
    "restaurant, a plate of tteokbokki in front, the female idol is looking at the tteokbokki with a "
    "delicious expression"
)
MOODY_UNET = "ZImageTurbo\\moodyRealMix_zitV6DPO.safetensors"


def moody_graph(toggle: dict[str, Any], lora: tuple[str, float] | None = None, **prompt_inputs: Any) -> Graph:
    """``yameprogrammer/comfyui-workflows`` ``T2I-moody.json`` (rounds 35, 36): Z-Image Turbo through Lora
    Manager's loader (``lora``: name and strength, or none), trigger-word toggle (``toggle``: its
    widgets) and prompt node (its inputs besides ``clip`` and ``text``: ``prompt_inputs``), a
    ``ConditioningZeroOut`` negative, saved by ``Save Image (LoraManager)`` beside a preview."""
    return {
        "39": node("CLIPLoader", clip_name="qwen_3_4b.safetensors", type="lumina2", device="default"),
        "40": node("VAELoader", vae_name="vae-z-image-turbo.safetensors"),
        "42": node("UNETLoader", unet_name=MOODY_UNET, weight_dtype="default"),
        "41": node("ModelSamplingAuraFlow", model=link(42), shift=3),
        "38": node(
            "Lora Loader (LoraManager)",
            model=link(41),
            clip=link(39),
            text=f"<lora:{lora[0]}:{lora[1]}>" if lora else "",
            loras={"__value__": [{"name": lora[0], "strength": lora[1], "active": True}] if lora else []},
        ),
        "37": node("TriggerWord Toggle (LoraManager)", trigger_words=link(38, 2), **toggle),
        "48": node("Prompt (LoraManager)", clip=link(38, 1), text=MOODY_TEXT, **prompt_inputs),
        "44": node("ConditioningZeroOut", conditioning=link(48)),
        "45": node("EmptySD3LatentImage", width=1024, height=1024, batch_size=1),
        "47": node(
            "KSampler",
            model=link(38),
            positive=link(48),
            negative=link(44),
            latent_image=link(45),
            seed=320187269393257,
            steps=20,
            cfg=1,
            sampler_name="res_multistep",
            scheduler="simple",
            denoise=1,
        ),
        "43": node("VAEDecode", samples=link(47), vae=link(40)),
        "49": node(
            "Save Image (LoraManager)",
            images=link(43),
            filename_prefix="z-image-turbo",
            file_format="png",
            add_counter_to_filename=True,
        ),
        "50": node("PreviewImage", images=link(43)),
    }


def ui_from_api(graph: Graph, widgets: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The UI-format workflow the frontend saves for the API ``graph``: each node's ``widgets_values`` in
    the order ``widgets`` gives for its class (a name ending in ``+`` is followed by the frontend's
    ``control_after_generate`` value ``"fixed"``; a ``{"__value__": list}`` input saved as the list), a
    widget fed by a link kept as an input with its ``widget`` name (its stale value ``0`` stays in
    ``widgets_values``), every other link an input.
    Every literal input of the graph must be a listed widget (so no value is silently dropped)."""
    ids = {node_id: number for number, node_id in enumerate(graph, start=1)}
    nodes: dict[str, dict[str, Any]] = {}
    links: list[list[Any]] = []
    outputs: dict[str, dict[int, list[int]]] = {node_id: {} for node_id in graph}
    for node_id, entry in graph.items():
        class_type, inputs = entry["class_type"], entry["inputs"]
        names = widgets.get(class_type, ())
        bare = [name.removesuffix("+") for name in names]
        stray = [key for key, value in inputs.items() if not _is_link(value) and key not in bare]
        if stray:
            raise ValueError(f"{class_type} literal inputs without a widget name: {stray}")
        values: list[Any] = []
        for name, key in zip(names, bare, strict=True):
            value = inputs.get(key, 0)
            if isinstance(value, dict) and set(value) == {"__value__"}:
                value = value["__value__"]  # the frontend wraps a list widget's value when queueing
            values.append(0 if _is_link(value) else value)
            if name.endswith("+"):
                values.append("fixed")
        ui_inputs: list[dict[str, Any]] = []
        for key, value in inputs.items():
            if not _is_link(value):
                continue
            link_id = len(links) + 1
            origin = str(value[0])
            links.append([link_id, ids[origin], value[1], ids[node_id], len(ui_inputs), "*"])
            outputs[origin].setdefault(value[1], []).append(link_id)
            ui_inputs.append(
                {"name": key, "type": "*", "link": link_id}
                | ({"widget": {"name": key}} if key in bare else {})
            )
        nodes[node_id] = {
            "id": ids[node_id],
            "type": class_type,
            "mode": 0,
            "inputs": ui_inputs,
            "properties": {"Node name for S&R": class_type},
            "widgets_values": values,
        }
    for node_id, slots in outputs.items():
        count = max(slots, default=-1) + 1
        nodes[node_id]["outputs"] = [
            {"name": f"out{slot}", "type": "*", "links": slots.get(slot, [])} for slot in range(count)
        ]
    return {"nodes": list(nodes.values()), "links": links, "extra": {}, "version": 0.4}


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    )


RECORD_FIELDS = (
    "tool",
    "prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "sampler",
    "scheduler",
    "model",
    "loras",
    "width",
    "height",
    "denoise",
    "source_image",
)
"""The record fields a UI-only file must read as its API graph does (rounds 42, 45, 47)."""


def record_fields(record: GenerationRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in RECORD_FIELDS}


def read_ui_and_api(graph: Graph, workflow: dict[str, Any], file_name: str) -> GenerationRecord:
    """The record of the UI-only file holding ``workflow`` (``graph`` as the frontend saves it),
    checked equal, field for field (:data:`RECORD_FIELDS`), to the record of ``graph``'s API file."""
    ui = read_workflow(workflow, file_name)
    assert record_fields(ui) == record_fields(read(copy.deepcopy(graph), file_name))
    return ui
