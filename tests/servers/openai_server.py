"""A local stand-in for OpenAI's chat completions endpoint, with scriptable faults.

The openai SDK sends HTTP through httpx2, which respx cannot intercept, so tests point the
real SDK at this server (`base_url=server.base_url`). It records every request and can be
told to answer the next requests with faults, or to fault a fraction of all requests.

    with FakeOpenAIServer(reply=lambda body: "a") as server:
        server.fail_next(Fault("429", retry_after="1"), "500")
        ...

It also serves the Batch API: POST /v1/files (multipart, purpose "batch"), POST /v1/batches,
GET /v1/batches/{id}, POST /v1/batches/{id}/cancel and GET /v1/files/{id}/content. A job
answers each line with the same reply function and usage as a live call, once polled
`server.batches.polls` times; servers.batch_jobs scripts failed lines, expired and failed
jobs. Faults (fail_next) apply to chat completions only, as before.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from typing import Any, Literal

from servers.base import Answer, FakeServer, Fault, RecordedRequest, json_answer, retry_after
from servers.batch_jobs import BatchJobs, FakeJob
from vdbench.llm.providers import registry

__all__ = ["FakeOpenAIServer", "Fault", "FaultKind", "echo_reply", "media_parts", "prompt_text"]

# 400/403/404/429/500: that error status (Retry-After on a 429 only). 401: a bad-key error
# quoting the key, as OpenAI's does. quota: the 429 of an account out of credit. drop, hang,
# malformed: see servers.base. no_choices: valid JSON without choices.
FaultKind = Literal["400", "401", "403", "404", "429", "500", "quota", "drop", "hang",
                    "malformed", "no_choices"]
# Every pinned snapshot and the ids the tests use; a test that needs a missing model sets
# served_models on its server.
SERVED_BY_DEFAULT = (*(a.snapshot for a in registry.aliases()), "any", "gpt-4o-2024-11-20",
                     "Qwen/Qwen2.5-VL-7B-Instruct")
ERRORS = {"400": ("bad request", "invalid_request_error"),
          "403": ("you may not use this model", "permission_error"),
          "404": ("The model does not exist or you do not have access to it",
                  "invalid_request_error"),
          "429": ("rate limited", "rate_limit_error"),
          "500": ("internal error", "server_error")}


def prompt_text(body: dict[str, Any]) -> str:
    """The text parts of every message, joined by newlines."""
    texts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(p["text"] for p in content if p.get("type") == "text")
    return "\n".join(texts)


def media_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The image_url and video_url parts of every message, in order."""
    return [p for m in body.get("messages", []) if isinstance(m.get("content"), list)
            for p in m["content"] if p.get("type") in ("image_url", "video_url")]


def echo_reply(body: dict[str, Any]) -> str:
    return "reply to " + hashlib.sha256(prompt_text(body).encode()).hexdigest()[:12]


class FakeOpenAIServer(FakeServer):
    """Serves POST /v1/chat/completions and GET /v1/models (the models in `served_models`,
    which vLLM and vdbench's pre-flight check use); the Authorization header is recorded."""

    url_suffix = "/v1"
    methods = ("POST", "GET")
    malformed_body = b'{"id": "chatcmpl-fake", "choices": [{"mess'
    default_reply = staticmethod(echo_reply)
    served_models: tuple[str, ...] = SERVED_BY_DEFAULT
    max_model_len: int | None = None  # vLLM lists each model's context window; OpenAI does not
    refusal: str | None = None  # answer every chat request 400 with this, as vLLM words it

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.batches = BatchJobs()
        self.files: dict[str, dict[str, Any]] = {}  # id -> {"purpose", "filename", "data"}
        self._file_ids = itertools.count(1)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def batch_creations(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/batches"]

    def parse_body(self, path: str, raw: bytes) -> Any:
        if path == "/v1/files":
            return _multipart(raw)
        return super().parse_body(path, raw)

    def takes_faults(self, path: str) -> bool:
        return path.endswith("/chat/completions")

    def records(self, method: str, path: str) -> bool:
        return method != "GET"  # model listings are the pre-flight check, not model calls

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        body = request.body
        if request.path.startswith(("/v1/files", "/v1/batches")):
            with self._lock:
                return self._batch_route(request)
        if request.method == "GET" and request.path.endswith("/models"):
            window = {"max_model_len": self.max_model_len} if self.max_model_len else {}
            return json_answer(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake", **window}
                for m in self.served_models]})
        if not request.path.endswith("/chat/completions") or body is None:
            return _error(404, "not found", "invalid_request_error")
        if self.refusal is not None:
            return _error(400, self.refusal, "BadRequestError")
        if fault is None:
            return json_answer(200, _completion(body["model"], self.reply(body), body))
        if fault.kind == "401":
            key = (request.authorization or "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {key}.", "invalid_request_error")
        if fault.kind == "quota":  # what OpenAI answers when the account is out of credit
            body = {"error": {"message": "You exceeded your current quota, please check your "
                              "plan and billing details.", "type": "insufficient_quota",
                              "param": None, "code": "insufficient_quota"}}
            return json_answer(429, body)
        if fault.kind == "no_choices":
            return json_answer(200, {**_completion(body["model"], "", body), "choices": []})
        return self.fault_answer(fault)

    def error_answer(self, fault: Fault) -> Answer:
        message, kind = ERRORS[fault.kind]
        return _error(int(fault.kind), message, kind,
                      retry_after(fault) if fault.kind == "429" else None)

    # --- the Batch API -------------------------------------------------------------------------

    def _batch_route(self, request: RecordedRequest) -> Answer:
        method, path, body = request.method, request.path, request.body
        if method == "POST" and path == "/v1/files":
            file_id = f"file-{next(self._file_ids)}"
            self.files[file_id] = {"purpose": body.get("purpose", b"").decode(),
                                   "filename": "batch.jsonl", "data": body.get("file", b"")}
            return json_answer(200, self._file_object(file_id))
        if method == "POST" and path == "/v1/batches":
            if (refusal := self.batches.take_refusal()) is not None:
                if refusal == "401":
                    return _error(401, "Incorrect API key provided.", "invalid_request_error")
                return self.error_answer(Fault(refusal))
            stored = self.files.get(body.get("input_file_id"))
            if stored is None or stored["purpose"] != "batch":
                return _error(400, "input_file_id is not a batch file", "invalid_request_error")
            lines = [json.loads(t) for t in stored["data"].decode().splitlines() if t.strip()]
            if any(line.get("url") != body.get("endpoint") for line in lines):
                return _error(400, "a line's url differs from the endpoint",
                              "invalid_request_error")
            job = self.batches.create("batch_", lines)
            job.extra.update(input_file_id=body["input_file_id"], endpoint=body["endpoint"],
                             created_at=int(time.time()), metadata=body.get("metadata"))
            return json_answer(200, self._batch_object(job))
        if match := re.fullmatch(r"/v1/batches/([^/]+)(/cancel)?", path):
            job = self.batches.jobs.get(match[1])
            if job is None:
                return _error(404, f"No batch found with id '{match[1]}'.",
                              "invalid_request_error")
            if match[2] and method == "POST":
                self.batches.cancel(job)
                return json_answer(200, self._batch_object(job, cancelling=True))
            if method == "GET" and self.batches.poll(job):
                self._write_outputs(job)
            return json_answer(200, self._batch_object(job))
        if (match := re.fullmatch(r"/v1/files/([^/]+)/content", path)) and method == "GET":
            stored = self.files.get(match[1])
            if stored is None:
                return _error(404, f"No such File object: {match[1]}", "invalid_request_error")
            return 200, stored["data"], {}
        return _error(404, "not found", "invalid_request_error")

    def _file_object(self, file_id: str) -> dict[str, Any]:
        stored = self.files[file_id]
        return {"id": file_id, "object": "file", "bytes": len(stored["data"]),
                "created_at": int(time.time()), "filename": stored["filename"],
                "purpose": stored["purpose"], "status": "processed"}

    def _batch_object(self, job: FakeJob, cancelling: bool = False) -> dict[str, Any]:
        state = self.batches.state(job)
        status = {"in_progress": "cancelling" if cancelling or job.cancelled else "in_progress",
                  "cancelled": "cancelled", "expired": "expired", "failed": "failed",
                  "completed": "completed"}[state]
        counts = job.extra.get("counts", {"total": len(job.lines), "completed": 0, "failed": 0})
        errors = None
        if status == "failed":
            errors = {"object": "list", "data": [{"code": "invalid_request",
                                                  "message": "scripted validation failure",
                                                  "param": None, "line": None}]}
        return {"id": job.id, "object": "batch", "endpoint": job.extra["endpoint"],
                "input_file_id": job.extra["input_file_id"], "completion_window": "24h",
                "status": status, "created_at": job.extra["created_at"],
                "output_file_id": job.extra.get("output_file_id"),
                "error_file_id": job.extra.get("error_file_id"), "errors": errors,
                "metadata": job.extra.get("metadata"), "request_counts": counts}

    def _write_outputs(self, job: FakeJob) -> None:
        if "counts" in job.extra:  # written at the first poll that saw the job finished
            return
        outputs, errors = [], []
        for i, (line, answered, fault) in enumerate(
                zip(job.lines, self.batches.answered(job), job.line_faults)):
            item: dict[str, Any] = {"id": f"batch_req_{job.id}_{i}",
                                    "custom_id": line["custom_id"]}
            if not answered:
                if job.fate == "failed":
                    continue
                code = "batch_cancelled" if job.cancelled else "batch_expired"
                errors.append({**item, "response": None, "error": {
                    "code": code, "message": f"This request could not be executed: {code}."}})
            elif fault is not None:
                message, kind = ERRORS[fault]
                errors.append({**item, "error": None, "response": {
                    "status_code": int(fault), "request_id": f"req_{i}",
                    "body": {"error": {"message": message, "type": kind, "param": None,
                                       "code": None}}}})
            else:
                body = line["body"]
                outputs.append({**item, "error": None, "response": {
                    "status_code": 200, "request_id": f"req_{i}",
                    "body": _completion(body["model"], self.reply(body), body)}})
        for name, items in (("output_file_id", outputs), ("error_file_id", errors)):
            if items:
                file_id = f"file-{next(self._file_ids)}"
                data = "".join(json.dumps(item) + "\n" for item in items).encode()
                self.files[file_id] = {"purpose": "batch_output", "filename": f"{name}.jsonl",
                                       "data": data}
                job.extra[name] = file_id
        job.extra["counts"] = {"total": len(job.lines), "completed": len(outputs),
                               "failed": len(job.lines) - len(outputs)}


def _multipart(raw: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, by name."""
    boundary = raw.split(b"\r\n", 1)[0]
    fields = {}
    for chunk in raw.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, value = chunk.partition(b"\r\n\r\n")
        if name := re.search(rb'name="([^"]+)"', head):
            fields[name[1].decode()] = value.removesuffix(b"\r\n")
    return fields


def _completion(model: str, text: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt_tokens = len(prompt_text(body)) // 4 + 85 * len(media_parts(body))
    completion_tokens = max(1, len(text) // 4)
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": text, "refusal": None}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None
           ) -> Answer:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return json_answer(status, body, headers)
