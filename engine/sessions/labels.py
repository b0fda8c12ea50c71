"""Descriptive labels for sessions and phases, built from the prompts' key phrases — no LLM.

A *concept* is the best key phrase of a group of records: key phrases (comma-separated prompt chunks,
boilerplate removed; :func:`engine.features.prompt_text.key_phrases`) are counted once per record,
near-duplicate phrases ("cyberpunk city", "cyberpunk cityscape at night") are clustered by shared
content words and pooled, and the cluster with the highest support × specificity names the concept.
When prompt embeddings exist, each record's phrases are weighted by how central its prompt is to the
group (cosine to the group's mean embedding), so the concept follows the semantic core of the group.

An exploration goes through several subjects in one look ("dragon on castle ruins, oil painting" →
"elven city in giant trees, oil painting"): its label lists what was *explored* — each prompt's first
key phrase found in at most half of the group's records, clustered the same way, best first — as
the product documents describe ("Explored: sci-fi interiors, fantasy landscapes, abstract patterns").
The phrases every other record repeats (the medium, the finishing tags) describe the look, not what
was explored. With fewer than two varying subjects the exploration is named by its concept.

Label shapes (descriptive, never judgemental):
  exploration   "Explored: cyberpunk cityscape, street market, hacker den (45 min, 18 images)"
                "Cyberpunk Cityscape Exploration (45 min, 18 images)" (one subject)
  refinement    "Neon portrait refinement — 15 seed variations"
  optimization  "Optimized: CFG 5→12 for mountain landscape"
  convergent    "Cyberpunk cityscape: exploration → refinement (45 min, 18 images)"
Without prompts the tool names the group: "ComfyUI session (12 min, 8 images)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from operator import itemgetter

import numpy as np

from engine.analysis import Intent
from engine.features.prompt_text import BOILERPLATE, is_look_phrase, key_phrases, prompt_token_weights
from engine.short_text import cut_text

TOOL_DISPLAY_NAMES: dict[str, str] = {
    "comfyui": "ComfyUI",
    "a1111": "AUTOMATIC1111",
    "forge": "Forge",
    "reforge": "reForge",
    "sdnext": "SD.Next",
    "invokeai": "InvokeAI",
    "novelai": "NovelAI",
    "swarmui": "SwarmUI",
    "fooocus": "Fooocus",
    "ruinedfooocus": "RuinedFooocus",
    "drawthings": "Draw Things",
    "mochidiffusion": "Mochi Diffusion",
    "kritaai": "Krita AI Diffusion",
    "easydiffusion": "Easy Diffusion",
    "stabilitymatrix": "Stability Matrix",
    "tensorart": "Tensor.Art",
    "civitai": "Civitai",
    "yodayo": "Yodayo",
    "huggingface": "Hugging Face",
    "mflux": "MFLUX",
    "dalle": "DALL·E",
    "bing": "Bing Image Creator",
    "chatgpt": "ChatGPT",
    "gemini": "Gemini",
    "firefly": "Adobe Firefly",
    "ideogram": "Ideogram",
    "grok": "Grok",
    "midjourney": "Midjourney",
    "unknown": "Untitled",
}
"""How labels name each tool id the readers write (``tests/engine/test_session_phases_and_labels.py``
checks that every id in ``engine/metadata`` has one); an id from elsewhere (an export, a JSONL line)
shows capitalised."""


MAX_CONCEPT_CHARS = 60
"""Longest concept a label shows. Key phrases are 1–5 words, but a "word" can be anything a prompt
holds (a URL, a hash, a base64 blob, a 100-million-character run in a hostile file): a longer concept
is cut at a word boundary, or within its one word, and ends with "…"."""


LOOK_SPECIFICITY = 0.4
"""Factor on the specificity of a look phrase (:func:`~engine.features.prompt_text.is_look_phrase`: "kodak
portra", "golden hour") when concepts are scored: it names a concept only when no phrase says what the
images are of."""


def bounded_concept(phrase: str) -> str:
    """``phrase`` as a label shows it: unchanged up to :data:`MAX_CONCEPT_CHARS`, else cut to fit."""
    return cut_text(phrase, MAX_CONCEPT_CHARS)


def concept_of(
    prompts: Sequence[str | None], prompt_embeddings: Mapping[str, np.ndarray] | None = None
) -> str | None:
    """The dominant concept phrase of a group of prompts (one entry per record), or None."""
    counts: dict[str, int] = {}
    for prompt in prompts:
        if prompt:
            counts[prompt] = counts.get(prompt, 0) + 1
    return concept_from_counts(list(counts.items()), prompt_embeddings)


def concept_from_counts(
    prompt_counts: Sequence[tuple[str, int]],
    prompt_embeddings: Mapping[str, np.ndarray] | None = None,
    max_phrases: int = 12,
) -> str | None:
    """The dominant concept phrase given (prompt, number of records) pairs, or None."""
    present = [(p, c) for p, c in prompt_counts if p]
    if not present:
        return None
    weights = _centrality_weights([p for p, _ in present], prompt_embeddings)
    support: dict[str, float] = {}
    support_of = support.get
    for (prompt, count), weight in zip(present, weights, strict=True):
        scale = count * weight
        for phrase, decay in _decayed_phrases(prompt):
            support[phrase] = support_of(phrase, 0.0) + scale * decay
    if not support:
        return None
    # Insertion order is first-seen order, and sorted() is stable: ties keep the earlier phrase.
    ranked = sorted(support, key=support.__getitem__, reverse=True)[:max_phrases]
    _, best_phrase = max(_scored_clusters(ranked, support), key=itemgetter(0))  # ties: the earlier cluster
    return bounded_concept(best_phrase)


def _scored_clusters(ranked: Sequence[str], support: Mapping[str, float]) -> list[tuple[float, str]]:
    """``(score, core)`` of each cluster of the ``ranked`` phrases (:func:`_cluster_phrases`, in the
    order they were made): the members' pooled support × the core's specificity."""
    scored: list[tuple[float, str]] = []
    for members in _cluster_phrases(ranked):
        if len(members) == 1:
            # sum() of one float is that float (support is never -0.0): the same score, no generator.
            representative = members[0]
            scored.append((support[representative] * _specificity(representative), representative))
        else:
            representative = _cluster_core(members, support)
            scored.append((sum(support[p] for p in members) * _specificity(representative), representative))
    return scored


EXPLORED_SHOWN = 3
"""Most subjects an exploration's label lists (then "…" when it went through more)."""
EXPLORED_SUBJECT_CHARS = 32
"""Longest subject an exploration's label shows (cut like :func:`bounded_concept`)."""


def explored_subjects(
    prompt_counts: Sequence[tuple[str, int]],
    prompt_embeddings: Mapping[str, np.ndarray] | None = None,
) -> tuple[str, ...]:
    """What an exploration went through, given (prompt, number of records) pairs: each prompt's
    subject is its first key phrase found in at most half of the group's records or at most half of
    its distinct prompts (phrases repeated more widely in both describe the look) that is not made of
    look words (:func:`~engine.features.prompt_text.is_look_phrase`), else the first such phrase; subjects are
    clustered like concept phrases and ranked by their records × specificity, best first (ties: the
    earlier subject). At most :data:`EXPLORED_SHOWN` + 1 are returned (the last one only says there are
    more); none for fewer than two distinct prompts."""
    present = [(p, c) for p, c in prompt_counts if p]
    if len(present) < 2:
        return ()
    records_with: dict[str, int] = {}
    prompts_with: dict[str, int] = {}
    for prompt, count in present:
        for phrase in _distinct_phrases(prompt):
            records_with[phrase] = records_with.get(phrase, 0) + count
            prompts_with[phrase] = prompts_with.get(phrase, 0) + 1
    half = sum(count for _, count in present) / 2
    half_prompts = len(present) / 2
    weights = _centrality_weights([p for p, _ in present], prompt_embeddings)
    support: dict[str, float] = {}
    for (prompt, count), weight in zip(present, weights, strict=True):
        # the prompt's subject: its first varying phrase that is not a look (else its first varying
        # phrase). The look repeats in most prompts *and* most records; a subject the artist dwelt on
        # fills many records of few prompts.
        subject = None
        for phrase in _distinct_phrases(prompt):
            if records_with[phrase] <= half or prompts_with[phrase] <= half_prompts:
                if not is_look_phrase(phrase):
                    subject = phrase
                    break
                subject = subject or phrase
        if subject is not None:
            support[subject] = support.get(subject, 0.0) + count * weight
    # insertion order is first-seen order and sorted() is stable: ties keep the earlier subject
    ranked = sorted(support, key=support.__getitem__, reverse=True)
    best_first = sorted(_scored_clusters(ranked, support), key=itemgetter(0), reverse=True)
    return tuple(cut_text(subject, EXPLORED_SUBJECT_CHARS) for _, subject in best_first[: EXPLORED_SHOWN + 1])


def _explored(subjects: Sequence[str]) -> str:
    """``Explored: a, b, c`` (with ``, …`` when there were more)."""
    shown = ", ".join(subjects[:EXPLORED_SHOWN])
    return f"Explored: {shown}, …" if len(subjects) > EXPLORED_SHOWN else f"Explored: {shown}"


def _decay(position: int) -> float:
    return 1.0 / (1.0 + 0.15 * position)


_DECAYS = tuple(_decay(position) for position in range(64))
"""``_decay`` of the first positions, computed once (the same floats)."""


@lru_cache(maxsize=250_000)
def _decayed_phrases(prompt: str) -> tuple[tuple[str, float], ...]:
    """Key phrases with a gentle positional decay: earlier chunks usually carry the subject."""
    phrases = key_phrases(prompt)
    if len(phrases) <= len(_DECAYS):
        return tuple(zip(phrases, _DECAYS, strict=False))
    return tuple((phrase, _decay(position)) for position, phrase in enumerate(phrases))


@lru_cache(maxsize=100_000)
def _distinct_phrases(prompt: str) -> tuple[str, ...]:
    """The prompt's key phrases in prompt order, each once."""
    return tuple(dict.fromkeys(phrase for phrase, _ in _decayed_phrases(prompt)))


def _cluster_core(members: list[str], support: Mapping[str, float]) -> str:
    """The cluster's core: the well-supported phrase contained in most of the others' support
    ("cyberpunk cityscape" rather than "cyberpunk cityscape at night"), then the shortest."""
    top = support[members[0]]
    strong = [p for p in members if support[p] >= 0.5 * top]
    if len(strong) == 1:
        return strong[0]
    words = {m: _content_words(m) for m in members}

    def rank(phrase: str) -> tuple[float, int, float]:
        covered = sum(support[m] for m in members if words[phrase] <= words[m])
        return covered, -phrase.count(" "), support[phrase]

    return max(strong, key=rank)


def _centrality_weights(prompts: Sequence[str], embeddings: Mapping[str, np.ndarray] | None) -> list[float]:
    if not embeddings or len(prompts) < 2:
        return [1.0] * len(prompts)
    vectors = [embeddings.get(p) for p in prompts]
    known = [v for v in vectors if v is not None]
    if len(known) < 2:
        return [1.0] * len(prompts)
    mean = np.mean(np.stack(known), axis=0)
    mean_norm = float(np.linalg.norm(mean)) or 1.0
    weights = []
    for vector in vectors:
        if vector is None:
            weights.append(0.5)
        else:
            cosine = float(np.dot(vector, mean)) / ((float(np.linalg.norm(vector)) or 1.0) * mean_norm)
            weights.append(max(0.05, cosine))
    return weights


@lru_cache(maxsize=100_000)
def _specificity(phrase: str) -> float:
    words = phrase.split()
    content = [w for w in words if w not in BOILERPLATE]
    if not content:
        return 0.1
    length_bonus = {1: 0.8, 2: 1.0, 3: 1.05, 4: 1.0, 5: 0.9}.get(len(words), 0.8)
    look = LOOK_SPECIFICITY if is_look_phrase(phrase) else 1.0
    return look * length_bonus * len(content) / len(words)


@lru_cache(maxsize=100_000)
def _content_words(phrase: str) -> frozenset[str]:
    """The words that say what ``phrase`` is about: its tokens without the boilerplate ones ("light",
    "painting", "style" …), unless that leaves none. Clustering on them keeps "rim light", "natural
    light" and "light rain" apart — one shared "light" pooled a session's lighting tags into one phrase
    that outweighed its subject ("Rim light refinement" for a beekeeper refined 30 times)."""
    words = frozenset(prompt_token_weights(phrase))
    return words - BOILERPLATE or words


def _cluster_phrases(phrases_by_support: Sequence[str]) -> list[list[str]]:
    """Greedy clustering: a phrase joins the first cluster whose representative shares ≥ half of the
    content words of the shorter of the two; otherwise it starts a new cluster."""
    representatives: list[tuple[frozenset[str], int, list[str]]] = []
    """(content words, their number, cluster) per cluster, in creation order."""
    for phrase in phrases_by_support:
        words = _content_words(phrase)
        size = len(words)
        for representative_words, representative_size, cluster in representatives:
            shared = len(words & representative_words)
            if shared and shared * 2 >= (size if size < representative_size else representative_size):
                cluster.append(phrase)
                break
        else:
            representatives.append((words, size, [phrase]))
    return [cluster for _, _, cluster in representatives]


def format_duration(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60.0)
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _count(images: int) -> str:
    return "1 image" if images == 1 else f"{images} images"


_LOWERCASE_IN_TITLES = frozenset(
    ("a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from")
)


def _title(text: str) -> str:
    words = text.split()
    return " ".join(
        word if index and word in _LOWERCASE_IN_TITLES else word[:1].upper() + word[1:]
        for index, word in enumerate(words)
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def tool_display_name(tool: str) -> str:
    return TOOL_DISPLAY_NAMES.get(tool, tool[:1].upper() + tool[1:])


def session_label(
    *,
    concept: str | None,
    tool: str,
    intent: Intent,
    image_count: int,
    duration: timedelta | None,
    distinct_seeds: int,
    optimized_parameter: str | None = None,
    explored: Sequence[str] = (),
) -> str:
    """The session's label; ``duration`` is None when times are day-precision only; ``explored``: the
    subjects of an exploration (:func:`explored_subjects`), listed when there are at least two."""
    extent = (
        _count(image_count) if duration is None else f"{format_duration(duration)}, {_count(image_count)}"
    )
    if concept is None:
        return f"{tool_display_name(tool)} session ({extent})"
    if intent is Intent.OPTIMIZATION:
        if optimized_parameter:
            return f"Optimized: {optimized_parameter} for {concept}"
        return f"{_sentence(concept)} parameter optimization ({extent})"
    if intent is Intent.REFINEMENT and image_count > 1:
        return f"{_sentence(concept)} refinement — {_variations(image_count, distinct_seeds)}"
    if intent is Intent.CONVERGENT_SELECTION:
        return f"{_sentence(concept)}: exploration → refinement ({extent})"
    if image_count == 1:
        return f"{_title(concept)} ({extent})"
    if len(explored) >= 2:
        return f"{_explored(explored)} ({extent})"
    return f"{_title(concept)} Exploration ({extent})"


def phase_label(
    *,
    concept: str | None,
    intent: Intent,
    image_count: int,
    distinct_seeds: int,
    optimized_parameter: str | None,
    explored: Sequence[str] = (),
) -> str:
    """The phase's label; without a concept (no prompt) it names the intent alone ("Exploration — 1
    image", "Optimized: CFG 5→12")."""
    subject = f"{concept} " if concept else ""
    if intent is Intent.OPTIMIZATION:
        if optimized_parameter:
            return f"Optimized: {optimized_parameter}" + (f" for {concept}" if concept else "")
        return f"{_sentence(subject + 'parameter optimization')} — {_count(image_count)}"
    if intent is Intent.REFINEMENT:
        return f"{_sentence(subject + 'refinement')} — {_variations(image_count, distinct_seeds)}"
    if len(explored) >= 2 and image_count > 1:
        return f"{_explored(explored)} — {_count(image_count)}"
    return f"{_sentence(subject + 'exploration')} — {_count(image_count)}"


def _variations(image_count: int, distinct_seeds: int) -> str:
    if distinct_seeds <= 1:
        return f"{image_count} variations"
    if distinct_seeds == image_count:
        return f"{image_count} seed variations"
    return f"{image_count} variations across {distinct_seeds} seeds"
