"""How similar two prompts are, in [0, 1]: a lexical measure always, blended with a semantic one when
both prompts have an embedding.

- lexical: weighted Jaccard of content tokens (:func:`engine.features.prompt_text.prompt_token_weights`),
  so boilerplate counts little and word order does not count;
- semantic: cosine of sentence embeddings (all-MiniLM-L6-v2), rescaled so that unrelated prompts
  (cosine ≲ :data:`SEMANTIC_FLOOR`) score 0 and identical ones 1;
- blended: the mean of the two when both exist. Without embeddings the lexical value is used alone
  (documented quality: paraphrases such as "neon alley" / "cyberpunk street" then look unrelated).
  :class:`PromptSimilarity` (lineage, phases) blends; :class:`PromptContext` (session boundaries) is
  lexical only, for the reasons in its docstring.

Invariants: symmetric; 1.0 for equal normalised prompts; 0.0 when either prompt is empty.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.features.prompt_text import prompt_features, prompt_token_weights, written_without_spaces

SEMANTIC_FLOOR = 0.25
SEMANTIC_SPAN = 0.6


def lexical_similarity(prompt_a: str, prompt_b: str) -> float:
    """Weighted Jaccard of content tokens; 1.0 for token-equal prompts, 0.0 if either has none."""
    if prompt_a == prompt_b:
        return 1.0 if prompt_a else 0.0
    weights_a, total_a = prompt_features(prompt_a)[:2]
    weights_b, total_b = prompt_features(prompt_b)[:2]
    if not weights_a or not weights_b:
        return 0.0
    if len(weights_b) < len(weights_a):
        weights_a, weights_b = weights_b, weights_a
    shared = 0.0
    for token, weight in weights_a.items():
        if token in weights_b:
            shared += weight
    union = total_a + total_b - shared
    return shared / union if union > 0 else 0.0


def rescaled_cosine(embedding_a: np.ndarray, embedding_b: np.ndarray) -> float:
    """Cosine of two embeddings mapped to [0, 1] with :data:`SEMANTIC_FLOOR` → 0."""
    norm = float(np.linalg.norm(embedding_a) * np.linalg.norm(embedding_b))
    if norm == 0.0:
        return 0.0
    cosine = float(np.dot(embedding_a, embedding_b)) / norm
    return min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / SEMANTIC_SPAN))


def readable_embeddings(prompt_embeddings: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The embeddings worth comparing: those of prompts not written in a script without spaces.

    The bundled sentence model (all-MiniLM-L6-v2) reads English. Any two Chinese or Japanese prompts
    look alike to it — rescaled cosine 0.5–0.9 between unrelated ones ("城堡废墟上栖息的巨龙" and "一只
    黑猫坐在窗台上": 0.72), where unrelated English prompts score 0 — so blending it in would join
    unrelated CJK prompts. Such prompts are compared by their character pairs alone
    (:func:`~engine.features.prompt_text.written_without_spaces`)."""
    if not prompt_embeddings:
        return {}
    return {
        prompt: vector
        for prompt, vector in prompt_embeddings.items()
        if prompt.isascii() or not written_without_spaces(prompt)
    }


class PromptSimilarity:
    """Prompt similarity (prompts are looked up by exact text for their embeddings).

    Not memoised: the lexical measure costs about a microsecond, and a memo of hundreds of thousands
    of prompt pairs costs more in memory and garbage-collector time than it saves."""

    def __init__(self, prompt_embeddings: Mapping[str, np.ndarray] | None = None) -> None:
        self._embeddings = prompt_embeddings or {}

    def __call__(self, prompt_a: str, prompt_b: str) -> float:
        if prompt_a == prompt_b:
            return 1.0 if prompt_a else 0.0
        if not prompt_a or not prompt_b:
            return 0.0
        value = lexical_similarity(prompt_a, prompt_b)
        if self._embeddings:
            embedding_a = self._embeddings.get(prompt_a)
            embedding_b = self._embeddings.get(prompt_b)
            if embedding_a is not None and embedding_b is not None:
                value = 0.5 * value + 0.5 * rescaled_cosine(embedding_a, embedding_b)
        return value


class PromptContext:
    """The last ``capacity`` distinct prompts of a stream, and how well a new prompt fits them.

    The fit is lexical: the *containment* of the new prompt's weighted tokens in the union of the
    context's tokens (an exploration recombines recent words; containment is never below the best
    pairwise weighted Jaccard), with the artist's recurring words scaled down. Maintained incrementally
    (token counts), so each update and query costs O(tokens of one prompt).

    Not semantic, on purpose (nineteenth session): blending in the best rescaled MiniLM cosine (half
    and half, as before) cost boundary F1 on seven of nine simulator families — H 0.970 → 0.886, A
    0.990 → 0.980, D 0.935 → 0.912 on their development seeds; mean over the nine 0.9656 → 0.9515,
    held-out 0.9694 → 0.9539 — and helped only C (0.961 → 0.965) and I (0.879 → 0.885). A sentence
    embedding sees an artist's template, style tail and quality tags ("masterpiece, best quality, …"),
    which the recurring words take out of the lexical fit, and calls two subjects in one template
    alike; at a quarter share it still cost 0.006 on the mean. So sessions never depend on whether
    prompt embeddings exist yet: ``atelier analyze`` and the library (whose embeddings the worker makes
    later) find the same boundaries. Embeddings still count in :class:`PromptSimilarity` (lineage's
    prompt edits, phase convergence) and in search.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._prompts: list[str] = []
        self._token_counts: dict[str, int] = {}
        self._token_scale: Mapping[str, float] = {}

    def clear(self, token_scale: Mapping[str, float] | None = None) -> None:
        """Empty the context; ``token_scale``: a factor per token for the lexical fit from now on (a word
        in nearly every prompt of an artist — their template or style — says little about the subject)."""
        self._prompts.clear()
        self._token_counts.clear()
        self._token_scale = token_scale or {}

    def fit(self, prompt: str) -> float:
        """How well ``prompt`` fits the context, in [0, 1] (0 for an empty context or prompt)."""
        if not self._prompts or not prompt:
            return 0.0
        weights = prompt_token_weights(prompt)
        total = 0.0
        contained = 0.0
        scale = self._token_scale
        for token, weight in weights.items():
            if scale:
                weight *= scale.get(token, 1.0)
            total += weight
            if token in self._token_counts:
                contained += weight
        return contained / total if total > 0 else 0.0

    def push(self, prompt: str) -> None:
        """Make ``prompt`` the most recent context prompt (evicting the oldest beyond capacity)."""
        if prompt in self._prompts:
            self._prompts.remove(prompt)
            self._prompts.append(prompt)
            return
        self._prompts.append(prompt)
        for token in prompt_token_weights(prompt):
            self._token_counts[token] = self._token_counts.get(token, 0) + 1
        if len(self._prompts) > self._capacity:
            evicted = self._prompts.pop(0)
            for token in prompt_token_weights(evicted):
                remaining = self._token_counts[token] - 1
                if remaining:
                    self._token_counts[token] = remaining
                else:
                    del self._token_counts[token]
