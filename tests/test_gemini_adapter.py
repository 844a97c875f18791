"""The Gemini adapter through the real google-genai SDK against a local Gemini API."""

from __future__ import annotations

import asyncio
import base64
import io
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("google.genai")
from adapter_helpers import FAULT_VERDICTS, call_with_cache
from conftest import call_context
from servers.chat_requests import pair_request, tiny_clip, two_video_request
from servers.gemini_server import FakeGeminiServer, Fault
from vdbench.catalog import make_model
from vdbench.llm import gemini_api
from vdbench.llm.errors import FatalError, classify
from vdbench.llm.gemini_api import GeminiAdapter, InputMode, UploadPolicy
from vdbench.llm.types import ChatRequest, Usage

API_KEY = "AIzaTEST-0123456789abcdefghijklmnopqrstu"
FAST_UPLOADS = UploadPolicy(poll_interval_s=0.01, max_wait_s=5.0)


def sent_parts(body: dict) -> list[dict]:
    return [part for content in body["contents"] for part in content["parts"]]


def camel_or_snake(part: dict, camel: str, snake: str) -> dict:
    """The SDK writes some nested keys in snake_case; the API reads both spellings."""
    return part.get(camel, part.get(snake))


def make_adapter(server: FakeGeminiServer, input_mode: InputMode = "frames",
                 policy: UploadPolicy = FAST_UPLOADS, model_id: str = "gemini-test"
                 ) -> GeminiAdapter:
    if input_mode == "video":
        pytest.importorskip("av")
    return GeminiAdapter(model_id, server.ctx, input_mode, policy)


def complete_all(adapter: GeminiAdapter, *requests: ChatRequest) -> list[tuple[str, Usage]]:
    """Sends the requests concurrently, then closes the adapter."""
    async def go() -> list[tuple[str, Usage]]:
        try:
            return list(await asyncio.gather(*(adapter.complete(r) for r in requests)))
        finally:
            await adapter.aclose()

    return asyncio.run(go())


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    with FakeGeminiServer(reply=lambda body: '{"0": "b"}') as srv:
        srv.ctx = call_context(tmp_path / "ctx", base_url=srv.base_url)  # adapters are built in
        yield srv


def test_frames_travel_inline_in_order_with_generation_settings(server):
    a, b = tiny_clip(0, 3), tiny_clip(1, 4)
    complete_all(make_adapter(server), two_video_request(a, b, system="Be brief."))
    (call,) = server.requests
    assert call.path == "/v1beta/models/gemini-test:generateContent"
    assert call.body["generationConfig"] == {"temperature": 0.0, "seed": 0,
                                             "maxOutputTokens": 2048}
    assert call.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    parts = sent_parts(call.body)
    kinds = ["text" if "text" in p else "image" for p in parts]
    assert kinds == ["text", "text"] + ["image"] * 3 + ["text"] + ["image"] * 4 + ["text"]
    images = [camel_or_snake(p, "inlineData", "inline_data") for p in parts if "text" not in p]
    assert [base64.urlsafe_b64decode(i["data"]) for i in images] == [
        f.image for f in a.frames + b.frames]
    assert API_KEY not in repr(call.headers)


def test_reply_text_and_usage_count_thinking_as_output(server):
    server.thoughts_tokens = 7
    ((text, usage),) = complete_all(make_adapter(server), pair_request(0))
    assert text == '{"0": "b"}'
    assert usage == Usage(input_tokens=10 + 258 * 4, output_tokens=len(text) + 7)


def test_video_mode_uploads_each_clip_once_waits_and_deletes_at_close(server):
    server.processing_polls = 2
    shared, b, c = tiny_clip(0, 6, fps=5.0), tiny_clip(1, 4, fps=5.0), tiny_clip(2, 5, fps=5.0)
    complete_all(make_adapter(server, "video"),
                 two_video_request(shared, b), two_video_request(shared, c))

    uploads = server.uploads()
    assert len(uploads) == 3  # the shared clip once
    starts = [r for r in server.requests if r.path == "/upload/v1beta/files"]
    assert all(r.headers["x-goog-upload-header-content-type"] == "video/mp4" for r in starts)
    assert len({r.body["file"]["display_name"] for r in starts}) == 3

    generates = server.generate_requests()
    assert len(generates) == 2
    for call in generates:
        videos = [p for p in sent_parts(call.body) if "text" not in p]
        metadata = [camel_or_snake(p, "videoMetadata", "video_metadata") for p in videos]
        assert metadata == [{"fps": 5.0}] * 2
        for video in videos:
            uri = camel_or_snake(video, "fileData", "file_data")
            name = "files/" + camel_or_snake(uri, "fileUri", "file_uri").rsplit("/", 1)[1]
            polls = [r for r in server.requests[:server.requests.index(call)]
                     if r.method == "GET" and r.path.endswith(name)]
            assert len(polls) == 3  # PROCESSING twice, then ACTIVE, before it was used

    lengths = sorted(decoded_frames(u.data) for u in uploads)
    assert lengths == [(4, 5.0), (5, 5.0), (6, 5.0)]
    assert all(u.deleted for u in uploads)


def decoded_frames(mp4: bytes) -> tuple[int, float]:
    av = pytest.importorskip("av")
    with av.open(io.BytesIO(mp4)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)), float(stream.average_rate)


def test_a_video_gemini_cannot_process_is_a_fatal_error_and_still_deleted(server):
    server.fail_processing = True
    with pytest.raises(FatalError, match="could not process") as caught:
        complete_all(make_adapter(server, "video"), pair_request(0))
    assert not classify(caught.value).retryable
    assert server.generate_requests() == []
    assert server.uploads() and all(u.deleted for u in server.uploads())


def test_waiting_for_processing_is_bounded_and_a_retry_resumes_it(server):
    server.processing_polls = 10**6
    adapter = make_adapter(server, "video", UploadPolicy(poll_interval_s=0.01, max_wait_s=0.05))
    request = pair_request(0)

    async def two_attempts() -> list[BaseException]:
        errors = []
        for _ in range(2):
            try:
                await adapter.complete(request)
            except Exception as exc:  # noqa: BLE001 - collected for the assertions
                errors.append(exc)
        await adapter.aclose()
        return errors

    errors = asyncio.run(two_attempts())
    assert [classify(e).retryable for e in errors] == [True, True]
    assert len(server.uploads()) == 1  # the second attempt polled the same upload
    assert server.generate_requests() == []


def test_video_above_gemini_fps_limit_is_refused_before_sending(server):
    fast = replace(tiny_clip(0, 3), fps=30.0)
    with pytest.raises(FatalError, match="24 fps"):
        complete_all(make_adapter(server, "video"), two_video_request(fast, fast))
    assert server.requests == []


def test_inline_frames_over_the_request_limit_are_refused_before_sending(server, monkeypatch):
    monkeypatch.setattr(gemini_api, "INLINE_LIMIT_BYTES", 1000)
    with pytest.raises(FatalError, match="gemini_input=video"):
        complete_all(make_adapter(server), pair_request(0, n_frames=8))
    assert server.requests == []


@pytest.mark.parametrize("fault, retryable, wait", FAULT_VERDICTS)
def test_failures_are_classified_for_the_runtime(server, fault, retryable, wait):
    server.fail_next(fault)
    with pytest.raises(Exception) as caught:
        complete_all(make_adapter(server), pair_request(0))
    verdict = classify(caught.value)
    assert (verdict.retryable, verdict.retry_after) == (retryable, wait)
    assert API_KEY not in verdict.summary
    assert len(server.requests) == 1  # the SDK itself did not retry


def test_runtime_retries_through_faults_then_serves_reruns_from_cache(server, tmp_path: Path):
    request = pair_request(0)
    server.fail_next(Fault("429", retry_after="0"), "500")

    def new_adapter() -> GeminiAdapter:
        return make_adapter(server, "video", model_id="gemini-1.5-pro-002")

    first = call_with_cache(tmp_path, new_adapter, request)
    assert (first.status, first.cached) == ("ok", False)
    assert len(server.generate_requests()) == 3
    assert len(server.uploads()) == 2  # retries reused the uploads
    assert first.cost_usd > 0
    n_requests = len(server.requests)
    second = call_with_cache(tmp_path, new_adapter, request)
    assert (second.status, second.cached, second.text) == ("ok", True, first.text)
    assert len(server.requests) == n_requests  # nothing sent, not even an upload
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_names_resolve_to_pinned_snapshots_and_input_modes(server, tmp_path: Path):
    pytest.importorskip("av")
    expected = {
        "gemini-1.5-pro": "gemini-1.5-pro-002",
        "gemini-2.5-pro": "gemini-2.5-pro",
        "gemini:gemini-2.5-flash": "gemini-2.5-flash",
    }
    ctx = call_context(tmp_path, base_url=server.base_url)
    for name, snapshot in expected.items():
        model = make_model(name, ctx, {"gemini_input": "video"})
        assert (model.name, model.adapter.model_id) == (name, snapshot)
        assert model.adapter.cache_identity()["input"] == "video"
    assert make_model("gemini-1.5-pro", call_context(tmp_path), {}).adapter.input_mode == (
        "frames")
    with pytest.raises(Exception, match="gemini_input"):
        make_model("gemini-1.5-pro", call_context(tmp_path), {"gemini_input": "gif"})


def test_a_missing_key_is_reported_before_any_call(monkeypatch, tmp_path):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(Exception, match="GEMINI_API_KEY"):
        GeminiAdapter("gemini-test", call_context(tmp_path))
