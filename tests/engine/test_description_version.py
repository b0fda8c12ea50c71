"""``DESCRIPTION_VERSION`` moves whenever the engine describes the same sessions differently.

Stored libraries are re-described once per version (``catalog.sessions.redescription``), so a change
to labels, intents, phases or lineage that keeps the version would never reach them. The reference
descriptions here are of fixed sessions — each simulated library's true sessions, pinned by
constraints — so a change of where boundaries fall does not move them; only a change of how the
sessions are described does.

When this fails after a deliberate change of descriptions: bump ``engine.analysis.DESCRIPTION_VERSION``
and record the new digest below.
"""

from __future__ import annotations

import hashlib
import json

from bench.metrics import stream_order
from bench.simulate import SimulatedLibrary, simulate_library
from bench.simulate_docs import simulate_docs_library
from bench.simulate_field import simulate_field_library
from engine.analysis import DESCRIPTION_VERSION
from engine.session_analysis import SessionConstraints, analyze_records

DIGEST = "d32e6a2021179dec"
"""Digest of the reference descriptions made by the current ``DESCRIPTION_VERSION``. History:
1 — exploration labels list what was explored (the engine of migration 0015); 2 — a short run of
rerolls ended by a new idea samples it (phases); 3 — consecutive seeds rendered back to back are one
queued batch (phases; family C joined the references, which A and B never showed the change).
4 — a prompt's identity leaves out inline tool parameters (Midjourney's ``--v 7``, ``--ar 2:3``): prompt
counts, labels, phases and lineage of prompts that differ only in them; and a child naming a cell of its
parent job's grid (``parent_grid``) links to that image (lineage); a parameter swept over several seeds,
or inside the prompt (``--stylize``, ``<lora:x:w>``, FLUX guidance), is parameter optimization (phases).
5 — a session without a prompt is labelled with its tool's own name ("Draw Things session", "Adobe
Firefly session"; was the capitalised id): no reference session changes, so the digest stays.
6 — a prompt's run that a new idea ends within five minutes is a sample of that idea, however many
images it queued (phases: ``PhaseSettings.sampling_run_seconds``). 7 — an optimization phase names every
knob the phases compare (scheduler, LoRA weights and sets, FLUX guidance, inline ``--stylize``…; LoRA and
model names without folder or extension), and one that names none is "parameter optimization", no
longer labelled as an exploration (labels, ``detail``); a session of several phases that refined or
optimised is named by its largest phase of that intent, not by the look all its prompts shared; an
exploration lists a subject it dwelt on (many records of one prompt) instead of taking it for the look;
a parent the child names is linked in an earlier session too, and ComfyUI's ``[output]`` annotation is
read (lineage; the references here pin true sessions, so this part does not move the digest); a
variation / img2img / inpaint naming the image it reworks, under the same prompt, is evidence of
refinement like a reroll (phases: Midjourney's Vary has no seed); a phase without a prompt is named by
its intent alone ("Exploration — 1 image", was "Untitled exploration"); the phases' model moves more
readily and reads a tweak as refinement (``stay_probability`` 0.94 → 0.90, an exploration's TWEAK
probability 0.12 → 0.05). 8 — prompts written without spaces (Chinese, Japanese, Korean) are compared by
overlapping character pairs and cut into phrases at full-width separators (，、。): their labels, phases
and prompt-edit lineage; and a rework is evidence of refinement under a new prompt too — an edit
model's prompt is an instruction — as is an img2img / inpaint under a new prompt that names no source
(a denoise below 1 outside a hires pass; phases); a knob moved under one prompt by a tool that writes
no seed (Midjourney's ``--stylize``) is a sweep, not a reroll (phases). 9 — a subject tried with a few
seeds and tweaks and left for a new idea within nine minutes is sampled, not refined: its tweaks after
the first are no evidence of refinement (phases: ``PhaseSettings.sampling_run_seconds``); a concept no
longer ends in a past participle whose complement was cut ("koi pond seen" → "koi pond"; labels — no
reference session has one); phrases are clustered by their words beyond boilerplate, so lighting tags
("rim light", "natural light", "light rain") no longer pool into one concept that outweighs the subject;
a phrase of look words only ("kodak portra", "golden hour", "wide shot": ``prompt_text.is_look_phrase``)
names a concept only when nothing names the subject, an exploration lists subjects rather than the
look words opening its prompts, "<look> of <subject>" frames the subject ("pixel art of a witch"), and
concepts cluster the best 12 phrases (was 8, which left a subject's edited variants out); a set of
prompts cycled on the same seeds while a knob moves (a LoRA's epochs on test prompts) is optimization
(phases: ``_cycled_prompt_sweeps``). 10 — an artist's recurring words (template, style suffix) count
little in the prompt context (``engine.sessions.recurring_words``). That moves boundaries, not
descriptions (the phases compare prompts pairwise, without those factors), so the digest stays; the
version moves so that every stored library is re-described once — a full re-clustering with its
sessions kept — which learns and stores its words for the span re-clusterings after each import
(``catalog.sessions.recurring_words_store``). 11 — a sampled subject's first reroll or tweak is no
evidence of refinement either (phases: ``_count_sampling_once``), and lineage reads each step before
that discount, so a reroll inside an exploration is linked to its subject's image (lineage). (The same
session's boundary changes — the negative prompt in the set-up churn, prompt embeddings out of the
prompt context — move no description.) 12 — a batch or clip of one seed upscaled as one (a latent upscale of a
ComfyUI batch, AnimateDiff frames upscaled frame by frame) pairs its images in order instead of linking
every upscale to the batch's last image (lineage), and img2img passes naming the same source under one
prompt and seed with a knob moved are a sweep, not reworks (phases); no reference session has either,
so the digest stays."""


def _truth_pins(library: SimulatedLibrary) -> SessionConstraints:
    """Must-link chains within each true session, cannot-links between neighbouring true sessions."""
    must_link: list[tuple[str, str]] = []
    cannot_link: list[tuple[str, str]] = []
    last_member: dict[str, str] = {}
    previous: str | None = None
    for record in stream_order(library.records):
        truth = library.session_of[record.id]
        if truth in last_member:
            must_link.append((last_member[truth], record.id))
        last_member[truth] = record.id
        if previous is not None and library.session_of[previous] != truth:
            cannot_link.append((previous, record.id))
        previous = record.id
    return SessionConstraints(must_link=must_link, cannot_link=cannot_link)


def _descriptions(library: SimulatedLibrary) -> list[object]:
    analysis = analyze_records(library.records, constraints=_truth_pins(library))
    truth: dict[str, set[str]] = {}
    unclustered = set(analysis.unclustered)  # records without a time
    for record_id, session in library.session_of.items():
        if record_id not in unclustered:
            truth.setdefault(session, set()).add(record_id)
    assert sorted(map(sorted, truth.values())) == sorted(sorted(s.asset_ids) for s in analysis.sessions)
    sessions = [
        [s.label, str(s.intent), [[str(p.intent), p.label, p.asset_ids] for p in s.phases]]
        for s in sorted(analysis.sessions, key=lambda s: s.asset_ids[0])
    ]
    lineage = sorted([e.parent, e.child, str(e.kind)] for e in analysis.lineage)
    return [sessions, lineage]


def test_the_description_version_names_how_sessions_are_described() -> None:
    references = [
        _descriptions(simulate_library(seed=1, artists=3, days=6)),
        _descriptions(simulate_docs_library(seed=11, artists=3, days=6, with_visual=False)),
        _descriptions(simulate_field_library(seed=21, artists=10, days=6, with_visual=False)),
    ]
    digest = hashlib.sha256(json.dumps(references, sort_keys=True).encode()).hexdigest()[:16]
    assert digest == DIGEST, (
        f"the engine describes the reference sessions differently (digest {digest}): bump "
        f"DESCRIPTION_VERSION (now {DESCRIPTION_VERSION}) and record the new digest in DIGEST"
    )
