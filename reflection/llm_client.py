"""The Museum Curator's LLM client: one validated :class:`CuratorReflection` from any server that speaks
the OpenAI Chat Completions API (OpenAI, Ollama, vLLM, LM Studio — chosen by ``base_url``).

Invariants:

* **Retries** are ``tenacity``'s alone (the SDK runs with ``max_retries=0``), per
  :mod:`reflection.llm_retry`: transient failures (429, 408, 409, 5xx, timeouts, connection errors,
  garbled bodies) are retried with backoff — the server's Retry-After when it sends one — at most
  ``max_attempts`` times per request; permanent ones (other 4xx) never are.
* **Deadline**: one :meth:`CuratorLlm.complete` call, with every attempt, wait, format fallback and
  repair, ends by its deadline (``deadline_seconds`` from the call, or the caller's ``deadline_at``, a
  :func:`time.monotonic` value — pass one shorter than the credit hold's TTL). Each attempt's timeout is
  ``attempt_timeout_seconds`` trimmed to the time left and enforced twice: by the SDK (per HTTP phase)
  and by :func:`asyncio.timeout` (whole attempt). Past the deadline the call fails.
* **Structured output**: asks with a strict ``json_schema`` response format; a 400/422 whose text
  mentions ``response_format`` / ``json_schema`` / ``json_object`` steps down to ``json_object``, then to
  no response format (the JSON shape is then spelled out in the system message). The step down is
  remembered by the instance (never stepped back up), so later calls go straight to what works.
* **Bounded bodies**: an answer's body is read in chunks up to ``response_max_bytes`` (decoded bytes;
  a reflection is a few kilobytes): a larger one — declared by Content-Length or counted while
  reading — is dropped unread and fails the call at once (:class:`ResponseTooLarge`, kind
  ``response_too_large``, not retried: the worker never holds a flood in memory, nor echoes it).
* **Validation**: the answer (code fences and text around the outermost ``{…}`` tolerated) must
  validate as :class:`CuratorReflection`. An invalid answer gets exactly **one repair request** (the bad
  output and the error are sent back); a second invalid answer fails the call.
* **Withheld answers** fail at once, without a repair: a ``refusal`` (structured outputs) or a
  ``finish_reason`` of ``content_filter`` with no usable JSON is :data:`FailureKind` ``declined``, its
  reason quoting the refusal. An answer cut off at the token limit (``finish_reason: "length"``) gets
  the one repair, told it was cut off; the failure, if any, says so.
* **Usage**: token counts are summed over every answer that came back (including an invalid one that
  needed repair); a count that is not a non-negative integer counts as zero. The model name is the
  one the server reports, without NUL and at most :data:`MODEL_NAME_MAX_CHARS` characters (the
  ``reflections.model`` column).
* **Import cost**: the openai SDK (its ``types`` package: 0.76 s measured after the app's other imports,
  up to 1.2 s in a slow hour) is imported by the first :class:`CuratorLlm`, not with this module: the
  API server (which only queues reflections) and the commands that never call an LLM do not load it;
  the worker loads it when it builds its curator.
* Not idempotent in cost: each successful attempt is billed by the provider. Nothing here touches
  credits; a :class:`LlmFailure` says what happened, in words an artist can read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_after_attempt

from reflection.curator_output import CuratorReflection, curator_json_schema, storable
from reflection.llm_retry import (
    MIN_ATTEMPT_SECONDS,
    BackoffPolicy,
    DeadlinePassed,
    GarbledResponse,
    ResponseTooLarge,
    StopAtDeadline,
    WaitForServerOrBackoff,
    is_transient,
    permanent_failure_reason,
    transient_failure_reason,
)

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

ResponseFormatMode = Literal["json_schema", "json_object", "none"]
FailureKind = Literal[
    "rate_limited",
    "server_error",
    "timeout",
    "connection",
    "garbled_response",
    "deadline",
    "auth",
    "forbidden",
    "not_found",
    "rejected",
    "invalid_output",
    "declined",
    "response_too_large",
    "ungrounded",
]

RESPONSE_FORMAT_NAME = "curator_reflection"
NO_API_KEY = "no-api-key"
"""Sent when no key is configured: local servers (Ollama, LM Studio, vLLM) ignore it, the SDK needs one."""
_WEAKER_MODES: tuple[ResponseFormatMode, ...] = ("json_schema", "json_object", "none")
_FORMAT_REJECTION_WORDS = (
    "response_format",
    "response format",
    "json_schema",
    "json_object",
    "structured output",
)
_ECHOED_OUTPUT_MAX_CHARS = 8000
_PERMANENT_KINDS: dict[int, FailureKind] = {401: "auth", 403: "forbidden", 404: "not_found"}
MODEL_NAME_MAX_CHARS = 200
"""The longest model name kept (``reflections.model`` is ``VARCHAR(200)``)."""
_QUOTED_REFUSAL_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class LlmSettings:
    """Where and how to ask. ``base_url=None`` means the SDK's default (``OPENAI_BASE_URL``, else
    OpenAI's own endpoint); ``api_key`` may be empty for local servers."""

    base_url: str | None
    api_key: str | None
    model: str
    deadline_seconds: float = 120.0
    attempt_timeout_seconds: float = 60.0
    max_attempts: int = 6
    response_max_bytes: int = 1_000_000
    """The largest answer body read (decoded bytes); a larger one fails the call unread."""
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    response_format_mode: ResponseFormatMode = "json_schema"
    temperature: float | None = None

    def __post_init__(self) -> None:
        if self.deadline_seconds <= 0 or self.attempt_timeout_seconds <= 0:
            raise ValueError("deadline_seconds and attempt_timeout_seconds must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.response_max_bytes < 1:
            raise ValueError("response_max_bytes must be positive")


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens the server reported; servers that report none count as zero."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )


@dataclass(frozen=True, slots=True)
class LlmAnswer:
    """A validated reflection and what it took: ``attempts`` counts HTTP requests, ``content`` is the
    text that validated."""

    reflection: CuratorReflection
    model: str
    usage: TokenUsage
    response_format_mode: ResponseFormatMode
    attempts: int
    content: str


class LlmFailure(Exception):
    """The LLM did not deliver. ``reason`` is for the artist; ``retryable`` says whether asking again
    later may succeed (transient trouble) or not (refused, misconfigured, unusable output)."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        kind: FailureKind,
        status_code: int | None = None,
        attempts: int = 0,
        usage: TokenUsage | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.kind = kind
        self.status_code = status_code
        self.attempts = attempts
        self.usage = usage or TokenUsage()


class InvalidReflection(Exception):
    """The answer's text is not a valid reflection; the message says why, for the repair request."""


def parse_reflection(content: str) -> CuratorReflection:
    """Validate an answer's text. Tolerates a Markdown code fence and text around the outermost
    ``{…}``; raises :class:`InvalidReflection` with a short, model-readable problem otherwise."""
    text = content.strip()
    fenced = re.fullmatch(r"```[a-zA-Z]*\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    first, last = text.find("{"), text.rfind("}")
    if first > 0 and last > first:
        text = text[first : last + 1]
    if not text:
        raise InvalidReflection("the answer was empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidReflection(
            f"it is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from error
    if not isinstance(data, dict):
        raise InvalidReflection("it is JSON but not an object")
    try:
        return CuratorReflection.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'object'}: {issue['msg']}"
            for issue in error.errors()[:6]
        )
        raise InvalidReflection(f"it does not match the required fields ({problems})") from error


def json_instruction() -> str:
    """The JSON shape, spelled out for servers that cannot be given a response format."""
    schema = json.dumps(curator_json_schema(), separators=(",", ":"))
    return (
        "Answer with exactly one JSON object and nothing else (no prose, no code fences). "
        f"It must match this JSON schema: {schema}"
    )


def repair_instruction(problem: str) -> str:
    """The follow-up that asks the model to fix an unusable answer."""
    return (
        f"Your previous answer could not be used: {problem}. Reply again with only the corrected JSON "
        "object with the keys title, summary, style_patterns and evolution_notes, saying the same things."
    )


@dataclass(slots=True)
class _CallProgress:
    """What one :meth:`CuratorLlm.complete` call has spent so far."""

    deadline_at: float
    started_at: float
    attempts: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    last_transient_error: BaseException | None = None

    def remaining_seconds(self) -> float:
        return self.deadline_at - time.monotonic()

    def elapsed_seconds(self) -> float:
        return time.monotonic() - self.started_at


@dataclass(frozen=True, slots=True)
class _Reply:
    content: str
    model: str
    mode: ResponseFormatMode
    finish_reason: str | None = None
    refusal: str | None = None

    @property
    def cut_off(self) -> bool:
        """The server stopped at its token limit: the content is incomplete."""
        return self.finish_reason == "length"

    def withheld(self) -> str | None:
        """Why the server withheld the answer (a refusal, its content filter), or ``None``."""
        if self.refusal:
            return f"The AI service declined to write this reflection: “{_shortened(self.refusal)}”."
        if self.finish_reason == "content_filter":
            return "The AI service's content filter withheld its answer (finish_reason content_filter)."
        return None


class CuratorLlm:
    """A Chat Completions client for curator reflections. One instance owns one HTTP connection pool;
    close it with :meth:`aclose` or ``async with``. Safe to share between concurrent calls."""

    def __init__(self, settings: LlmSettings, *, backoff_wait: WaitForServerOrBackoff | None = None) -> None:
        import openai  # on first use, not at import: see the module's docstring

        self.settings = settings
        self._mode: ResponseFormatMode = settings.response_format_mode
        self._wait = backoff_wait or WaitForServerOrBackoff(settings.backoff)
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or NO_API_KEY,
            max_retries=0,
            timeout=settings.attempt_timeout_seconds,
        )

    @property
    def base_url(self) -> str:
        """The endpoint actually used."""
        return str(self._client.base_url)

    @property
    def response_format_mode(self) -> ResponseFormatMode:
        """The structured-output mode this server is known to accept (so far)."""
        return self._mode

    def deadline_from_now(self) -> float:
        """A :func:`time.monotonic` deadline ``deadline_seconds`` from now, to share between calls."""
        return time.monotonic() + self.settings.deadline_seconds

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> CuratorLlm:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        extra_user_message: str | None = None,
        deadline_at: float | None = None,
    ) -> LlmAnswer:
        """Ask for a reflection (``extra_user_message`` is appended as a last user message). Raises
        :class:`LlmFailure`; nothing else escapes except cancellation."""
        import openai

        progress = _CallProgress(
            deadline_at=self.deadline_from_now() if deadline_at is None else deadline_at,
            started_at=time.monotonic(),
        )
        conversation = list(messages)
        if extra_user_message:
            conversation.append({"role": "user", "content": extra_user_message})
        try:
            reply = await self._ask(conversation, progress)
            try:
                reflection = parse_reflection(reply.content)
            except InvalidReflection as problem:
                self._fail_if_withheld(reply, progress)
                log.info("curator answer unusable (%s); asking once for a repair", problem)
                repair = [
                    *conversation,
                    {"role": "assistant", "content": reply.content[:_ECHOED_OUTPUT_MAX_CHARS]},
                    {"role": "user", "content": repair_instruction(_problem_of(reply, problem))},
                ]
                reply = await self._ask(repair, progress)
                reflection = self._parse_repaired(reply, progress)
        except LlmFailure:
            raise
        except (openai.OpenAIError, TimeoutError, GarbledResponse, DeadlinePassed, ResponseTooLarge) as error:
            raise self._failure(error, progress) from error
        return LlmAnswer(
            reflection=reflection,
            model=reply.model,
            usage=progress.usage,
            response_format_mode=reply.mode,
            attempts=progress.attempts,
            content=reply.content,
        )

    def _fail_if_withheld(self, reply: _Reply, progress: _CallProgress) -> None:
        """Raise ``declined`` when the server withheld the answer: asking again would not help."""
        reason = reply.withheld()
        if reason is not None:
            raise LlmFailure(
                reason, retryable=False, kind="declined", attempts=progress.attempts, usage=progress.usage
            )

    def _parse_repaired(self, reply: _Reply, progress: _CallProgress) -> CuratorReflection:
        try:
            return parse_reflection(reply.content)
        except InvalidReflection as problem:
            self._fail_if_withheld(reply, progress)
            raise LlmFailure(
                f"The AI service answered, but not with a readable reflection, even after being asked to "
                f"correct it ({_problem_of(reply, problem)}).",
                retryable=False,
                kind="invalid_output",
                attempts=progress.attempts,
                usage=progress.usage,
            ) from problem

    async def _ask(self, conversation: list[dict[str, Any]], progress: _CallProgress) -> _Reply:
        """One logical request, stepping the response format down while the server rejects it."""
        import openai

        while True:
            mode = self._mode
            try:
                return await self._ask_with_retries(conversation, mode, progress)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
                if mode == "none" or not _rejects_response_format(error):
                    raise
                weaker = _WEAKER_MODES[_WEAKER_MODES.index(mode) + 1]
                log.info("server rejected response_format %s; falling back to %s", mode, weaker)
                if _WEAKER_MODES.index(self._mode) < _WEAKER_MODES.index(weaker):
                    self._mode = weaker

    async def _ask_with_retries(
        self, conversation: list[dict[str, Any]], mode: ResponseFormatMode, progress: _CallProgress
    ) -> _Reply:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_attempts) | StopAtDeadline(progress.deadline_at),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        reply: _Reply | None = None
        async for attempt in retrying:
            with attempt:
                reply = await self._attempt(conversation, mode, progress)
        assert reply is not None, "tenacity returns only after a successful attempt"
        return reply

    async def _attempt(
        self, conversation: list[dict[str, Any]], mode: ResponseFormatMode, progress: _CallProgress
    ) -> _Reply:
        remaining = progress.remaining_seconds()
        if remaining < MIN_ATTEMPT_SECONDS:
            raise DeadlinePassed()
        budget = min(self.settings.attempt_timeout_seconds, remaining)
        progress.attempts += 1
        try:
            async with asyncio.timeout(budget):
                completion = await self._post(self._request(conversation, mode), budget)
        except ValueError as error:  # a body that is not JSON (HTML from a proxy, cut-off JSON)
            progress.last_transient_error = GarbledResponse(str(error))
            raise progress.last_transient_error from error
        except BaseException as error:
            if is_transient(error):
                progress.last_transient_error = error
            raise
        return self._reply(completion, mode, progress)

    async def _post(self, request: dict[str, Any], budget: float) -> object:
        """One Chat Completions request; its body read up to ``response_max_bytes`` and parsed as the
        SDK would (error statuses raise as usual). Raises :class:`ResponseTooLarge`, ``ValueError``
        for a body that is not JSON."""
        import openai
        from openai.types.chat import ChatCompletion

        limit = self.settings.response_max_bytes
        completions = self._client.chat.completions.with_streaming_response
        async with completions.create(**request, timeout=budget) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(limit)
            body = bytearray()
            try:
                async for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise ResponseTooLarge(limit)
            except ResponseTooLarge:
                raise
            except Exception as error:  # the body broke off (a reset, a protocol error): transient
                raise openai.APIConnectionError(request=response.http_request) from error
        data = json.loads(bytes(body))
        return ChatCompletion.construct(**data) if isinstance(data, dict) else data

    def _request(self, conversation: list[dict[str, Any]], mode: ResponseFormatMode) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.settings.model, "messages": conversation}
        if mode == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": RESPONSE_FORMAT_NAME,
                    "strict": True,
                    "schema": curator_json_schema(),
                },
            }
        else:
            request["messages"] = _with_json_instruction(conversation)
            if mode == "json_object":
                request["response_format"] = {"type": "json_object"}
        if self.settings.temperature is not None:
            request["temperature"] = self.settings.temperature
        return request

    def _reply(self, completion: object, mode: ResponseFormatMode, progress: _CallProgress) -> _Reply:
        from openai.types.chat import ChatCompletion

        if not isinstance(completion, ChatCompletion):
            progress.last_transient_error = GarbledResponse("the body is not a JSON Chat Completions object")
            raise progress.last_transient_error
        usage = getattr(completion, "usage", None)
        if usage is not None:
            progress.usage += TokenUsage(
                prompt_tokens=_token_count(getattr(usage, "prompt_tokens", 0)),
                completion_tokens=_token_count(getattr(usage, "completion_tokens", 0)),
                total_tokens=_token_count(getattr(usage, "total_tokens", 0)),
            )
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            progress.last_transient_error = GarbledResponse("the answer holds no choices")
            raise progress.last_transient_error
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None)
        refusal = getattr(message, "refusal", None)
        finish_reason = getattr(choices[0], "finish_reason", None)
        return _Reply(
            content=content if isinstance(content, str) else "",
            model=_model_name(getattr(completion, "model", None)) or self.settings.model,
            mode=mode,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            refusal=refusal if isinstance(refusal, str) and refusal.strip() else None,
        )

    def _failure(self, error: BaseException, progress: _CallProgress) -> LlmFailure:
        import openai

        if isinstance(error, DeadlinePassed) and progress.last_transient_error is not None:
            error = progress.last_transient_error  # say what kept failing until time ran out
        retryable = True
        kind: FailureKind
        if isinstance(error, DeadlinePassed):
            reason, kind = "No time was left to ask the AI service before the deadline.", "deadline"
        elif isinstance(error, ResponseTooLarge):
            retryable, kind = False, "response_too_large"
            reason = (
                f"The AI service sent an answer too large to read ({error}; a reflection is a few "
                "kilobytes), so it was dropped."
            )
        elif is_transient(error):
            kind = _transient_kind(error)
            reason = transient_failure_reason(
                error,
                attempts=progress.attempts,
                elapsed_seconds=progress.elapsed_seconds(),
                base_url=self.base_url,
            )
        elif isinstance(error, openai.APIStatusError):
            retryable, kind = False, _PERMANENT_KINDS.get(error.status_code, "rejected")
            reason = permanent_failure_reason(error, model=self.settings.model, base_url=self.base_url)
        else:
            retryable, kind = False, "rejected"
            reason = f"The AI service call failed ({type(error).__name__}: {error})."
        return LlmFailure(
            reason,
            retryable=retryable,
            kind=kind,
            status_code=error.status_code if isinstance(error, openai.APIStatusError) else None,
            attempts=progress.attempts,
            usage=progress.usage,
        )


def _token_count(value: object) -> int:
    """A reported token count: a non-negative integer, else 0 (servers send odd things)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _model_name(value: object) -> str:
    """The model name the server reported, storable: no NUL, at most :data:`MODEL_NAME_MAX_CHARS`."""
    if not isinstance(value, str):
        return ""
    return storable(value).strip()[:MODEL_NAME_MAX_CHARS]


def _shortened(text: str) -> str:
    flat = " ".join(storable(text).split())
    return flat if len(flat) <= _QUOTED_REFUSAL_MAX_CHARS else flat[: _QUOTED_REFUSAL_MAX_CHARS - 1] + "…"


def _problem_of(reply: _Reply, problem: InvalidReflection) -> str:
    """What was wrong with an unusable answer, naming a cut-off at the token limit."""
    if reply.cut_off:
        return (
            f"the answer was cut off at the token limit before it was complete ({problem}); "
            "answer more briefly"
        )
    return str(problem)


def _transient_kind(error: BaseException) -> FailureKind:
    import openai

    if isinstance(error, openai.APIStatusError):
        return "rate_limited" if error.status_code == 429 else "server_error"
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, openai.APIConnectionError):
        return "connection"
    return "garbled_response"


def _rejects_response_format(error: openai.APIStatusError) -> bool:
    text = f"{error.message} {json.dumps(error.body, default=str)}".lower()
    return any(word in text for word in _FORMAT_REJECTION_WORDS)


def _with_json_instruction(conversation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation with the JSON shape appended to its leading system message (or a new one):
    some chat templates accept a single system message only, and only first."""
    instruction = json_instruction()
    if (
        conversation
        and conversation[0].get("role") == "system"
        and isinstance(conversation[0].get("content"), str)
    ):
        first = {**conversation[0], "content": f"{conversation[0]['content']}\n\n{instruction}"}
        return [first, *conversation[1:]]
    return [{"role": "system", "content": instruction}, *conversation]


def _log_retry(retry_state: RetryCallState) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    log.info(
        "LLM attempt %d failed (%s); retrying in %.2fs",
        retry_state.attempt_number,
        type(error).__name__ if error else "?",
        retry_state.upcoming_sleep,
    )
