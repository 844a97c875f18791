"""A local stand-in for OpenAI's chat completions endpoint, with scriptable faults.

The openai SDK sends HTTP through httpx2, which respx cannot intercept, so tests point the
real SDK at this server (`base_url=server.base_url`). It records every request and can be
told to answer the next requests with faults, or to fault a fraction of all requests.

    with FakeOpenAIServer(reply=lambda body: "a") as server:
        server.fail_next(Fault("429", retry_after="1"), "500")
        ...

Also here: `tiny_clip` and `pair_request`, to build requests without real videos.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

from vdbench.frames.types import Clip, Frame
from vdbench.models.types import ChatRequest, GenerationConfig, TextPart, VideoPart

# 400/429/500: that error status. 401: a bad-key error quoting the key, as OpenAI's does.
# drop: close the connection unanswered. hang: the same after hang_s. malformed: a 200 whose
# body is cut-off JSON. no_choices: valid JSON without choices.
FaultKind = Literal["400", "401", "429", "500", "drop", "hang", "malformed", "no_choices"]
Reply = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: str | None = None  # for 429: seconds, or an HTTP date


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any] | None
    authorization: str | None
    fault: FaultKind | None  # what the server answered with; None for a normal reply


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


class FakeOpenAIServer:
    """ThreadingHTTPServer on 127.0.0.1, a free port, serving POST /v1/chat/completions."""

    def __init__(self, reply: Reply = echo_reply, *, latency_s: float = 0.0,
                 hang_s: float = 30.0, fault_rate: float = 0.0,
                 random_faults: tuple[FaultKind, ...] = ("429", "500", "drop"), seed: int = 0):
        self.reply = reply
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

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def n_replies(self) -> int:
        """Requests answered normally."""
        return sum(r.fault is None for r in self.requests)

    def fail_next(self, *faults: Fault | FaultKind) -> None:
        """Answer the next requests with these faults, in order."""
        with self._lock:
            self._queued.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            if self._queued:
                return self._queued.popleft()
            if self.fault_rate and self._rng.random() < self.fault_rate:
                return Fault(self._rng.choice(self.random_faults), retry_after="1")
            return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

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


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw) if raw else None
            fault = fake._next_fault()
            fake._record(RecordedRequest(self.path, body, self.headers.get("Authorization"),
                                         fault.kind if fault else None))
            if fake.latency_s:
                time.sleep(fake.latency_s)
            if not self.path.endswith("/chat/completions") or body is None:
                self._send(404, json.dumps(_error("not found", "invalid_request_error")).encode())
            elif fault is None:
                text = fake.reply(body)
                self._send(200, json.dumps(_completion(body["model"], text, body)).encode())
            elif fault.kind == "401":
                key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                self._send(401, json.dumps(_error(f"Incorrect API key provided: {key}.",
                                                  "invalid_request_error")).encode())
            elif fault.kind == "429":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(429, json.dumps(_error("rate limited", "rate_limit_error")).encode(),
                           headers)
            elif fault.kind == "400":
                self._send(400, json.dumps(_error("bad request", "invalid_request_error")).encode())
            elif fault.kind == "500":
                self._send(500, json.dumps(_error("internal error", "server_error")).encode())
            elif fault.kind == "malformed":
                self._send(200, b'{"id": "chatcmpl-fake", "choices": [{"mess')
            elif fault.kind == "no_choices":
                self._send(200, json.dumps({**_completion(body["model"], "", body),
                                            "choices": []}).encode())
            else:  # drop, or hang then drop: the client sees the connection close unanswered
                if fault.kind == "hang":
                    fake._stopping.wait(fake.hang_s)
                self.close_connection = True

    return Handler


# --- requests for tests -------------------------------------------------------------------

def tiny_clip(seed: int, n_frames: int = 2, fps: float = 4.0, size: tuple[int, int] = (32, 24)
              ) -> Clip:
    """A clip of solid-colour JPEG frames; different seeds give different frames."""
    from PIL import Image

    frames = []
    for i in range(n_frames):
        colour = ((seed * 37 + i * 11) % 256, (seed * 91 + 7) % 256, (seed * 13 + i * 53) % 256)
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90)
        jpeg = buffer.getvalue()
        frames.append(Frame(i, i / fps, jpeg, hashlib.sha256(jpeg).hexdigest()))
    return Clip(tuple(frames), fps=fps, source=f"synthetic:{seed}", key=f"synthetic:{seed}")


def pair_request(seed: int, question: str = "Which video shows a deeper squat?",
                 n_frames: int = 2, config: GenerationConfig | None = None) -> ChatRequest:
    """Text, video a, text, video b, text: the shape of a closed-mode request."""
    parts = (TextPart(f"Two videos of a squat (pair {seed})."), TextPart("Video a:"),
             VideoPart(tiny_clip(2 * seed, n_frames), "a"), TextPart("Video b:"),
             VideoPart(tiny_clip(2 * seed + 1, n_frames), "b"), TextPart(question))
    return ChatRequest(parts=parts, config=config or GenerationConfig())
