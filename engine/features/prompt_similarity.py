"""How similar two prompts are, in [0, 1]: a lexical measure always, blended with a semantic one when
both prompts have an embedding.

- lexical: weighted Jaccard of content tokens (:func:`engine.features.prompt_text.prompt_token_weights`),
  so boilerplate counts little and word order does not count;
- semantic: cosine of sentence embeddings (all-MiniLM-L6-v2), rescaled so that unrelated prompts
  (cosine ≲ :data:`SEMANTIC_FLOOR`) score 0 and identical ones 1;
- blended: the mean of the two when both exist. Without embeddings the lexical value is used alone
  (documented quality: paraphrases such as "neon alley" / "cyberpunk street" then look unrelated).

Invariants: symmetric; 1.0 for equal normalised prompts; 0.0 when either prompt is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from engine.features.prompt_text import prompt_token_weights

SEMANTIC_FLOOR = 0.25
SEMANTIC_SPAN = 0.6


def lexical_similarity(prompt_a: str, prompt_b: str) -> float:
    """Weighted Jaccard of content tokens; 1.0 for token-equal prompts, 0.0 if either has none."""
    if prompt_a == prompt_b:
        return 1.0 if prompt_a else 0.0
    weights_a = prompt_token_weights(prompt_a)
    weights_b = prompt_token_weights(prompt_b)
    if not weights_a or not weights_b:
        return 0.0
    shared = 0.0
    for token, weight in weights_a.items():
        if token in weights_b:
            shared += weight
    total = sum(weights_a.values()) + sum(weights_b.values()) - shared
    return shared / total if total > 0 else 0.0


def rescaled_cosine(embedding_a: np.ndarray, embedding_b: np.ndarray) -> float:
    """Cosine of two embeddings mapped to [0, 1] with :data:`SEMANTIC_FLOOR` → 0."""
    norm = float(np.linalg.norm(embedding_a) * np.linalg.norm(embedding_b))
    if norm == 0.0:
        return 0.0
    cosine = float(np.dot(embedding_a, embedding_b)) / norm
    return min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / SEMANTIC_SPAN))


class PromptSimilarity:
    """Prompt similarity with a memo per unordered prompt pair (prompts are looked up by exact text)."""

    def __init__(self, prompt_embeddings: Mapping[str, np.ndarray] | None = None) -> None:
        self._embeddings = prompt_embeddings or {}
        self._memo: dict[tuple[str, str], float] = {}

    @property
    def has_embeddings(self) -> bool:
        return bool(self._embeddings)

    def __call__(self, prompt_a: str, prompt_b: str) -> float:
        if prompt_a == prompt_b:
            return 1.0 if prompt_a else 0.0
        if not prompt_a or not prompt_b:
            return 0.0
        key = (prompt_a, prompt_b) if prompt_a < prompt_b else (prompt_b, prompt_a)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        value = lexical_similarity(prompt_a, prompt_b)
        embedding_a = self._embeddings.get(prompt_a)
        embedding_b = self._embeddings.get(prompt_b)
        if embedding_a is not None and embedding_b is not None:
            value = 0.5 * value + 0.5 * rescaled_cosine(embedding_a, embedding_b)
        self._memo[key] = value
        return value

    def context_similarity(self, prompt: str, context: Sequence[str]) -> float:
        """How well ``prompt`` fits the recent ``context`` prompts, in [0, 1].

        Lexical part: the larger of the best pairwise similarity and the *containment* of the prompt's
        weighted tokens in the union of the context's tokens (an exploration recombines recent words).
        Semantic part (when embeddings exist for the prompt and some context prompt): the best rescaled
        cosine. Both parts present → their mean.
        """
        if not prompt or not context:
            return 0.0
        lexical = max(lexical_similarity(prompt, other) for other in context)
        weights = prompt_token_weights(prompt)
        total = sum(weights.values())
        if total > 0:
            bag: set[str] = set()
            for other in context:
                bag.update(prompt_token_weights(other))
            contained = sum(w for token, w in weights.items() if token in bag) / total
            lexical = max(lexical, contained)
        embedding = self._embeddings.get(prompt)
        if embedding is None:
            return lexical
        cosines = [
            rescaled_cosine(embedding, other_embedding)
            for other in context
            if (other_embedding := self._embeddings.get(other)) is not None
        ]
        if not cosines:
            return lexical
        return 0.5 * lexical + 0.5 * max(cosines)
