"""What the batch collector, the job table and the provider backends exchange."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.llm.types import ChatReply, Usage

# pending: submitted, not finished. ended: finished, results read. expired / cancelled:
# finished without answering every request. failed: the provider refused the whole job.
Phase = Literal["pending", "ended", "expired", "cancelled", "failed"]
PHASES: tuple[Phase, ...] = ("pending", "ended", "expired", "cancelled", "failed")
Fallback = Literal["live", "error"]


@dataclass(frozen=True)
class BatchSettings:
    """How --batch queues, submits and polls. The defaults suit real APIs; tests shrink them."""

    debounce_s: float = 0.5  # submit once no new request has arrived for this long
    poll_interval_s: float = 15.0  # between two status checks of a job
    max_requests: int | None = None  # per job; None: the provider's limit
    max_bytes: int | None = None  # per job; None: the provider's limit
    # Requests a job left unanswered (expired, cancelled, failed job): sent live, or answered
    # with an error reply.
    fallback: Fallback = "live"
    max_poll_errors: int = 8  # consecutive failed status checks before giving up (rerun resumes)

    def __post_init__(self) -> None:
        if self.debounce_s < 0 or self.poll_interval_s <= 0 or self.max_poll_errors < 1:
            raise ValueError("debounce_s must be >= 0, poll_interval_s > 0, "
                             "max_poll_errors >= 1")
        if (self.max_requests is not None and self.max_requests < 1) or (
                self.max_bytes is not None and self.max_bytes < 1):
            raise ValueError("max_requests and max_bytes must be at least 1")


DEFAULT_BATCH = BatchSettings()


@dataclass(frozen=True)
class Line:
    """One request ready for a job: its key (also its custom_id) and the provider's payload."""

    key: str
    payload: Any
    size: int  # bytes it adds to the job


@dataclass(frozen=True)
class JobStatus:
    state: str  # the provider's word for it
    phase: Phase
    total: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    detail: str = ""  # why a job failed, when the provider says
    raw: Any = None  # the provider's job object, for reading its results


# --- what one request of a job came back as -----------------------------------------------

@dataclass(frozen=True)
class Answered:
    text: str
    usage: Usage


@dataclass(frozen=True)
class LineError:
    """The provider answered this request with an error (or its answer could not be read);
    the runtime classifies `error` as it classifies a live call's exception."""

    error: BaseException


@dataclass(frozen=True)
class Unanswered:
    """The job ended without answering this request (expired, cancelled, failed)."""

    reason: str


LineOutcome = Answered | LineError | Unanswered
# What a caller of the collector gets: a costed, cached reply, or what went wrong.
Outcome = ChatReply | LineError | Unanswered


class BatchLineError(Exception):
    """A request the batch answered with an HTTP-like error status."""

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class BatchEvent:
    """A job's progress, for a progress bar or a log. kind: submitted, resumed, progress,
    or the phase it finished in (ended, expired, cancelled, failed)."""

    kind: str
    job_id: str
    provider: str
    model: str
    state: str
    total: int
    succeeded: int | None = None
    failed: int | None = None
    message: str = ""

    def describe(self) -> str:
        counts = f"{self.total} requests"
        if self.succeeded is not None or self.failed is not None:
            counts += f", {self.succeeded or 0} done, {self.failed or 0} failed"
        text = f"batch {self.job_id} ({self.provider} {self.model}): {self.kind}, {self.state}, "
        return text + counts + (f"; {self.message}" if self.message else "")


BatchObserver = Callable[[BatchEvent], None]
