"""What a run's calls cost and did (RuntimeStats), and what a dry run would send
(DryRunTally)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

from vdbench.llm.batch.types import BatchEvent
from vdbench.llm.cost import RequestEstimate


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

    def add(self, estimate: RequestEstimate, model_id: str) -> None:
        self.requests += 1
        self.images += estimate.n_images
        self.input_tokens += estimate.input_tokens
        self.models.add(model_id)
        self.cost_usd += estimate.cost_usd or 0.0
        self.unpriced |= estimate.cost_usd is None


@dataclass
class DryRunTally:
    """What a run would send: filled instead of calling the API under --dry-run; its totals
    are its stages' sums."""

    unpriced_models: set[str] = field(default_factory=set)  # their cost is unknown
    largest_request_tokens: int = 0  # input tokens of the largest request (context windows)
    # --batch: requests priced as Batch API requests (BATCH_DISCOUNT), and what all the priced
    # requests would cost live
    batch_requests: int = 0
    live_cost_usd: float = 0.0
    # models whose thinking is billed as output and not in the estimate (cost.thinks):
    # their requests, and the USD that each 1,000 thinking tokens a request would add
    thinking_requests: dict[str, int] = field(default_factory=dict)
    thinking_usd_per_1k: float = 0.0
    stages: dict[str, StageTally] = field(default_factory=dict)  # by DRY_RUN_STAGE
    # per model: (input tokens, answer budget) of its largest request (context windows)
    largest_by_model: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, estimate: RequestEstimate, model_id: str, *, batch: bool = False,
            live_cost_usd: float | None = None, thinking_usd_per_1k: float | None = None,
            answer_tokens: int = 0) -> None:
        self.stages.setdefault(DRY_RUN_STAGE.get(), StageTally()).add(estimate, model_id)
        if estimate.input_tokens >= self.largest_by_model.get(model_id, (-1, 0))[0]:
            self.largest_by_model[model_id] = (estimate.input_tokens, answer_tokens)
        self.largest_request_tokens = max(self.largest_request_tokens, estimate.input_tokens)
        self.batch_requests += batch
        if estimate.cost_usd is None:
            self.unpriced_models.add(model_id)
        else:
            self.live_cost_usd += estimate.cost_usd if live_cost_usd is None else live_cost_usd
        if thinking_usd_per_1k is not None:
            self.thinking_requests[model_id] = self.thinking_requests.get(model_id, 0) + 1
            self.thinking_usd_per_1k += thinking_usd_per_1k

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.stages.values())

    @property
    def images(self) -> int:
        return sum(t.images for t in self.stages.values())

    @property
    def input_tokens(self) -> int:
        return sum(t.input_tokens for t in self.stages.values())

    @property
    def cost_usd(self) -> float:
        """Of the priced requests."""
        return sum(t.cost_usd for t in self.stages.values())
