"""Anthropic's Message Batches API: messages.batches.create (a list of {custom_id, params}),
retrieve, results (JSONL streamed from results_url) and cancel.

Limits: 100,000 requests and 256 MB per batch. custom_id: 1-64 of [a-zA-Z0-9_-], which a
request key (64 hex digits) is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from vdbench.llm.batch.base import BatchBackend
from vdbench.llm.batch.types import (
    Answered,
    BatchLineError,
    JobStatus,
    Line,
    LineError,
    LineOutcome,
    Phase,
    Unanswered,
)
from vdbench.llm.types import ChatRequest

# An errored request's error type -> the HTTP status the live call would have had.
ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401,
                "billing_error": 402, "permission_error": 403, "not_found_error": 404,
                "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                "timeout_error": 504, "overloaded_error": 529}


class AnthropicBatch(BatchBackend):
    provider = "anthropic"
    max_requests = 100_000
    max_bytes = 256 * 10**6 - 2**20  # the whole create request; leave a margin

    def endpoint(self) -> str:
        return str(self.client().base_url)

    async def prepare(self, request: ChatRequest, key: str) -> Line:
        params = await self.adapter.message_params(request)
        item = {"custom_id": key, "params": params}
        size = await asyncio.to_thread(lambda: len(json.dumps(item, separators=(",", ":"))))
        return Line(key, item, size + 1)

    async def submit(self, lines: Sequence[Line], model: str) -> str:
        job = await self.client().messages.batches.create(
            requests=[line.payload for line in lines])
        return str(job.id)

    async def poll(self, job_id: str) -> JobStatus:
        return _status(await self.client().messages.batches.retrieve(job_id))

    async def cancel(self, job_id: str) -> JobStatus:
        return _status(await self.client().messages.batches.cancel(job_id))

    async def results(self, job_id: str, status: JobStatus, custom_ids: Sequence[str]
                      ) -> dict[str, LineOutcome]:
        from vdbench.llm.anthropic_api import parse_message

        outcomes: dict[str, LineOutcome] = {}
        async for item in await self.client().messages.batches.results(job_id):
            result = item.result
            outcome: LineOutcome
            if result.type == "succeeded":
                try:
                    outcome = Answered(*parse_message(result.message))
                except Exception as exc:  # noqa: BLE001 - read as a live reply would be
                    outcome = LineError(exc)
            elif result.type == "errored":
                error = getattr(result.error, "error", None)
                kind = str(getattr(error, "type", "api_error"))
                message = str(getattr(error, "message", "") or kind)
                outcome = LineError(BatchLineError(f"{kind}: {message}",
                                                   ERROR_STATUS.get(kind, 500)))
            else:  # canceled, expired
                outcome = Unanswered(f"request {result.type} in batch {job_id}")
            outcomes[item.custom_id] = outcome
        return outcomes


def _status(job: Any) -> JobStatus:
    counts = job.request_counts
    total = (counts.processing + counts.succeeded + counts.errored + counts.canceled
             + counts.expired)
    failed = counts.errored + counts.canceled + counts.expired
    phase: Phase = "pending"
    if job.processing_status == "ended":
        phase = ("cancelled" if job.cancel_initiated_at is not None
                 else "expired" if counts.expired else "ended")
    return JobStatus(str(job.processing_status), phase, total, counts.succeeded, failed,
                     raw=job)


def client_for(endpoint: str, api_key: str) -> Any:
    import anthropic

    return anthropic.AsyncAnthropic(api_key=api_key, base_url=endpoint, max_retries=2)
