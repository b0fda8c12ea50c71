"""Representative images: coverage of phases and lineage, the most distinct images, thumbnails only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.reflection_facts import FactAsset, FactLineageEdge, SessionFacts, build_session_facts
from tests.engine.reflection_facts.fact_builders import asset, phase

DIMENSIONS = 384


def session(*, thumbnails: bool = True, embeddings: bool = True, k: int = 8) -> SessionFacts:
    """30 images in three phases of 10; a lineage chain a05 → a06 → a07 (and a05 → a12); image a23 looks
    unlike all others; a00 (the first image) and a29 have no thumbnail."""
    rng = np.random.default_rng(5)
    common = rng.normal(size=DIMENSIONS)
    assets = []
    for index in range(30):
        embedding = common + 0.05 * rng.normal(size=DIMENSIONS)
        if index == 23:
            embedding = -common + 0.05 * rng.normal(size=DIMENSIONS)
        assets.append(
            asset(
                f"a{index:02d}",
                index,
                phase_ordinal=index // 10,
                visual_embedding=embedding.astype(np.float32) if embeddings else None,
                has_thumbnail=thumbnails and index not in (0, 29),
            )
        )
    lineage = [
        FactLineageEdge("a05", "a06", "img2img"),
        FactLineageEdge("a06", "a07", "upscale"),
        FactLineageEdge("a05", "a12", "variation"),
    ]
    phases = [phase(ordinal, "exploration", assets[10 * ordinal : 10 * ordinal + 10]) for ordinal in range(3)]
    return build_session_facts(
        label="Owls",
        intent="exploration",
        tool="comfyui",
        assets=assets,
        phases=phases,
        lineage=lineage,
        representative_count=k,
    )


def reasons_by_id(facts: SessionFacts) -> dict[str, tuple[str, ...]]:
    return {representative.asset_id: representative.reasons for representative in facts.representatives}


def test_k_images_in_stream_order_with_thumbnails_only() -> None:
    facts = session()
    ids = facts.representative_ids
    assert len(ids) == 8
    assert list(ids) == sorted(ids)
    assert "a00" not in ids and "a29" not in ids
    assert [r.position for r in facts.representatives] == [int(i[1:]) + 1 for i in ids]


def test_session_and_phase_openers_and_closers_with_a_thumbnail() -> None:
    reasons = reasons_by_id(session(k=12))
    assert reasons["a01"] == ("session opener", "opens phase 1")  # a00 has no thumbnail
    assert "closes phase 1" in reasons["a09"]
    assert "opens phase 2" in reasons["a10"] and "closes phase 2" in reasons["a19"]
    assert "opens phase 3" in reasons["a20"]
    assert reasons["a28"] == ("session closer", "closes phase 3")


def test_lineage_root_and_final_descendant_of_the_deepest_chain() -> None:
    reasons = reasons_by_id(session())
    assert "lineage root (family of 4)" in reasons["a05"]
    assert "final descendant (chain depth 2)" in reasons["a07"]


def test_the_most_distinct_image_is_chosen_by_its_embedding() -> None:
    reasons = reasons_by_id(session())
    assert "most distinct image" in reasons["a23"]
    without_embeddings = reasons_by_id(session(embeddings=False))
    assert "a23" not in without_embeddings
    assert all("most distinct image" not in found for found in without_embeddings.values())


def test_without_embeddings_free_places_fill_gaps_in_time() -> None:
    facts = session(embeddings=False, k=12)
    assert len(set(facts.representative_ids)) == 12
    fillers = [r.asset_id for r in facts.representatives if "fills a gap in time" in r.reasons]
    # Nine structural picks (session and phase openers/closers, a05, a07, a12) leave three places,
    # which go to the middle of the widest gaps between chosen images.
    assert len(fillers) == 3
    assert "a15" in fillers or "a16" in fillers  # the gap between a12 and a19


def test_no_thumbnails_means_no_representatives() -> None:
    assert session(thumbnails=False).representatives == ()


def test_fewer_thumbnails_than_k_returns_them_all() -> None:
    facts = session()
    few = build_session_facts(
        label="Few",
        intent="exploration",
        tool="comfyui",
        assets=[replace(a, has_thumbnail=a.id in ("a03", "a04", "a05")) for a in session_assets()],
        phases=[],
        lineage=[],
    )
    assert few.representative_ids == ("a03", "a04", "a05")
    assert len(facts.representatives) == 8


def test_representatives_are_deterministic() -> None:
    assert session().representatives == session().representatives
    assert session(k=6).representative_ids == session(k=6).representative_ids


def session_assets() -> list[FactAsset]:
    return [asset(f"a{index:02d}", index) for index in range(10)]
