"""Representative images: k thumbnails that together cover the session, each with why it was chosen.

Only assets with a thumbnail can be chosen (the images are sent to the Curator). Candidates, in
priority order:

1. the session's opener and closer (first and last asset with a thumbnail);
2. the final descendant of the deepest lineage chain, and the root of its family;
3. phase closers and openers (first/last asset with a thumbnail in each phase), largest phases first,
   closer before opener;
4. the other lineage roots (largest family first) and final descendants (deepest first).

These structural picks take at most ``k - visual_slots`` places, where ``visual_slots`` is ``k // 4``
(at least 1) when any candidate has a visual embedding. The other places go to the *most distinct*
images: farthest-point selection by cosine distance over the L2-normalised embeddings, starting from
what is already chosen (or, when nothing chosen has an embedding, from the image farthest from the
mean). Without embeddings, places still free are filled with the remaining structural candidates and
then with the images farthest in stream position from those chosen (filling gaps in time), so
``min(k, thumbnails)`` images are returned.

Each chosen image lists *every* role that applies to it (an opener that is also a lineage root says
both). The result is in stream order and deterministic: ties go to the earlier asset. Embeddings of a
different dimension than the first one seen, non-finite or zero ones are ignored. Cost: linear in the
number of assets plus ``k`` passes over the embedding matrix; the products use ``np.einsum`` (one
thread, no BLAS), so the picks and their cost do not depend on the BLAS build or its thread count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.reflection_facts.inputs import FactAsset
from engine.reflection_facts.lineage_summary import LineageForest

SESSION_OPENER = "session opener"
SESSION_CLOSER = "session closer"
MOST_DISTINCT = "most distinct image"
TIME_GAP = "fills a gap in time"


@dataclass(frozen=True, slots=True)
class RepresentativeFact:
    """A chosen image: ``position`` 1-based in the stream, ``phase_ordinal`` 0-based, ``reasons`` in a
    fixed order (session, phase, lineage, visual)."""

    asset_id: str
    position: int
    phase_ordinal: int
    reasons: tuple[str, ...]


def choose_representatives(
    assets: Sequence[FactAsset], forest: LineageForest, phase_sizes: dict[int, int], k: int
) -> tuple[RepresentativeFact, ...]:
    """Up to ``k`` representatives of ``assets`` (stream order). ``phase_sizes`` maps each phase
    ordinal to its asset count (used to rank phases)."""
    eligible = [index for index, asset in enumerate(assets) if asset.has_thumbnail]
    if k <= 0 or not eligible:
        return ()
    openers, closers = _phase_edges(assets, eligible)
    index_of = {assets[index].id: index for index in eligible}
    structural = _structural_candidates(assets, eligible, openers, closers, forest, phase_sizes, index_of)
    embedded, matrix = _embedding_matrix(assets, eligible)
    wanted = min(k, len(eligible))
    visual_slots = min(max(1, k // 4), len(embedded)) if embedded else 0
    chosen: list[int] = []
    _take(chosen, structural, wanted - visual_slots)
    distinct = _farthest_points(embedded, matrix, set(chosen), wanted - len(chosen))
    chosen.extend(distinct)
    _take(chosen, structural, wanted)
    before_spread = len(chosen)
    chosen.extend(_time_gap_fillers(eligible, chosen, wanted - len(chosen)))
    spread = set(chosen[before_spread:])
    return tuple(
        RepresentativeFact(
            asset_id=assets[index].id,
            position=index + 1,
            phase_ordinal=assets[index].phase_ordinal,
            reasons=_reasons(index, assets, eligible, openers, closers, forest, set(distinct), spread),
        )
        for index in sorted(chosen)
    )


def _take(chosen: list[int], candidates: Sequence[int], limit: int) -> None:
    """Append candidates not yet chosen, in order, until ``chosen`` holds ``limit`` indexes."""
    taken = set(chosen)
    for index in candidates:
        if len(chosen) >= limit:
            return
        if index not in taken:
            chosen.append(index)
            taken.add(index)


def _phase_edges(assets: Sequence[FactAsset], eligible: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    openers: dict[int, int] = {}
    closers: dict[int, int] = {}
    for index in eligible:
        phase = assets[index].phase_ordinal
        openers.setdefault(phase, index)
        closers[phase] = index
    return openers, closers


def _structural_candidates(
    assets: Sequence[FactAsset],
    eligible: list[int],
    openers: dict[int, int],
    closers: dict[int, int],
    forest: LineageForest,
    phase_sizes: dict[int, int],
    index_of: dict[str, int],
) -> list[int]:
    candidates = [eligible[0], eligible[-1]]
    leaves = sorted(
        (index_of[node] for node in forest.depth_of if node in index_of and forest.is_final_descendant(node)),
        key=lambda index: (-forest.depth_of[assets[index].id], index),
    )
    roots = sorted(
        (index_of[node] for node in forest.depth_of if node in index_of and forest.is_root(node)),
        key=lambda index: (-forest.family_size.get(assets[index].id, 0), index),
    )
    if leaves:
        candidates.append(leaves[0])
        root = index_of.get(forest.root_of[assets[leaves[0]].id])
        if root is not None:
            candidates.append(root)
    elif roots:
        candidates.append(roots[0])
    for phase in sorted(openers, key=lambda ordinal: (-phase_sizes.get(ordinal, 0), ordinal)):
        candidates.extend((closers[phase], openers[phase]))
    candidates.extend(roots)
    candidates.extend(leaves)
    return candidates


def _embedding_matrix(assets: Sequence[FactAsset], eligible: list[int]) -> tuple[list[int], np.ndarray]:
    """Eligible indexes with a usable embedding, and their unit vectors as rows (float32)."""
    indexes = [index for index in eligible if assets[index].visual_embedding is not None]
    vectors = [assets[index].visual_embedding for index in indexes]
    if not vectors:
        return [], np.zeros((0, 0), dtype=np.float32)
    try:
        matrix = np.array(vectors, dtype=np.float32)  # the fast path: one dimension for all
    except ValueError:
        matrix = np.zeros((0, 0), dtype=np.float32)
    if matrix.ndim != 2:
        dimension = np.asarray(vectors[0]).size
        keep = [row for row, vector in enumerate(vectors) if np.asarray(vector).size == dimension]
        indexes = [indexes[row] for row in keep]
        matrix = np.array([np.asarray(vectors[row], dtype=np.float32).reshape(-1) for row in keep])
    if matrix.shape[1] == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    usable = np.isfinite(norms) & (norms > 0)
    if not usable.all():
        matrix, norms = matrix[usable], norms[usable]
        indexes = [index for index, keep in zip(indexes, usable.tolist(), strict=True) if keep]
    matrix /= norms[:, None]
    return indexes, matrix


def _farthest_points(embedded: list[int], matrix: np.ndarray, taken: set[int], count: int) -> list[int]:
    """``count`` indexes from ``embedded`` (rows of ``matrix``), each farthest by cosine distance from
    everything chosen before it; ties to the earlier row."""
    if count <= 0 or not embedded:
        return []
    rows_taken = [row for row, index in enumerate(embedded) if index in taken]
    available = np.ones(len(embedded), dtype=bool)
    available[rows_taken] = False
    if rows_taken:
        nearest = 1.0 - np.einsum("ij,kj->ik", matrix, matrix[rows_taken]).max(axis=1)
    else:  # nothing to be far from yet: far from the mean
        nearest = 1.0 - np.einsum("ij,j->i", matrix, matrix.mean(axis=0))
    picked: list[int] = []
    for _ in range(count):
        if not available.any():
            break
        row = int(np.argmax(np.where(available, nearest, -np.inf)))
        if not picked and not rows_taken:
            nearest = np.full(len(embedded), np.inf, dtype=np.float32)
        picked.append(embedded[row])
        available[row] = False
        nearest = np.minimum(nearest, 1.0 - np.einsum("ij,j->i", matrix, matrix[row]))
    return picked


def _time_gap_fillers(eligible: list[int], chosen: list[int], count: int) -> list[int]:
    """``count`` eligible indexes, each the one farthest in stream position from everything chosen
    (ties to the earlier one)."""
    if count <= 0:
        return []
    positions = np.asarray(eligible, dtype=np.int64)
    available = np.ones(len(eligible), dtype=bool)
    available[np.isin(positions, np.asarray(chosen, dtype=np.int64))] = False
    if chosen:
        gaps = np.abs(positions[:, None] - np.asarray(chosen, dtype=np.int64)[None, :]).min(axis=1)
    else:
        gaps = np.full(len(eligible), np.iinfo(np.int64).max, dtype=np.int64)
    picked: list[int] = []
    for _ in range(count):
        if not available.any():
            break
        row = int(np.argmax(np.where(available, gaps, -1)))
        picked.append(eligible[row])
        available[row] = False
        gaps = np.minimum(gaps, np.abs(positions - positions[row]))
    return picked


def _reasons(
    index: int,
    assets: Sequence[FactAsset],
    eligible: list[int],
    openers: dict[int, int],
    closers: dict[int, int],
    forest: LineageForest,
    distinct: set[int],
    spread: set[int],
) -> tuple[str, ...]:
    found: list[str] = []
    if index == eligible[0]:
        found.append(SESSION_OPENER)
    if index == eligible[-1]:
        found.append(SESSION_CLOSER)
    phase = assets[index].phase_ordinal
    if openers.get(phase) == index:
        found.append(f"opens phase {phase + 1}")
    if closers.get(phase) == index:
        found.append(f"closes phase {phase + 1}")
    asset_id = assets[index].id
    if forest.is_root(asset_id):
        found.append(f"lineage root (family of {forest.family_size.get(asset_id, 0)})")
    if forest.is_final_descendant(asset_id):
        found.append(f"final descendant (chain depth {forest.depth_of[asset_id]})")
    if index in distinct:
        found.append(MOST_DISTINCT)
    if index in spread:
        found.append(TIME_GAP)
    return tuple(found)
