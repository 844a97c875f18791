"""The OpenAI / vLLM adapter through the real openai SDK, against a local fake server."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import call_context
from servers.chat_requests import pair_request
from servers.openai_server import FakeOpenAIServer, Fault, echo_reply, media_parts, prompt_text
from vdbench.catalog import list_models, make_model
from vdbench.core.errors import InputError, RunFailure
from vdbench.llm.cache import ResponseCache, request_key
from vdbench.llm.openai_api import OpenAIChatAdapter, VLLMChatAdapter
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatReply, ChatRequest, GenerationConfig

pytest.importorskip("openai")

KEY = "sk-test-" + "Z9q" * 8
MODEL = "gpt-4o-2024-08-06"
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005, timeout_s=5.0)
TESTS_DIR = Path(__file__).parent


@pytest.fixture(autouse=True)
def openai_env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for var in ("OPENAI_BASE_URL", "VLLM_BASE_URL", "VLLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server():
    with FakeOpenAIServer(hang_s=5.0) as fake:
        yield fake


def openai_adapter(server: FakeOpenAIServer, timeout_s: float = 5.0) -> OpenAIChatAdapter:
    return OpenAIChatAdapter(MODEL, base_url=server.base_url, api_key=KEY, timeout_s=timeout_s)


def new_runtime(cache_dir: Path | None, **kw) -> Runtime:
    cache = ResponseCache(cache_dir / "responses.sqlite") if cache_dir else None
    return Runtime(cache, **{"policy": FAST, "jitter_seed": 0, **kw})


def call_all(runtime: Runtime, adapter, requests: list[ChatRequest]) -> list[ChatReply]:
    async def main():
        try:
            return await asyncio.gather(*(runtime.call(adapter, r) for r in requests))
        finally:
            await adapter.aclose()

    return asyncio.run(main())


def call_one(runtime: Runtime, adapter, request: ChatRequest) -> ChatReply:
    return call_all(runtime, adapter, [request])[0]


# --- wire format -------------------------------------------------------------------------

def test_request_carries_frames_in_order_with_temperature_and_seed(server):
    request = pair_request(3, n_frames=2)
    reply = call_one(new_runtime(None), openai_adapter(server), request)
    assert reply.status == "ok"
    (sent,) = server.requests
    body = sent.body
    assert sent.path == "/v1/chat/completions" and sent.authorization == f"Bearer {KEY}"
    assert (body["model"], body["temperature"], body["seed"]) == (MODEL, 0.0, 0)
    assert body["max_completion_tokens"] == 2048 and "response_format" not in body
    content = body["messages"][0]["content"]
    assert [p["type"] for p in content] == ["text", "text", "image_url", "image_url", "text",
                                            "image_url", "image_url", "text"]
    frames = [f.image for clip in request.clips for f in clip.frames]
    urls = [p["image_url"]["url"] for p in media_parts(body)]
    assert urls == [f"data:image/jpeg;base64,{base64.b64encode(j).decode()}" for j in frames]
    assert {p["image_url"]["detail"] for p in media_parts(body)} == {"low"}
    assert prompt_text(body) == request.text


def test_system_prompt_and_json_mode(server):
    request = dataclasses.replace(pair_request(0), system="Answer in JSON.",
                                  config=GenerationConfig(seed=7, json_mode=True))
    call_one(new_runtime(None), openai_adapter(server), request)
    body = server.requests[0].body
    assert body["messages"][0] == {"role": "system", "content": "Answer in JSON."}
    assert body["seed"] == 7 and body["response_format"] == {"type": "json_object"}


def test_response_schema_is_sent_as_strict_structured_output(server):
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"],
              "additionalProperties": False}
    request = dataclasses.replace(pair_request(0), config=GenerationConfig(
        json_mode=True, response_schema=schema))
    call_one(new_runtime(None), openai_adapter(server), request)
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}


def test_reply_text_usage_and_cost(server):
    server.reply = lambda body: '{"0": "a", "1": "b"}'
    runtime = new_runtime(None)
    reply = call_one(runtime, openai_adapter(server), pair_request(0))
    assert reply.text == '{"0": "a", "1": "b"}'
    body = server.requests[0].body
    expected_in = len(prompt_text(body)) // 4 + 85 * 4  # the fake server's usage rule
    assert reply.usage.input_tokens == expected_in and reply.usage.output_tokens == 5
    assert reply.cost_usd == pytest.approx((expected_in * 2.5 + 5 * 10) / 1e6)
    assert runtime.stats.cost_usd == reply.cost_usd


# --- faults ------------------------------------------------------------------------------

def test_429_retry_after_seconds_is_honoured(server):
    server.fail_next(Fault("429", retry_after="0.5"))
    start = time.monotonic()
    reply = call_one(new_runtime(None), openai_adapter(server), pair_request(0))
    assert reply.status == "ok" and time.monotonic() - start >= 0.5
    assert [r.fault for r in server.requests] == ["429", None]


def test_429_retry_after_http_date_is_honoured(server):
    when = datetime.now(UTC) + timedelta(seconds=2)
    server.fail_next(Fault("429", retry_after=format_datetime(when, usegmt=True)))
    start = time.monotonic()
    reply = call_one(new_runtime(None), openai_adapter(server), pair_request(0))
    assert reply.status == "ok" and time.monotonic() - start >= 0.9  # the date has 1 s steps


@pytest.mark.parametrize("fault", ["500", "drop", "malformed", "no_choices"])
def test_transient_faults_are_retried(server, fault):
    server.fail_next(fault)
    reply = call_one(new_runtime(None), openai_adapter(server), pair_request(0))
    assert (reply.status, reply.text) == ("ok", echo_reply(server.requests[-1].body))
    assert [r.fault for r in server.requests] == [fault, None]


def test_a_hung_request_times_out_and_is_retried(server):
    server.fail_next("hang")
    runtime = new_runtime(None, policy=dataclasses.replace(FAST, timeout_s=0.3))
    start = time.monotonic()
    reply = call_one(runtime, openai_adapter(server, timeout_s=0.3), pair_request(0))
    assert reply.status == "ok" and 0.3 <= time.monotonic() - start < 3.0
    assert len(server.requests) == 2


def test_bad_request_is_not_retried(server):
    server.fail_next("400")
    reply = call_one(new_runtime(None), openai_adapter(server), pair_request(0))
    assert reply.error.startswith("BadRequestError: Error code: 400")
    assert len(server.requests) == 1


@pytest.mark.parametrize("fault, error_start", [
    ("500", "InternalServerError: Error code: 500"),
    ("drop", "APIConnectionError: Connection error."),
    ("malformed", "RetryableError: malformed reply"),
    ("no_choices", "RetryableError: malformed reply: no choices"),
])
def test_failure_after_the_last_retry_is_recorded_per_call(server, fault, error_start):
    server.fail_next(*[fault] * FAST.max_attempts)
    runtime = new_runtime(None)
    failed = call_one(runtime, openai_adapter(server), pair_request(0))
    assert failed.status == "error" and failed.error.startswith(error_start)
    assert failed.error.endswith(f"(attempts: {FAST.max_attempts})")
    assert call_one(runtime, openai_adapter(server), pair_request(1)).status == "ok"
    assert (runtime.stats.failures, runtime.stats.requests) == (1, FAST.max_attempts + 1)


def test_a_bad_key_stops_the_run_and_reaches_no_message_log_or_file(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server.fail_next("401")
    runtime = new_runtime(tmp_path)
    with pytest.raises(RunFailure) as stopped:  # every other call would fail the same way
        call_all(runtime, openai_adapter(server), [pair_request(0)])
    message = str(stopped.value)
    assert "authentication failed" in message and "set a valid OPENAI_API_KEY" in message
    assert "Incorrect API key provided: [redacted]" in message and KEY not in message
    with pytest.raises(RunFailure):  # the runtime sends nothing more after it
        call_all(runtime, openai_adapter(server), [pair_request(1)])
    assert len(server.requests) == 1
    server.fail_next("500", "500")
    fresh = new_runtime(tmp_path)
    assert call_all(fresh, openai_adapter(server), [pair_request(1)])[0].status == "ok"
    assert KEY not in caplog.text and "retrying" in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not any(KEY.encode() in p.read_bytes() for p in files)


def test_a_reply_that_echoes_the_key_is_redacted_before_it_is_cached(tmp_path):
    with FakeOpenAIServer(reply=lambda body: f"headers: Authorization: Bearer {KEY}") as fake:
        runtime = new_runtime(tmp_path)
        reply = call_one(runtime, openai_adapter(fake), pair_request(0))
        runtime.close()
    assert reply.status == "ok" and KEY not in (reply.text or "")
    assert "[redacted]" in (reply.text or "")
    assert not any(KEY.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.parametrize(("status", "reason", "fix"), [
    ("403", "permission denied", "may not use"),
    ("404", "not found", "check the model id"),
])
def test_errors_that_every_call_would_hit_stop_the_run(tmp_path, status, reason, fix):
    with FakeOpenAIServer(reply=lambda body: "a") as fake:
        fake.fail_next(status)
        with pytest.raises(RunFailure, match=reason) as stopped:
            call_one(new_runtime(tmp_path), openai_adapter(fake), pair_request(0))
        assert len(fake.requests) == 1 and fix in str(stopped.value)


def test_quota_exhausted_stops_the_run_but_a_rate_limit_is_retried(tmp_path):
    with FakeOpenAIServer(reply=lambda body: "a") as fake:
        fake.fail_next(Fault("429", retry_after="0"))
        assert call_one(new_runtime(tmp_path), openai_adapter(fake), pair_request(0)).status == "ok"
        fake.fail_next("quota")
        with pytest.raises(RunFailure, match="quota exhausted"):
            call_one(new_runtime(tmp_path), openai_adapter(fake), pair_request(1))


def test_a_server_that_is_down_stops_the_run_naming_it(tmp_path):
    with FakeOpenAIServer() as fake:
        url = fake.base_url
    adapter = OpenAIChatAdapter(MODEL, base_url=url, api_key=KEY, timeout_s=5)
    with pytest.raises(RunFailure, match="connection refused") as stopped:
        call_one(new_runtime(tmp_path), adapter, pair_request(0))
    assert url in str(stopped.value)


# --- cache, resume, sharing ----------------------------------------------------------------

def test_rerun_is_served_from_the_cache(server, tmp_path):
    requests = [pair_request(i) for i in range(5)]
    first = call_all(new_runtime(tmp_path), openai_adapter(server), requests)
    assert len(server.requests) == 5
    runtime = new_runtime(tmp_path)
    second = call_all(runtime, openai_adapter(server), requests)
    assert len(server.requests) == 5 and runtime.stats.requests == 0
    assert [r.text for r in second] == [r.text for r in first]
    assert all(r.cached for r in second) and runtime.stats.cache_hits == 5


def test_cache_key_ignores_the_endpoint_and_key():
    a = OpenAIChatAdapter(MODEL, base_url="http://a.invalid/v1", api_key="k1", timeout_s=1)
    b = OpenAIChatAdapter(MODEL, base_url=None, api_key="k2", timeout_s=1)
    high = OpenAIChatAdapter(MODEL, base_url=None, api_key="k2", timeout_s=1,
                             image_detail="high")
    request = pair_request(0)
    assert request_key(a.cache_identity(), request) == request_key(b.cache_identity(), request)
    assert request_key(high.cache_identity(), request) != request_key(a.cache_identity(), request)


CLIENT = textwrap.dedent("""
    import asyncio, json, os, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from servers.chat_requests import pair_request
    from vdbench.llm.openai_api import OpenAIChatAdapter
    from vdbench.llm.cache import ResponseCache
    from vdbench.llm.runtime import Runtime

    async def main(base_url, cache_dir, n, out):
        runtime = Runtime(ResponseCache(Path(cache_dir) / "responses.sqlite"), concurrency=2)
        adapter = OpenAIChatAdapter("gpt-4o-2024-08-06", base_url=base_url,
                                    api_key=os.environ["OPENAI_API_KEY"], timeout_s=10)
        replies = await asyncio.gather(*(runtime.call(adapter, pair_request(i))
                                         for i in range(n)))
        Path(out).write_text(json.dumps([r.text for r in replies]))

    asyncio.run(main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
""")


def start_client(server, cache_dir: Path, n: int, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLIENT, str(TESTS_DIR), server.base_url,
                             str(cache_dir), str(n), str(out)], env=os.environ.copy())


def expected_texts(n: int) -> list[str]:
    with FakeOpenAIServer() as clean:
        return [r.text for r in call_all(new_runtime(None), openai_adapter(clean),
                                         [pair_request(i) for i in range(n)])]


def test_a_killed_run_resumes_with_only_the_missing_requests(tmp_path):
    n = 30
    with FakeOpenAIServer(latency_s=0.05) as server:
        child = start_client(server, tmp_path, n, tmp_path / "killed.json")
        deadline = time.monotonic() + 30
        while server.n_replies < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL and not (tmp_path / "killed.json").exists()
        done = len(ResponseCache(tmp_path / "responses.sqlite"))
        assert 0 < done < n
        sent_before = len(server.requests)
        runtime = new_runtime(tmp_path)
        replies = call_all(runtime, openai_adapter(server), [pair_request(i) for i in range(n)])
        assert len(server.requests) - sent_before == n - done
        assert runtime.stats.cache_hits == done
    assert [r.text for r in replies] == expected_texts(n)


def test_two_processes_share_one_cache(tmp_path):
    n = 16
    with FakeOpenAIServer(latency_s=0.02) as server:
        children = [start_client(server, tmp_path, n, tmp_path / f"out{i}.json") for i in (1, 2)]
        assert [c.wait(timeout=60) for c in children] == [0, 0]
        assert n <= len(server.requests) <= 2 * n
        runtime = new_runtime(tmp_path)
        replies = call_all(runtime, openai_adapter(server), [pair_request(i) for i in range(n)])
        assert runtime.stats.requests == 0 and all(r.cached for r in replies)
    outputs = [json.loads((tmp_path / f"out{i}.json").read_text()) for i in (1, 2)]
    assert outputs[0] == outputs[1] == [r.text for r in replies] == expected_texts(n)
    assert len(ResponseCache(tmp_path / "responses.sqlite")) == n


# --- limits ----------------------------------------------------------------------------------

def test_requests_per_minute_limit(server):
    runtime = new_runtime(None, concurrency=8, rpm=300)  # one request every 0.2 s
    start = time.monotonic()
    replies = call_all(runtime, openai_adapter(server), [pair_request(i) for i in range(4)])
    assert all(r.status == "ok" for r in replies) and time.monotonic() - start >= 0.59


def test_max_cost_stops_calls_cleanly_and_resumably(server, tmp_path):
    runtime = new_runtime(tmp_path, concurrency=1, max_cost_usd=1e-6)
    replies = call_all(runtime, openai_adapter(server), [pair_request(i) for i in range(3)])
    assert [r.status for r in replies] == ["ok", "error", "error"]
    assert replies[1].error.startswith("BudgetExceeded:") and len(server.requests) == 1
    resumed = call_all(new_runtime(tmp_path), openai_adapter(server),
                       [pair_request(i) for i in range(3)])
    assert [r.cached for r in resumed] == [True, False, False] and len(server.requests) == 3


# --- vLLM ----------------------------------------------------------------------------------

def vllm_adapter(server, video_input="video") -> VLLMChatAdapter:
    return VLLMChatAdapter("Qwen/Qwen2-VL-7B-Instruct", base_url=server.base_url,
                           api_key="EMPTY", timeout_s=5, video_input=video_input)


def test_vllm_sends_each_video_as_one_jpeg_frame_list(server):
    request = pair_request(0, n_frames=3)
    assert call_one(new_runtime(None), vllm_adapter(server), request).status == "ok"
    body = server.requests[0].body
    videos = media_parts(body)
    assert [p["type"] for p in videos] == ["video_url", "video_url"]
    for part, clip in zip(videos, request.clips):
        frames = ",".join(base64.b64encode(f.image).decode() for f in clip.frames)
        assert part["video_url"]["url"] == f"data:video/jpeg;base64,{frames}"
    assert body["media_io_kwargs"] == {"video": {"num_frames": -1, "fps": 4.0}}
    assert body["max_tokens"] == 2048 and body["temperature"] == 0.0 and body["seed"] == 0


def test_vllm_can_send_frames_as_images(server):
    call_one(new_runtime(None), vllm_adapter(server, "images"), pair_request(0, n_frames=3))
    body = server.requests[0].body
    assert [p["type"] for p in media_parts(body)] == ["image_url"] * 6
    assert "media_io_kwargs" not in body


@pytest.mark.parametrize("video_input", ["video", "images"])
def test_vllm_prompt_describes_videos_or_frames_as_they_are_sent(server, tmp_path, monkeypatch,
                                                                 video_input):
    from servers.chat_requests import tiny_clip
    from vdbench.data.loader import load_benchmark
    from vdbench.models.base import EvalItem
    from vdbench.tasks.base import TaskSet
    from vdbench.tasks.viddiffbench import viddiffbench_tasks

    monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
    model = make_model("qwen2-vl-7b", call_context(tmp_path), {"video_input": video_input})
    sample = load_benchmark("mini").samples[0]
    clips = (tiny_clip(0, 3), tiny_clip(1, 3))
    tasks = viddiffbench_tasks()
    model.bind([sample], TaskSet(tasks["closed"], tasks, lambda *_: None))
    out = asyncio.run(model.predict(EvalItem(sample, tasks["closed"], clips)))
    assert out.n_requests == 1
    text = prompt_text(server.requests[0].body)
    as_video = "video a first, then video b" in text
    assert as_video == (video_input == "video")
    assert ("the 3 frames of video a" in text) == (video_input == "images")
    layout = "video_layout_video" if as_video else "video_layout"
    assert layout in model.provenance()["prompts"]


# --- registry --------------------------------------------------------------------------------

def test_aliases_resolve_to_pinned_snapshots(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_BASE_URL", "http://127.0.0.1:9/v1")
    ctx = call_context(tmp_path)
    resolved = {name: make_model(name, ctx, {}).adapter for name in (
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "openai:gpt-4o-2024-11-20", "qwen2-vl-7b",
        "llava-video-7b", "vllm:Qwen/Qwen2.5-VL-7B-Instruct")}
    assert {n: (a.provider, a.model_id) for n, a in resolved.items()} == {
        "gpt-4o": ("openai", "gpt-4o-2024-08-06"),
        "gpt-4o-mini": ("openai", "gpt-4o-mini-2024-07-18"),
        "gpt-4.1": ("openai", "gpt-4.1-2025-04-14"),
        "openai:gpt-4o-2024-11-20": ("openai", "gpt-4o-2024-11-20"),
        "qwen2-vl-7b": ("vllm", "Qwen/Qwen2-VL-7B-Instruct"),
        "llava-video-7b": ("vllm", "lmms-lab/LLaVA-Video-7B-Qwen2"),
        "vllm:Qwen/Qwen2.5-VL-7B-Instruct": ("vllm", "Qwen/Qwen2.5-VL-7B-Instruct"),
    }
    assert resolved["qwen2-vl-7b"].base_url == "http://127.0.0.1:9/v1"
    assert make_model("gpt-4o", ctx, {}).name == "gpt-4o"
    listed = {m.name: m.needs for m in list_models()}
    assert "OPENAI_API_KEY" in listed["gpt-4o"] and "VLLM_BASE_URL" in listed["qwen2-vl-7b"]


def test_openai_needs_a_key_unless_a_local_endpoint_is_given(tmp_path, monkeypatch, server):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        make_model("gpt-4o", call_context(tmp_path), {})
    model = make_model("gpt-4o", call_context(tmp_path, base_url=server.base_url), {})
    reply = call_one(new_runtime(None), model.adapter, pair_request(0))
    assert reply.status == "ok" and server.requests[0].authorization == "Bearer not-needed"
