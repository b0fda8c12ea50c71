"""Lineage: which earlier image each image was made from — explicit evidence first, then inference.

Explicit evidence (confidence ≥ 0.9), in this order:

1. ``parent_job_id`` naming another record's ``job_id`` (Midjourney variations / upscales / remixes):
   kind from ``extra["job_type"]`` when it names a lineage kind, else ``upscale`` (same prompt, larger),
   ``remix`` (prompt changed) or ``variation``. A job renders a grid of images; when the child says
   which one it came from (:func:`parent_grid_position`: Midjourney's ``parent_grid``) and the job's
   images say where they sit (:func:`grid_position`), that image is the parent, else the job's first;
2. ``source_image`` (LoadImage input, img2img / inpaint / upscale source) or an init-image hash in
   ``extra`` naming another record by id, file name (with or without folders / extension) or job id:
   ``inpaint`` when ``extra`` mentions a mask / inpainting, ``upscale`` when the size grows at the same
   aspect ratio, else ``img2img``;
3. variation-seed fields (``extra["subseed"]`` / ``variation_seed`` with a non-zero strength): the
   latest earlier record with the same prompt and seed is the parent, kind ``variation``;
4. a hires pass / upscale without a named source: same prompt and seed as a recent earlier record,
   same aspect ratio, larger — kind ``upscale`` (never for an A1111 / Forge grid file, which shows the
   cells side by side with the first cell's parameters: :func:`is_grid_image`); a batch or clip of one
   seed upscaled as one pairs its images in order (:func:`_same_place_in_source_run`).

Then, inside a session, the most likely earlier parent by prompt and parameters (confidence < 0.9):
``param_sweep`` (same prompt and seed, one parameter moved: the previous row), ``reroll`` (same
prompt, new seed: the latest earlier generation of that prompt outside the row's own batch),
``prompt_edit`` (a small prompt change: the latest row of the most similar recent prompt). Images of
one batch share their batch's first image's parent. A visual embedding, when present, raises or lowers
an inferred edge's confidence by how alike the two images are.

A named parent may lie in an earlier session of the analysed records (an upscale made the next
morning, a Midjourney grid taken into ComfyUI): among the rows holding the name, the latest earlier
one of the child's own session, else the latest earlier one (:func:`_named_row`). The catalog resolves
the names no analysed record holds across the artist's whole library with :func:`named_references` and
:func:`named_parent_kind` (``catalog.sessions.explicit_lineage``), by the same choice.

Invariants: every child has at most one parent; the parent precedes the child in stream order (so the
result is a forest); an inferred link never leaves its session, only a named one may.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from engine.analysis import LineageEdge, LineageKind
from engine.features.prompt_similarity import PromptSimilarity
from engine.records import GenerationRecord
from engine.sessions.named_sources import name_keys, source_references
from engine.sessions.phases import PARAM, RESEED, TWEAK, StepFeatures
from engine.sessions.record_stream import MISSING_CODE, VARIATION_SEED_KEYS, RecordStream

_KIND_WORDS: dict[str, LineageKind] = {
    "upscale": LineageKind.UPSCALE,
    "upsample": LineageKind.UPSCALE,
    "hires": LineageKind.UPSCALE,
    "variation": LineageKind.VARIATION,
    "vary": LineageKind.VARIATION,
    "remix": LineageKind.REMIX,
    "inpaint": LineageKind.INPAINT,
    "img2img": LineageKind.IMG2IMG,
    "outpaint": LineageKind.INPAINT,
    "pan": LineageKind.INPAINT,
    "zoom": LineageKind.INPAINT,
    "reroll": LineageKind.REROLL,
}
_VARIATION_STRENGTH_KEYS = ("subseed_strength", "variation_seed_strength", "variation_strength")


@dataclass(frozen=True, slots=True)
class LineageSettings:
    min_inferred_confidence: float = 0.5
    prompt_edit_lookback_prompts: int = 6
    upscale_lookback_rows: int = 16
    visual_weight: float = 0.2


NAMED_CONFIDENCE = 0.97
"""Confidence of a link the child's file names explicitly (a parent job, a source image / hash)."""
EXPLICIT_CONFIDENCE = 0.9
"""Links at or above this confidence come from explicit evidence; inferred ones stay below it."""


def _index_identifiers(
    stream: RecordStream, wanted: set[str]
) -> tuple[dict[tuple[int, str], list[int]], dict[tuple[int, str], list[int]]]:
    """(user code, identifier) → every row holding it, in stream order, for the identifiers in ``wanted``
    (ids, file names with or without folders / extension, job ids); and (user code, job id) → every row
    of that job, in stream order, for the wanted job ids (a grid's images)."""
    index: dict[tuple[int, str], list[int]] = {}
    jobs: dict[tuple[int, str], list[int]] = {}
    user_codes = stream.user_codes.tolist()
    for row, record in enumerate(stream.records):
        name = record.file_name
        job_id = record.job_id
        in_job = job_id is not None and job_id in wanted
        if in_job:
            jobs.setdefault((user_codes[row], job_id), []).append(row)  # type: ignore[arg-type]
        hit = in_job or record.id in wanted
        if name and not hit:
            hit = name in wanted or name.rpartition(".")[0] in wanted or "/" in name or "\\" in name
        if not hit:
            continue
        keys = [record.id]
        if job_id:
            keys.append(job_id)
        if name:
            keys.extend(name_keys(name))
        for key in dict.fromkeys(keys):
            if key in wanted:
                index.setdefault((user_codes[row], key), []).append(row)
    return index, jobs


def _named_row(rows: list[int] | None, child: int, sessions: list[int]) -> int | None:
    """Which of ``rows`` (every row holding the identifier the child names, in stream order) is the
    child's parent: the latest earlier one of the child's own session, else the latest earlier one (the
    same choice as ``catalog.sessions.explicit_lineage`` across a library); ``None`` when every match is
    later than the child (a parent precedes its child)."""
    latest = same_session = None
    for row in rows or ():
        if row >= child:
            break
        latest = row
        if sessions[row] == sessions[child]:
            same_session = row
    return same_session if same_session is not None else latest


PARENT_GRID_KEYS = ("parent_grid", "parent_grid_index")
"""``extra`` keys naming which image of the parent job a child was made from (0-based): Midjourney's
job JSON calls it ``parent_grid`` (U2 of a grid → 1)."""
GRID_INDEX_KEYS = ("grid_index",)
"""``extra`` keys holding a record's own position in its job's grid (0-based)."""
MAX_GRID_POSITION = 63
"""The largest grid position (0-based) read anywhere: a Midjourney grid has 4 images, larger batches exist."""
_GRID_SUFFIX = re.compile(r"[_-](\d{1,2})$")


def grid_position_value(value: object) -> int | None:
    """A 0-based grid position: an integer, or its digits as text, from 0 to :data:`MAX_GRID_POSITION`;
    ``None`` for anything else (``True`` is not ``1``). The one rule for ``extra`` values, file-name
    suffixes and exports (``engine.exports``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        digits = value.strip()
        # ASCII digits only, and few: "²" passes str.isdigit and fails int(); 5,000 digits cost int()
        value = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 3 else None
    if isinstance(value, int) and 0 <= value <= MAX_GRID_POSITION:
        return value
    return None


def parent_grid_position(record: GenerationRecord) -> int | None:
    """Which image of its parent job ``record`` was made from (0-based), when it says; else None."""
    if not record.parent_job_id or not record.extra:
        return None
    for key in PARENT_GRID_KEYS:
        if (position := grid_position_value(record.extra.get(key))) is not None:
            return position
    return None


def grid_position(record: GenerationRecord) -> int | None:
    """``record``'s position in its job's grid (0-based): ``extra["grid_index"]``, else a file name that
    ends with the job id and ``_<n>`` (Midjourney's downloads: ``<user>_<prompt>_<job id>_2.png``)."""
    for key in GRID_INDEX_KEYS:
        if record.extra and (position := grid_position_value(record.extra.get(key))) is not None:
            return position
    if not record.job_id or not record.file_name:
        return None
    stem = name_keys(record.file_name)[-1]
    match = _GRID_SUFFIX.search(stem)
    if match is None or not stem[: match.start()].endswith(record.job_id):
        return None
    return grid_position_value(match.group(1))


def _image_of_job(
    stream: RecordStream,
    child_row: int,
    job_rows: list[int],
    visual_embeddings: Mapping[str, np.ndarray] | None,
) -> int:
    """Which image of a parent job (``job_rows``, a grid) the child at ``child_row`` was made from: the
    one at the position the child names; else, with visual embeddings, the earlier image most alike to
    the child (an upscale or a vary of U2 looks like U2); else the job's first image."""
    records = stream.records
    position = parent_grid_position(records[child_row])
    if position is not None:
        for row in job_rows:
            if grid_position(records[row]) == position:
                return row
    if visual_embeddings and len(job_rows) > 1:
        ids = stream.ids
        child = visual_embeddings.get(ids[child_row])
        if child is not None:
            best, best_cosine = job_rows[0], -2.0
            for row in job_rows:
                vector = visual_embeddings.get(ids[row])
                if vector is None or row >= child_row:
                    continue
                norm = float(np.linalg.norm(child) * np.linalg.norm(vector)) or 1.0
                cosine = float(np.dot(child, vector)) / norm
                if cosine > best_cosine:
                    best, best_cosine = row, cosine
            return best
    return job_rows[0]


_GRID_IMAGE_NAME = re.compile(r"(?:xyz_)?grid-\d{4}", re.IGNORECASE)
"""AUTOMATIC1111's and Forge's grid files (``modules.images.save_image`` with basename ``grid`` for a
batch, ``xyz_grid`` for an X/Y/Z plot, then the 4-digit grid counter): the cells side by side."""


def is_grid_image(record: GenerationRecord) -> bool:
    """Whether ``record`` is a grid of other images (an A1111 / Forge ``grid-0001`` or ``xyz_grid-0001``
    file): it carries the first cell's prompt and seed at several times its size, which is no upscale."""
    if not record.file_name:
        return False
    base_name = record.file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return _GRID_IMAGE_NAME.match(base_name) is not None


def named_parent_kind(child: GenerationRecord, parent: GenerationRecord, *, by_job: bool) -> LineageKind:
    """The kind of a named link: from the job type / prompt change for a parent job (``by_job``), from a
    mask mention or the size for a source image; the same rules as inside a session."""
    return _job_kind(child, parent) if by_job else _source_kind(child, parent)


def _mentions(record: GenerationRecord, words: tuple[str, ...]) -> bool:
    for key, value in record.extra.items():
        lowered = key.lower()
        if any(w in lowered for w in words) and value not in (None, False, "", 0):
            return True
    return False


def _size_grew(child: GenerationRecord, parent: GenerationRecord) -> bool:
    if not (child.width and child.height and parent.width and parent.height):
        return False
    same_aspect = abs((child.width / child.height) / (parent.width / parent.height) - 1.0) < 0.03
    return same_aspect and child.width * child.height > parent.width * parent.height * 1.2


def _variation_fields(record: GenerationRecord) -> tuple[object, ...]:
    extra = record.extra
    return tuple(extra.get(key) for key in VARIATION_SEED_KEYS) if extra else ()


def _same_sampling(child: GenerationRecord, parent: GenerationRecord) -> int:
    """How many of CFG, steps and sampler the child repeats from the parent."""
    return (
        (child.cfg_scale == parent.cfg_scale)
        + (child.steps == parent.steps)
        + (child.sampler == parent.sampler)
    )


def _job_kind(child: GenerationRecord, parent: GenerationRecord) -> LineageKind:
    job_type = str(child.extra.get("job_type") or child.extra.get("type") or "").lower()
    for word, kind in _KIND_WORDS.items():
        if word in job_type:
            return kind
    if _size_grew(child, parent) and child.prompt == parent.prompt:
        return LineageKind.UPSCALE
    if child.prompt and parent.prompt and child.prompt != parent.prompt:
        return LineageKind.REMIX
    return LineageKind.VARIATION


def _source_kind(child: GenerationRecord, parent: GenerationRecord) -> LineageKind:
    if _mentions(child, ("mask", "inpaint", "outpaint")):
        return LineageKind.INPAINT
    if _size_grew(child, parent):
        return LineageKind.UPSCALE
    return LineageKind.IMG2IMG


def _variation_seed(record: GenerationRecord) -> bool:
    extra = record.extra
    if not extra or not any(extra.get(k) not in (None, "", -1) for k in VARIATION_SEED_KEYS):
        return False
    strengths = [extra.get(k) for k in _VARIATION_STRENGTH_KEYS if k in extra]
    return not strengths or any(isinstance(s, int | float) and s > 0 for s in strengths)


def session_lineage(
    stream: RecordStream,
    session_codes: np.ndarray,
    steps: StepFeatures,
    is_batch: np.ndarray,
    similarity: PromptSimilarity,
    visual_embeddings: Mapping[str, np.ndarray] | None,
    settings: LineageSettings,
) -> list[LineageEdge]:
    """Lineage edges for all sessions of the session-ordered stream, children in stream order."""
    count = len(stream)
    parent = np.full(count, -1, dtype=np.int64)
    kind: list[LineageKind | None] = [None] * count
    confidence = np.zeros(count)
    records = stream.records

    # -- explicit evidence ------------------------------------------------------------------------
    derived_rows = np.flatnonzero(stream.explicitly_derived).tolist()
    wanted: set[str] = set()
    for row in derived_rows:
        record = records[row]
        if record.parent_job_id:
            wanted.add(record.parent_job_id)
        for reference in source_references(record):
            wanted.update(name_keys(reference))
    identifiers, job_images = _index_identifiers(stream, wanted) if wanted else ({}, {})
    user_codes = stream.user_codes
    session_list: list[int] = session_codes.tolist()
    for row in derived_rows:
        record = records[row]
        user = int(user_codes[row])
        found: int | None = None
        edge_kind = LineageKind.IMG2IMG
        if record.parent_job_id:
            found = _named_row(identifiers.get((user, record.parent_job_id)), row, session_list)
            job_rows = job_images.get((user, record.parent_job_id))
            if found is not None and job_rows is not None and len(job_rows) > 1:
                found = _image_of_job(stream, row, job_rows, visual_embeddings)
            if found is not None:
                edge_kind = _job_kind(record, records[found])
        if found is None:
            for reference in source_references(record):
                # the first key that some row holds decides (as given, then base name, then stem)
                matches = next(
                    (rows for key in name_keys(reference) if (rows := identifiers.get((user, key)))), None
                )
                found = _named_row(matches, row, session_list)
                if found is not None:
                    edge_kind = _source_kind(record, records[found])
                    break
        if found is not None and found < row:  # in this session or an earlier one
            parent[row], kind[row], confidence[row] = found, edge_kind, NAMED_CONFIDENCE

    prompt_codes: list[int] = stream.prompt_codes.tolist()
    seed_codes: list[int] = stream.seed_codes.tolist()
    area: list[float] = (stream.width * stream.height).tolist()
    variation_rows = [
        row
        for row in np.flatnonzero(stream.mentions_variation_seed).tolist()
        if _variation_seed(records[row])
    ]
    for row in variation_rows:
        if parent[row] >= 0:
            continue
        for back in range(row - 1, max(-1, row - settings.upscale_lookback_rows - 1), -1):
            if session_list[back] != session_list[row]:
                break
            if (
                prompt_codes[back] == prompt_codes[row]
                and seed_codes[back] == seed_codes[row]
                and not _variation_seed(records[back])
            ):
                parent[row], kind[row], confidence[row] = back, LineageKind.VARIATION, 0.92
                break

    upscale_rows = _hires_candidates(stream, session_codes, parent, settings.upscale_lookback_rows)
    place_in_run = _place_in_same_image_run(stream, session_codes, is_batch) if len(upscale_rows) else None
    for row in upscale_rows.tolist():
        if is_grid_image(records[row]):
            continue  # a contact sheet of the cells, with the first cell's parameters: no upscale
        # The latest smaller image with the same prompt and seed; among several (a CFG sweep on one
        # seed), prefer the same variation seed, then the one whose sampling parameters the hires pass
        # repeats.
        best: tuple[int, tuple[bool, int]] | None = None
        for back in range(row - 1, max(-1, row - settings.upscale_lookback_rows - 1), -1):
            if session_list[back] != session_list[row]:
                break
            if (
                prompt_codes[back] == prompt_codes[row]
                and seed_codes[back] == seed_codes[row]
                and area[back] < area[row]
                and _size_grew(records[row], records[back])
            ):
                matching = (
                    _variation_fields(records[row]) == _variation_fields(records[back]),
                    _same_sampling(records[row], records[back]),
                )
                if best is None or matching > best[1]:
                    best = (back, matching)
        if best is not None:
            assert place_in_run is not None  # made whenever there are upscale rows
            source = _same_place_in_source_run(best[0], row, place_in_run)
            parent[row], kind[row], confidence[row] = source, LineageKind.UPSCALE, 0.9

    explicit = parent >= 0
    _infer_within_sessions(
        stream, session_codes, steps, is_batch, similarity, settings, parent, kind, confidence, explicit
    )
    if visual_embeddings:
        _adjust_with_visual(stream, parent, confidence, explicit, visual_embeddings, settings.visual_weight)

    ids = stream.ids
    keep = np.flatnonzero((parent >= 0) & (explicit | (confidence >= settings.min_inferred_confidence)))
    return [
        LineageEdge(ids[parent_row], ids[row], row_kind, row_confidence)
        for row, parent_row, row_confidence in zip(
            keep.tolist(), parent[keep].tolist(), confidence[keep].tolist(), strict=True
        )
        if (row_kind := kind[row]) is not None
    ]


def _hires_candidates(
    stream: RecordStream, session_codes: np.ndarray, parent: np.ndarray, window: int
) -> np.ndarray:
    """Rows without a parent that repeat a recent row's prompt and seed at a larger area."""
    count = len(stream)
    candidate = np.zeros(count, dtype=bool)
    area = stream.width * stream.height
    for back in range(1, min(window, count - 1) + 1):
        with np.errstate(invalid="ignore"):
            candidate[back:] |= (
                (session_codes[back:] == session_codes[:-back])
                & (stream.prompt_codes[back:] == stream.prompt_codes[:-back])
                & (stream.prompt_codes[back:] != MISSING_CODE)
                & (stream.seed_codes[back:] == stream.seed_codes[:-back])
                & (stream.seed_codes[back:] != MISSING_CODE)
                & (area[back:] > area[:-back] * 1.2)
            )
    return np.flatnonzero(candidate & (parent < 0))


def _place_in_same_image_run(
    stream: RecordStream, session_codes: np.ndarray, is_batch: np.ndarray
) -> np.ndarray:
    """Each row's place (0, 1, …) in its run of rows of one batch (saved at once: ``is_batch``) and one
    session with the same prompt, seed, size and sampling (CFG, steps, sampler): the images of a batch
    or the frames of a clip, which share their seed (a ComfyUI batch, AnimateDiff frames). A sweep
    on one seed is no such run: each of its images differs in a parameter."""
    continues = np.zeros(len(stream), dtype=bool)
    continues[1:] = is_batch[1:] & (session_codes[1:] == session_codes[:-1])
    for column in (stream.prompt_codes, stream.seed_codes, stream.sampler_codes):
        continues[1:] &= column[1:] == column[:-1]
    for values in (stream.width, stream.height, stream.cfg_scale, stream.steps):
        continues[1:] &= (values[1:] == values[:-1]) | (np.isnan(values[1:]) & np.isnan(values[:-1]))
    return _run_offsets(continues)


def _same_place_in_source_run(latest: int, row: int, place_in_run: np.ndarray) -> int:
    """The source of the upscale ``row``: when ``row`` is one of a run of upscales (a batch or clip
    upscaled as one: a latent upscale of a batch keeps its order, a clip is upscaled frame by frame),
    the image at its own place in the run that ends at ``latest`` (the latest smaller image of its
    prompt and seed) if that run is long enough, rather than that run's last image for all of them;
    else ``latest`` (one image upscaled: the latest smaller one)."""
    place = int(place_in_run[row])
    in_a_run = place > 0 or (row + 1 < len(place_in_run) and place_in_run[row + 1] == 1)
    start = latest - int(place_in_run[latest])
    return start + place if in_a_run and place <= latest - start else latest


def _previous_same_prompt(
    stream: RecordStream, session_codes: np.ndarray, batch_start: np.ndarray
) -> np.ndarray:
    """For each row, the last row before its batch with the same prompt in the same session (or -1)."""
    count = len(stream)
    rows = np.arange(count)
    order = np.lexsort((rows, stream.prompt_codes, session_codes))
    previous_in_order = np.full(count, -1, dtype=np.int64)
    same = np.zeros(count, dtype=bool)
    same[1:] = (session_codes[order[1:]] == session_codes[order[:-1]]) & (
        stream.prompt_codes[order[1:]] == stream.prompt_codes[order[:-1]]
    )
    previous_in_order[order[1:][same[1:]]] = order[:-1][same[1:]]
    # Walk back from each row's batch start: the previous same-prompt row of the batch's first row.
    result = previous_in_order[batch_start]
    return np.where(stream.prompt_codes == MISSING_CODE, -1, result)


def _infer_within_sessions(
    stream: RecordStream,
    session_codes: np.ndarray,
    steps: StepFeatures,
    is_batch: np.ndarray,
    similarity: PromptSimilarity,
    settings: LineageSettings,
    parent: np.ndarray,
    kind: list[LineageKind | None],
    confidence: np.ndarray,
    explicit: np.ndarray,
) -> None:
    count = len(stream)
    within_batch = is_batch & ~steps.session_start
    batch_start = np.arange(count) - _run_offsets(within_batch)
    observation = steps.step_kind

    # A row that names its source (its named parent not among these records, or not earlier) is no
    # reroll, sweep or prompt edit of its neighbour: its parent is the one it names (the catalog finds
    # it across the library), never an inferred one.
    open_rows = (parent < 0) & ~stream.explicitly_derived
    sweep_rows = np.flatnonzero((observation == PARAM) & open_rows)
    parent[sweep_rows] = sweep_rows - 1
    confidence[sweep_rows] = 0.8
    for row in sweep_rows.tolist():
        kind[row] = LineageKind.PARAM_SWEEP

    previous_same = _previous_same_prompt(stream, session_codes, batch_start)
    reroll_rows = np.flatnonzero((observation == RESEED) & open_rows & (previous_same >= 0))
    parent[reroll_rows] = previous_same[reroll_rows]
    confidence[reroll_rows] = 0.6
    for row in reroll_rows.tolist():
        kind[row] = LineageKind.REROLL

    prompts = stream.prompts
    codes = stream.prompt_codes.tolist()
    sessions: list[int] = session_codes.tolist()
    lookback = settings.prompt_edit_lookback_prompts
    # Similarity per (prompt code, earlier prompt code): a pure function of the two prompts.
    pair_similarity: dict[tuple[int, int], float] = {}
    for row in np.flatnonzero((observation == TWEAK) & open_rows).tolist():
        best_row, best_similarity = -1, 0.0
        seen: set[int] = set()
        session, row_code = sessions[row], codes[row]
        for back in range(row - 1, -1, -1):
            if sessions[back] != session or len(seen) >= lookback:
                break
            code = codes[back]
            if code in seen or code == MISSING_CODE:
                continue
            seen.add(code)
            value = pair_similarity.get((row_code, code))
            if value is None:
                value = pair_similarity[(row_code, code)] = similarity(prompts[row_code], prompts[code])
            if value > best_similarity:
                best_row, best_similarity = back, value
        if best_row >= 0:
            parent[row], kind[row] = best_row, LineageKind.PROMPT_EDIT
            confidence[row] = 0.3 + 0.5 * best_similarity

    # Images of one batch are siblings: they share the batch's first image's inferred parent.
    followers = np.flatnonzero(within_batch & (parent < 0))
    leaders = batch_start[followers]
    has_parent = (
        (parent[leaders] >= 0)
        & ~explicit[leaders]
        & (stream.prompt_codes[leaders] == stream.prompt_codes[followers])
    )
    for row, leader in zip(followers[has_parent].tolist(), leaders[has_parent].tolist(), strict=True):
        parent[row], kind[row], confidence[row] = parent[leader], kind[leader], confidence[leader]


def _run_offsets(continues: np.ndarray) -> np.ndarray:
    """For a boolean 'continues the previous row's run' array, each row's distance to its run start."""
    count = len(continues)
    index = np.arange(count)
    starts = np.where(continues, 0, index)
    return index - np.maximum.accumulate(starts)


def _adjust_with_visual(
    stream: RecordStream,
    parent: np.ndarray,
    confidence: np.ndarray,
    explicit: np.ndarray,
    visual_embeddings: Mapping[str, np.ndarray],
    weight: float,
) -> None:
    ids = stream.ids
    for row in np.flatnonzero((parent >= 0) & ~explicit).tolist():
        child_vector = visual_embeddings.get(ids[row])
        parent_vector = visual_embeddings.get(ids[int(parent[row])])
        if child_vector is None or parent_vector is None:
            continue
        norm = float(np.linalg.norm(child_vector) * np.linalg.norm(parent_vector)) or 1.0
        cosine = float(np.dot(child_vector, parent_vector)) / norm
        confidence[row] = min(0.89, max(0.0, confidence[row] + weight * (cosine - 0.5) * 2.0))
