"""The Anthropic adapter through the real SDK against a local Messages API."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
import random
from pathlib import Path

import pytest

pytest.importorskip("anthropic")
from PIL import Image

from adapter_helpers import FAULT_VERDICTS, call_with_cache
from conftest import call_context
from servers.anthropic_server import FakeAnthropicServer, Fault, content_blocks, image_blocks
from servers.chat_requests import pair_request, tiny_clip, two_video_request
from vdbench.catalog import make_model
from vdbench.frames.types import Clip, Frame
from vdbench.llm.anthropic_api import AnthropicAdapter, ImageLimits
from vdbench.llm.errors import FatalError, classify
from vdbench.llm.types import ChatRequest, Usage

API_KEY = "sk-ant-test-0123456789abcdef"


def noisy_clip(seed: int, n_frames: int, size: tuple[int, int]) -> Clip:
    """Frames of random pixels: JPEG cannot compress them, so they are large."""
    frames = []
    for i in range(n_frames):
        pixels = random.Random(seed * 1000 + i).randbytes(size[0] * size[1] * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", size, pixels).save(out, format="JPEG", quality=95)
        data = out.getvalue()
        frames.append(Frame(i, i / 4, data, hashlib.sha256(data).hexdigest()))
    return Clip(tuple(frames), fps=4.0, source=f"noise:{seed}", key=f"noise:{seed}")


def sent_jpegs(body: dict) -> list[bytes]:
    return [base64.b64decode(block["source"]["data"]) for block in image_blocks(body)]


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as srv:
        srv.ctx = call_context(tmp_path / "ctx", base_url=srv.base_url)  # adapters are built in
        yield srv


def run_adapter(server: FakeAnthropicServer, request: ChatRequest,
                limits: ImageLimits | None = None) -> tuple[str, Usage]:
    async def go() -> tuple[str, Usage]:
        adapter = AnthropicAdapter("claude-test", server.ctx, limits or ImageLimits())
        try:
            return await adapter.complete(request)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_request_carries_text_and_frames_in_order(server):
    a, b = tiny_clip(0, 3), tiny_clip(1, 4)
    run_adapter(server, two_video_request(a, b, system="Be brief."))
    (call,) = server.requests
    body = call.body
    assert call.path == "/v1/messages"
    assert body["model"] == "claude-test"
    assert body["max_tokens"] == 2048
    assert body["temperature"] == 0
    assert "seed" not in body
    assert body["system"] == "Be brief."
    kinds = [block["type"] for block in content_blocks(body)]
    assert kinds == ["text", "text"] + ["image"] * 3 + ["text"] + ["image"] * 4 + ["text"]
    assert sent_jpegs(body) == [f.image for f in a.frames + b.frames]
    assert API_KEY not in repr(call.headers)


def test_reply_text_and_usage_are_parsed(server):
    text, usage = run_adapter(server, pair_request(0))
    assert text == '{"0": "a"}'
    assert usage == Usage(input_tokens=10 + 100 * 4, output_tokens=len(text))


def test_frames_past_the_image_cap_are_subsampled_evenly_and_noted(server):
    a, b = tiny_clip(0, 91), tiny_clip(1, 60)
    run_adapter(server, two_video_request(a, b))
    body = server.requests[0].body
    sent = sent_jpegs(body)
    assert len(sent) == 100
    index_of = {f.image: (label, f.index) for label, clip in (("a", a), ("b", b))
                for f in clip.frames}
    picks = [index_of[j] for j in sent]
    picks_a = [i for label, i in picks if label == "a"]
    picks_b = [i for label, i in picks if label == "b"]
    assert picks == [("a", i) for i in picks_a] + [("b", i) for i in picks_b]  # a before b
    assert (len(picks_a), len(picks_b)) == (60, 40)  # 60.3 and 39.7 by length, rounded
    for picked, n in ((picks_a, 91), (picks_b, 60)):
        gaps = [j - i for i, j in itertools.pairwise(picked)]
        assert min(gaps) >= 1 and max(gaps) <= 2  # spread over the whole clip
        assert picked[0] <= 1 and picked[-1] >= n - 2
    notes = [blk["text"] for blk in content_blocks(body)
             if blk["type"] == "text" and "frames, evenly spaced" in blk["text"]]
    assert len(notes) == 2
    assert "60 of its 91 frames" in notes[0] and "40 of its 60 frames" in notes[1]


def test_large_frames_are_downscaled_and_small_ones_sent_as_they_are(server):
    a, b = tiny_clip(0, 2, size=(2400, 1200)), tiny_clip(1, 2, size=(320, 240))
    run_adapter(server, two_video_request(a, b))
    sent = sent_jpegs(server.requests[0].body)
    for data in sent[:2]:
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (1568, 784)
    assert sent[2:] == [f.image for f in b.frames]


def test_frames_shrink_until_the_request_fits(server):
    a, b = noisy_clip(0, 3, (1200, 900)), noisy_clip(1, 3, (1200, 900))
    original = sum(len(f.image) for f in a.frames + b.frames)
    budget = original // 4
    run_adapter(server, two_video_request(a, b), limits=ImageLimits(max_base64_bytes=budget))
    sent = sent_jpegs(server.requests[0].body)
    assert len(sent) == 6
    assert sum(len(base64.b64encode(j)) for j in sent) <= budget
    for data in sent:  # smaller, but not needlessly small
        with Image.open(io.BytesIO(data)) as image:
            assert 256 < max(image.size) < 1200


def test_a_request_that_cannot_fit_is_refused_before_sending(server):
    a, b = noisy_clip(0, 2, (800, 600)), noisy_clip(1, 2, (800, 600))
    with pytest.raises(FatalError, match="request limit"):
        run_adapter(server, two_video_request(a, b), limits=ImageLimits(max_base64_bytes=1000))
    assert server.requests == []


@pytest.mark.parametrize("fault, retryable, wait", FAULT_VERDICTS)
def test_failures_are_classified_for_the_runtime(server, fault, retryable, wait):
    server.fail_next(fault)
    with pytest.raises(Exception) as caught:
        run_adapter(server, pair_request(0, n_frames=1))
    verdict = classify(caught.value)
    assert (verdict.retryable, verdict.retry_after) == (retryable, wait)
    assert API_KEY not in verdict.summary


def test_runtime_retries_through_faults_then_serves_reruns_from_cache(server, tmp_path: Path):
    request = pair_request(0)
    server.fail_next(Fault("429", retry_after="0"), "500")

    def new_adapter() -> AnthropicAdapter:
        return AnthropicAdapter("claude-3-5-sonnet-20240620", server.ctx)

    first = call_with_cache(tmp_path, new_adapter, request)
    assert (first.status, first.cached, len(server.requests)) == ("ok", False, 3)
    assert first.cost_usd > 0  # the snapshot is priced
    second = call_with_cache(tmp_path, new_adapter, request)
    assert (second.status, second.cached, second.text) == ("ok", True, first.text)
    assert len(server.requests) == 3
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_names_resolve_to_pinned_snapshots(server, tmp_path: Path):
    ctx = call_context(tmp_path, base_url=server.base_url)
    expected = {
        "claude-3-5-sonnet": "claude-3-5-sonnet-20241022",
        "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
        "anthropic:claude-opus-4-1-20250805": "claude-opus-4-1-20250805",
    }
    for name, snapshot in expected.items():
        model = make_model(name, ctx, {})
        assert (model.name, model.adapter.model_id) == (name, snapshot)
        asyncio.run(model.aclose())


def test_a_missing_key_is_reported_before_any_call(monkeypatch, tmp_path):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(Exception, match="ANTHROPIC_API_KEY"):
        AnthropicAdapter("claude-test", call_context(tmp_path))
