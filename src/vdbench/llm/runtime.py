"""The one place where provider calls are cached, budgeted and costed: a call is looked up in
the cache, checked against the budget, then dispatched (dispatch.py: batch or live, with
limits, retries and timeouts)."""

from __future__ import annotations

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
from vdbench.llm.dispatch import Dispatch
from vdbench.llm.errors import scrub
from vdbench.llm.retry import DEFAULT_POLICY, RetryPolicy
from vdbench.llm.types import ChatReply, ChatRequest, Usage

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

log = logging.getLogger("vdbench.runtime")


class Runtime:
    """Runs `adapter.complete` under a cache and a budget; `Dispatch` sends what misses.

    One run owns one Runtime: its counters, budget and cache connection start and end with
    the run (`Runtime.open(settings)` ... `close()`, or `with Runtime.open(...)`)."""

    @property
    def stopped(self) -> RunFailure | None:
        """The run-stopping failure, once one happened: no call is sent after it."""
        return self.dispatch.stopped

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
        rng = random.Random(jitter_seed)
        self.batcher: BatchCollector | None = None
        if batch is not None and not dry_run:
            store = JobStore.in_folder(cache.path.parent) if cache is not None else JobStore(None)
            self.batcher = BatchCollector(batch, store, cache, policy, self._batch_answer,
                                          rng=rng)
            self.batcher.observers.append(self.stats.count_batch_event)
        self.dispatch = Dispatch(policy=policy, concurrency=concurrency, rpm=rpm,
                                 stats=self.stats, rng=rng, over_budget=self._over_budget,
                                 charge=self._success, finish=self._finish,
                                 batcher=self.batcher)

    def add_batch_observer(self, observer: BatchObserver) -> None:
        """Be told of every batch job's progress (submitted, resumed, progress, ended,
        expired, cancelled, failed); nothing happens without --batch."""
        if self.batcher is not None:
            self.batcher.observers.append(observer)

    async def call(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
        """Cache lookup, then the budget, then the dispatch (dispatch.py: batch or live)."""
        key = request_key(adapter.cache_identity(), request)
        if self.cache is not None and (hit := await self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            return hit
        if self.dry_run is not None:  # counted, not sent
            self._tally(self.dry_run, adapter, request)
            return ChatReply("error", error="DryRun: request not sent")
        self._check_priced(adapter)
        return await self.dispatch.send(adapter, request, key)

    def _check_priced(self, adapter: ProviderAdapter) -> None:
        """--max-cost counts what the run spends, so every model it calls needs a price."""
        if (self.max_cost_usd is not None
                and price_of(adapter.provider, adapter.model_id, self.price) is None):
            raise InputError(f"--max-cost: {adapter.model_id} has no known price, so what "
                             "the run spends cannot be counted; give its price with --price "
                             "INPUT_PER_M,OUTPUT_PER_M (USD per million tokens)")

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

    def _batch_answer(self, adapter: ProviderAdapter, answer: Answered) -> ChatReply:
        return self._success(adapter, answer.text, answer.usage, True)

    def _over_budget(self) -> ChatReply | None:
        """The reply of a call not sent because --max-cost is spent; None while it is not."""
        if self.max_cost_usd is None or self.stats.cost_usd < self.max_cost_usd:
            return None
        self.stats.budget_refusals += 1
        return ChatReply("error", error=(
            f"BudgetExceeded: ${self.stats.cost_usd:.4f} spent, max_cost is "
            f"${self.max_cost_usd:.4f}; request not sent"))

    def _success(self, adapter: ProviderAdapter, text: str, usage: Usage,
                 batch: bool = False) -> ChatReply:
        """The reply of an answered call, costed and counted."""
        cost = usage_cost(adapter.provider, adapter.model_id, usage, self.price, batch=batch)
        if cost is None:
            self.stats.unpriced_models.add(adapter.model_id)
            cost = 0.0
        self.stats.input_tokens += usage.input_tokens
        self.stats.output_tokens += usage.output_tokens
        self.stats.cost_usd += cost
        # An endpoint may echo the request, key included: nothing stores a reply unscrubbed.
        return ChatReply("ok", text=scrub(text), usage=usage, cost_usd=cost)

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
