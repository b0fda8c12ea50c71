"""Each user is analysed as if alone: an analysis of several users is, byte for byte, the join of
the analyses of each user (what lets ``atelier analyze`` split its input by user across cores)."""

from __future__ import annotations

import random
from datetime import timedelta

from engine.analysis import join_json_parts
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records, split_timed
from engine.sessions.record_stream import user_stream_key
from tests.engine.session_records import T0

SUBJECTS = [
    "red fox in snow, watercolor",
    "lighthouse in a storm, oil painting",
    "portrait of an old fisherman, charcoal sketch",
    "neon alley at night, cinematic photo",
    "koi pond, ukiyo-e print",
    "desert caravan at dusk, matte painting",
]


def _shared_vocabulary_records(users: list[str | None]) -> list[GenerationRecord]:
    """Users who share one vocabulary in different orders and spellings: evenings where two subjects
    alternate equally often (so labels break ties between equally used prompts), plus an undated
    record. Interleaved by time, as a log of several artists would be."""
    rng = random.Random(11)
    records: list[GenerationRecord] = []
    for number, user in enumerate(users):
        order = SUBJECTS[:]
        rng.shuffle(order)
        for evening in range(5):
            pair = [order[(evening + k) % len(order)] for k in (0, 1)]
            if number % 2:
                pair = [prompt.upper() for prompt in pair]  # same prompts, another spelling
            start = T0 + timedelta(days=evening, minutes=7 * number)
            for step in range(10):
                records.append(
                    GenerationRecord(
                        id=f"{user}-{evening}-{step:02d}",
                        user=user,
                        tool="comfyui",
                        created_at=start + timedelta(minutes=1.5 * step),
                        prompt=pair[step % 2],
                        seed=rng.randrange(2**31),
                        model="sdxl_base",
                        steps=30,
                        cfg_scale=7.0,
                    )
                )
        records.append(GenerationRecord(id=f"{user}-undated", user=user, tool="comfyui", prompt="no time"))
    records.sort(key=lambda record: (record.created_at is None, record.created_at))
    return records


def test_an_analysis_of_several_users_is_the_join_of_each_user_analysed_alone() -> None:
    users: list[str | None] = ["mia", "ada", None, "zoe", "bo"]
    records = _shared_vocabulary_records(users)
    together = analyze_records(records).to_json_bytes()

    timed, unclustered = split_timed(records)
    apart = [
        analyze_records([record for record in timed if record.user == user]).json_parts()
        for user in sorted(users, key=user_stream_key)
    ]

    assert join_json_parts(apart, unclustered) == together
    assert together.count(b'"user":') >= 5 * len(users)  # every user has sessions
    assert len(unclustered) == len(users)


def test_a_users_labels_do_not_depend_on_who_else_is_in_the_input() -> None:
    users: list[str | None] = ["ada", "bo", "cy", "di"]
    records = _shared_vocabulary_records(users)
    for user in users:
        alone = analyze_records([record for record in records if record.user == user])
        among = [session for session in analyze_records(records).sessions if session.user == user]
        assert [session.label for session in alone.sessions] == [session.label for session in among]
        assert [session.asset_ids for session in alone.sessions] == [session.asset_ids for session in among]
