"""Batch mode: requests that miss the cache wait in a queue per adapter and travel as Batch
API jobs instead of live calls.

A queue is submitted once no request has joined it for `debounce_s`, or at once when it
reaches the provider's per-job limit (count or bytes); larger queues are split. Each job is
recorded in the job table (store.py) as soon as the provider returns its id, then polled
every `poll_interval_s`. When it finishes, every answered request is costed (at the batch
price), stored in the response cache under its request key and handed to its callers.

A request whose key is held by a job still pending in the table (a killed run's) is not
submitted again: the collector polls that job instead, in this process.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from vdbench.core.lazy import load_target
from vdbench.llm.batch.base import BatchBackend
from vdbench.llm.batch.store import JobStore
from vdbench.llm.batch.types import (
    Answered,
    BatchEvent,
    BatchObserver,
    BatchSettings,
    JobStatus,
    Line,
    LineError,
    LineOutcome,
    Outcome,
    Unanswered,
)
from vdbench.llm.cache import ResponseCache
from vdbench.llm.errors import classify, run_stopper, summarize
from vdbench.llm.providers import registry
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.types import ChatReply, ChatRequest

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

log = logging.getLogger("vdbench.batch")


def has_batch(provider: str) -> bool:
    """The provider's record names a batch backend; others (vllm) are always called live."""
    record = registry.get(provider)
    return record is not None and record.batch is not None


def backend_class(provider: str) -> type[BatchBackend]:
    record = registry.get(provider)
    assert record is not None and record.batch is not None, provider
    backend: type[BatchBackend] = load_target(record.batch)
    return backend


def backend_for(adapter: ProviderAdapter) -> BatchBackend:
    return backend_class(adapter.provider)(adapter.client, adapter)


@dataclass
class _Group:
    """The queue of one adapter (one provider, model and wire format)."""

    adapter: ProviderAdapter
    backend: BatchBackend
    endpoint: str
    lines: list[Line] = field(default_factory=list)
    size: int = 0
    last_arrival: float = 0.0
    flusher: asyncio.Task[None] | None = None


@dataclass
class _Job:
    job_id: str
    group: _Group
    lines: list[tuple[str, str]]  # (custom_id, request key) in submission order
    finished: bool = False


@dataclass
class _LoopState:
    """asyncio objects belong to one event loop; a new asyncio.run gets fresh ones."""

    loop: asyncio.AbstractEventLoop
    waiting: dict[str, asyncio.Future[Outcome]] = field(default_factory=dict)
    groups: dict[int, _Group] = field(default_factory=dict)
    jobs: dict[str, _Job] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


class BatchCollector:
    """Queues, submits and follows batch jobs for a Runtime. `on_answer` turns an answered
    request into the costed reply (the runtime's accounting); `observers` see every job event."""

    def __init__(self, settings: BatchSettings, store: JobStore, cache: ResponseCache | None,
                 policy: RetryPolicy, on_answer: Callable[[ProviderAdapter, Answered], ChatReply],
                 rng: random.Random | None = None):
        self.settings = settings
        self.store = store
        self.cache = cache
        self.policy = policy
        self.on_answer = on_answer
        self.observers: list[BatchObserver] = []
        self._rng = rng or random.Random()
        self._state: _LoopState | None = None

    @staticmethod
    def accepts(adapter: ProviderAdapter) -> bool:
        return has_batch(adapter.provider)

    def close(self) -> None:
        self.store.close()

    # --- a caller's request ------------------------------------------------------------------

    async def call(self, adapter: ProviderAdapter, request: ChatRequest, key: str) -> Outcome:
        """The outcome of one request that missed the cache, once its job has finished."""
        st = self._loop_state()
        if (shared := st.waiting.get(key)) is not None:  # the same request is on its way
            return await asyncio.shield(shared)
        future: asyncio.Future[Outcome] = st.loop.create_future()
        st.waiting[key] = future
        try:
            group = self._group(st, adapter)
            job_id = await asyncio.to_thread(self.store.pending_job, key, adapter.provider,
                                             group.endpoint)
            if job_id is not None and await self._resume(st, group, job_id):
                return await asyncio.shield(future)
            # A job that finished since the runtime looked has put the reply in the cache.
            if self.cache is not None and (hit := await self.cache.get(key)) is not None:
                self._settle(st, key, hit)
                return hit
            line = await group.backend.prepare(request, key)
        except asyncio.CancelledError:  # others may wait on the same key
            self._settle(st, key, Unanswered("the request was cancelled before its job"))
            raise
        except Exception as exc:  # noqa: BLE001 - building the request failed, as live would
            self._settle(st, key, LineError(exc))
            return await future
        self._enqueue(st, group, line)
        return await asyncio.shield(future)

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            self._state = _LoopState(loop)
        return self._state

    def _group(self, st: _LoopState, adapter: ProviderAdapter) -> _Group:
        group = st.groups.get(id(adapter))
        if group is None or group.adapter is not adapter:
            backend = backend_for(adapter)
            group = st.groups[id(adapter)] = _Group(adapter, backend, backend.endpoint())
        return group

    def _settle(self, st: _LoopState, key: str, outcome: Outcome) -> None:
        future = st.waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(outcome)

    def _spawn(self, st: _LoopState, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = st.loop.create_task(coro)
        st.tasks.add(task)
        task.add_done_callback(st.tasks.discard)
        return task

    # --- queue and submit ----------------------------------------------------------------------

    def _limits(self, backend: BatchBackend) -> tuple[int, int]:
        return (self.settings.max_requests or backend.max_requests,
                self.settings.max_bytes or backend.max_bytes)

    def _enqueue(self, st: _LoopState, group: _Group, line: Line) -> None:
        group.lines.append(line)
        group.size += line.size
        group.last_arrival = st.loop.time()
        max_requests, max_bytes = self._limits(group.backend)
        while len(group.lines) >= max_requests or group.size > max_bytes:
            self._spawn(st, self._submit(st, group, self._take(group)))
        if group.lines and (group.flusher is None or group.flusher.done()):
            group.flusher = self._spawn(st, self._flush_when_quiet(st, group))

    def _take(self, group: _Group) -> list[Line]:
        """The first job's worth of the queue: within both limits, at least one line."""
        max_requests, max_bytes = self._limits(group.backend)
        n = size = 0
        for line in group.lines:
            if n >= max_requests or (n and size + line.size > max_bytes):
                break
            n, size = n + 1, size + line.size
        chunk, group.lines = group.lines[:n], group.lines[n:]
        group.size -= size
        return chunk

    async def _flush_when_quiet(self, st: _LoopState, group: _Group) -> None:
        while group.lines:
            wait = group.last_arrival + self.settings.debounce_s - st.loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            while group.lines:
                self._spawn(st, self._submit(st, group, self._take(group)))

    async def _submit(self, st: _LoopState, group: _Group, chunk: list[Line]) -> None:
        adapter = group.adapter
        attempt = 0
        while True:
            attempt += 1
            try:
                job_id = await group.backend.submit(chunk, adapter.model_id)
                break
            except Exception as exc:  # noqa: BLE001 - every failure reaches the callers
                failure = classify(exc)
                if (run_stopper(exc) is None and failure.retryable
                        and attempt < self.policy.max_attempts):
                    delay = self.policy.delay_s(attempt, failure.retry_after, self._rng)
                    log.info("retrying a %s batch submission in %.1f s after %s",
                             adapter.provider, delay, failure.summary)
                    await asyncio.sleep(delay)
                    continue
                log.warning("%s %s: could not submit a batch of %d requests: %s",
                            adapter.provider, adapter.model_id, len(chunk), failure.summary)
                for line in chunk:
                    self._settle(st, line.key, LineError(exc))
                return
        lines = [(line.key, line.key) for line in chunk]  # the custom_id is the request key
        del chunk  # the payloads are the provider's now
        await asyncio.to_thread(self.store.add_job, job_id, adapter.provider, adapter.model_id,
                                group.endpoint, lines)
        job = st.jobs[job_id] = _Job(job_id, group, lines)
        self._emit(job, "submitted", JobStatus("submitted", "pending", len(lines)))
        await self._follow(st, job)

    async def _resume(self, st: _LoopState, group: _Group, job_id: str) -> bool:
        """Follow a pending job of the table (a killed run's); False when it cannot be."""
        if job_id in st.jobs:
            return not st.jobs[job_id].finished
        job = st.jobs[job_id] = _Job(job_id, group, [])  # before any await: followed once
        job.lines = await asyncio.to_thread(self.store.lines, job_id)
        if not job.lines:  # cannot be: the key was found among its lines
            job.finished = True
            return False
        self._emit(job, "resumed", JobStatus("resumed", "pending", len(job.lines)))
        self._spawn(st, self._follow(st, job))
        return True

    # --- poll and deliver ----------------------------------------------------------------------

    async def _follow(self, st: _LoopState, job: _Job) -> None:
        try:
            status = await self._poll_until_done(job)
            if status is None:
                return
            outcomes: dict[str, LineOutcome] = {}
            if status.phase != "failed":
                read = await self._read_results(job, status)
                if read is None:
                    return
                outcomes = read
            await self._deliver(st, job, status, outcomes)
        except Exception as exc:  # noqa: BLE001 - never leave a caller waiting
            log.warning("batch %s: %s", job.job_id, summarize(exc))
            self._give_up(job, Unanswered(f"batch {job.job_id}: {summarize(exc)}"))
        finally:
            job.finished = True
            for _, key in job.lines:  # anything not delivered above
                self._settle(st, key, Unanswered(f"batch {job.job_id} was not followed to "
                                                 "its end"))

    async def _poll_until_done(self, job: _Job) -> JobStatus | None:
        backend, errors, last = job.group.backend, 0, None
        while True:
            try:
                status = await backend.poll(job.job_id)
                errors = 0
            except Exception as exc:  # noqa: BLE001
                reason = run_stopper(exc)
                if reason is not None and reason.startswith("not found"):
                    status = JobStatus("not found", "failed", detail=summarize(exc))
                elif reason is not None:
                    self._give_up(job, LineError(exc))
                    return None
                else:
                    errors += 1
                    if errors >= self.settings.max_poll_errors:
                        self._give_up(job, Unanswered(
                            f"cannot poll batch {job.job_id} ({summarize(exc)}); it stays "
                            "pending: rerun to resume it"))
                        return None
                    await asyncio.sleep(self.settings.poll_interval_s)
                    continue
            if last is None or _changed(last, status):
                await asyncio.to_thread(self.store.update, job.job_id, status)
                if status.phase == "pending":
                    self._emit(job, "progress", status)
            last = status
            if status.phase != "pending":
                return status
            await asyncio.sleep(self.settings.poll_interval_s)

    async def _read_results(self, job: _Job, status: JobStatus) -> dict[str, LineOutcome] | None:
        custom_ids = [cid for cid, _ in job.lines]
        attempt = 0
        while True:
            attempt += 1
            try:
                return await job.group.backend.results(job.job_id, status, custom_ids)
            except Exception as exc:  # noqa: BLE001
                failure = classify(exc)
                if not failure.retryable or attempt >= self.policy.max_attempts:
                    log.warning("batch %s: cannot read its results (%s); it stays pending: "
                                "rerun to read them", job.job_id, failure.summary)
                    self._give_up(job, Unanswered(
                        f"cannot read the results of batch {job.job_id} ({failure.summary})"))
                    return None
                await asyncio.sleep(self.policy.delay_s(attempt, failure.retry_after, self._rng))

    async def _deliver(self, st: _LoopState, job: _Job, status: JobStatus,
                       outcomes: dict[str, LineOutcome]) -> None:
        adapter = job.group.adapter
        why = f"{adapter.provider} batch {job.job_id} ended {status.state}" + (
            f" ({status.detail})" if status.detail else "") + " without answering it"
        delivered: list[tuple[str, Outcome]] = []
        answered: list[tuple[str, ChatReply]] = []
        for cid, key in job.lines:
            outcome = outcomes.get(cid) or Unanswered(why)
            if isinstance(outcome, Answered):
                reply = self.on_answer(adapter, outcome)
                answered.append((key, reply))
                delivered.append((key, reply))
            else:
                delivered.append((key, outcome))
        if self.cache is not None and answered:
            await asyncio.to_thread(_put_all, self.cache, adapter.model_id, answered)
        final = replace(status, total=len(job.lines), succeeded=len(answered),
                        failed=len(job.lines) - len(answered))
        await asyncio.to_thread(self.store.update, job.job_id, final, status.phase,
                                status.detail)
        self._emit(job, status.phase, final, status.detail)
        for key, delivered_outcome in delivered:
            self._settle(st, key, delivered_outcome)

    def _give_up(self, job: _Job, outcome: LineError | Unanswered) -> None:
        st = self._loop_state()
        for _, key in job.lines:
            self._settle(st, key, outcome)

    def _emit(self, job: _Job, kind: str, status: JobStatus, message: str = "") -> None:
        adapter = job.group.adapter
        event = BatchEvent(kind, job.job_id, adapter.provider, adapter.model_id, status.state,
                           status.total if status.total is not None else len(job.lines),
                           status.succeeded, status.failed, message)
        if kind in ("expired", "cancelled", "failed"):
            log.warning("%s", event.describe())
        else:
            log.info("%s", event.describe())
        for observer in self.observers:
            try:
                observer(event)
            except Exception as exc:  # noqa: BLE001 - a display must not stop the run
                log.debug("batch observer failed: %s", exc)


def _put_all(cache: ResponseCache, model: str, replies: list[tuple[str, ChatReply]]) -> None:
    for key, reply in replies:
        cache.put_now(key, model, reply)


def _changed(before: JobStatus, after: JobStatus) -> bool:
    return (before.state, before.succeeded, before.failed) != (
        after.state, after.succeeded, after.failed)

