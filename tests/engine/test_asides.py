"""A quick aside inside a sitting (:mod:`engine.sessions.asides`): a few images of something else, then
straight back to the work in hand, stay in the session; leaving for good, a long detour or an artist's
own split do not."""

from __future__ import annotations

from engine.records import GenerationRecord
from engine.session_analysis import SessionConstraints, analyze_records
from tests.engine.session_records import MOUNTAIN, NEON, memberships, paced

CAT = "a photo of a cat sitting on a windowsill"


def _sitting(aside: int, back: int, *, aside_gap: float = 2.0) -> list[GenerationRecord]:
    """20 renders of one prompt a minute apart, ``aside`` renders of a sanity prompt on a new checkpoint
    ``aside_gap`` minutes later, then ``back`` more renders of the first prompt."""
    records = list(paced("main", 0, 20, 1.0, NEON))
    start = 19 + aside_gap
    records += paced("cat", start, aside, 0.5, CAT, model="new_checkpoint")
    records += paced("back", start + aside * 0.5 + 1.5, back, 1.0, NEON)
    return records


def test_a_quick_aside_and_back_is_one_session() -> None:
    assert len(memberships(analyze_records(_sitting(aside=3, back=10)))) == 1


def test_leaving_for_good_or_a_long_detour_are_sessions() -> None:
    left = analyze_records(_sitting(aside=12, back=0))
    long_detour = analyze_records(_sitting(aside=12, back=10))
    slow_to_start = analyze_records(_sitting(aside=3, back=10, aside_gap=8.0))

    assert [len(members) for members in memberships(left)] == [20, 12]
    assert len(memberships(long_detour)) >= 2
    assert len(memberships(slow_to_start)) >= 2


def test_an_artists_split_at_the_aside_holds() -> None:
    records = _sitting(aside=3, back=10)
    split = SessionConstraints(cannot_link=[("main019", "cat000")])

    assert len(memberships(analyze_records(records, constraints=split))) >= 2


def test_a_new_subject_after_the_aside_is_not_a_return() -> None:
    records = list(paced("main", 0, 20, 1.0, NEON))
    records += paced("cat", 21, 3, 0.5, CAT, model="new_checkpoint")
    records += paced("other", 24, 10, 1.0, MOUNTAIN)

    assert len(memberships(analyze_records(records))) >= 2
