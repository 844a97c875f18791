"""The one place where provider calls are cached, limited, retried, timed out and costed."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import resolve_cache_dir
from ..models.types import ChatReply, ChatRequest, Usage
from .cache import CACHE_FILE, ResponseCache, request_key
from .cost import RequestEstimate, estimate_request, usage_cost
from .errors import Classified, classify
from .retry import DEFAULT_POLICY, RetryPolicy

if TYPE_CHECKING:
    from ..models.base import ModelOptions
    from ..models.chat import ProviderAdapter

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

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "unpriced_models": sorted(self.unpriced_models)}


@dataclass
class DryRunTally:
    """What a run would send: filled instead of calling the API under --dry-run."""

    requests: int = 0
    images: int = 0
    input_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, estimate: RequestEstimate) -> None:
        self.requests += 1
        self.images += estimate.n_images
        self.input_tokens += estimate.input_tokens
        self.cost_usd += estimate.cost_usd


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
    """Runs `adapter.complete` under a cache, per-provider limits, retries and a budget."""

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
    ):
        self.cache = cache
        self.concurrency = concurrency
        self.rpm = rpm
        self.policy = policy
        self.max_cost_usd = max_cost_usd
        self.stats = RuntimeStats()
        self.dry_run = DryRunTally() if dry_run else None
        self._rng = random.Random(jitter_seed)
        self._limits: dict[str, _ProviderLimits] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def call(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
        key = request_key(adapter.cache_identity(), request)
        if self.cache is not None and (hit := await self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            return hit
        if self.dry_run is not None:
            self.dry_run.add(estimate_request(adapter, request))
            return ChatReply("error", error="DryRun: request not sent")
        reply = await self._call_with_retries(adapter, request)
        if reply.status == "ok":
            if self.cache is not None:
                await self.cache.put(key, adapter.model_id, reply)
        else:
            self.stats.failures += 1
            log.warning("%s %s: %s", adapter.provider, adapter.model_id, reply.error)
        return reply

    async def _call_with_retries(self, adapter: ProviderAdapter, request: ChatRequest) -> ChatReply:
        limits = self._limits_for(adapter.provider)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.max_total_s
        attempt = 0
        while True:
            attempt += 1
            async with limits.semaphore:
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

    def _success(self, adapter: ProviderAdapter, text: str, usage: Usage) -> ChatReply:
        cost = usage_cost(adapter.provider, adapter.model_id, usage)
        if cost is None:
            self.stats.unpriced_models.add(adapter.model_id)
            cost = 0.0
        self.stats.input_tokens += usage.input_tokens
        self.stats.output_tokens += usage.output_tokens
        self.stats.cost_usd += cost
        return ChatReply("ok", text=text, usage=usage, cost_usd=cost)

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
    cache_dir: Path
    concurrency: int
    rpm: float | None
    policy: RetryPolicy
    max_cost_usd: float | None
    dry_run: bool = False

    @classmethod
    def from_options(cls, options: ModelOptions) -> RuntimeSettings:
        """ModelOptions fields, plus optional extra keys: max_cost (USD), timeout_s,
        max_attempts, max_retry_time_s."""
        extra = options.extra
        policy = RetryPolicy(
            max_attempts=int(extra.get("max_attempts", DEFAULT_POLICY.max_attempts)),
            max_total_s=float(extra.get("max_retry_time_s", DEFAULT_POLICY.max_total_s)),
            timeout_s=float(extra.get("timeout_s", DEFAULT_POLICY.timeout_s)),
        )
        max_cost = extra.get("max_cost")
        return cls(resolve_cache_dir(options.cache_dir).resolve(),
                   options.concurrency, options.rpm, policy,
                   None if max_cost is None else float(max_cost), bool(extra.get("dry_run")))


_RUNTIMES: dict[RuntimeSettings, Runtime] = {}


def get_runtime(options: ModelOptions) -> Runtime:
    """The process's Runtime for these settings, so models of one run share limits and stats."""
    settings = RuntimeSettings.from_options(options)
    if settings not in _RUNTIMES:
        _RUNTIMES[settings] = Runtime(
            ResponseCache(settings.cache_dir / CACHE_FILE),
            concurrency=settings.concurrency,
            rpm=settings.rpm,
            policy=settings.policy,
            max_cost_usd=settings.max_cost_usd,
            dry_run=settings.dry_run,
        )
    return _RUNTIMES[settings]
