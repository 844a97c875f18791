"""`eval --dry-run`: frames prepared and every request built, none sent; what the run would
send and cost."""

from __future__ import annotations

import dataclasses
from typing import Any

from vdbench.llm.accounting import DryRunTally
from vdbench.llm.cost import BATCH_DISCOUNT
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.passes import plan_passes
from vdbench.pipeline.predict import predict_all
from vdbench.pipeline.prepare import bind_tasks, load, probe
from vdbench.pipeline.session import build_model, run_session


async def dry_run_async(cfg: EvalConfig) -> dict[str, Any]:
    bench = load(cfg, check_videos=True)
    spec = cfg.spec
    with run_session(cfg) as ctx:
        model = build_model(cfg, ctx)
        probe(bench, cfg, model)
        tasks = bind_tasks(cfg, model, bench.samples)
        try:
            for p in plan_passes(cfg, bench.samples):  # epochs: each with its seed's model
                pass_model = model
                if p.seed != cfg.seed:
                    pass_model = build_model(cfg, dataclasses.replace(ctx, seed=p.seed))
                    pass_model.bind(bench.samples, tasks)
                await predict_all(p.samples, pass_model, cfg, tasks.chosen, bench.video_root)
        finally:
            await model.aclose()
        if spec.judged(cfg.task) and model.matched_by_itself() is None:
            for p in plan_passes(cfg, bench.samples):  # each pass is judged
                await spec.estimate_judge(p.samples, cfg.judge, ctx)
        tally, stats = ctx.runtime.dry_run, ctx.runtime.stats
    return {"model": cfg.model, "benchmark": cfg.benchmark, "data": bench.source,
            "revision": bench.revision, "mode": cfg.task, "protocol": cfg.protocol.name,
            "judge": cfg.judge, "samples": len(bench.samples),
            "requests_to_send": tally.requests if tally else 0,
            "cached": stats.cache_hits,
            "images": tally.images if tally else 0,
            "estimated_input_tokens": tally.input_tokens if tally else 0,
            "largest_request_input_tokens": tally.largest_request_tokens if tally else 0,
            "estimated_cost_usd": _estimated_cost(tally),
            **_pricing(tally),
            "stages": tally.stages if tally else {},
            "largest_by_model": tally.largest_by_model if tally else {}}


def _estimated_cost(tally: DryRunTally | None, live: bool = False) -> float | str:
    if tally is None:
        return 0.0
    if tally.unpriced_models:
        return (f"unknown: no price for {', '.join(sorted(tally.unpriced_models))} "
                "(give --price INPUT_PER_M,OUTPUT_PER_M)")
    return round(tally.live_cost_usd if live else tally.cost_usd, 4)


def _pricing(tally: DryRunTally | None) -> dict[str, Any]:
    """Dry-run lines on how the estimate is priced: live or batch, and thinking left out."""
    if tally is None:
        return {}
    out: dict[str, Any] = {}
    if tally.batch_requests:
        share = ("" if tally.batch_requests == tally.requests
                 else f"; {tally.requests - tally.batch_requests} requests go live")
        out["pricing"] = (f"batch (Batch API jobs, billed at {BATCH_DISCOUNT:.0%} of the live "
                          f"price{share})")
        out["estimated_cost_usd_live"] = _estimated_cost(tally, live=True)
    else:
        out["pricing"] = "live"
    if tally.thinking_requests:
        models = ", ".join(sorted(tally.thinking_requests))
        usd = tally.thinking_usd_per_1k
        amount = f"${usd:,.2f}" if usd >= 1 else f"${usd:.4f}"
        out["thinking"] = (f"not included: {models} bills its thinking tokens as output, and "
                           f"how long it thinks is not known beforehand; each 1,000 thinking "
                           f"tokens a request adds {amount} to the run")
    return out
