"""A local stand-in for the Anthropic Messages API, close enough for the real `anthropic` SDK.

    with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as server:
        server.fail_next(Fault("429", retry_after="2"), "500")
        client = AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)

Every request is recorded, credential headers removed. Usage is deterministic:
input_tokens = 10 + 100 per image block, output_tokens = characters of the reply text.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

# 400/429/500: an error status with Anthropic's error body; drop: close the connection
# unanswered; malformed: a 200 whose body is cut-off JSON.
FaultKind = Literal["400", "429", "500", "drop", "malformed"]
ERROR_TYPES = {"400": "invalid_request_error", "429": "rate_limit_error", "500": "api_error"}
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization"})


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: str | None = None  # sent as the Retry-After header


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # lower-case names, credentials removed
    body: dict[str, Any]
    fault: FaultKind | None  # what the server answered with; None for a normal reply


def content_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for message in body["messages"] for block in message["content"]]


def image_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in content_blocks(body) if block["type"] == "image"]


class FakeAnthropicServer:
    """ThreadingHTTPServer on 127.0.0.1, a free port, serving POST /v1/messages."""

    def __init__(self, reply: Callable[[dict[str, Any]], str] = lambda body: "ok"):
        self.reply = reply
        self.requests: list[RecordedRequest] = []
        self._queued: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def fail_next(self, *faults: Fault | FaultKind) -> None:
        """Answer the next requests with these faults, in order."""
        with self._lock:
            self._queued.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def __enter__(self) -> Self:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def handle(self, path: str, headers: dict[str, str], body: dict[str, Any]
               ) -> tuple[int, bytes, dict[str, str]] | None:
        """Status, body and headers of the answer; None to drop the connection."""
        with self._lock:
            fault = self._queued.popleft() if self._queued else None
            self.requests.append(RecordedRequest(path, headers, body, fault and fault.kind))
        if path != "/v1/messages":
            return _error(404, "not_found_error", f"no route {path}")
        if fault is None:
            return 200, json.dumps(_message(body, self.reply(body))).encode(), {}
        if fault.kind == "drop":
            return None
        if fault.kind == "malformed":
            return 200, b'{"id": "msg_local", "content": [', {}
        status, extra = int(fault.kind), {}
        if fault.retry_after is not None:
            extra["retry-after"] = fault.retry_after
        return _error(status, ERROR_TYPES[fault.kind], f"scripted {fault.kind}", extra)


def _message(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "msg_local", "type": "message", "role": "assistant", "model": body["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10 + 100 * len(image_blocks(body)), "output_tokens": len(text)},
    }


def _error(status: int, error_type: str, message: str, headers: dict[str, str] | None = None
           ) -> tuple[int, bytes, dict[str, str]]:
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return status, json.dumps(body).encode(), headers or {}


def _handler_for(fake: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()
                       if k.lower() not in CREDENTIAL_HEADERS}
            answer = fake.handle(self.path, headers, json.loads(raw))
            if answer is None:
                self.close_connection = True
                return
            status, payload, extra = answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
