"""The request runtime on the full benchmark's shape, against a local OpenAI-compatible server.

549 requests (one per pair), each with two videos of a few small JPEG frames, answered by
tests/servers/openai_server.py after a fixed latency. Compared:
  ideal        requests x latency / concurrency
  runtime      vdbench.llm.runtime + the async openai client, cold cache
  bare SDK     the same adapter under a plain semaphore, no runtime: what the runtime costs
  thread pool  the public code's approach: a ThreadPoolExecutor sharing a sync openai
               client, no cache, no retries
  faults       the runtime while 30% of requests get a 429 (Retry-After: 1), 500 or dropped
               connection; its predictions must equal the fault-free run's
  warm rerun   the runtime again on the cold run's cache: zero requests expected

Run: python benchmarks/bench_runtime.py   (--quick for a smaller, faster run)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers.chat_requests import pair_request
from servers.openai_server import FakeOpenAIServer, prompt_text
from vdbench.llm.cache import CACHE_FILE, ResponseCache
from vdbench.llm.openai_api import OpenAIChatAdapter
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatRequest

MODEL = "gpt-4o-2024-08-06"
KEY = "sk-bench-not-a-real-key"


def answer(body: dict) -> str:
    """A closed-mode style answer that depends only on the prompt, like a seeded model."""
    digest = hashlib.sha256(prompt_text(body).encode()).digest()
    return json.dumps({str(k): "ab"[digest[k] % 2] for k in range(4)})


@dataclass
class RuntimeRun:
    seconds: float
    texts: list[str | None]  # None where the call failed for good
    done_at: list[float]  # seconds from the start at which each call returned, sorted
    runtime: Runtime


def run_runtime(server: FakeOpenAIServer, cache_dir: Path, requests: list[ChatRequest],
                concurrency: int, policy: RetryPolicy) -> RuntimeRun:
    # One runtime per run, as the pipeline opens one per run and closes it (its cache
    # connection) at the end; built directly rather than with Runtime.open(RuntimeSettings)
    # only to seed the retry jitter, so the fault run repeats.
    with Runtime(ResponseCache(cache_dir / CACHE_FILE), concurrency=concurrency,
                 policy=policy, jitter_seed=0) as runtime:
        adapter = OpenAIChatAdapter(MODEL, base_url=server.base_url, api_key=KEY,
                                    timeout_s=policy.timeout_s)
        start = time.perf_counter()
        done_at: list[float] = []

        async def one(request: ChatRequest) -> str | None:
            reply = await runtime.call(adapter, request)
            done_at.append(time.perf_counter() - start)
            return reply.text if reply.status == "ok" else None

        async def main() -> list[str | None]:
            try:
                return await asyncio.gather(*(one(r) for r in requests))
            finally:
                await adapter.aclose()

        texts = asyncio.run(main())
    return RuntimeRun(time.perf_counter() - start, texts, sorted(done_at), runtime)


def run_bare_sdk(server: FakeOpenAIServer, requests: list[ChatRequest], concurrency: int
                 ) -> float:
    """The same adapter and async client under a plain semaphore: what the runtime adds."""
    adapter = OpenAIChatAdapter(MODEL, base_url=server.base_url, api_key=KEY, timeout_s=120)

    async def main() -> None:
        limit = asyncio.Semaphore(concurrency)

        async def one(request: ChatRequest) -> None:
            async with limit:
                await adapter.complete(request)

        try:
            await asyncio.gather(*(one(r) for r in requests))
        finally:
            await adapter.aclose()

    start = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - start


def run_thread_pool(server: FakeOpenAIServer, requests: list[ChatRequest], workers: int
                    ) -> tuple[float, list[str | None]]:
    import openai

    client = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    shaper = OpenAIChatAdapter(MODEL, base_url=None, api_key=KEY, timeout_s=120)

    def one(request: ChatRequest) -> str | None:
        completion = client.chat.completions.create(**shaper.request_body(request))
        return completion.choices[0].message.content

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        texts = list(pool.map(one, requests))
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=549)
    parser.add_argument("--frames", type=int, default=4, help="frames per video (2 videos)")
    parser.add_argument("--latency", type=float, default=0.3, help="server seconds per reply")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pool", type=int, default=24, help="thread pool size of the baseline")
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--quick", action="store_true", help="150 pairs, 0.1 s latency")
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.latency = 150, 0.1

    import openai  # noqa: F401 - imported before any timing, so no run pays for it

    requests = [pair_request(i, n_frames=args.frames) for i in range(args.pairs)]
    policy = RetryPolicy(max_attempts=10)  # 0.3^10 x 549: a request failing for good is ~0.3%
    rows: list[tuple[str, float, int, str]] = []
    n, lat = args.pairs, args.latency
    print(f"{n} requests x {2 * args.frames} JPEG frames, server latency {lat:g} s, "
          f"{os.cpu_count()} CPUs")

    with FakeOpenAIServer(reply=answer, latency_s=lat) as server, \
            tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        ideal = n * lat / args.concurrency
        ideal_pool = n * lat / args.pool
        rows.append((f"ideal: {n} x {lat:g} s / {args.concurrency}", ideal, 0, "1.00 x ideal"))

        def sent() -> int:
            count = len(server.requests)
            server.requests.clear()
            return count

        cold = run_runtime(server, tmp_dir / "cold", requests, args.concurrency, policy)
        rows.append((f"runtime, concurrency {args.concurrency}, cold cache", cold.seconds,
                     sent(), f"{cold.seconds / ideal:.2f} x ideal"))

        bare_s = run_bare_sdk(server, requests, args.concurrency)
        rows.append((f"async SDK + semaphore {args.concurrency}, no runtime", bare_s, sent(),
                     f"{bare_s / ideal:.2f} x ideal"))

        pool_s, pool_texts = run_thread_pool(server, requests, args.pool)
        rows.append((f"thread pool {args.pool}, sync client, no cache", pool_s, sent(),
                     f"{pool_s / ideal_pool:.2f} x ideal at {args.pool}"))

        wide = run_runtime(server, tmp_dir / "wide", requests, args.pool, policy)
        rows.append((f"runtime, concurrency {args.pool}, cold cache", wide.seconds, sent(),
                     f"{wide.seconds / ideal_pool:.2f} x ideal at {args.pool}"))

        server.fault_rate = args.fault_rate
        faults = run_runtime(server, tmp_dir / "faults", requests, args.concurrency, policy)
        server.fault_rate = 0.0
        rows.append((f"runtime, {args.fault_rate:.0%} faults (429/500/drop)", faults.seconds,
                     sent(), f"{faults.seconds / cold.seconds:.2f} x fault-free"))

        warm = run_runtime(server, tmp_dir / "cold", requests, args.concurrency, policy)
        rows.append(("runtime, warm rerun (same cache)", warm.seconds, sent(),
                     f"{warm.seconds / cold.seconds:.3f} x cold"))

    print(f"\n{'run':<46}{'wall s':>8}{'requests':>10}   ratio")
    for name, seconds, count, ratio in rows:
        print(f"{name:<46}{seconds:>8.2f}{count if count else '-':>10}   {ratio}")
    stats = faults.runtime.stats
    p99 = faults.done_at[int(0.99 * (len(faults.done_at) - 1))]
    print(f"\nfaults: {stats.retries} retries, {stats.failures} calls failed for good, 99% of "
          f"calls done at {p99:.1f} s (fault-free: {cold.done_at[-1]:.1f} s for all); "
          f"predictions identical to the fault-free run: {faults.texts == cold.texts}")
    print(f"thread pool answers identical to the runtime's: {pool_texts == cold.texts}")
    print(f"warm rerun: {warm.runtime.stats.cache_hits} cache hits, "
          f"{warm.runtime.stats.requests} requests, identical: {warm.texts == cold.texts}")


if __name__ == "__main__":
    main()
