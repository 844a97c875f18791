"""A local stand-in for OpenAI's chat completions endpoint, with scriptable faults.

The openai SDK sends HTTP through httpx2, which respx cannot intercept, so tests point the
real SDK at this server (`base_url=server.base_url`). It records every request and can be
told to answer the next requests with faults, or to fault a fraction of all requests.

    with FakeOpenAIServer(reply=lambda body: "a") as server:
        server.fail_next(Fault("429", retry_after="1"), "500")
        ...
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Literal

from servers.base import Answer, FakeServer, Fault, RecordedRequest, json_answer, retry_after

__all__ = ["FakeOpenAIServer", "Fault", "FaultKind", "echo_reply", "media_parts", "prompt_text"]

# 400/429/500: that error status (Retry-After on a 429 only). 401: a bad-key error quoting the
# key, as OpenAI's does. drop, hang, malformed: see servers.base. no_choices: valid JSON
# without choices.
FaultKind = Literal["400", "401", "429", "500", "drop", "hang", "malformed", "no_choices"]
ERRORS = {"400": ("bad request", "invalid_request_error"),
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
    """Serves POST /v1/chat/completions; the Authorization header is recorded."""

    url_suffix = "/v1"
    malformed_body = b'{"id": "chatcmpl-fake", "choices": [{"mess'
    default_reply = staticmethod(echo_reply)

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        body = request.body
        if not request.path.endswith("/chat/completions") or body is None:
            return _error(404, "not found", "invalid_request_error")
        if fault is None:
            return json_answer(200, _completion(body["model"], self.reply(body), body))
        if fault.kind == "401":
            key = (request.authorization or "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {key}.", "invalid_request_error")
        if fault.kind == "no_choices":
            return json_answer(200, {**_completion(body["model"], "", body), "choices": []})
        return self.fault_answer(fault)

    def error_answer(self, fault: Fault) -> Answer:
        message, kind = ERRORS[fault.kind]
        return _error(int(fault.kind), message, kind,
                      retry_after(fault) if fault.kind == "429" else None)


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
