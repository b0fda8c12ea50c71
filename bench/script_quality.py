"""Session quality when the same artists write their prompts in a script without spaces.

Chinese and Japanese prompts put no spaces between words, so whatever the engine reads as a "word"
there decides how alike two prompts look. This benchmark rewrites every prompt of the simulator
families (``bench.quality.FAMILIES``) in a Han-like script and scores the engine on both versions of
the same library, in the same process: the sessions, phases and their truth are unchanged, only the
script differs, so the gap between the two rows is what the script costs.

The rewriting, deterministic and independent of the engine: each English word becomes a fixed run of
2–3 CJK ideographs (a hash of the word), a stopword a single function character (的, 在, 一 … —
Chinese function words are mostly one character), words of one comma-separated part are joined
without spaces and parts are separated by the full-width comma ``，``; a tool's inline parameters
(``--ar 2:3``), ``<lora:…>`` tags and weights (``:1.2``) stay as written.

    python -m bench.script_quality                  # families A-D (and any registered later), both seeds
    python -m bench.script_quality --families A,C   # some families only
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import accuracy, adjusted_rand, boundary_set, precision_recall, stream_order
from bench.quality import FAMILIES, OUT_DIR
from bench.simulate import SimulatedLibrary
from engine.features.prompt_text import STOPWORDS
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records

SEEDS: dict[str, tuple[int, int]] = {
    "A": (1, 2),
    "B": (11, 12),
    "C": (21, 22),
    "D": (31, 32),
    "E": (41, 42),
    "F": (51, 52),
    "G": (61, 62),
    "H": (71, 72),
    "I": (81, 82),
    "J": (91, 92),
}
"""Development and held-out seed of each family letter (as ``bench.quality`` uses them)."""
ARTISTS, DAYS = 20, 21
"""The library size ``bench.quality`` scores (its defaults)."""
FUNCTION_CHARACTERS = "的在和与一了着是之其"
_KEPT_AS_WRITTEN = re.compile(r"--[a-z]+(?:\s+[\w.:]+)?|<[^<>]*>|:\s*-?\d+(?:\.\d+)?")
_LATIN_WORD = re.compile(r"[A-Za-z']+")
_SPACE_BETWEEN_IDEOGRAPHS = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_IDEOGRAPHS = 20_900
"""How many code points from U+4E00 a word's characters are drawn from."""


def ideographs(word: str) -> str:
    """The fixed CJK rendering of one English ``word`` (any case)."""
    digest = hashlib.blake2b(word.lower().encode(), digest_size=6).digest()
    if word.lower() in STOPWORDS:
        return FUNCTION_CHARACTERS[digest[0] % len(FUNCTION_CHARACTERS)]
    length = 2 if len(word) <= 5 else 3
    return "".join(
        chr(0x4E00 + int.from_bytes(digest[2 * i : 2 * i + 2], "big") % _IDEOGRAPHS) for i in range(length)
    )


def _rewritten_text(text: str) -> str:
    text = _LATIN_WORD.sub(lambda match: ideographs(match.group()), text)
    return _SPACE_BETWEEN_IDEOGRAPHS.sub("", text).replace(", ", "，").replace(",", "，")


def rewritten_prompt(prompt: str | None) -> str | None:
    """``prompt`` in the Han-like script of the module docstring (``None`` and ``""`` unchanged)."""
    if not prompt:
        return prompt
    parts: list[str] = []
    position = 0
    for kept in _KEPT_AS_WRITTEN.finditer(prompt):
        parts.append(_rewritten_text(prompt[position : kept.start()]))
        parts.append(kept.group())
        position = kept.end()
    parts.append(_rewritten_text(prompt[position:]))
    return "".join(parts)


def rewritten_records(records: list[GenerationRecord]) -> list[GenerationRecord]:
    return [
        dataclasses.replace(
            record,
            prompt=rewritten_prompt(record.prompt),
            negative_prompt=rewritten_prompt(record.negative_prompt),
        )
        for record in records
    ]


def score(library: SimulatedLibrary, records: list[GenerationRecord]) -> dict[str, float]:
    """Boundary F1, ARI and phase accuracy of the lexical engine on ``records`` (the library's records,
    possibly rewritten) against the library's truth."""
    ordered = stream_order(records)
    analysis = analyze_records(records)
    session_of = {asset: session.id for session in analysis.sessions for asset in session.asset_ids}
    phase_of = {
        asset: str(phase.intent)
        for session in analysis.sessions
        for phase in session.phases
        for asset in phase.asset_ids
    }
    found, truth = boundary_set(ordered, session_of), boundary_set(ordered, library.session_of)
    boundaries = precision_recall(found, truth)
    truth_phases = {record.id: library.phase_of[record.id] for record in ordered if record.id in phase_of}
    return {
        "boundary_f1": boundaries.f1,
        "ari": adjusted_rand(ordered, library.session_of, session_of),
        "phase_accuracy": accuracy(truth_phases, phase_of),
        "sessions": float(len(analysis.sessions)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Session quality with prompts in a script without spaces")
    parser.add_argument("--families", default=",".join(SEEDS), help="comma-separated family letters")
    args = parser.parse_args()
    wanted = {letter.strip().upper() for letter in args.families.split(",") if letter.strip()}
    lines = [
        "| family, seed | script | boundary F1 | ARI | phase accuracy | sessions |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for family_name, family in FAMILIES.items():
        letter = family_name.split()[0]
        if letter not in wanted or letter not in SEEDS:
            continue
        for label, seed in zip(("development", "held-out"), SEEDS[letter], strict=True):
            library = family(seed=seed, artists=ARTISTS, days=DAYS)
            for script, records in (("Latin", library.records), ("CJK", rewritten_records(library.records))):
                row: dict[str, Any] = score(library, records)
                lines.append(
                    f"| {letter} {seed} ({label}) | {script} | {row['boundary_f1']:.3f} | {row['ari']:.3f} "
                    f"| {row['phase_accuracy']:.3f} | {int(row['sessions'])} |"
                )
                print(lines[-1], flush=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "script_quality.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
