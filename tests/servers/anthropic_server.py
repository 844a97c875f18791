"""A local stand-in for the Anthropic Messages API, close enough for the real `anthropic` SDK.

    with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as server:
        server.fail_next(Fault("429", retry_after="2"), "500")
        client = AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)

Every request is recorded, credential headers removed. Usage is deterministic:
input_tokens = 10 + 100 per image block, output_tokens = characters of the reply text.

It also serves Message Batches: POST /v1/messages/batches, GET /v1/messages/batches/{id},
GET .../results (JSONL, at the batch's results_url) and POST .../cancel. A batch answers
each request with the same reply and usage as /v1/messages once polled
`server.batches.polls` times; servers.batch_jobs scripts errored requests and expired
batches. Faults (fail_next) apply to /v1/messages only.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from servers.base import Answer, FakeServer, Fault, RecordedRequest, json_answer, retry_after
from servers.batch_jobs import BatchJobs, FakeJob

__all__ = ["FakeAnthropicServer", "Fault", "FaultKind", "content_blocks", "image_blocks"]

# 400/429/500: an error status with Anthropic's error body; drop, malformed: see servers.base.
FaultKind = Literal["400", "429", "500", "drop", "malformed"]
ERROR_TYPES = {"400": "invalid_request_error", "429": "rate_limit_error", "500": "api_error"}


def content_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for message in body["messages"] for block in message["content"]]


def image_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in content_blocks(body) if block["type"] == "image"]


class FakeAnthropicServer(FakeServer):
    """Serves POST /v1/messages."""

    credential_headers = frozenset({"x-api-key", "authorization"})
    malformed_body = b'{"id": "msg_local", "content": ['
    methods = ("POST", "GET")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.batches = BatchJobs()

    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def batch_creations(self) -> list[RecordedRequest]:
        return [r for r in self.requests
                if r.method == "POST" and r.path == "/v1/messages/batches"]

    def takes_faults(self, path: str) -> bool:
        return not path.startswith("/v1/messages/batches")

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        if request.path.startswith("/v1/messages/batches"):
            with self._lock:
                return self._batch_route(request)
        if request.method != "POST" or request.path != "/v1/messages":
            return _error(404, "not_found_error", f"no route {request.path}")
        if fault is None:
            return json_answer(200, _message(request.body, self.reply(request.body)))
        return self.fault_answer(fault)

    def error_answer(self, fault: Fault) -> Answer:
        return _error(int(fault.kind), ERROR_TYPES[fault.kind], f"scripted {fault.kind}",
                      retry_after(fault))

    # --- Message Batches ---------------------------------------------------------------------

    def _batch_route(self, request: RecordedRequest) -> Answer:
        method, path = request.method, request.path
        if method == "POST" and path == "/v1/messages/batches":
            requests = request.body.get("requests") or []
            ids = [r.get("custom_id", "") for r in requests]
            if len(set(ids)) != len(ids) or not all(
                    re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids):
                return _error(400, "invalid_request_error", "custom_id must be unique and "
                              "match ^[a-zA-Z0-9_-]{1,64}$")
            job = self.batches.create("msgbatch_", requests)
            job.extra["created_at"] = datetime.now(UTC)
            return json_answer(200, self._batch_object(job))
        match = re.fullmatch(r"/v1/messages/batches/([^/]+)(/cancel|/results)?", path)
        job = self.batches.jobs.get(match[1]) if match else None
        if match is None or job is None:
            return _error(404, "not_found_error", f"no batch at {path}")
        if match[2] == "/cancel" and method == "POST":
            self.batches.cancel(job)
            job.extra["cancel_initiated_at"] = datetime.now(UTC)
            return json_answer(200, self._batch_object(job))
        if match[2] == "/results" and method == "GET":
            if not job.finished:
                return _error(400, "invalid_request_error", "the batch is still processing")
            lines = "".join(json.dumps(item) + "\n" for item in self._results(job))
            return 200, lines.encode(), {}
        if match[2] is None and method == "GET":
            self.batches.poll(job)
            return json_answer(200, self._batch_object(job))
        return _error(404, "not_found_error", f"no route {method} {path}")

    def _results(self, job: FakeJob) -> list[dict[str, Any]]:
        if "results" in job.extra:  # answered once, when first asked after the job finished
            return job.extra["results"]
        out = []
        for item, answered, fault in zip(job.lines, self.batches.answered(job),
                                          job.line_faults):
            if not answered:
                result: dict[str, Any] = {"type": "canceled" if job.cancelled else "expired"}
            elif fault is not None:
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": ERROR_TYPES[fault], "message": f"scripted {fault}"}}}
            else:
                params = item["params"]
                result = {"type": "succeeded", "message": _message(params, self.reply(params))}
            out.append({"custom_id": item["custom_id"], "result": result})
        job.extra["results"] = out
        return out

    def _batch_object(self, job: FakeJob) -> dict[str, Any]:
        counts = {"processing": len(job.lines), "succeeded": 0, "errored": 0, "canceled": 0,
                  "expired": 0}
        if job.finished:
            counts["processing"] = 0
            for item in self._results(job):
                counts[item["result"]["type"]] += 1
        created = job.extra["created_at"]
        cancel_at = job.extra.get("cancel_initiated_at")
        return {
            "id": job.id, "type": "message_batch",
            "processing_status": "ended" if job.finished else (
                "canceling" if cancel_at else "in_progress"),
            "request_counts": counts,
            "created_at": created.isoformat(), "expires_at": (created + timedelta(
                hours=24)).isoformat(),
            "ended_at": datetime.now(UTC).isoformat() if job.finished else None,
            "cancel_initiated_at": cancel_at.isoformat() if cancel_at else None,
            "archived_at": None,
            "results_url": (f"{self.base_url}/v1/messages/batches/{job.id}/results"
                            if job.finished else None),
        }


def _message(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "msg_local", "type": "message", "role": "assistant", "model": body["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10 + 100 * len(image_blocks(body)), "output_tokens": len(text)},
    }


def _error(status: int, error_type: str, message: str, headers: dict[str, str] | None = None
           ) -> Answer:
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return json_answer(status, body, headers)
