"""What a run records about itself: which samples failed (and whether it is complete), what it
cost, and where it came from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vdbench.core.environment import environment
from vdbench.core.types import SampleOutput
from vdbench.core.version import __version__
from vdbench.data.loaded import LoadedBenchmark
from vdbench.pipeline.config import EvalConfig
from vdbench.scoring.settings import Scored

FAILED = ("api_error", "frame_error", "missing", "judge_error")
N_ERRORS_SHOWN = 5


def failures(cfg: EvalConfig, n_samples: int, outputs: list[SampleOutput],
             scored: list[Scored]) -> tuple[bool, dict[str, Any]]:
    """Whether the run is complete, and which samples failed (the model's call or frames, or
    the judge) with the first errors. A failed sample is never silently scored."""
    failed: dict[str, tuple[str, str]] = {}
    for o in outputs:
        if o.status in FAILED:
            failed.setdefault(o.sample_key, (o.status, o.error or ""))
    for s in scored:
        for entry in s.judge_log or []:
            if entry.get("judge_error"):
                failed.setdefault(entry["sample_key"], ("judge_error", entry["judge_error"]))
    allowed = cfg.allowed_failures(n_samples)
    by_status: dict[str, int] = {}
    for status, _ in failed.values():
        by_status[status] = by_status.get(status, 0) + 1
    first = [{"sample_key": k, "status": st, "error": err}
             for k, (st, err) in list(failed.items())[:N_ERRORS_SHOWN]]
    return len(failed) <= allowed, {"failed_samples": len(failed), "allowed": allowed,
                                    "max_failures": cfg.max_failures,
                                    "by_status": by_status, "first_errors": first}


def statuses(outputs: list[SampleOutput]) -> dict[str, str]:
    return {o.sample_key: o.status for o in outputs}


def cost_by_stage(outputs: list[SampleOutput]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for o in outputs:
        for stage, cost in o.cost_by_stage.items():
            totals[stage] = round(totals.get(stage, 0.0) + cost, 6)
    return totals


def requests(outputs: list[SampleOutput], batched: int, batch_jobs: int) -> dict[str, int]:
    return {"sent": sum(o.n_requests - o.n_cached for o in outputs),
            "cached": sum(o.n_cached for o in outputs),
            "batched": batched, "batch_jobs": batch_jobs}


def strict_answers(cfg: EvalConfig, outputs: list[SampleOutput]) -> dict[str, int] | None:
    """Under strict answers, what strictness did: the answers a tolerant reading would have
    read otherwise, and in how many samples."""
    if cfg.protocol.asking.answers != "strict":
        return None
    return {"tolerant_changes": sum(o.tolerant_changes for o in outputs),
            "samples_changed": sum(o.tolerant_changes > 0 for o in outputs)}


def provenance(bench: LoadedBenchmark, cfg: EvalConfig, extra: dict | None = None) -> dict:
    env = environment()
    return {
        "vdbench_version": __version__,
        **bench.provenance(),
        "selection": {k: v for k, v in vars(cfg.selection).items() if v is not None},
        "seed": cfg.seed,
        "protocol": cfg.protocol.to_json(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": {k: v for k, v in env.items() if k != "vdbench_version"},
        **(extra or {}),
    }
