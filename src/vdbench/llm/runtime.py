"""The one place where provider calls are cached, limited, retried, timed out and costed."""

from __future__ import annotations

import asyncio
import logging
import random
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vdbench.core.errors import InputError, RunFailure
from vdbench.llm.batch.collector import BatchCollector
from vdbench.llm.batch.store import JobStore
from vdbench.llm.batch.types import (
    DEFAULT_BATCH,
    Answered,
    BatchEvent,
    BatchObserver,
    BatchSettings,
    LineError,
)
from vdbench.llm.cache import CACHE_FILE, ResponseCache, request_key
from vdbench.llm.cost import (
    BATCH_DISCOUNT,
    THINKING_MODELS,
    Price,
    RequestEstimate,
    estimate_request,
    price_of,
    usage_cost,
)
from vdbench.llm.errors import Classified, classify, run_stopper, scrub
from vdbench.llm.retry import DEFAULT_POLICY, RetryPolicy
from vdbench.llm.types import ChatReply, ChatRequest, Usage

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

log = logging.getLogger("vdbench.runtime")


@dataclass
class RuntimeStats:
    """Counters for a progress bar and results.json. Costs are what this process spent."""

    requests: int = 0  # attempts sent to an API, retries included
    cache_hits: int = 0
    failures: int = 0  # calls answered with an error reply
    retries: int = 0
    budget_refusals: int = 0  # calls not sent because max_cost was reached
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_models: set[str] = field(default_factory=set)  # their calls were costed at 0
    # --batch: jobs this process submitted and the requests in them (also in `requests`),
    # jobs of an earlier (killed) run it resumed, and jobs that ended expired, cancelled or
    # failed (their unanswered requests went live, or got an error reply).
    batch_jobs: int = 0
    batch_requests: int = 0
    batch_resumed_jobs: int = 0
    batch_lost_jobs: int = 0

    def count_batch_event(self, event: BatchEvent) -> None:
        if event.kind == "submitted":
            self.batch_jobs += 1
            self.batch_requests += event.total
            self.requests += event.total
        elif event.kind == "resumed":
            self.batch_resumed_jobs += 1
        elif event.kind in ("expired", "cancelled", "failed"):
            self.batch_lost_jobs += 1

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "unpriced_models": sorted(self.unpriced_models)}


# What a dry run counts a request under: "model" unless the caller names its stage (the
# VidDiff method's proposer, localizer, ...; "judge" for the judge's estimate).
DRY_RUN_STAGE: ContextVar[str] = ContextVar("vdbench_dry_run_stage", default="model")


@dataclass
class StageTally:
    """One stage's share of a dry run."""

    requests: int = 0
    images: int = 0
    input_tokens: int = 0
    cost_usd: float = 0.0  # of its priced requests
    models: set[str] = field(default_factory=set)
    unpriced: bool = False


@dataclass
class DryRunTally:
    """What a run would send: filled instead of calling the API under --dry-run."""

    requests: int = 0
    images: int = 0
    input_tokens: int = 0
    cost_usd: float = 0.0  # of the priced requests
    unpriced_models: set[str] = field(default_factory=set)  # their cost is unknown
    largest_request_tokens: int = 0  # input tokens of the largest request (context windows)
    # --batch: requests priced as Batch API requests (BATCH_DISCOUNT), and what all the priced
    # requests would cost live
    batch_requests: int = 0
    live_cost_usd: float = 0.0
    # models whose thinking is billed as output and not in the estimate (THINKING_MODELS):
    # their requests, and the USD that each 1,000 thinking tokens a request would add
    thinking_requests: dict[str, int] = field(default_factory=dict)
    thinking_usd_per_1k: float = 0.0
    stages: dict[str, StageTally] = field(default_factory=dict)  # by DRY_RUN_STAGE
    # per model: (input tokens, answer budget) of its largest request (context windows)
    largest_by_model: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, estimate: RequestEstimate, model_id: str, *, batch: bool = False,
            live_cost_usd: float | None = None, thinking_usd_per_1k: float | None = None,
            answer_tokens: int = 0) -> None:
        stage = self.stages.setdefault(DRY_RUN_STAGE.get(), StageTally())
        stage.requests += 1
        stage.images += estimate.n_images
        stage.input_tokens += estimate.input_tokens
        stage.models.add(model_id)
        stage.cost_usd += estimate.cost_usd or 0.0
        stage.unpriced |= estimate.cost_usd is None
        if estimate.input_tokens >= self.largest_by_model.get(model_id, (-1, 0))[0]:
            self.largest_by_model[model_id] = (estimate.input_tokens, answer_tokens)
        self.requests += 1
        self.images += estimate.n_images
        self.input_tokens += estimate.input_tokens
        self.largest_request_tokens = max(self.largest_request_tokens, estimate.input_tokens)
        self.batch_requests += batch
        if estimate.cost_usd is None:
            self.unpriced_models.add(model_id)
        else:
            self.cost_usd += estimate.cost_usd
            self.live_cost_usd += estimate.cost_usd if live_cost_usd is None else live_cost_usd
        if thinking_usd_per_1k is not None:
            self.thinking_requests[model_id] = self.thinking_requests.get(model_id, 0) + 1
            self.thinking_usd_per_1k += thinking_usd_per_1k


class RateLimiter:
    """Spaces request starts at least 60/rpm seconds apart."""

    def __init__(self, rpm: float):
        self.interval_s = 60.0 / rpm
        self._next_start = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_start)
        self._next_start = start + self.interval_s
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class _ProviderLimits:
    semaphore: asyncio.Semaphore
    rate: RateLimiter | None


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
        self._limits: dict[str, _ProviderLimits] = {}
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
        if adapter.model_id in THINKING_MODELS:
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
        if self.max_cost_usd is not None and self.stats.cost_usd >= self.max_cost_usd:
            self.stats.budget_refusals += 1
            return ChatReply("error", error=(
                f"BudgetExceeded: ${self.stats.cost_usd:.4f} spent, max_cost is "
                f"${self.max_cost_usd:.4f}; request not sent"))
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
                self.stats.failures += 1
                raise self._stop(RunFailure(f"{adapter.provider} {adapter.model_id}: {reason} "
                                            f"({failure.summary}); "
                                            f"{adapter.what_to_fix(reason)}"))
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
                if self.max_cost_usd is not None and self.stats.cost_usd >= self.max_cost_usd:
                    self.stats.budget_refusals += 1
                    return ChatReply("error", error=(
                        f"BudgetExceeded: ${self.stats.cost_usd:.4f} spent, max_cost is "
                        f"${self.max_cost_usd:.4f}; request not sent"))
                self.stats.requests += 1
                try:
                    text, usage = await asyncio.wait_for(
                        adapter.complete(request), self.policy.timeout_s)
                except TimeoutError:
                    failure = classify(TimeoutError(f"no reply within {self.policy.timeout_s:g} s"))
                except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
                    failure = classify(exc)
                    if (reason := run_stopper(exc)) is not None:
                        self.stats.failures += 1
                        raise self._stop(RunFailure(
                            f"{adapter.provider} {adapter.model_id}: {reason} "
                            f"({failure.summary}); {adapter.what_to_fix(reason)}")) from None
                else:
                    return self._success(adapter, text, usage)
            delay = self.policy.delay_s(attempt, failure.retry_after, self._rng)
            if not self._should_retry(failure, attempt, loop.time() + delay, deadline):
                return ChatReply("error", error=f"{failure.summary} (attempts: {attempt})")
            self.stats.retries += 1
            log.info("retrying %s in %.1f s after %s", adapter.model_id, delay, failure.summary)
            await asyncio.sleep(delay)

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

    def _limits_for(self, provider: str) -> _ProviderLimits:
        # asyncio primitives belong to one event loop; a new asyncio.run gets fresh ones.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._limits = loop, {}
        if provider not in self._limits:
            rate = RateLimiter(self.rpm) if self.rpm else None
            self._limits[provider] = _ProviderLimits(asyncio.Semaphore(self.concurrency), rate)
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
