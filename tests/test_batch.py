"""Batch mode (--batch) through the real SDKs against the fake servers' Batch APIs: jobs fill
the response cache, split at the limits, retry failed requests, survive expiry and a killed
run, and `vdbench batches` lists and cancels them."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from conftest import call_context
from servers.anthropic_server import FakeAnthropicServer
from servers.chat_requests import pair_request
from servers.gemini_server import FakeGeminiServer
from servers.openai_server import FakeOpenAIServer
from vdbench.cli import batches as batches_cli
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.anthropic_api import AnthropicAdapter
from vdbench.llm.batch import gemini_batch
from vdbench.llm.batch.manage import list_jobs
from vdbench.llm.batch.store import BATCH_FILE, JobStore
from vdbench.llm.batch.types import BatchEvent, BatchSettings
from vdbench.llm.cache import ResponseCache
from vdbench.llm.cost import usage_cost
from vdbench.llm.gemini_api import GeminiAdapter
from vdbench.llm.openai_api import OpenAIChatAdapter, VLLMChatAdapter
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.runtime import Runtime, RuntimeSettings
from vdbench.llm.types import ChatReply, ChatRequest, Usage

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("google.genai")

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005, timeout_s=5.0)
# Tests count jobs: requests made together must reach the queue within the debounce window
# even on a loaded machine (20 ms was seen to split them), or they go in more jobs.
QUICK = BatchSettings(debounce_s=0.1, poll_interval_s=0.005)
TESTS_DIR = Path(__file__).parent
KEYS = {"OPENAI_API_KEY": "sk-test-" + "Q7w" * 8,
        "ANTHROPIC_API_KEY": "sk-ant-test-0123456789abcdef",
        "GEMINI_API_KEY": "AIzaTEST-0123456789abcdefghijklmnopqrstu"}
MODELS = {"openai": "gpt-4o-2024-08-06", "anthropic": "claude-sonnet-4-20250514",
          "gemini": "gemini-2.5-pro"}


@dataclass
class Provider:
    """One provider's fake server and how to build its adapter and read what it was sent."""

    name: str
    server: Any
    make: Callable[[], ProviderAdapter]
    live: Callable[[], list[Any]]  # the live model calls the server answered
    lines: Callable[[], list[Any]] = field(default=lambda: [])  # every batch line, in order

    @property
    def jobs(self) -> list[Any]:
        return list(self.server.batches.jobs.values())


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    for var in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def make_provider(name: str, tmp_path: Path) -> Iterator[Provider]:
    if name == "openai":
        with FakeOpenAIServer() as server:
            yield Provider(name, server, lambda: OpenAIChatAdapter(
                MODELS[name], base_url=server.base_url, api_key=KEYS["OPENAI_API_KEY"],
                timeout_s=5), server.chat_requests,
                lambda: [line for job in server.batches.jobs.values() for line in job.lines])
    elif name == "anthropic":
        with FakeAnthropicServer(reply=lambda body: '{"0": "a"}') as server:
            ctx = call_context(tmp_path / "ctx", base_url=server.base_url)
            yield Provider(name, server, lambda: AnthropicAdapter(MODELS[name], ctx),
                           server.message_requests)
    else:
        with FakeGeminiServer(reply=lambda body: '{"0": "b"}') as server:
            ctx = call_context(tmp_path / "ctx", base_url=server.base_url)
            yield Provider(name, server, lambda: GeminiAdapter(MODELS[name], ctx),
                           server.generate_requests)


@pytest.fixture(params=["openai", "anthropic", "gemini"])
def provider(request, tmp_path) -> Iterator[Provider]:
    yield from make_provider(request.param, tmp_path)


@pytest.fixture
def openai(tmp_path) -> Iterator[Provider]:
    yield from make_provider("openai", tmp_path)


@pytest.fixture
def gemini(tmp_path) -> Iterator[Provider]:
    yield from make_provider("gemini", tmp_path)


def new_runtime(cache_dir: Path | None, batch: BatchSettings | None = QUICK, **kw) -> Runtime:
    cache = ResponseCache(cache_dir / "responses.sqlite") if cache_dir else None
    return Runtime(cache, **{"policy": FAST, "jitter_seed": 0, "batch": batch, **kw})


def call_all(runtime: Runtime, adapter: ProviderAdapter, requests: list[ChatRequest]
             ) -> list[ChatReply]:
    async def main() -> list[ChatReply]:
        try:
            return list(await asyncio.gather(*(runtime.call(adapter, r) for r in requests)))
        finally:
            await adapter.aclose()

    try:
        return asyncio.run(main())
    finally:
        runtime.close()


def requests_(n: int, start: int = 0) -> list[ChatRequest]:
    return [pair_request(i) for i in range(start, start + n)]


def line_body(provider: Provider, item: Any) -> dict:
    """What a batch line asks the model: the body a live call would post."""
    if provider.name == "openai":
        return item["body"]
    if provider.name == "anthropic":
        return item["params"]
    return item["request"]


# --- a batch run fills the cache --------------------------------------------------------------

def test_a_batch_run_fills_the_cache_and_a_live_rerun_sends_nothing(provider, tmp_path):
    events: list[BatchEvent] = []
    runtime = new_runtime(tmp_path)
    runtime.add_batch_observer(events.append)
    batched = call_all(runtime, provider.make(), requests_(4))
    assert all(r.status == "ok" and not r.cached for r in batched)
    assert provider.live() == [] and len(provider.jobs) == 1
    stats = runtime.stats
    assert (stats.batch_jobs, stats.batch_requests, stats.requests) == (1, 4, 4)
    assert [e.kind for e in events][0] == "submitted" and events[-1].kind == "ended"
    assert (events[-1].total, events[-1].succeeded, events[-1].failed) == (4, 4, 0)
    (job,) = list_jobs(tmp_path)
    assert (job.provider, job.model, job.phase, job.n_requests, job.n_succeeded) == (
        provider.name, MODELS[provider.name], "ended", 4, 4)

    rerun = new_runtime(tmp_path, batch=None)
    cached = call_all(rerun, provider.make(), requests_(4))
    assert provider.live() == [] and len(provider.jobs) == 1 and rerun.stats.requests == 0
    assert [r.text for r in cached] == [r.text for r in batched] and all(r.cached for r in cached)

    # The same requests live, uncached: identical replies at twice the price, identical bodies.
    live = call_all(new_runtime(None, batch=None), provider.make(), requests_(4))
    assert [r.text for r in live] == [r.text for r in batched]
    assert [r.usage for r in live] == [r.usage for r in batched]
    for b, lv in zip(batched, live):
        assert b.cost_usd == pytest.approx(lv.cost_usd / 2) and b.cost_usd > 0
    sent_live = sorted(json.dumps(r.body, sort_keys=True) for r in provider.live())
    sent_batched = sorted(json.dumps(line_body(provider, item), sort_keys=True)
                          for item in provider.jobs[0].lines)
    assert sent_batched == sent_live


def test_batch_price_is_half_the_live_price():
    live = usage_cost("openai", MODELS["openai"], Usage(1000, 100))
    assert usage_cost("openai", MODELS["openai"], Usage(1000, 100), batch=True) == live / 2


def test_the_same_request_twice_travels_once(openai, tmp_path):
    request = pair_request(7)
    replies = call_all(new_runtime(tmp_path), openai.make(), [request, request])
    assert replies[0].text == replies[1].text and len(openai.lines()) == 1


def test_providers_without_a_batch_api_are_called_live(openai, tmp_path):
    adapter = VLLMChatAdapter("Qwen/Qwen2.5-VL-7B-Instruct", base_url=openai.server.base_url,
                              api_key="EMPTY", timeout_s=5)
    replies = call_all(new_runtime(tmp_path), adapter, requests_(2))
    assert all(r.status == "ok" for r in replies)
    assert len(openai.live()) == 2 and openai.jobs == []


def test_runtime_open_keeps_the_job_table_in_the_cache_folder(openai, tmp_path):
    runtime = Runtime.open(RuntimeSettings(tmp_path, policy=FAST, batch=True,
                                           batch_settings=QUICK))
    replies = call_all(runtime, openai.make(), requests_(2))
    assert all(r.status == "ok" for r in replies) and (tmp_path / BATCH_FILE).exists()
    assert runtime.stats.batch_requests == 2 and openai.live() == []
    dry = Runtime.open(RuntimeSettings(tmp_path / "dry", batch=True, dry_run=True))
    assert dry.batcher is None  # a dry run sends nothing, batches included
    dry.close()


# --- limits ----------------------------------------------------------------------------------

def test_jobs_are_split_at_the_request_limit(provider, tmp_path):
    settings = BatchSettings(debounce_s=0.1, poll_interval_s=0.005, max_requests=2)
    replies = call_all(new_runtime(tmp_path, settings), provider.make(), requests_(5))
    assert all(r.status == "ok" for r in replies) and provider.live() == []
    assert sorted(len(job.lines) for job in provider.jobs) == [1, 2, 2]
    assert sorted(j.n_requests for j in list_jobs(tmp_path)) == [1, 2, 2]


def test_jobs_are_split_at_the_byte_limit(openai, tmp_path):
    probe = OpenAIChatAdapter(MODELS["openai"], base_url=None, api_key="k", timeout_s=1)
    size = len(json.dumps(probe.batch_line(pair_request(0), "k" * 64))) + 1
    settings = BatchSettings(debounce_s=0.1, poll_interval_s=0.005, max_bytes=2 * size + 50)
    replies = call_all(new_runtime(tmp_path, settings), openai.make(), requests_(5))
    assert all(r.status == "ok" for r in replies)
    assert sorted(len(job.lines) for job in openai.jobs) == [1, 2, 2]


def test_gemini_jobs_over_the_inline_limit_go_as_a_file(gemini, tmp_path, monkeypatch):
    inline = call_all(new_runtime(tmp_path / "inline"), gemini.make(), requests_(3))
    monkeypatch.setattr(gemini_batch.GeminiBatch, "inline_limit", 100)
    as_file = call_all(new_runtime(tmp_path / "file"), gemini.make(), requests_(3))
    assert [r.text for r in as_file] == [r.text for r in inline]
    assert [r.usage for r in as_file] == [r.usage for r in inline]
    first, second = gemini.jobs
    assert not first.extra["file_mode"] and second.extra["file_mode"]
    # the same requests; their order in a job is the order concurrent calls reached it
    def requests(job) -> list[str]:
        return sorted(json.dumps(i["request"], sort_keys=True) for i in job.lines)

    assert requests(second) == requests(first)
    assert gemini.live() == []


# --- failures ----------------------------------------------------------------------------------

def test_failed_requests_are_retried_live_and_bad_ones_fail(provider, tmp_path):
    provider.server.batches.fail_lines("500", None, "400", None)
    runtime = new_runtime(tmp_path)
    replies = call_all(runtime, provider.make(), requests_(4))
    assert sorted(r.status for r in replies) == ["error", "ok", "ok", "ok"]
    (bad,) = [r for r in replies if r.status == "error"]
    assert "in a batch" in bad.error
    assert len(provider.live()) == 1  # the 500 was retried live; the 400 was not
    assert (runtime.stats.retries, runtime.stats.failures) == (1, 1)
    rerun = new_runtime(tmp_path, batch=None)
    again = call_all(rerun, provider.make(), requests_(4))
    assert sum(r.cached for r in again) == 3  # the failed one is asked again


def test_an_expired_job_is_reported_and_its_requests_completed_live(provider, tmp_path):
    provider.server.batches.expire_next(answered=1)
    events: list[BatchEvent] = []
    runtime = new_runtime(tmp_path)
    runtime.add_batch_observer(events.append)
    replies = call_all(runtime, provider.make(), requests_(3))
    assert all(r.status == "ok" for r in replies)
    answered = 0 if provider.name == "gemini" else 1  # an expired Gemini job answers nothing
    assert len(provider.live()) == 3 - answered
    assert events[-1].kind == "expired" and runtime.stats.batch_lost_jobs == 1
    (job,) = list_jobs(tmp_path)
    assert job.phase == "expired" and job.n_succeeded == answered
    rerun = new_runtime(tmp_path, batch=None)
    assert all(r.cached for r in call_all(rerun, provider.make(), requests_(3)))


def test_unanswered_requests_can_fail_instead_of_going_live(openai, tmp_path):
    openai.server.batches.fail_next()
    settings = BatchSettings(debounce_s=0.02, poll_interval_s=0.005, fallback="error")
    runtime = new_runtime(tmp_path, settings)
    replies = call_all(runtime, openai.make(), requests_(2))
    assert [r.status for r in replies] == ["error", "error"] and openai.live() == []
    assert all(r.error.startswith("BatchUnanswered:") for r in replies)
    assert "scripted validation failure" in replies[0].error
    assert list_jobs(tmp_path)[0].phase == "failed" and runtime.stats.batch_lost_jobs == 1


def test_a_refused_submission_is_retried_and_a_bad_key_stops_the_run(openai, tmp_path):
    from vdbench.core.errors import RunFailure

    openai.server.batches.refuse_next("500", "429")
    runtime = new_runtime(tmp_path)
    replies = call_all(runtime, openai.make(), requests_(2))
    assert all(r.status == "ok" for r in replies) and len(openai.jobs) == 1
    assert len(openai.server.batch_creations()) == 3 and openai.live() == []
    openai.server.batches.refuse_next("401")
    with pytest.raises(RunFailure, match="authentication failed"):
        call_all(new_runtime(tmp_path), openai.make(), requests_(2, start=10))


def test_a_job_the_provider_no_longer_knows_is_replaced_by_live_calls(openai, tmp_path):
    from vdbench.llm.cache import request_key

    adapter = openai.make()
    request = pair_request(0)
    store = JobStore(tmp_path / BATCH_FILE)
    key = request_key(adapter.cache_identity(), request)
    store.add_job("batch_gone", "openai", MODELS["openai"], openai.server.base_url + "/",
                  [(key, key)])
    store.close()
    events: list[BatchEvent] = []
    runtime = new_runtime(tmp_path)
    runtime.add_batch_observer(events.append)
    (reply,) = call_all(runtime, adapter, [request])
    assert reply.status == "ok" and len(openai.live()) == 1 and openai.jobs == []
    assert [e.kind for e in events] == ["resumed", "failed"]
    assert list_jobs(tmp_path)[0].phase == "failed"


# --- a killed run resumes its jobs ----------------------------------------------------------------

CLIENT = textwrap.dedent("""
    import asyncio, os, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from servers.chat_requests import pair_request
    from vdbench.llm.batch.types import BatchSettings
    from vdbench.llm.cache import ResponseCache
    from vdbench.llm.openai_api import OpenAIChatAdapter
    from vdbench.llm.runtime import Runtime

    async def main(base_url, cache_dir, n):
        runtime = Runtime(ResponseCache(Path(cache_dir) / "responses.sqlite"),
                          batch=BatchSettings(debounce_s=0.02, poll_interval_s=0.02))
        adapter = OpenAIChatAdapter("gpt-4o-2024-08-06", base_url=base_url,
                                    api_key=os.environ["OPENAI_API_KEY"], timeout_s=10)
        await asyncio.gather(*(runtime.call(adapter, pair_request(i)) for i in range(n)))
        print("finished")

    asyncio.run(main(sys.argv[2], sys.argv[3], int(sys.argv[4])))
""")


def test_a_run_killed_while_polling_resumes_the_same_job(openai, tmp_path):
    n, server = 4, openai.server
    server.batches.hold = True
    child = subprocess.Popen([sys.executable, "-c", CLIENT, str(TESTS_DIR), server.base_url,
                              str(tmp_path), str(n)], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(j.polls >= 2 for j in openai.jobs):
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    (job,) = openai.jobs
    (recorded,) = list_jobs(tmp_path, "pending")
    assert recorded.job_id == job.id and recorded.n_requests == n
    polls_before, created_before = job.polls, len(server.batch_creations())

    server.batches.hold = False
    events: list[BatchEvent] = []
    runtime = new_runtime(tmp_path)
    runtime.add_batch_observer(events.append)
    replies = call_all(runtime, openai.make(), requests_(n))
    assert all(r.status == "ok" for r in replies)
    assert len(server.batch_creations()) == created_before and openai.live() == []
    assert job.polls > polls_before and {e.job_id for e in events} == {job.id}
    assert events[0].kind == "resumed" and events[-1].kind == "ended"
    assert (runtime.stats.batch_resumed_jobs, runtime.stats.batch_jobs) == (1, 0)
    assert list_jobs(tmp_path)[0].phase == "ended"
    expected = call_all(new_runtime(None, batch=None), openai.make(), requests_(n))
    assert [r.text for r in replies] == [r.text for r in expected]


def test_a_resumed_job_is_only_followed_for_the_endpoint_that_holds_it(tmp_path):
    store = JobStore(tmp_path / BATCH_FILE)
    store.add_job("batch_x", "openai", MODELS["openai"], "http://a.invalid/v1/", [("k1", "k1")])
    assert store.pending_job("k1", "openai", "http://a.invalid/v1/") == "batch_x"
    assert store.pending_job("k1", "openai", "http://b.invalid/v1/") is None
    assert store.pending_job("k2", "openai", "http://a.invalid/v1/") is None
    store.close()


# --- vdbench batches ---------------------------------------------------------------------------

def leave_a_pending_job(provider: Provider, cache_dir: Path, n: int = 2) -> None:
    """Submit a job that the server holds, then stop waiting for it (as a killed run)."""
    provider.server.batches.hold = True

    async def main() -> None:
        runtime = new_runtime(cache_dir)
        adapter = provider.make()
        try:
            calls = asyncio.gather(*(runtime.call(adapter, r) for r in requests_(n)))
            deadline = time.monotonic() + 20
            while not any(j.polls for j in provider.jobs) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            calls.cancel()
            await asyncio.gather(calls, return_exceptions=True)
        finally:
            await adapter.aclose()
            runtime.close()

    asyncio.run(main())


def run_cli(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    batches_cli.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    code = batches_cli.COMMANDS[args.command](args, Console(file=out, width=250))
    return code, out.getvalue()


def test_batches_list_and_cancel(provider, tmp_path):
    leave_a_pending_job(provider, tmp_path)
    (job,) = provider.jobs
    code, listed = run_cli(["batches", "list", "--cache-dir", str(tmp_path)])
    assert code == 0
    assert job.id in listed and provider.name in listed and MODELS[provider.name] in listed
    assert "pending" in listed

    code, cancelled = run_cli(["batches", "cancel", "--cache-dir", str(tmp_path)])
    assert code == 0 and cancelled.startswith("cancelled ") and job.id in cancelled
    assert job.cancelled
    assert list_jobs(tmp_path, "pending") == []
    _, listed = run_cli(["batches", "--cache-dir", str(tmp_path)])
    assert "cancelled" in listed
    _, nothing = run_cli(["batches", "cancel", "--cache-dir", str(tmp_path)])
    assert "no pending batch job" in nothing

    # A later run does not resume a cancelled job: it submits its requests again.
    provider.server.batches.hold = False
    replies = call_all(new_runtime(tmp_path), provider.make(), requests_(2))
    assert all(r.status == "ok" for r in replies) and len(provider.jobs) == 2


def test_batches_cancel_needs_the_key_and_a_known_job(openai, tmp_path, monkeypatch):
    from vdbench.core.errors import InputError

    leave_a_pending_job(openai, tmp_path)
    with pytest.raises(InputError, match="no such batch job"):
        run_cli(["batches", "cancel", "batch_nope", "--cache-dir", str(tmp_path)])
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        run_cli(["batches", "cancel", "--cache-dir", str(tmp_path)])
    assert len(list_jobs(tmp_path, "pending")) == 1


def test_batches_list_without_a_job_table(tmp_path):
    code, out = run_cli(["batches", "list", "--cache-dir", str(tmp_path / "empty")])
    assert code == 0 and "no batch jobs" in out
