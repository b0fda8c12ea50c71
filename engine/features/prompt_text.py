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

_ASCII_WORDS = re.compile(r"[a-z0-9']+")
_UNICODE_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
"""Words: letters, digits, inner apostrophes; the ASCII pattern is the fast path."""
_CHUNK_SEPARATOR = re.compile(r"[,;|\n.!?\uff0c\u3001\uff1b\u3002\uff01\uff1f\uff5c]+")
"""Chunk separators, the full-width and ideographic forms included (``，``, ``、``, ``；``, ``。``, ``！``,
``？``, ``｜``: Chinese and Japanese prompts separate their parts with these)."""
_CJK_RUN = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff66-\uff9f]+"
)
"""A run of Han, kana or Hangul characters: scripts written without spaces between words (Korean
attaches its particles to words), whose words cannot be found without a dictionary."""
_TOOL_PARAMETERS = re.compile(r"(?:^|\s)--[a-z]+(?:\s+[\w.:]+)?")
"""A tool's inline parameter with its value (Midjourney's ``--v 6.1``, ``--ar 2:3``, ``--stylize 250``)."""


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

CJK_BOILERPLATE: frozenset[str] = _word_set(
    """杰作 傑作 大师之作 最佳质量 最好的质量 最高质量 最高画质 最高品質 高品質 高品质
    高质量 高画质 高画質 高清 超高清 高分辨率 超高分辨率 细节丰富 极其详细 非常详细
    超精细 精细 精致 高精细 超詳細 8k画质 4k画质 최고품질 걸작 고품질 고화질"""
)
"""Quality boilerplate of Chinese, Japanese and Korean prompts ("masterpiece", "best quality", "high
resolution" …): a chunk that is one of these keeps :data:`BOILERPLATE_WEIGHT` and is never a key phrase."""

_GENERIC_PHRASE_TOKENS: frozenset[str] = BOILERPLATE | STOPWORDS | CJK_BOILERPLATE
_LINKING_WORDS: frozenset[str] = STOPWORDS | _word_set(
    """wearing holding standing sitting walking looking made covered surrounded riding playing eating
    doing featuring showing inside under over against beside above below beneath underneath across
    among amid along beyond toward towards outside atop"""
)
_FRAMING_NOUNS: frozenset[str] = _word_set(
    """portrait photo photograph picture image painting illustration drawing render sketch poster shot
    view artwork closeup still rendering"""
)
"""A chunk's first words "… <one of these> of <subject>" frame the subject ("thick oil painting of an
ethereal princess", "wide shot of a monolithic structure"), whatever adjectives come first."""
LOOK_WORDS: frozenset[str] = _word_set(
    """
    kodak portra ektar ektachrome fujifilm velvia cinestill ilford analog film grain polaroid snapshot
    lens 24mm 28mm 35mm 50mm 85mm 135mm telephoto macro fisheye bokeh aperture exposure
    lighting lit lamplight candlelight moonlight sunlight daylight backlit backlight backlighting rim glow
    volumetric overcast diffused harsh noon dramatic chiaroscuro ambient studio cinematic moody warm cool
    angle shot closeup close-up close framing composition symmetrical symmetry centered overhead aerial
    palette colors colours tones grade graded grading muted pastel vibrant saturated desaturated
    monochrome contrast crisp edges
    low-poly vaporwave synthwave isometric render rendered 3d octane thick impasto matte painting oil
    watercolor watercolour gouache sketch linocut woodblock ukiyo-e photography photo photograph
    illustration digital anime manga
    """
)
"""Words of a picture's *look* — film stock and lens, light, framing, palette, medium — rather than of
what it shows, none of them a subject on its own. A key phrase made only of these and of
:data:`LOOK_PHRASES` ("kodak portra", "24mm wide angle", "golden hour", "low poly", "crisp edges") names
a concept only when no phrase says what the images are of: an artist who refines a lighthouse in the
same film look wants "Lighthouse refinement", not "Kodak portra refinement" (``engine.sessions.labels``);
and "<look> of <subject>" frames the subject ("kodak portra of a knight" → "knight"). Key phrases and
labels only; prompt similarity does not use it."""
LOOK_PHRASES: tuple[str, ...] = (
    "golden hour",
    "low poly",
    "wide shot",
    "long shot",
    "product photography",
    "natural light",
    "portrait framing",
    "blue hour",
    "bird's eye view",
    "eye level",
    "wide angle",
    "low angle",
    "high angle",
    "high contrast",
    "low key",
    "high key",
    "depth of field",
    "rule of thirds",
    "full body",
    "medium shot",
    "key visual",
    "pixel art",
    "concept art",
    "teal and orange",
    "black and white",
    "soft light",
    "warm light",
    "cool light",
    "god rays",
    "motion blur",
    "film grain",
    "tilt shift",
)
"""Look phrases whose words can name a subject alone ("bird", "key", "orange", "body")."""
_ARTICLES = frozenset({"a", "an", "the"})
_TRAILING_PREDICATES: frozenset[str] = _word_set(
    """full hidden frozen broken woven overgrown forgotten sunken torn worn drawn grown seen viewed lit
    perched parked curled cluttered nestled tucked bathed illuminated filled draped scattered seated
    lined"""
)
"""Words that end a head only because their complement was cut off ("hacker den full [of …]",
"ancient temple hidden [in …]", "koi pond seen [from above]", "vintage motorcycle parked [outside …]"):
dropped. Present participles are kept ("grandmother knitting", "koi fish swimming"): the noun alone
would lose the concept to a two-word style phrase."""
_FRAMING_WORDS: frozenset[str] = _word_set(
    """a an the portrait photo photograph picture image painting illustration drawing render sketch poster
    close up closeup shot view artwork art digital oil watercolor cinematic beautiful detailed full body"""
)


def _strip_syntax(prompt: str) -> str:
    text = _TAG.sub(" ", prompt) if "<" in prompt else prompt
    if ":" in text:
        text = _WEIGHT_SUFFIX.sub(" ", text)
    if "--" in text:
        text = _TOOL_PARAMETERS.sub(" ", text)
    return text  # brackets need no removal: they are neither word characters nor separators


@lru_cache(maxsize=100_000)
def _weighted_token(word: str) -> tuple[str, float] | None:
    token = _normal_token(word)
    if token is None:
        return None
    return token, BOILERPLATE_WEIGHT if token in BOILERPLATE else 1.0


def _normal_token(word: str) -> str | None:
    if len(word) < 2 or word.isdigit() or word in STOPWORDS:
        return None
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


@lru_cache(maxsize=250_000)
def prompt_features(prompt: str) -> tuple[dict[str, float], float, tuple[str, ...]]:
    """One pass over a prompt: its weighted content tokens, their total weight, and its key phrases.

    Work is memoised per comma-separated chunk, since prompts reuse chunks heavily ("highly detailed",
    an artist's style suffix, a subject kept across a refinement)."""
    weights: dict[str, float] = {}
    phrases: list[str] = []
    chunks = map(str.strip, _CHUNK_SEPARATOR.split(_strip_syntax(prompt).lower()))
    for chunk_weights, phrase in map(_chunk_features, chunks):
        if chunk_weights:
            weights.update(chunk_weights)
        if phrase:
            phrases.append(phrase)
    return weights, sum(weights.values()), tuple(phrases)


_META_TAG = re.compile(
    r"general|sensitive|questionable|explicit|safe|sfw|nsfw|rating[ _:][a-z]+"
    r"|score_\d+(?:_up)?|source_[a-z]+|newest|recent|year \d{4}"
    r"|(?:very )?aesthetic|(?:very )?displeasing|lowres|highres|(?:incredibly )?absurdres"
    r"|(?:worst|bad|low|normal|medium|good|great|high|best|amazing|top|masterpiece) quality"
)
"""Whole chunks that are the meta tags of Danbooru-style models (Pony, Illustrious, NoobAI, Animagine
…): a rating ("general", "rating_safe"), a score ("score_9", "score_8_up"), a source, a recency
("newest", "year 2024"), an aesthetic or quality grade. They say how to render, not what: their
words keep :data:`BOILERPLATE_WEIGHT` and they are never a key phrase. Only a chunk that is such a tag
as a whole counts ("a roman general" keeps "general")."""


@lru_cache(maxsize=250_000)
def _chunk_features(chunk: str) -> tuple[dict[str, float], str | None]:
    if not chunk:
        return {}, None
    if _META_TAG.fullmatch(chunk.strip("()[]{} ")):
        tokens = (_weighted_token(word) for word in _ASCII_WORDS.findall(chunk))
        return {token[0]: BOILERPLATE_WEIGHT for token in tokens if token is not None}, None
    # "[blurry]", "[[extra limbs]]": square brackets lower a chunk's attention (A1111, NovelAI); what
    # the artist turned down is not what the image is of, so it is never a key phrase
    turned_down = chunk[0] == "[" and chunk[-1] == "]"
    words: list[str] = []
    weights: dict[str, float] = {}
    ascii_chunk = chunk.isascii()
    for item in (_ASCII_WORDS if ascii_chunk else _UNICODE_WORDS).findall(chunk):
        if not ascii_chunk and _CJK_RUN.search(item):
            words.append(item)  # the phrase keeps the text as written
            weights.update(_cjk_token_weights(item))
            continue
        if "'" in item:
            item = item.strip("'")
        if (len(item) < 2 and item != "a") or item.isdigit():
            continue  # digits and stray letters ("8 k", "3 d") are not words of a concept
        words.append(item)
        weighted = _weighted_token(item)
        if weighted is not None:
            weights[weighted[0]] = weighted[1]
    return weights, (_chunk_phrase(words) if words and not turned_down else None)


def written_without_spaces(text: str) -> bool:
    """Whether ``text`` holds Han, kana or Hangul characters (whose words are compared by character
    pairs here, and which an English sentence model reads poorly)."""
    return _CJK_RUN.search(text) is not None


def _cjk_token_weights(item: str) -> dict[str, float]:
    """Tokens of a word holding Han, kana or Hangul runs: each run's overlapping character pairs (a run
    of one character is itself), the standard way to compare such text without a dictionary — two
    prompts that share a phrase share its pairs ("站在樱花树下" and "樱花树下的猫" share 樱花, 花树, 树下).
    Latin parts between the runs ("sdxl风格") are words as usual. A quality phrase
    (:data:`CJK_BOILERPLATE`) keeps :data:`BOILERPLATE_WEIGHT`."""
    weight = BOILERPLATE_WEIGHT if item in CJK_BOILERPLATE else 1.0
    tokens: dict[str, float] = {}
    position = 0
    for run in _CJK_RUN.finditer(item):
        if run.start() > position:
            weighted = _weighted_token(item[position : run.start()])
            if weighted is not None:
                tokens[weighted[0]] = weighted[1]
        text = run.group()
        if len(text) == 1:
            tokens[text] = weight
        for index in range(len(text) - 1):
            tokens[text[index : index + 2]] = weight
        position = run.end()
    if position < len(item):
        weighted = _weighted_token(item[position:])
        if weighted is not None:
            tokens[weighted[0]] = weighted[1]
    return tokens


def prompt_token_weights(prompt: str) -> dict[str, float]:
    """Content tokens of ``prompt`` with their weights (1.0, or :data:`BOILERPLATE_WEIGHT`)."""
    return prompt_features(prompt)[0]


def normalise_prompt(prompt: str | None) -> str:
    """Whitespace- and case-normalised prompt (empty string for none): the text as the artist wrote it,
    parameters included (the Curator's prompt evolution shows a ``--v 6.1`` → ``--v 7`` step)."""
    if not prompt:
        return ""
    return " ".join(prompt.lower().split())


def prompt_parameters(prompt: str | None) -> tuple[str, ...]:
    """The inline tool parameters :func:`prompt_identity` leaves out, normalised and sorted
    (``("--ar 2:3", "--stylize 250")``): a change of them under the same words is a parameter change."""
    if not prompt or "--" not in prompt:
        return ()
    return tuple(sorted(" ".join(match.lower().split()) for match in _TOOL_PARAMETERS.findall(prompt)))


def prompt_identity(prompt: str | None) -> str:
    """What decides "the same prompt" in session analysis: :func:`normalise_prompt` without a tool's
    inline ``--parameters`` and without ``<lora:…>``-style network tags. They are settings, recorded
    apart (Midjourney's ``--v`` is the model, ``--ar`` the size, a tag is one of ``loras``) or knobs
    like CFG: the same words run under ``--v 6.1`` and then ``--v 7``, or with ``<lora:ink:0.6>`` and
    then ``<lora:ink:0.8>``, are one prompt under two settings, not two prompts (the words were already
    tokenised without them). Empty string for none."""
    if not prompt:
        return ""
    if "<" in prompt:
        prompt = _TAG.sub(" ", prompt)
    if "--" in prompt:
        prompt = _TOOL_PARAMETERS.sub(" ", prompt)
    return " ".join(prompt.lower().split())


def key_phrases(prompt: str) -> tuple[str, ...]:
    """Candidate concept phrases of a prompt, in prompt order: the comma-separated chunks without
    syntax, framing ("a photo of …"), edge stopwords or pure boilerplate; long chunks are cut to their
    head ("a kangaroo wearing an orange hoodie …" → "kangaroo"), a sentence to its subject ("her skin is
    a warm tan" → "skin"), and a subordinate clause ("as though peering …") is none; each 1–5 words."""
    return prompt_features(prompt)[2]


_CLAUSE_OPENERS: frozenset[str] = _word_set(
    """though although as while whereas because since if unless when whenever where which who whom
    whose that like"""
)
"""Words that open a subordinate clause ("as though peering through it", "which glows"): a chunk that
starts with one describes, it does not name a subject."""
_COPULAS: frozenset[str] = _word_set("is are was were has have had")
"""In a sentence chunk ("her skin is a warm tan"), the subject ends before its verb."""


@lru_cache(maxsize=100_000)
def is_look_phrase(phrase: str) -> bool:
    """Whether ``phrase``, its :data:`LOOK_PHRASES` taken out, holds only look words (:data:`LOOK_WORDS`)
    and boilerplate: "kodak portra", "24mm wide angle", "golden hour" — a picture's look, not its subject."""
    for look in LOOK_PHRASES:
        if look in phrase:
            phrase = phrase.replace(look, " ")
    return all(word in LOOK_WORDS or word in BOILERPLATE for word in phrase.split())


def _chunk_phrase(words: list[str]) -> str | None:
    if words[0] in ("by", "in", "style"):
        return None  # "by <artist>", "in the style of …": a style attribution, not the subject
    if words[0] in _CLAUSE_OPENERS:
        return None
    for position, word in enumerate(words):
        if word in _COPULAS and position:
            words = words[:position]
            break
    if "of" in words[:5]:
        framing_end = words.index("of")
        if framing_end and (
            _FRAMING_WORDS.issuperset(words[:framing_end])
            or (framing_end <= 3 and words[framing_end - 1] in _FRAMING_NOUNS)
            or (framing_end <= 3 and is_look_phrase(" ".join(words[:framing_end])))  # "kodak portra of …"
        ):
            words = words[framing_end + 1 :]
    start, end = 0, len(words)
    while start < end and words[start] in STOPWORDS:
        start += 1
    while end > start and words[end - 1] in STOPWORDS:
        end -= 1
    words = words[start:end]
    if not words or _GENERIC_PHRASE_TOKENS.issuperset(words):
        return None
    if len(words) > 4:
        words = _head(words)
    return " ".join(words)


def _head(words: list[str]) -> list[str]:
    """The head of a long chunk: after leading generic words, up to the first linking word, ≤ 5 words."""
    start = 0
    while start < len(words) - 1 and words[start] in _GENERIC_PHRASE_TOKENS:
        start += 1
    head: list[str] = []
    of_at: int | None = None
    rest = words[start:]
    for position, word in enumerate(rest):
        if word == "of" and 0 < len(head) <= 2 and of_at is None:
            of_at = len(head)  # "stack of old leather books", "bowl of ramen": the "of" is the subject's
        elif word in _LINKING_WORDS and head and not (head[-1] == "of" and word in _ARTICLES):
            break
        head.append(word)
        if len(head) == 5:
            following = rest[position + 1] if position + 1 < len(rest) else None
            if of_at is not None and following is not None and following not in _LINKING_WORDS:
                head = head[:of_at]  # "map of a futuristic dystopian [city …]": too long to keep whole
            break
    while head and head[-1] in STOPWORDS:
        head.pop()  # an "of" (and its article) that nothing followed
    while len(head) > 1 and head[-1] in _TRAILING_PREDICATES:
        head.pop()  # "ancient temple hidden [in the jungle]" → "ancient temple"
    return head or words[:5]
