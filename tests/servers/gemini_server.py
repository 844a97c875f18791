"""A local stand-in for the Gemini Developer API, close enough for the real `google-genai` SDK.

Serves generateContent and the Files API: the resumable upload (start, then one
"upload, finalize" chunk), files.get (PROCESSING for `processing_polls` polls, then ACTIVE, or
FAILED when `fail_processing`), and files.delete.

    with FakeGeminiServer(reply=lambda body: '{"0": "b"}') as server:
        server.fail_next(Fault("429", retry_after="2"), "500")  # generateContent only
        client = genai.Client(api_key="test", http_options={"base_url": server.base_url})

Every request is recorded, credential headers removed. Usage is deterministic:
promptTokenCount = 10 + 258 per inline image + 1000 per file_data part,
candidatesTokenCount = characters of the reply text, thoughtsTokenCount = `thoughts_tokens`.

It also serves the Batch API as google-genai calls it: POST models/{model}:batchGenerateContent
(inlined requests, or a JSONL file uploaded through the Files API), GET batches/{id},
POST batches/{id}:cancel, and GET files/{id}:download for a responses file. A job answers
each request as generateContent would once polled `server.batches.polls` times;
servers.batch_jobs scripts failed requests and expired or failed jobs (which answer nothing).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from servers.base import Answer, FakeServer, Fault, RecordedRequest, Reply, json_answer, retry_after
from servers.batch_jobs import BatchJobs, FakeJob

__all__ = ["FakeGeminiServer", "Fault", "FaultKind", "StoredFile"]

FaultKind = Literal["400", "429", "500", "drop", "malformed"]
STATUS_NAMES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL"}
GENERATE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
FILE = re.compile(r"^/v1beta/files/(?P<id>[^/?]+)$")
BATCH_CREATE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):batchGenerateContent$")
BATCH = re.compile(r"^/v1beta/batches/(?P<id>[^/:?]+)(?P<cancel>:cancel)?$")
DOWNLOAD = re.compile(r"^/v1beta/files/(?P<id>[^/:?]+):download(\?.*)?$")
RPC_CODES = {"400": (3, "INVALID_ARGUMENT"), "429": (8, "RESOURCE_EXHAUSTED"),
             "500": (13, "INTERNAL")}
BATCH_STATES = {"in_progress": "BATCH_STATE_RUNNING", "completed": "BATCH_STATE_SUCCEEDED",
                "expired": "BATCH_STATE_EXPIRED", "failed": "BATCH_STATE_FAILED",
                "cancelled": "BATCH_STATE_CANCELLED"}


@dataclass
class StoredFile:
    meta: dict[str, Any]
    data: bytes = b""
    polls_left: int = 0
    deleted: bool = False


class FakeGeminiServer(FakeServer):
    """Serves the routes above; faults apply to generateContent only."""

    methods = ("GET", "POST", "DELETE")
    credential_headers = frozenset({"x-goog-api-key", "authorization"})
    malformed_body = b'{"candidates": [{"content": '

    def __init__(self, reply: Reply | None = None, *, processing_polls: int = 1,
                 fail_processing: bool = False, thoughts_tokens: int = 0):
        super().__init__(reply)
        self.processing_polls = processing_polls
        self.fail_processing = fail_processing
        self.thoughts_tokens = thoughts_tokens
        self.files: dict[str, StoredFile] = {}  # by name, "files/<id>"
        self._ids = itertools.count(1)
        self.batches = BatchJobs()

    def batch_creations(self) -> list[RecordedRequest]:
        return [r for r in self.requests if BATCH_CREATE.match(r.path)]

    def uploads(self) -> list[StoredFile]:
        return list(self.files.values())

    def generate_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if GENERATE.match(r.path)]

    def takes_faults(self, path: str) -> bool:
        return GENERATE.match(path) is not None

    def parse_body(self, path: str, raw: bytes) -> Any:
        if path.startswith("/upload/") and "upload_id" in path:
            return raw  # an upload chunk
        return super().parse_body(path, raw)

    def error_answer(self, fault: Fault) -> Answer:
        return _error(int(fault.kind), f"scripted {fault.kind}", retry_after(fault))

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        if fault is not None:
            return self.fault_answer(fault)
        method, path, body = request.method, request.path, request.body
        with self._lock:
            if method == "POST" and (match := GENERATE.match(path)):
                return json_answer(200, self._generate(match["model"], body))
            if method == "POST" and path == "/upload/v1beta/files":
                return self._start_upload(request.headers, body)
            if method == "POST" and path.startswith("/upload/v1beta/files?upload_id="):
                return self._finish_upload(path.split("=", 1)[1], body)
            if method == "POST" and (match := BATCH_CREATE.match(path)):
                return self._create_batch(match["model"], body)
            if match := BATCH.match(path):
                return self._batch(method, match["id"], bool(match["cancel"]))
            if method == "GET" and (match := DOWNLOAD.match(path)):
                stored = self.files.get(f"files/{match['id']}")
                if stored is None or stored.deleted:
                    return _error(404, f"file {match['id']} not found")
                return 200, stored.data, {}
            if (match := FILE.match(path)) and method in ("GET", "DELETE"):
                stored = self.files.get(f"files/{match['id']}")
                if stored is None or stored.deleted:
                    return _error(404, f"file {match['id']} not found")
                if method == "DELETE":
                    stored.deleted = True
                    return json_answer(200, {})
                return json_answer(200, self._poll(stored))
            return _error(404, f"no route {method} {path}")

    def _generate(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        text = self.reply(body)
        parts = [p for c in body["contents"] for p in c["parts"]]
        prompt = 10 + 258 * sum("inlineData" in p for p in parts) + 1000 * sum(
            "fileData" in p for p in parts)
        usage = {"promptTokenCount": prompt, "candidatesTokenCount": len(text),
                 "totalTokenCount": prompt + len(text) + self.thoughts_tokens}
        if self.thoughts_tokens:
            usage["thoughtsTokenCount"] = self.thoughts_tokens
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": usage, "modelVersion": model}

    def _start_upload(self, headers: dict[str, str], body: dict[str, Any]) -> Answer:
        if headers.get("x-goog-upload-protocol") != "resumable":
            return _error(400, "only resumable uploads are served")
        file_id = f"f{next(self._ids)}"
        sent = body.get("file", {})  # the SDK writes snake_case here; the API takes both
        meta = {"displayName": sent.get("displayName", sent.get("display_name")),
                "name": f"files/{file_id}",
                "mimeType": headers.get("x-goog-upload-header-content-type"),
                "uri": f"{self.base_url}/v1beta/files/{file_id}", "state": "PROCESSING",
                "source": "UPLOADED", "createTime": "2025-01-01T00:00:00Z"}
        self.files[meta["name"]] = StoredFile(meta, polls_left=self.processing_polls)
        upload_url = f"{self.base_url}/upload/v1beta/files?upload_id={file_id}"
        return json_answer(200, {}, {"X-Goog-Upload-URL": upload_url,
                                     "X-Goog-Upload-Status": "active"})

    def _finish_upload(self, file_id: str, data: bytes) -> Answer:
        stored = self.files[f"files/{file_id}"]
        stored.data = data
        stored.meta |= {"sizeBytes": str(len(data)),
                        "sha256Hash": base64.b64encode(hashlib.sha256(data).digest()).decode()}
        return json_answer(200, {"file": stored.meta}, {"X-Goog-Upload-Status": "final"})

    # --- the Batch API -------------------------------------------------------------------------

    def _create_batch(self, model: str, body: dict[str, Any]) -> Answer:
        batch = body.get("batch") or {}
        source = batch.get("inputConfig") or {}
        if "fileName" in source:
            stored = self.files.get(source["fileName"])
            if stored is None:
                return _error(400, f"input file {source['fileName']} not found")
            lines = [json.loads(t) for t in stored.data.decode().splitlines() if t.strip()]
            items = [{"key": line["key"], "request": line["request"]} for line in lines]
        else:
            items = (source.get("requests") or {}).get("requests") or []
        if not items:
            return _error(400, "a batch needs requests")
        job = self.batches.create("b", items)
        job.extra.update(model=model, display_name=batch.get("displayName"),
                         file_mode="fileName" in source,
                         created=datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        return json_answer(200, self._batch_object(job))

    def _batch(self, method: str, job_id: str, cancel: bool) -> Answer:
        job = self.batches.jobs.get(job_id)
        if job is None:
            return _error(404, f"batch {job_id} not found")
        if cancel and method == "POST":
            self.batches.cancel(job)
            return json_answer(200, {})
        if method != "GET" or cancel:
            return _error(404, f"no route {method} batches/{job_id}")
        self.batches.poll(job)
        return json_answer(200, self._batch_object(job))

    def _batch_object(self, job: FakeJob) -> dict[str, Any]:
        state = self.batches.state(job)
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                     "GenerateContentBatch",
            "model": f"models/{job.extra['model']}", "name": f"batches/{job.id}",
            "displayName": job.extra["display_name"], "state": BATCH_STATES[state],
            "createTime": job.extra["created"], "updateTime": job.extra["created"]}
        if job.finished:
            metadata["endTime"] = job.extra["created"]
        if state == "completed":
            metadata["output"] = self._output(job)
        return {"name": f"batches/{job.id}", "metadata": metadata, "done": job.finished}

    def _output(self, job: FakeJob) -> dict[str, Any]:
        if "output" in job.extra:  # answered once, when first asked after the job finished
            return job.extra["output"]
        responses = []
        for item, fault in zip(job.lines, job.line_faults):
            if fault is not None:
                code, status = RPC_CODES[fault]
                answer: dict[str, Any] = {"error": {"code": code, "message": f"scripted {fault}",
                                                    "status": status}}
            else:
                answer = {"response": self._generate(job.extra["model"], item["request"])}
            if job.extra["file_mode"]:
                responses.append({"key": item["key"], **answer})
            else:
                responses.append({**answer, **({"metadata": item["metadata"]}
                                               if item.get("metadata") else {})})
        if job.extra["file_mode"]:
            file_id = f"f{next(self._ids)}"
            data = "".join(json.dumps(r) + "\n" for r in responses).encode()
            meta = {"name": f"files/{file_id}", "mimeType": "application/jsonl",
                    "state": "ACTIVE", "source": "GENERATED", "sizeBytes": str(len(data)),
                    "downloadUri": f"{self.base_url}/v1beta/files/{file_id}:download?alt=media"}
            self.files[meta["name"]] = StoredFile(meta, data)
            output: dict[str, Any] = {"responsesFile": meta["name"]}
        else:
            output = {"inlinedResponses": {"inlinedResponses": responses}}
        job.extra["output"] = output
        return output

    def _poll(self, stored: StoredFile) -> dict[str, Any]:
        if stored.polls_left > 0:
            stored.polls_left -= 1
        else:
            stored.meta["state"] = "FAILED" if self.fail_processing else "ACTIVE"
        return stored.meta


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    body = {"error": {"code": status, "message": message,
                      "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    return json_answer(status, body, headers)
