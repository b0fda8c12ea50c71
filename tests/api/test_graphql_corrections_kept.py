"""Corrections that must keep holding when the images they are anchored on leave their place, and the
corrections a later one replaced coming back when it is undone (real PostgreSQL, through GraphQL).

What failed before (a corrections probe, twenty-sixth session): a merge or split disappeared when one of
the two images it joined or cut at was later moved to another session (the pair named an image that
clustering takes out of the stream); undoing a split did not bring back the merge it had replaced when
an image next to the merged gap had been removed in between, nor undoing a second move the first one
when the first move's anchor had been removed (both looked the earlier correction up by the image ids
it stored, which a removal's re-anchoring does not change); splitting at an image moved in was refused
with "a merge joins images on both sides of it", with no merge anywhere.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token
from tests.api.test_hostile_corrections import MERGE, MOVE, SPLIT, UNDO, Caller, _library

REMOVE = "mutation($ids: [ID!]!) { removeAssets(assetIds: $ids) { removedIds } }"


Artist = tuple[Caller, list[list[str]]]


@pytest.fixture
async def artist(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> Artist:
    """The library of :func:`_library` (sessions of 5, 5, 5, 5, 5 and 1 images, a tool switch between
    each) and its sessions' images, oldest session first, each in stream order."""
    await _library(session_factory, settings, tmp_path, "ada")
    ada = Caller(lenient_http, await make_user_with_token(session_factory, "ada"))
    return ada, [members for _, members, _, _ in reversed(await ada.sessions())]


async def _session_of(ada: Caller) -> dict[str, str]:
    return {image: session for session, members, _, _ in await ada.sessions() for image in members}


async def _applied(ada: Caller, document: str, **variables: object) -> str:
    """Apply a correction; its id."""
    answer = await ada.data(document, **variables)
    assert answer["__typename"] == "CorrectionApplied", answer
    return str(answer["corrections"][0]["id"])


async def test_a_split_holds_when_the_image_it_starts_at_is_moved_away(artist: Artist) -> None:
    ada, images = artist
    second = images[1]
    await _applied(ada, SPLIT, s=(await _session_of(ada))[second[0]], a=second[2])
    await _applied(ada, MOVE, ids=[second[2]], to=(await _session_of(ada))[images[3][0]])

    where = await _session_of(ada)
    assert where[second[0]] == where[second[1]] != where[second[3]] == where[second[4]]  # the cut stays
    assert where[second[2]] == where[images[3][0]]


async def test_a_merge_holds_when_an_image_it_joined_is_moved_away(artist: Artist) -> None:
    ada, images = artist
    where = await _session_of(ada)
    await _applied(ada, MERGE, ids=[where[images[1][0]], where[images[2][0]]])
    joined_first = images[2][0]  # the merge's pair: the last image of the second session, this one
    await _applied(ada, MOVE, ids=[joined_first], to=where[images[3][0]])

    where = await _session_of(ada)
    assert len({where[image] for image in [*images[1], *images[2][1:]]}) == 1  # still one session
    assert where[joined_first] == where[images[3][0]]


async def test_undoing_a_split_brings_back_the_merge_it_replaced_after_an_image_by_the_gap_was_removed(
    artist: Artist,
) -> None:
    ada, images = artist
    where = await _session_of(ada)
    await _applied(ada, MERGE, ids=[where[images[0][0]], where[images[1][0]]])
    assert (await ada.data(REMOVE, ids=[images[0][-1]]))["removedIds"] == [images[0][-1]]  # the merge's end
    split = await _applied(ada, SPLIT, s=(await _session_of(ada))[images[1][0]], a=images[1][0])
    where = await _session_of(ada)
    assert where[images[0][0]] != where[images[1][0]]

    undone = await ada.data(UNDO, id=split)
    assert undone["__typename"] == "CorrectionUndone", undone
    where = await _session_of(ada)
    assert len({where[image] for image in [*images[0][:-1], *images[1]]}) == 1  # merged again


async def test_undoing_a_second_move_brings_back_the_first_after_its_anchor_was_removed(
    artist: Artist,
) -> None:
    ada, images = artist
    moved, anchor = images[0][2], images[2][0]  # the first move's anchor is its target's first image
    await _applied(ada, MOVE, ids=[moved], to=(await _session_of(ada))[anchor])
    assert (await ada.data(REMOVE, ids=[anchor]))["removedIds"] == [anchor]
    assert (await _session_of(ada))[moved] == (await _session_of(ada))[images[2][1]]
    second = await _applied(ada, MOVE, ids=[moved], to=(await _session_of(ada))[images[3][0]])

    undone = await ada.data(UNDO, id=second)
    assert undone["__typename"] == "CorrectionUndone", undone
    where = await _session_of(ada)
    assert where[moved] == where[images[2][1]]  # where the first move, still in force, put it


async def test_undoing_the_middle_of_three_corrections_of_one_gap_keeps_the_latest_in_force(
    artist: Artist,
) -> None:
    """Merge, split there, merge again: undoing the split leaves the gap joined (the last merge is the
    latest word); undoing that merge then brings back the first one, and undoing it parts them."""
    ada, images = artist
    where = await _session_of(ada)
    first = await _applied(ada, MERGE, ids=[where[images[0][0]], where[images[1][0]]])
    split = await _applied(ada, SPLIT, s=(await _session_of(ada))[images[1][0]], a=images[1][0])
    where = await _session_of(ada)
    last = await _applied(ada, MERGE, ids=[where[images[0][0]], where[images[1][0]]])

    async def joined() -> bool:
        where = await _session_of(ada)
        return where[images[0][0]] == where[images[1][0]]

    for undo, together in ((split, True), (last, True), (first, False)):
        undone = await ada.data(UNDO, id=undo)
        assert undone["__typename"] == "CorrectionUndone", undone
        assert await joined() is together, undo


async def test_a_split_at_an_image_moved_in_is_refused_saying_why(artist: Artist) -> None:
    ada, images = artist
    arrived = images[2][0]
    target = (await _session_of(ada))[images[1][0]]
    await _applied(ada, MOVE, ids=[arrived], to=target)
    before = await _session_of(ada)

    refused = await ada.data(SPLIT, s=target, a=arrived)
    assert refused["__typename"] == "InvalidCorrection", refused
    assert "moved into this session" in refused["message"] and "merge" not in refused["message"]
    assert await _session_of(ada) == before
    # the image after it is a place of the session's own: a split there holds
    await _applied(ada, SPLIT, s=target, a=images[1][3])
    where = await _session_of(ada)
    assert where[images[1][2]] != where[images[1][3]]
