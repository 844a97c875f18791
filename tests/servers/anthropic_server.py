"""A local stand-in for the Anthropic Messages API, close enough for the real `anthropic` SDK.

    with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as server:
        server.fail_next(Fault("429", retry_after="2"), "500")
        client = AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)

Every request is recorded, credential headers removed. Usage is deterministic:
input_tokens = 10 + 100 per image block, output_tokens = characters of the reply text.
"""

from __future__ import annotations

from typing import Any, Literal

from servers.base import Answer, FakeServer, Fault, RecordedRequest, json_answer, retry_after

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

    def answer(self, request: RecordedRequest, fault: Fault | None) -> Answer:
        if request.path != "/v1/messages":
            return _error(404, "not_found_error", f"no route {request.path}")
        if fault is None:
            return json_answer(200, _message(request.body, self.reply(request.body)))
        return self.fault_answer(fault)

    def error_answer(self, fault: Fault) -> Answer:
        return _error(int(fault.kind), ERROR_TYPES[fault.kind], f"scripted {fault.kind}",
                      retry_after(fault))


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
