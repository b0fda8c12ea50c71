"""Prompt text → weighted content tokens and key phrases, with no model and no corpus statistics.

Invariants:

- everything here is a pure function of one prompt string, so a prompt's tokens do not change when the
  set of analysed records changes (incremental and full re-clustering agree);
- tokens are lowercase words; prompt-weight syntax (``(word:1.2)``, ``[word]``), LoRA/embedding tags
  (``<lora:name:0.8>``) and bare numbers are removed;
- generic quality/style boilerplate ("masterpiece", "8k", "trending on artstation", …) keeps a small
  weight (:data:`BOILERPLATE_WEIGHT`) so two prompts that only share boilerplate are not "similar".
"""

from __future__ import annotations

import re
from functools import lru_cache

BOILERPLATE_WEIGHT = 0.2

_TAG = re.compile(r"<[^<>]*>")
_WEIGHT_SUFFIX = re.compile(r":\s*-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_BRACKETS = str.maketrans({bracket: " " for bracket in "()[]{}"})
_PHRASE_SEPARATORS = re.compile(r"[,;|\n.!?]+|\s+-{1,2}\w+(?:\s+[\w.:]+)?|\bBREAK\b")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.replace(",", " ").split())


STOPWORDS: frozenset[str] = _word_set(
    """a an the of and or in on at to for with from by into onto over under as is are be it its this that
    these those very some any no not but so than then there their his her he she they them we you your my
    our up down out off about around through while during after before between behind near far next
    without within upon has have had was were been being do does did can could should would will just
    only also each every other such own same too more most much many"""
)

BOILERPLATE: frozenset[str] = _word_set(
    """masterpiece best quality high highly detailed detail details ultra hyper hyperdetailed hyperrealistic
    realistic photorealistic photoreal 4k 8k 16k 64k hd uhd hdr resolution highres absurdres sharp focus
    intricate trending artstation art station cgsociety deviantart octane render rendered unreal engine
    cinematic lighting light volumetric dramatic epic beautiful stunning gorgeous amazing award winning
    professional photography photograph photo quality insanely extremely extreme elegant smooth digital
    art artwork illustration concept painting style by greg rutkowski wlop alphonse mucha artgerm
    studio ghibli dslr bokeh depth field lens mm raw masterwork vivid colors color colorful sharp
    detailed, post processing 35mm 50mm 85mm f1 f2 canon nikon sony trending, featured pixiv
    official wallpaper centered composition symmetrical symmetry clean subsurface scattering ray tracing
    raytracing global illumination soft perfect"""
)

_GENERIC_PHRASE_TOKENS: frozenset[str] = BOILERPLATE | STOPWORDS


def _strip_syntax(prompt: str) -> str:
    text = _TAG.sub(" ", prompt)
    text = _WEIGHT_SUFFIX.sub(" ", text)
    return text.translate(_BRACKETS)


def _normal_token(word: str) -> str | None:
    if word.isdigit() or word in STOPWORDS or len(word) < 2:
        return None
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


@lru_cache(maxsize=200_000)
def prompt_token_weights(prompt: str) -> dict[str, float]:
    """Content tokens of ``prompt`` with their weights (1.0, or :data:`BOILERPLATE_WEIGHT`)."""
    weights: dict[str, float] = {}
    for word in _WORD.findall(_strip_syntax(prompt).lower()):
        token = _normal_token(word)
        if token is not None:
            weights[token] = BOILERPLATE_WEIGHT if token in BOILERPLATE else 1.0
    return weights


def normalise_prompt(prompt: str | None) -> str:
    """Whitespace- and case-normalised prompt, used to decide "same prompt" (empty string for none)."""
    if not prompt:
        return ""
    return " ".join(prompt.lower().split())


@lru_cache(maxsize=200_000)
def key_phrases(prompt: str) -> tuple[str, ...]:
    """Candidate concept phrases of a prompt, in prompt order: the comma-separated chunks with syntax,
    stopwords at the edges and pure boilerplate removed; each 1–6 words long."""
    phrases: list[str] = []
    for chunk in _PHRASE_SEPARATORS.split(_strip_syntax(prompt)):
        words = [w for w in _WORD.findall(chunk.lower()) if not w.isdigit()]
        while words and words[0] in STOPWORDS:
            words.pop(0)
        while words and words[-1] in STOPWORDS:
            words.pop()
        if not words or all(w in _GENERIC_PHRASE_TOKENS for w in words):
            continue
        if len(words) > 6:
            words = _shorten(words)
        phrases.append(" ".join(words))
    return tuple(phrases)


def _shorten(words: list[str]) -> list[str]:
    """A long chunk ("a portrait photo of a kangaroo wearing an orange hoodie …") → its head noun phrase:
    the first run of up to 6 words after leading generic words, cut at the first stopword after 2 words."""
    start = 0
    while start < len(words) - 1 and words[start] in _GENERIC_PHRASE_TOKENS:
        start += 1
    head: list[str] = []
    for word in words[start:]:
        if word in STOPWORDS and len(head) >= 2:
            break
        head.append(word)
        if len(head) == 6:
            break
    while head and head[-1] in STOPWORDS:
        head.pop()
    return head or words[:6]
