"""The one place where provider calls are cached, limited, retried, timed out and costed."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vdbench.core.errors import InputError, RunFailure
from vdbench.llm.accounting import DryRunTally, RuntimeStats
from vdbench.llm.batch.collector import BatchCollector
from vdbench.llm.batch.store import JobStore
from vdbench.llm.batch.types import (
    DEFAULT_BATCH,
    Answered,
    BatchObserver,
    BatchSettings,
    LineError,
)
from vdbench.llm.cache import CACHE_FILE, ResponseCache, request_key
from vdbench.llm.cost import (
    BATCH_DISCOUNT,
    Price,
    estimate_request,
    price_of,
    thinks,
    usage_cost,
)
from vdbench.llm.errors import Classified, ServerSetupError, classify, run_stopper, scrub
from vdbench.llm.limits import ProviderLimits, RateLimiter
from vdbench.llm.retry import DEFAULT_POLICY, RetryPolicy
from vdbench.llm.types import ChatReply, ChatRequest, Usage

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

log = logging.getLogger("vdbench.runtime")


class Runtime:
    """Runs `adapter.complete` under a cache, per-provider limits, retries and a budget.

    One run owns one Runtime: its counters, budget and cache connection start and end with
    the run (`Runtime.open(settings)` ... `close()`, or `with Runtime.open(...)`)."""

    stopped: RunFailure | None = None  # the run-stopping failure, once one happened

    def _stop(self, failure: RunFailure) -> RunFailure:
        """Remember a failure that every further call would hit too: none is sent after it."""
        self.stopped = failure
        return failure

    @classmethod
    def open(cls, settings: RuntimeSettings) -> Runtime:
        return cls(ResponseCache(settings.cache_dir / CACHE_FILE),
                   concurrency=settings.concurrency, rpm=settings.rpm, policy=settings.policy,
                   max_cost_usd=settings.max_cost_usd, dry_run=settings.dry_run,
                   price=settings.price,
                   batch=settings.batch_settings if settings.batch else None)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        if self.batcher is not None:
            self.batcher.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __init__(
        self,
        cache: ResponseCache | None,
        *,
        concurrency: int = 8,
        rpm: float | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        max_cost_usd: float | None = None,
        jitter_seed: int | None = None,
        dry_run: bool = False,
        price: Price | None = None,
        batch: BatchSettings | None = None,
    ):
        """`batch`: send requests that miss the cache as Batch API jobs (providers that have
        one), their job table next to the cache (in memory without one)."""
        self.cache = cache
        self.concurrency = concurrency
        self.rpm = rpm
        self.policy = policy
        self.max_cost_usd = max_cost_usd
        self.price = price  # for models without a listed price (--price)
        self.stats = RuntimeStats()
        self.dry_run = DryRunTally() if dry_run else None
        # --dry-run --batch sends nothing, batches included, but prices requests as the
        # providers bill the batches they would go in
        self.dry_run_batch = dry_run and batch is not None
        self._rng = random.Random(jitter_seed)
        self._limits: dict[str, ProviderLimits] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batcher: BatchCollector | None = None
        if batch is not None and not dry_run:
            store = JobStore.in_folder(cache.path.parent) if cache is not None else JobStore(None)
            self.batcher = BatchCollector(batch, store, cache, policy, self._batch_answer,
                                          rng=self._rng)
            self.batcher.observers.append(self.stats.count_batch_event)

    def add_batch_observer(self, observer: BatchObserver) -> None:
        """Be told of every batch job's progress (submitted, resumed, progress, ended,
        expired, cancelled, failed); nothing happens without --batch."""
        if self.batcher is not None:
            self.batcher.observers.append(observer)

    async def call(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
        key = request_key(adapter.cache_identity(), request)
        if self.cache is not None and (hit := await self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            return hit
        if self.dry_run is not None:
            self._tally(self.dry_run, adapter, request)
            return ChatReply("error", error="DryRun: request not sent")
        if (self.max_cost_usd is not None
                and price_of(adapter.provider, adapter.model_id, self.price) is None):
            raise InputError(f"--max-cost: {adapter.model_id} has no known price, so what "
                             "the run spends cannot be counted; give its price with --price "
                             "INPUT_PER_M,OUTPUT_PER_M (USD per million tokens)")
        if self.batcher is not None and self.batcher.accepts(adapter):
            return await self._call_batched(adapter, request, key)
        return await self._finish(adapter, key, await self._call_with_retries(adapter, request))

    def _tally(self, tally: DryRunTally, adapter: ProviderAdapter, request: ChatRequest) -> None:
        batch = self.dry_run_batch and BatchCollector.accepts(adapter)
        estimate = estimate_request(adapter, request, fallback=self.price, batch=batch)
        live = (estimate.cost_usd / BATCH_DISCOUNT
                if batch and estimate.cost_usd is not None else None)
        thinking = None
        if thinks(adapter.provider, adapter.model_id):
            price = price_of(adapter.provider, adapter.model_id, self.price)
            if price is not None:
                thinking = 1000 * price.output_per_mtok / 1e6 * (BATCH_DISCOUNT if batch else 1)
        tally.add(estimate, adapter.model_id, batch=batch, live_cost_usd=live,
                  thinking_usd_per_1k=thinking, answer_tokens=request.config.max_tokens)

    async def _finish(self, adapter: ProviderAdapter, key: str, reply: ChatReply) -> ChatReply:
        if reply.status == "ok":
            if self.cache is not None:
                await self.cache.put(key, adapter.model_id, reply)
        else:
            self.stats.failures += 1
            log.warning("%s %s: %s", adapter.provider, adapter.model_id, reply.error)
        return reply

    async def _call_batched(self, adapter: ProviderAdapter, request: ChatRequest,
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
        return await self._finish(adapter, key, await self._call_with_retries(adapter, request))

    def _batch_answer(self, adapter: ProviderAdapter, answer: Answered) -> ChatReply:
        return self._success(adapter, answer.text, answer.usage, batch=True)

    async def _call_with_retries(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
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
                    return self._success(adapter, text, usage)
            delay = self.policy.delay_s(attempt, failure.retry_after, self._rng)
            if not self._should_retry(failure, attempt, loop.time() + delay, deadline):
                return ChatReply("error", error=f"{failure.summary} (attempts: {attempt})")
            self.stats.retries += 1
            log.info("retrying %s in %.1f s after %s", adapter.model_id, delay, failure.summary)
            await asyncio.sleep(delay)

    def _over_budget(self) -> ChatReply | None:
        """The reply of a call not sent because --max-cost is spent; None while it is not."""
        if self.max_cost_usd is None or self.stats.cost_usd < self.max_cost_usd:
            return None
        self.stats.budget_refusals += 1
        return ChatReply("error", error=(
            f"BudgetExceeded: ${self.stats.cost_usd:.4f} spent, max_cost is "
            f"${self.max_cost_usd:.4f}; request not sent"))

    def _stop_for(self, adapter: ProviderAdapter, exc: BaseException, reason: str,
                  summary: str) -> RunFailure:
        """The failure that stops the run: what happened, and what to fix."""
        self.stats.failures += 1
        fix = exc.fix if isinstance(exc, ServerSetupError) else adapter.what_to_fix(reason)
        return self._stop(RunFailure(
            f"{adapter.provider} {adapter.model_id}: {reason} ({summary}); {fix}"))

    def _should_retry(self, failure: Classified, attempt: int, resume_at: float,
                      deadline: float) -> bool:
        return failure.retryable and attempt < self.policy.max_attempts and resume_at <= deadline

    def _success(self, adapter: ProviderAdapter, text: str, usage: Usage, *,
                 batch: bool = False) -> ChatReply:
        cost = usage_cost(adapter.provider, adapter.model_id, usage, self.price, batch=batch)
        if cost is None:
            self.stats.unpriced_models.add(adapter.model_id)
            cost = 0.0
        self.stats.input_tokens += usage.input_tokens
        self.stats.output_tokens += usage.output_tokens
        self.stats.cost_usd += cost
        # An endpoint may echo the request, key included: nothing stores a reply unscrubbed.
        return ChatReply("ok", text=scrub(text), usage=usage, cost_usd=cost)

    def _limits_for(self, provider: str) -> ProviderLimits:
        # asyncio primitives belong to one event loop; a new asyncio.run gets fresh ones.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._limits = loop, {}
        if provider not in self._limits:
            rate = RateLimiter(self.rpm) if self.rpm else None
            self._limits[provider] = ProviderLimits(asyncio.Semaphore(self.concurrency), rate)
        return self._limits[provider]


@dataclass(frozen=True)
class RuntimeSettings:
    """One run's request settings; `Runtime.open` turns them into the run's runtime."""

    cache_dir: Path
    concurrency: int = 8
    rpm: float | None = None
    policy: RetryPolicy = DEFAULT_POLICY
    max_cost_usd: float | None = None
    dry_run: bool = False
    price: Price | None = None  # --price, for models without a listed price
    batch: bool = False  # --batch: requests that miss the cache go as Batch API jobs
    batch_settings: BatchSettings = DEFAULT_BATCH  # debounce, polling, job limits, fallback
