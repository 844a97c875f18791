"""Which failures are worth retrying, decided without importing any provider SDK.

Adapters may raise `RetryableError` / `FatalError` themselves, or let an SDK exception
through: OpenAI, Anthropic and google-genai exceptions all carry an HTTP status
(`status_code` or `code`) and usually the httpx response, which is all `classify` reads.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from vdbench.llm.retry import parse_retry_after


class RetryableError(Exception):
    """A failure that another attempt may fix (overload, malformed reply, ...)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(Exception):
    """A failure that retrying cannot fix (bad request, refusal, missing key, ...)."""


class ServerSetupError(FatalError):
    """A server set up so that every request would fail the same way: stops the run, saying
    what to change on the server."""

    def __init__(self, reason: str, fix: str):
        super().__init__(reason)
        self.reason, self.fix = reason, fix


@dataclass(frozen=True)
class Classified:
    retryable: bool
    retry_after: float | None  # seconds the server asked us to wait, if it said
    summary: str  # "<ErrorClass>: short message", secrets removed


RETRYABLE_STATUS = frozenset({408, 409, 425, 429})  # plus every 5xx
# Transport failures by class name, so httpx / httpx2 / SDK wrappers match without imports.
TRANSIENT_CLASS_NAMES = frozenset({
    "TimeoutError", "ConnectionError", "TransportError", "TimeoutException",
    "APIConnectionError", "APITimeoutError",
})
SECRET_ENV_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                   "VLLM_API_KEY")
SECRET_PATTERNS = re.compile(
    r"sk-[A-Za-z0-9_\-]{8,}"  # OpenAI and Anthropic keys
    r"|AIza[0-9A-Za-z_\-]{30,}"  # Google API keys
    r"|(?<=Bearer )[A-Za-z0-9._\-]{8,}"
)
MAX_SUMMARY_CHARS = 300


def scrub(text: str) -> str:
    """Remove anything that looks like an API key, and the values of the key variables."""
    for var in SECRET_ENV_VARS:
        value = os.environ.get(var, "")
        if len(value) >= 8:  # short values ("EMPTY") are placeholders, not secrets
            text = text.replace(value, "[redacted]")
    return SECRET_PATTERNS.sub("[redacted]", text)


def summarize(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or "(no message)"
    if len(message) > MAX_SUMMARY_CHARS:
        message = message[:MAX_SUMMARY_CHARS] + "..."
    return scrub(f"{type(exc).__name__}: {message}")


def _status(exc: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    getter = getattr(headers, "get", None)
    value = getter(name) if callable(getter) else None
    return value if isinstance(value, str) else None


def _retry_after(exc: BaseException) -> float | None:
    if isinstance(exc, RetryableError) and exc.retry_after is not None:
        return exc.retry_after
    millis = _header(exc, "retry-after-ms")
    if millis is not None:
        seconds = parse_retry_after(millis)
        return None if seconds is None else seconds / 1000
    return parse_retry_after(_header(exc, "retry-after"))


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryableError):
        return True
    if isinstance(exc, FatalError):
        return False
    should_retry = _header(exc, "x-should-retry")  # sent by OpenAI and Anthropic
    if should_retry in ("true", "false"):
        return should_retry == "true"
    status = _status(exc)
    if status is not None:
        return status in RETRYABLE_STATUS or status >= 500
    return any(cls.__name__ in TRANSIENT_CLASS_NAMES for cls in type(exc).__mro__)


def classify(exc: BaseException) -> Classified:
    return Classified(_is_retryable(exc), _retry_after(exc), summarize(exc))


def _quota_exhausted(exc: BaseException) -> bool:
    """A 429 that waiting will not fix: the account is out of quota or credit."""
    codes = [getattr(exc, "code", None)]
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        codes += [body.get("code"), (body.get("error") or {}).get("code")
                  if isinstance(body.get("error"), dict) else None]
    text = str(exc).lower()
    return "insufficient_quota" in codes or any(
        marker in text for marker in ("insufficient_quota", "credit balance", "billing"))


def _connection_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # SDK errors wrap the transport's, which wraps the OSError
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "connection refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run_stopper(exc: BaseException) -> str | None:
    """Why this failure must stop the whole run (it would fail every other call too), or None
    when it concerns one request only. The caller adds what to fix."""
    if isinstance(exc, ServerSetupError):
        return exc.reason
    status = _status(exc)
    if status == 401:
        return "authentication failed"
    if status == 403:
        return "permission denied"
    if status == 404:
        return "not found (an unknown model id, or no such endpoint)"
    if status == 429 and _quota_exhausted(exc):
        return "quota exhausted"
    if status is None and _connection_refused(exc):
        return "connection refused"
    return None
