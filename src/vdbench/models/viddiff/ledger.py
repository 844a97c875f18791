"""Per-stage accounting of the method's LLM/VLM calls, all made through the shared Runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from vdbench.llm.accounting import DRY_RUN_STAGE
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatRequest
from vdbench.models.chat import ProviderAdapter

# Every stage, in the order a sample goes through them. "refiner": the proposer's second look
# at its retrieval strings (refine_retrieval); "matcher": open_protocol=paper's matching of
# the proposals to the annotated differences, with the judge's matching model.
STAGES = ("proposer", "refiner", "matcher", "localizer", "differencer")
CORE_STAGES = ("proposer", "localizer", "differencer")  # in every configuration
Ask = Callable[[ChatRequest], Awaitable[str]]


class StageFailed(Exception):
    """A call failed after the runtime's retries."""

    def __init__(self, stage: str, error: str | None):
        super().__init__(f"{stage}: {error or 'call failed'}")
        self.stage = stage


@dataclass
class StageTally:
    calls: int = 0  # calls made, cache hits included
    cached: int = 0
    failed: int = 0
    cost_usd: float = 0.0  # of the replies used, cached ones included (as ChatModel counts)

    def add(self, other: StageTally) -> None:
        self.calls += other.calls
        self.cached += other.cached
        self.failed += other.failed
        self.cost_usd += other.cost_usd


class Ledger:
    def __init__(self, runtime: Runtime, stages: tuple[str, ...] = CORE_STAGES):
        """`stages`: those the configuration uses (each tallied and reported, even at 0)."""
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stage(s) {sorted(unknown)}")
        self.runtime = runtime
        self.tallies: dict[str, StageTally] = {s: StageTally() for s in STAGES if s in stages}

    def asker(self, stage: str, adapter: ProviderAdapter) -> Ask:
        if stage not in self.tallies:
            raise ValueError(f"stage {stage!r} is not one of this ledger's {list(self.tallies)}")

        async def ask(request: ChatRequest) -> str:
            token = DRY_RUN_STAGE.set(stage)  # a dry run counts the request under its stage
            try:
                reply = await self.runtime.call(adapter, request)
            finally:
                DRY_RUN_STAGE.reset(token)
            if reply.status != "ok" and self.runtime.dry_run is not None:
                # Nothing is sent in a dry run: go on with an empty reply, so that the later
                # stages' requests are still built and counted.
                return ""
            tally = self.tallies[stage]
            tally.calls += 1
            tally.cached += int(reply.cached)
            tally.cost_usd += reply.cost_usd
            if reply.status != "ok" or reply.text is None:
                tally.failed += 1
                raise StageFailed(stage, reply.error)
            return reply.text

        return ask

    def merge(self, other: Ledger) -> None:
        for stage, tally in other.tallies.items():
            self.tallies.setdefault(stage, StageTally()).add(tally)

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.tallies.values())

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.tallies.values())

    @property
    def cached(self) -> int:
        return sum(t.cached for t in self.tallies.values())

    def cost_by_stage(self) -> dict[str, float]:
        return {s: round(t.cost_usd, 8) for s, t in self.tallies.items()}

    def to_json(self) -> dict[str, dict]:
        return {s: {**asdict(t), "cost_usd": round(t.cost_usd, 8)}
                for s, t in self.tallies.items()}
