"""When an LLM call is worth another attempt, how long to wait before it, and when to stop.

Used by :mod:`reflection.llm_client` with ``tenacity``; the openai SDK's own retries are off
(``max_retries=0``) so this is the only retry policy.

* **Transient** (retried): HTTP 429, 408, 409 and every 5xx; timeouts (the SDK's and the per-attempt
  deadline guard); connection errors; a 2xx whose body is not a Chat Completions answer (proxies).
* **Permanent** (never retried): every other 4xx — 400, 401, 403, 404, 422 … —, a body beyond the
  byte limit (:class:`ResponseTooLarge`), and anything else.
* **Wait**: the server's ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date) when present,
  capped; otherwise exponential backoff with full jitter (uniform in [0, min(max, initial·2^(n-1))]).
* **Stop**: after ``max_attempts`` attempts, or when the wait plus a minimal attempt would end past the
  deadline — a Retry-After longer than the time left fails at once instead of sleeping into the deadline.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base

if TYPE_CHECKING:
    import openai

TRANSIENT_STATUS_CODES = frozenset({408, 409, 429})
MIN_ATTEMPT_SECONDS = 0.05
"""An attempt with less time than this left is not started (it could not finish)."""


class GarbledResponse(Exception):
    """A 2xx answer whose body is not a Chat Completions object (HTML from a proxy, cut-off JSON)."""


class DeadlinePassed(Exception):
    """The overall deadline left no time for (another) attempt."""


class ResponseTooLarge(Exception):
    """A body beyond the client's byte limit (declared or counted while reading): not read further,
    and not asked again — a server that floods once is not trusted to stop."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the answer is larger than {limit_bytes:,} bytes")
        self.limit_bytes = limit_bytes


def is_transient(error: BaseException) -> bool:
    """Whether another attempt may succeed where ``error`` failed."""
    import openai  # imported by the client's first use (reflection.llm_client): a lookup here

    if isinstance(error, openai.APIStatusError):
        return error.status_code in TRANSIENT_STATUS_CODES or error.status_code >= 500
    return isinstance(error, openai.APIConnectionError | TimeoutError | GarbledResponse)


def retry_after_seconds(error: BaseException | None) -> float | None:
    """The delay the server asked for on an error response, in seconds, or ``None``."""
    import openai

    if not isinstance(error, openai.APIStatusError):
        return None
    headers = error.response.headers
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            delay = float(value) / divisor
        except ValueError:
            continue
        return delay if math.isfinite(delay) and delay >= 0 else None
    date = headers.get("retry-after")
    if date is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(date)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Delays between attempts, in seconds."""

    initial_seconds: float = 1.0
    max_seconds: float = 20.0
    retry_after_cap_seconds: float = 60.0


class WaitForServerOrBackoff(wait_base):
    """The server's Retry-After (capped) if it sent one, else full-jitter exponential backoff."""

    def __init__(self, policy: BackoffPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.rng = rng or random.Random()

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(error)
        if asked is not None:
            return min(asked, self.policy.retry_after_cap_seconds)
        ceiling = min(
            self.policy.max_seconds, self.policy.initial_seconds * 2 ** (retry_state.attempt_number - 1)
        )
        return self.rng.uniform(0.0, ceiling)


class StopAtDeadline(stop_base):
    """Stop when sleeping ``upcoming_sleep`` would leave less than a minimal attempt before ``deadline_at``
    (a :func:`time.monotonic` value)."""

    def __init__(self, deadline_at: float) -> None:
        self.deadline_at = deadline_at

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + retry_state.upcoming_sleep + MIN_ATTEMPT_SECONDS >= self.deadline_at


def transient_failure_reason(
    error: BaseException, *, attempts: int, elapsed_seconds: float, base_url: str
) -> str:
    """What an artist reads when transient failures outlasted the attempts or the deadline."""
    import openai

    spent = (
        f"gave up after {attempts} attempt{'s' if attempts != 1 else ''} over {_duration(elapsed_seconds)}"
    )
    if isinstance(error, openai.APIStatusError):
        if error.status_code == 429:
            return f"The AI service kept answering 'rate limited' (HTTP 429); {spent}."
        if error.status_code >= 500:
            return f"The AI service kept failing with a server error (HTTP {error.status_code}); {spent}."
        return f"The AI service kept answering HTTP {error.status_code}; {spent}."
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return f"The AI service did not answer in time; {spent}."
    if isinstance(error, openai.APIConnectionError):
        return f"Could not connect to the AI service at {base_url}; {spent}."
    if isinstance(error, GarbledResponse):
        return f"The AI service kept sending answers that were not readable; {spent}."
    return f"The AI service call failed ({type(error).__name__}); {spent}."


def permanent_failure_reason(error: openai.APIStatusError, *, model: str, base_url: str) -> str:
    """What an artist reads when the AI service refused the request outright."""
    status = error.status_code
    if status == 401:
        return (
            "The AI service rejected the API key (HTTP 401); the administrator needs to check OPENAI_API_KEY."
        )
    if status == 403:
        return f"The AI service refused access to the model '{model}' (HTTP 403)."
    if status == 404:
        return (
            f"The AI service at {base_url} has no model '{model}' or no Chat Completions endpoint (HTTP 404)."
        )
    return f"The AI service rejected the request (HTTP {status}: {server_message(error)})."


def server_message(error: openai.APIStatusError, limit: int = 200) -> str:
    """The server's own error text, shortened for display."""
    body = error.body
    message: object = body.get("message") if isinstance(body, dict) else body
    text = str(message if message else error.message).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} seconds"
    if seconds < 120:
        return f"{round(seconds)} seconds"
    return f"{seconds / 60:.1f} minutes"
