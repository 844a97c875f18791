"""OpenAI's Batch API: a JSONL file of chat.completions bodies (files.create, purpose
"batch"), then batches.create / retrieve / cancel; results in the output and error files.

Limits: 50,000 requests and 200 MB per input file."""

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

ENDPOINT = "/v1/chat/completions"
PHASE: dict[str, Phase] = {"completed": "ended", "expired": "expired", "cancelled": "cancelled",
                           "failed": "failed"}
UNANSWERED_CODES = frozenset({"batch_expired", "batch_cancelled"})


class OpenAIBatch(BatchBackend):
    provider = "openai"
    max_requests = 50_000
    max_bytes = 200 * 10**6 - 2**20  # leave a margin under the 200 MB file limit

    def endpoint(self) -> str:
        return str(self.client().base_url)

    async def prepare(self, request: ChatRequest, key: str) -> Line:
        def encode() -> bytes:
            line = self.adapter.batch_line(request, key)
            return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

        data = await asyncio.to_thread(encode)
        return Line(key, data, len(data))

    async def submit(self, lines: Sequence[Line], model: str) -> str:
        client = self.client()
        data = b"".join(line.payload for line in lines)
        uploaded = await client.files.create(
            file=("vdbench-batch.jsonl", data, "application/jsonl"), purpose="batch")
        job = await client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT,
                                          completion_window="24h",
                                          metadata={"created_by": "vdbench"})
        return str(job.id)

    async def poll(self, job_id: str) -> JobStatus:
        return _status(await self.client().batches.retrieve(job_id))

    async def cancel(self, job_id: str) -> JobStatus:
        return _status(await self.client().batches.cancel(job_id))

    async def results(self, job_id: str, status: JobStatus, custom_ids: Sequence[str]
                      ) -> dict[str, LineOutcome]:
        job = status.raw
        outcomes: dict[str, LineOutcome] = {}
        for file_id in (getattr(job, "output_file_id", None), getattr(job, "error_file_id", None)):
            if not file_id:
                continue
            content = await self.client().files.content(file_id)
            for text in content.text.splitlines():
                if text.strip():
                    item = json.loads(text)
                    outcomes[str(item.get("custom_id"))] = self._outcome(item)
        return outcomes

    def _outcome(self, item: dict[str, Any]) -> LineOutcome:
        response = item.get("response") or {}
        error = item.get("error") or None
        status = response.get("status_code")
        body = response.get("body") or {}
        if error is None and status == 200:
            try:
                return Answered(*self.adapter.parse_batch_body(body))
            except Exception as exc:  # noqa: BLE001 - read as a live reply would be
                return LineError(exc)
        if error is not None and error.get("code") in UNANSWERED_CODES:
            return Unanswered(f"{error.get('code')}: {error.get('message') or ''}".strip())
        detail = body.get("error") if isinstance(body, dict) else None
        detail = detail if isinstance(detail, dict) else (error or {})
        code = detail.get("code") or detail.get("type") or "error"
        message = detail.get("message") or f"status {status}"
        return LineError(BatchLineError(f"{code}: {message}",
                                        status if isinstance(status, int) else None))


def _status(job: Any) -> JobStatus:
    counts = job.request_counts
    detail = ""
    if job.errors is not None and job.errors.data:
        detail = "; ".join(f"{e.code}: {e.message}" for e in job.errors.data)
    return JobStatus(str(job.status), PHASE.get(job.status, "pending"),
                     counts.total if counts else None, counts.completed if counts else None,
                     counts.failed if counts else None, detail, raw=job)


def client_for(endpoint: str, api_key: str) -> Any:
    import openai

    return openai.AsyncOpenAI(api_key=api_key, base_url=endpoint, max_retries=2)
