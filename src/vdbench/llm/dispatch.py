"""Sending one request that missed the cache and passed the budget: through a Batch API job
where the run batches and the provider has one, else live under per-provider limits, retries
and a timeout. Each failure becomes an error reply, except one that every further call would
hit too: that stops the run (`stopped`), and no call is sent after it."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from vdbench.core.errors import InputError, RunFailure
from vdbench.llm.accounting import RuntimeStats
from vdbench.llm.batch.collector import BatchCollector
from vdbench.llm.batch.types import LineError
from vdbench.llm.errors import Classified, ServerSetupError, classify, run_stopper
from vdbench.llm.limits import ProviderLimits, RateLimiter
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.types import ChatReply, ChatRequest, Usage

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

log = logging.getLogger("vdbench.runtime")

# The runtime's side of a call: the refusal of a call over budget (None while within it), the
# reply of an answered call once costed, and the reply once cached or counted as a failure.
Refusal = Callable[[], ChatReply | None]
Charge = Callable[["ProviderAdapter", str, Usage], ChatReply]
Finish = Callable[["ProviderAdapter", str, ChatReply], Awaitable[ChatReply]]


class Dispatch:
    def __init__(self, *, policy: RetryPolicy, concurrency: int, rpm: float | None,
                 stats: RuntimeStats, rng: random.Random, over_budget: Refusal,
                 charge: Charge, finish: Finish, batcher: BatchCollector | None):
        self.policy = policy
        self.concurrency = concurrency
        self.rpm = rpm
        self.stats = stats
        self.batcher = batcher
        self.stopped: RunFailure | None = None  # the run-stopping failure, once one happened
        self._rng = rng
        self._over_budget = over_budget
        self._charge = charge
        self._finish = finish
        self._limits: dict[str, ProviderLimits] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, adapter: ProviderAdapter, request: ChatRequest, key: str) -> ChatReply:
        if self.batcher is not None and self.batcher.accepts(adapter):
            return await self._batched(adapter, request, key)
        return await self._finish(adapter, key, await self._live(adapter, request))

    async def _batched(self, adapter: ProviderAdapter, request: ChatRequest,
                       key: str) -> ChatReply:
        """Through a batch job; a failed request is retried live under the usual rules, and
        one its job left unanswered goes live or gets an error reply (BatchSettings.fallback)."""
        assert self.batcher is not None
        if (refused := self._over_budget()) is not None:
            return refused
        outcome = await self.batcher.call(adapter, request, key)
        if isinstance(outcome, ChatReply):  # answered by a job: costed and cached already
            if outcome.cached:
                self.stats.cache_hits += 1
            return outcome
        if isinstance(outcome, LineError):
            if isinstance(outcome.error, (InputError, RunFailure)):  # building it: stop the run
                raise outcome.error
            failure = classify(outcome.error)
            if (reason := run_stopper(outcome.error)) is not None:
                raise self._stop_for(adapter, outcome.error, reason, failure.summary)
            if not failure.retryable:
                return await self._finish(adapter, key, ChatReply(
                    "error", error=f"{failure.summary} (attempts: 1, in a batch)"))
            self.stats.retries += 1
            log.info("retrying %s live after a failed batch request: %s", adapter.model_id,
                     failure.summary)
        elif self.batcher.settings.fallback == "error":
            return await self._finish(adapter, key, ChatReply(
                "error", error=f"BatchUnanswered: {outcome.reason}"))
        else:
            log.info("sending %s live: %s", adapter.model_id, outcome.reason)
        return await self._finish(adapter, key, await self._live(adapter, request))

    async def _live(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
        limits = self._limits_for(adapter.provider)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.max_total_s
        attempt = 0
        while True:
            attempt += 1
            async with limits.semaphore:
                if self.stopped is not None:  # another call hit an error every call would hit
                    raise self.stopped
                if limits.rate is not None:
                    await limits.rate.wait()
                # Checked as late as possible: at most `concurrency` calls overshoot the budget.
                if (refused := self._over_budget()) is not None:
                    return refused
                self.stats.requests += 1
                try:
                    text, usage = await asyncio.wait_for(
                        adapter.complete(request), self.policy.timeout_s)
                except TimeoutError:
                    failure = classify(TimeoutError(f"no reply within {self.policy.timeout_s:g} s"))
                except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
                    failure = classify(exc)
                    if (reason := run_stopper(exc)) is not None:
                        raise self._stop_for(adapter, exc, reason, failure.summary) from None
                else:
                    return self._charge(adapter, text, usage)
            delay = self.policy.delay_s(attempt, failure.retry_after, self._rng)
            if not self._should_retry(failure, attempt, loop.time() + delay, deadline):
                return ChatReply("error", error=f"{failure.summary} (attempts: {attempt})")
            self.stats.retries += 1
            log.info("retrying %s in %.1f s after %s", adapter.model_id, delay, failure.summary)
            await asyncio.sleep(delay)

    def _stop_for(self, adapter: ProviderAdapter, exc: BaseException, reason: str,
                  summary: str) -> RunFailure:
        """The failure that stops the run: what happened, and what to fix. Remembered, so
        that no further call is sent."""
        self.stats.failures += 1
        fix = exc.fix if isinstance(exc, ServerSetupError) else adapter.what_to_fix(reason)
        self.stopped = RunFailure(
            f"{adapter.provider} {adapter.model_id}: {reason} ({summary}); {fix}")
        return self.stopped

    def _should_retry(self, failure: Classified, attempt: int, resume_at: float,
                      deadline: float) -> bool:
        return failure.retryable and attempt < self.policy.max_attempts and resume_at <= deadline

    def _limits_for(self, provider: str) -> ProviderLimits:
        # asyncio primitives belong to one event loop; a new asyncio.run gets fresh ones.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._limits = loop, {}
        if provider not in self._limits:
            rate = RateLimiter(self.rpm) if self.rpm else None
            self._limits[provider] = ProviderLimits(asyncio.Semaphore(self.concurrency), rate)
        return self._limits[provider]
