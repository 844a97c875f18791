"""The request runtime with a scripted adapter: retries, limits, cache, cost, budget."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from servers.chat_requests import pair_request, tiny_clip
from vdbench.core.errors import InputError
from vdbench.data.loader import Selection
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.cache import ResponseCache, request_key
from vdbench.llm.cost import estimate_request, usage_cost
from vdbench.llm.errors import FatalError, RetryableError, classify, scrub
from vdbench.llm.retry import RetryPolicy, parse_retry_after
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, Usage, VideoPart
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import dry_run
from vdbench.pipeline.session import run_session

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005, timeout_s=5.0)


class ScriptedAdapter(ProviderAdapter):
    """Answers from a script: an exception is raised, a string is the reply text."""

    def __init__(self, *script: str | Exception, provider: str = "fake",
                 model_id: str = "fake-1", delay_s: float = 0.0, usage: Usage | None = None):
        self.provider, self.model_id = provider, model_id
        self.script = deque(script)
        self.delay_s, self.usage = delay_s, usage or Usage(100, 10)
        self.calls = self.in_flight = self.max_in_flight = 0

    async def complete(self, request: ChatRequest) -> tuple[str, Usage]:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            outcome = self.script.popleft() if self.script else "ok"
            if isinstance(outcome, Exception):
                raise outcome
            return outcome, self.usage
        finally:
            self.in_flight -= 1


def run(coro):
    return asyncio.run(coro)


def make_runtime(tmp_path: Path | None = None, **kw) -> Runtime:
    cache = ResponseCache(tmp_path / "responses.sqlite") if tmp_path else None
    return Runtime(cache, **{"policy": FAST, "jitter_seed": 0, **kw})


# --- retries -----------------------------------------------------------------------------

def test_retryable_errors_are_retried_until_success():
    adapter = ScriptedAdapter(RetryableError("overloaded"), RetryableError("again"), "answer")
    runtime = make_runtime()
    reply = run(runtime.call(adapter, pair_request(0)))
    assert (reply.status, reply.text, reply.cached) == ("ok", "answer", False)
    assert adapter.calls == 3
    assert (runtime.stats.requests, runtime.stats.retries, runtime.stats.failures) == (3, 2, 0)


def test_fatal_error_is_not_retried_and_becomes_an_error_reply():
    adapter = ScriptedAdapter(FatalError("bad request: image too large"))
    runtime = make_runtime()
    reply = run(runtime.call(adapter, pair_request(0)))
    assert reply.status == "error"
    assert reply.error == "FatalError: bad request: image too large (attempts: 1)"
    assert adapter.calls == 1 and runtime.stats.failures == 1


def test_gives_up_after_max_attempts_with_the_last_error_class():
    adapter = ScriptedAdapter(*[ConnectionResetError("peer reset")] * 10)
    reply = run(make_runtime().call(adapter, pair_request(0)))
    assert reply.error == "ConnectionResetError: peer reset (attempts: 4)"
    assert adapter.calls == FAST.max_attempts


def test_retry_after_is_honoured():
    adapter = ScriptedAdapter(RetryableError("slow down", retry_after=0.3), "ok")
    start = time.monotonic()
    reply = run(make_runtime().call(adapter, pair_request(0)))
    assert reply.status == "ok" and time.monotonic() - start >= 0.3


def test_total_retry_time_is_bounded():
    policy = dataclasses.replace(FAST, max_attempts=100, max_total_s=0.5)
    adapter = ScriptedAdapter(*[RetryableError("busy", retry_after=0.2)] * 100)
    start = time.monotonic()
    reply = run(make_runtime(policy=policy).call(adapter, pair_request(0)))
    assert reply.status == "error" and adapter.calls == 3  # a 4th would start after 0.6 s
    assert time.monotonic() - start < 1.0


def test_attempt_timeout_is_retryable():
    policy = dataclasses.replace(FAST, max_attempts=2, timeout_s=0.1)
    adapter = ScriptedAdapter(delay_s=1.0)
    reply = run(make_runtime(policy=policy).call(adapter, pair_request(0)))
    assert reply.error == "TimeoutError: no reply within 0.1 s (attempts: 2)"


def test_backoff_is_full_jitter_within_the_cap():
    import random

    rng = random.Random(0)
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    delays = [policy.backoff_s(5, rng) for _ in range(200)]
    assert 0 <= min(delays) < 1.0 and 7.0 < max(delays) <= 8.0
    assert policy.delay_s(1, retry_after=5.0, rng=rng) >= 5.0


# --- classification ------------------------------------------------------------------------

class FakeStatusError(Exception):
    """Shaped like openai/anthropic APIStatusError: status_code and an httpx response."""

    def __init__(self, status: int, headers: dict[str, str] | None = None):
        super().__init__(f"Error code: {status}")
        self.status_code = status
        self.response = SimpleNamespace(headers=headers or {})


class GenaiLikeError(Exception):
    def __init__(self, code: int):
        super().__init__(f"{code} RESOURCE_EXHAUSTED")
        self.code = code


class APIConnectionError(Exception):
    pass


@pytest.mark.parametrize("exc, retryable, retry_after", [
    (FakeStatusError(429, {"retry-after": "7"}), True, 7.0),
    (FakeStatusError(429, {"retry-after-ms": "1500"}), True, 1.5),
    (FakeStatusError(503), True, None),
    (FakeStatusError(529), True, None),  # Anthropic "overloaded"
    (FakeStatusError(400), False, None),
    (FakeStatusError(401), False, None),
    (FakeStatusError(500, {"x-should-retry": "false"}), False, None),
    (FakeStatusError(400, {"x-should-retry": "true"}), True, None),
    (GenaiLikeError(429), True, None),
    (GenaiLikeError(404), False, None),
    (APIConnectionError("Connection error."), True, None),
    (TimeoutError(), True, None),
    (ValueError("boom"), False, None),
    (RetryableError("malformed reply", retry_after=3), True, 3.0),
])
def test_classify_reads_sdk_exceptions_without_importing_them(exc, retryable, retry_after):
    got = classify(exc)
    assert (got.retryable, got.retry_after) == (retryable, retry_after)
    assert got.summary.startswith(type(exc).__name__ + ":")


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-1") == 0.0
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 < parse_retry_after(in_ten) <= 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_error_messages_never_carry_keys(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-secret-value-123")
    message = ("auth failed for sk-proj-ABCDEF1234567890 and key gemini-secret-value-123, "
               "header Bearer abcdefgh12345678, google AIzaSyA1234567890123456789012345678901")
    reply = run(make_runtime().call(ScriptedAdapter(FatalError(message)), pair_request(0)))
    for secret in ("sk-proj-ABCDEF1234567890", "gemini-secret-value-123", "abcdefgh12345678",
                   "AIzaSyA1234567890123456789012345678901"):
        assert secret not in reply.error
    assert reply.error.startswith("FatalError: auth failed for [redacted]")
    assert scrub("no secrets here") == "no secrets here"


# --- limits --------------------------------------------------------------------------------

def test_concurrency_is_limited_per_provider():
    runtime = make_runtime(concurrency=3)
    fast_a = ScriptedAdapter(delay_s=0.05, provider="p1")
    fast_b = ScriptedAdapter(delay_s=0.05, provider="p2")

    async def main():
        calls = [runtime.call(a, pair_request(i)) for i in range(12) for a in (fast_a, fast_b)]
        return await asyncio.gather(*calls)

    assert all(r.status == "ok" for r in run(main()))
    assert fast_a.max_in_flight == 3 and fast_b.max_in_flight == 3


def test_requests_per_minute_spaces_request_starts():
    runtime = make_runtime(concurrency=8, rpm=600)  # one every 0.1 s
    adapter = ScriptedAdapter()

    async def main():
        start = time.monotonic()
        await asyncio.gather(*(runtime.call(adapter, pair_request(i)) for i in range(5)))
        return time.monotonic() - start

    assert run(main()) >= 0.39


def test_runtime_survives_a_new_event_loop():
    runtime = make_runtime(concurrency=2)
    assert run(runtime.call(ScriptedAdapter(), pair_request(0))).status == "ok"
    assert run(runtime.call(ScriptedAdapter(), pair_request(1))).status == "ok"


# --- one runtime per run --------------------------------------------------------------------

def test_two_dry_runs_in_one_process_report_the_same_counts(tmp_path, monkeypatch):
    pytest.importorskip("openai")
    pytest.importorskip("av")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    cfg = EvalConfig(model="gpt-4o", selection=Selection(limit=2), cache_dir=tmp_path,
                     dry_run=True)
    first, second = dry_run(cfg), dry_run(cfg)
    assert first["requests_to_send"] == 2
    assert second == first  # nothing from the first run's tally leaks into the second


def test_budget_spent_in_one_run_does_not_carry_into_the_next(tmp_path):
    cfg = EvalConfig(cache_dir=tmp_path, max_cost=0.004)
    adapter = ScriptedAdapter(provider="openai", model_id="gpt-4o-2024-08-06",
                              usage=Usage(1000, 100))  # $0.0035 a call

    async def calls(runtime, keys):
        return [await runtime.call(adapter, pair_request(i)) for i in keys]

    with run_session(cfg) as ctx:
        replies = run(calls(ctx.runtime, range(3)))
        assert [r.status for r in replies] == ["ok", "ok", "error"]
        assert replies[2].error.startswith("BudgetExceeded:")
        assert ctx.runtime.stats.budget_refusals == 1
    with run_session(cfg) as ctx:  # a new run: a new budget, nothing spent yet
        assert ctx.runtime.max_cost_usd == 0.004 and ctx.runtime.stats.cost_usd == 0.0
        (reply,) = run(calls(ctx.runtime, [10]))
        assert reply.status == "ok" and not reply.cached
        assert ctx.runtime.stats.budget_refusals == 0
        assert ctx.runtime.stats.cost_usd == pytest.approx(0.0035)


def test_run_session_closes_its_cache_connection(tmp_path):
    with run_session(EvalConfig(cache_dir=tmp_path)) as ctx:
        cache = ctx.runtime.cache
        assert cache.get_now("nothing") is None
        assert (tmp_path / "responses.sqlite").exists()
    with pytest.raises(sqlite3.ProgrammingError):
        cache.get_now("nothing")


def test_retry_policy_comes_from_the_run_options(tmp_path):
    cfg = EvalConfig(cache_dir=tmp_path, model_options={"timeout_s": "5", "max_attempts": "2"})
    policy = cfg.runtime_settings().policy
    assert (policy.timeout_s, policy.max_attempts) == (5.0, 2)
    assert cfg.factory_options == {}  # the run's keys never reach the model factory
    with pytest.raises(InputError, match="timeout_s"):
        EvalConfig(cache_dir=tmp_path, model_options={"timeout_s": "abc"}).runtime_settings()


def test_unknown_model_option_exits_2_naming_the_valid_keys(tmp_path, monkeypatch, capsys):
    pytest.importorskip("openai")
    from vdbench.cli.main import main

    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert main(["eval", "--model", "gpt-4o", "--model-option", "image_detial=high",
                 "--dry-run", "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "image_detial" in err and "image_detail" in err


# --- cache ---------------------------------------------------------------------------------

def test_cache_hit_makes_no_call_and_survives_a_new_runtime(tmp_path):
    first = ScriptedAdapter("the answer")
    assert run(make_runtime(tmp_path).call(first, pair_request(0))).text == "the answer"
    again = ScriptedAdapter("a different answer")
    runtime = make_runtime(tmp_path)
    reply = run(runtime.call(again, pair_request(0)))
    assert (reply.text, reply.cached, reply.usage) == ("the answer", True, Usage(100, 10))
    assert again.calls == 0 and runtime.stats.cache_hits == 1 and runtime.stats.requests == 0


def test_failures_are_not_cached(tmp_path):
    run(make_runtime(tmp_path).call(ScriptedAdapter(FatalError("no")), pair_request(0)))
    adapter = ScriptedAdapter("now it works")
    assert run(make_runtime(tmp_path).call(adapter, pair_request(0))).text == "now it works"
    assert adapter.calls == 1


def _with_part(request: ChatRequest, index: int, part) -> ChatRequest:
    parts = list(request.parts)
    parts[index] = part
    return dataclasses.replace(request, parts=tuple(parts))


def test_cache_key_covers_everything_that_changes_the_reply():
    identity = {"provider": "openai", "model": "gpt-4o-2024-08-06"}
    base = pair_request(0)
    key = request_key(identity, base)
    assert request_key(dict(reversed(identity.items())), pair_request(0)) == key
    video_a = base.parts[2]
    variants = [
        _with_part(base, 2, VideoPart(tiny_clip(99), "a")),  # other frames
        _with_part(base, 2, dataclasses.replace(video_a, label="b")),
        _with_part(base, 2, VideoPart(dataclasses.replace(video_a.clip, fps=2.0), "a")),
        _with_part(base, 0, TextPart("Two videos of a lunge.")),
        dataclasses.replace(base, parts=base.parts[:2] + base.parts[4:5] + base.parts[3:4]
                            + base.parts[2:3] + base.parts[5:]),  # b before a
        dataclasses.replace(base, system="Be brief."),
        dataclasses.replace(base, config=GenerationConfig(seed=1)),
        dataclasses.replace(base, config=GenerationConfig(temperature=0.5)),
        dataclasses.replace(base, config=GenerationConfig(max_tokens=10)),
        dataclasses.replace(base, config=GenerationConfig(json_mode=True)),
        dataclasses.replace(base, config=GenerationConfig(response_schema={"type": "object"})),
    ]
    keys = {request_key(identity, r) for r in variants} | {
        request_key({**identity, "model": "gpt-4o-mini-2024-07-18"}, base)}
    assert key not in keys and len(keys) == len(variants) + 1


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vdbench.llm.types import ChatReply, Usage
    from vdbench.llm.cache import ResponseCache
    cache = ResponseCache(Path(sys.argv[1]))
    for i in range(200):
        cache.put_now(f"{sys.argv[2]}-{i}", "m", ChatReply("ok", text=str(i), usage=Usage(1, 1)))
        cache.put_now(f"shared-{i}", "m", ChatReply("ok", text=sys.argv[2], usage=Usage(1, 1)))
""")


def test_two_processes_write_one_cache(tmp_path):
    path = tmp_path / "responses.sqlite"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name])
               for name in ("p1", "p2")]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    cache = ResponseCache(path)
    assert len(cache) == 600
    assert cache.get_now("p1-199").text == "199" and cache.get_now("shared-7").text in ("p1", "p2")


# --- cost and budget -------------------------------------------------------------------------

def test_cost_comes_from_reported_usage():
    assert usage_cost("openai", "gpt-4o-2024-08-06", Usage(1_000_000, 100_000)) == 2.5 + 1.0
    assert usage_cost("vllm", "Qwen/Qwen2-VL-7B-Instruct", Usage(10**6, 10**6)) == 0.0
    assert usage_cost("openai", "gpt-unknown", Usage(10, 10)) is None


def test_unpriced_models_cost_zero_and_are_flagged():
    runtime = make_runtime()
    reply = run(runtime.call(ScriptedAdapter(model_id="mystery-model"), pair_request(0)))
    assert reply.cost_usd == 0.0
    assert runtime.stats.to_json()["unpriced_models"] == ["mystery-model"]


def test_budget_stops_calls_without_sending_them(tmp_path):
    runtime = make_runtime(tmp_path, max_cost_usd=0.004)
    adapter = ScriptedAdapter(provider="openai", model_id="gpt-4o-2024-08-06",
                              usage=Usage(1000, 100))  # $0.0035 a call

    async def main():
        return [await runtime.call(adapter, pair_request(i)) for i in range(4)]

    replies = run(main())
    assert [r.status for r in replies] == ["ok", "ok", "error", "error"]
    assert replies[2].error.startswith("BudgetExceeded: $0.0070 spent, max_cost is $0.0040")
    assert adapter.calls == 2 and runtime.stats.budget_refusals == 2
    assert runtime.stats.cost_usd == pytest.approx(0.007)
    assert len(runtime.cache) == 2  # the refused calls stay uncached, so a rerun resumes them


def test_stats_count_tokens_and_cost():
    runtime = make_runtime()
    adapter = ScriptedAdapter(provider="openai", model_id="gpt-4o-mini-2024-07-18")

    async def main():
        await asyncio.gather(*(runtime.call(adapter, pair_request(i)) for i in range(3)))

    run(main())
    stats = runtime.stats.to_json()
    assert (stats["requests"], stats["input_tokens"], stats["output_tokens"]) == (3, 300, 30)
    assert stats["cost_usd"] == pytest.approx(3 * (100 * 0.15 + 10 * 0.60) / 1e6)


def test_estimate_uses_provider_image_math():
    request = pair_request(0, question="x" * 400, n_frames=3)  # 6 frames of 32x24 px
    text_tokens = -(-sum(len(p.text) for p in request.parts if isinstance(p, TextPart)) // 4)

    def adapter(provider, model, **identity):
        fake = ScriptedAdapter(provider=provider, model_id=model)
        fake.cache_identity = lambda: {"provider": provider, "model": model, **identity}
        return fake

    low = estimate_request(adapter("openai", "gpt-4o-2024-08-06", image_detail="low"), request)
    assert low.n_images == 6 and low.input_tokens == 6 * 85 + text_tokens
    assert low.cost_usd == pytest.approx((low.input_tokens * 2.5 + 200 * 10) / 1e6)
    high = estimate_request(adapter("openai", "gpt-4o-2024-08-06", image_detail="high"), request)
    assert high.input_tokens == 6 * (85 + 170) + text_tokens
    mini = estimate_request(adapter("openai", "gpt-4o-mini-2024-07-18", image_detail="low"),
                            request)
    assert mini.input_tokens == 6 * 2833 + text_tokens
    claude = estimate_request(adapter("anthropic", "claude-3-5-sonnet-20240620"), request)
    assert claude.input_tokens == 6 * 2 + text_tokens  # ceil(32 * 24 / 750)
    unknown = estimate_request(adapter("openai", "gpt-unknown"), request)
    assert unknown.cost_usd is None  # unpriced: no estimate rather than a false $0
