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
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

FaultKind = Literal["400", "429", "500", "drop", "malformed"]
STATUS_NAMES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL"}
CREDENTIAL_HEADERS = frozenset({"x-goog-api-key", "authorization"})
GENERATE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")
FILE = re.compile(r"^/v1beta/files/(?P<id>[^/?]+)$")
Reply = tuple[int, bytes, dict[str, str]]  # status, body, headers


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: str | None = None  # sent as the Retry-After header


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names, credentials removed
    body: Any  # parsed JSON, or the raw bytes of an upload chunk
    fault: FaultKind | None


@dataclass
class StoredFile:
    meta: dict[str, Any]
    data: bytes = b""
    polls_left: int = 0
    deleted: bool = False


class FakeGeminiServer:
    """ThreadingHTTPServer on 127.0.0.1, a free port, serving the routes above."""

    def __init__(self, reply: Callable[[dict[str, Any]], str] = lambda body: "ok", *,
                 processing_polls: int = 1, fail_processing: bool = False,
                 thoughts_tokens: int = 0):
        self.reply = reply
        self.processing_polls = processing_polls
        self.fail_processing = fail_processing
        self.thoughts_tokens = thoughts_tokens
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, StoredFile] = {}  # by name, "files/<id>"
        self._queued: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def fail_next(self, *faults: Fault | FaultKind) -> None:
        """Answer the next generateContent requests with these faults, in order."""
        with self._lock:
            self._queued.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def uploads(self) -> list[StoredFile]:
        return list(self.files.values())

    def generate_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if GENERATE.match(r.path)]

    def __enter__(self) -> Self:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes
               ) -> Reply | None:
        """The answer to one request; None to drop the connection."""
        with self._lock:
            fault = self._queued.popleft() if GENERATE.match(path) and self._queued else None
            body = raw if path.startswith("/upload/") and "upload_id" in path else (
                json.loads(raw) if raw else None)
            self.requests.append(RecordedRequest(method, path, headers, body, fault and fault.kind))
            if fault is not None:
                return _fault_answer(fault)
            if method == "POST" and (match := GENERATE.match(path)):
                return _json(200, self._generate(match["model"], body))
            if method == "POST" and path == "/upload/v1beta/files":
                return self._start_upload(headers, body)
            if method == "POST" and path.startswith("/upload/v1beta/files?upload_id="):
                return self._finish_upload(path.split("=", 1)[1], raw)
            if (match := FILE.match(path)) and method in ("GET", "DELETE"):
                stored = self.files.get(f"files/{match['id']}")
                if stored is None or stored.deleted:
                    return _error(404, f"file {match['id']} not found")
                if method == "DELETE":
                    stored.deleted = True
                    return _json(200, {})
                return _json(200, self._poll(stored))
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

    def _start_upload(self, headers: dict[str, str], body: dict[str, Any]) -> Reply:
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
        return _json(200, {}, {"X-Goog-Upload-URL": upload_url, "X-Goog-Upload-Status": "active"})

    def _finish_upload(self, file_id: str, data: bytes) -> Reply:
        stored = self.files[f"files/{file_id}"]
        stored.data = data
        stored.meta |= {"sizeBytes": str(len(data)),
                        "sha256Hash": base64.b64encode(hashlib.sha256(data).digest()).decode()}
        return _json(200, {"file": stored.meta}, {"X-Goog-Upload-Status": "final"})

    def _poll(self, stored: StoredFile) -> dict[str, Any]:
        if stored.polls_left > 0:
            stored.polls_left -= 1
        else:
            stored.meta["state"] = "FAILED" if self.fail_processing else "ACTIVE"
        return stored.meta


def _json(status: int, obj: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": status, "message": message,
                      "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    return _json(status, body, headers)


def _fault_answer(fault: Fault) -> Reply | None:
    if fault.kind == "drop":
        return None
    if fault.kind == "malformed":
        return 200, b'{"candidates": [{"content": ', {"Content-Type": "application/json"}
    extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    return _error(int(fault.kind), f"scripted {fault.kind}", extra)


def _handler_for(fake: FakeGeminiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()
                       if k.lower() not in CREDENTIAL_HEADERS}
            answer = fake.handle(self.command, self.path, headers, raw)
            if answer is None:
                self.close_connection = True
                return
            status, payload, extra = answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

    return Handler
