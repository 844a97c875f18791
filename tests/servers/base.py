"""What the local provider servers share: the HTTP thread, the request log and scripted faults.

A provider server subclasses `FakeServer` and supplies its wire format: `answer` (its routes)
and `error_answer` (its error body for a fault with an HTTP status). Faults are queued with
`fail_next`, or drawn for a fraction `fault_rate` of requests; `drop`, `hang` and `malformed`
mean the same for every provider:

    drop: close the connection unanswered. hang: the same after `hang_s`, or at stop().
    malformed: a 200 whose body (`malformed_body`) is cut-off JSON.
    "400", "429", ...: that status, with the provider's error body and Retry-After if given.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

Reply = Callable[[dict[str, Any]], str]  # request body -> the model's reply text
Answer = tuple[int, bytes, dict[str, str]] | None  # status, body, headers; None: drop


@dataclass(frozen=True)
class Fault:
    kind: str  # one of the provider module's FaultKind
    retry_after: str | None = None  # sent as the Retry-After header: seconds, or an HTTP date


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names, without the server's credential_headers
    body: Any  # parsed JSON (None when empty), or what the server's parse_body keeps
    fault: str | None  # what the server answered with; None for a normal reply

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


def json_answer(status: int, obj: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, json.dumps(obj).encode(), headers or {}


def retry_after(fault: Fault) -> dict[str, str]:
    return {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}


class FakeServer:
    """ThreadingHTTPServer on 127.0.0.1, a free port, served from a daemon thread."""

    url_suffix: ClassVar[str] = ""  # base_url is the server's root plus this
    methods: ClassVar[tuple[str, ...]] = ("POST",)  # others get the stdlib's 501
    credential_headers: ClassVar[frozenset[str]] = frozenset()  # lower-case; never recorded
    malformed_body: ClassVar[bytes] = b'{"'

    def __init__(self, reply: Reply | None = None, *, latency_s: float = 0.0,
                 hang_s: float = 30.0, fault_rate: float = 0.0,
                 random_faults: tuple[str, ...] = ("429", "500", "drop"), seed: int = 0):
        self.reply: Reply = reply or self.default_reply
        self.latency_s = latency_s
        self.hang_s = hang_s
        self.fault_rate = fault_rate
        self.random_faults = random_faults
        self.requests: list[RecordedRequest] = []
        self._queued: deque[Fault] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @staticmethod
    def default_reply(body: dict[str, Any]) -> str:
        return "ok"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.url_suffix}"

    @property
    def n_replies(self) -> int:
        """Requests answered normally."""
        return sum(r.fault is None for r in self.requests)

    def fail_next(self, *faults: Fault | str) -> None:
        """Answer the next requests (those `takes_faults` accepts) with these faults, in order."""
        with self._lock:
            self._queued.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what a provider server supplies ---------------------------------------------------

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        """The answer to one request, which may have drawn a fault."""
        raise NotImplementedError

    def error_answer(self, fault: Fault) -> Answer:
        """The answer to a fault whose kind is an HTTP status."""
        raise NotImplementedError

    def takes_faults(self, path: str) -> bool:
        return True

    def records(self, method: str, path: str) -> bool:
        """Whether a request is kept in `requests` (what the tests count)."""
        return True

    def parse_body(self, path: str, raw: bytes) -> Any:
        return json.loads(raw) if raw else None

    # --- shared ----------------------------------------------------------------------------

    def fault_answer(self, fault: Fault) -> Answer:
        if fault.kind == "hang":
            self._stopping.wait(self.hang_s)
        if fault.kind in ("drop", "hang"):
            return None
        if fault.kind == "malformed":
            return 200, self.malformed_body, {}
        return self.error_answer(fault)

    def _take_fault(self, path: str) -> Fault | None:
        if not self.takes_faults(path):
            return None
        if self._queued:
            return self._queued.popleft()
        if self.fault_rate and self._rng.random() < self.fault_rate:
            return Fault(self._rng.choice(self.random_faults), retry_after="1")
        return None

    def _serve(self, method: str, path: str, headers: Message, raw: bytes) -> Answer:
        kept = {k.lower(): v for k, v in headers.items()
                if k.lower() not in self.credential_headers}
        body = self.parse_body(path, raw)
        with self._lock:
            fault = self._take_fault(path)
            request = RecordedRequest(method, path, kept, body, fault and fault.kind)
            if self.records(method, path):
                self.requests.append(request)
        if self.latency_s:
            time.sleep(self.latency_s)
        return self.answer(request, fault)


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = fake._serve(self.command, self.path, self.headers, raw)
            if answer is None:  # the client sees the connection close unanswered
                self.close_connection = True
                return
            status, payload, headers = answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    for method in fake.methods:
        setattr(Handler, f"do_{method}", Handler.serve)
    return Handler
