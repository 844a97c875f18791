"""`eval` and `score` end to end: load, predict (in both video orders under --swap), score,
and write the run folder: predictions.json, outputs.jsonl, samples.jsonl, results.json."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import statistics
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from vdbench.core.environment import environment
from vdbench.core.io import writable_folder, write_json_atomic, write_jsonl_atomic
from vdbench.core.results import Results
from vdbench.core.runinfo import RunInfo
from vdbench.core.types import SampleOutput
from vdbench.core.version import __version__
from vdbench.data.loader import Benchmark, load_benchmark
from vdbench.data.predictions import Predictions, load_predictions, predictions_to_json
from vdbench.data.schema import Sample
from vdbench.llm.accounting import DryRunTally
from vdbench.llm.cost import BATCH_DISCOUNT
from vdbench.models.base import Model
from vdbench.pipeline.config import EvalConfig, default_out_dir
from vdbench.pipeline.fit import check_context
from vdbench.pipeline.predict import Observer, predict_all
from vdbench.pipeline.runfolder import claim_run_folder, no_old_run
from vdbench.pipeline.score import (
    Scored,
    as_predictions,
    epoch_mean,
    score_predictions,
    swap_summary,
)
from vdbench.pipeline.session import build_model, run_session

T = TypeVar("T")
METADATA_TEMPLATE = "metadata.template.json"


def _load(cfg: EvalConfig, check_videos: bool) -> Benchmark:
    return load_benchmark(cfg.data, cfg.selection, video_root=cfg.video_root,
                          cache_dir=cfg.cache_dir, skip_missing=cfg.skip_missing,
                          check_videos=check_videos, revision=cfg.data_revision)


def _probe(bench: Benchmark, cfg: EvalConfig, model: Model) -> None:
    """Every video a frame-reading model will open is probed first: a bad one stops the run
    with one list (exit 2), or with --skip-missing its sample is skipped and recorded."""
    if not model.needs_frames:
        return
    from vdbench.frames.probe import verify_videos

    kept, problems = verify_videos(bench.samples, bench.video_root, skip=cfg.skip_missing)
    bench.samples = kept
    bench.skipped_bad = [p.to_json() for p in problems]


@dataclass(frozen=True)
class Pass:
    """One pass of the model over the samples: as given, with the videos swapped (--swap), or
    again with the next seed (--epochs)."""

    samples: list[Sample]
    seed: int
    suffix: str  # of the files this pass writes beside the main ones


def _passes(cfg: EvalConfig, samples: list[Sample]) -> list[Pass]:
    passes = [Pass(samples, cfg.seed, "")]
    if cfg.swap:
        passes.append(Pass([s.swapped() for s in samples], cfg.seed, "_swapped"))
    passes += [Pass(samples, cfg.seed + e, f"_epoch{e}") for e in range(1, cfg.epochs)]
    return passes


def epoch_summary(metric: str, passes: list[Pass], scored: list[Scored]) -> dict[str, Any]:
    """The headline metric of each epoch (each a draw with its own seed), their mean and
    standard deviation."""
    values = [s.results["metrics"][metric] for p, s in zip(passes, scored)
              if p.suffix != "_swapped"]
    seeds = [p.seed for p in passes if p.suffix != "_swapped"]
    known = [v for v in values if v is not None]
    mean = sum(known) / len(known) if known else None
    sd = (statistics.stdev(known) if len(known) > 1 else 0.0) if known else None
    return {"metric": metric, "n": len(values), "seeds": seeds, "values": values,
            "mean": mean, "sd": sd}


def _statuses(outputs: list[SampleOutput]) -> dict[str, str]:
    return {o.sample_key: o.status for o in outputs}


def _cost_by_stage(outputs: list[SampleOutput]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for o in outputs:
        for stage, cost in o.cost_by_stage.items():
            totals[stage] = round(totals.get(stage, 0.0) + cost, 6)
    return totals


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


def provenance(bench: Benchmark, cfg: EvalConfig, extra: dict | None = None) -> dict:
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


def describe_run(out: Path, bench: Benchmark, cfg: EvalConfig, results: Results) -> None:
    """run.json (what score, validate and submit of these predictions need) and a metadata
    template for `submit` (fill in authors and link, save as predictions.meta.json)."""
    judge = cfg.judge if cfg.mode == "open" and results.judge else None  # the spec
    RunInfo(mode=cfg.mode, data=cfg.data, data_revision=bench.revision,
            split=cfg.selection.split, protocol=cfg.protocol.name, model=cfg.model,
            selection={k: v for k, v in vars(cfg.selection).items()
                       if v is not None and k != "split"}, judge=judge).write(out)
    snapshot = results.provenance.get("model", {}).get("model")
    write_json_atomic(out / METADATA_TEMPLATE, {
        "method": cfg.model, "authors": "", "mode": cfg.mode,
        "date": dt.date.today().isoformat(), "link": None,
        "model_snapshot": snapshot if isinstance(snapshot, str) else None,
        "notes": f"vdbench eval, protocol {cfg.protocol.name}, seed {cfg.seed}"})


def write_outputs(out: Path, scored: Scored, preds: Predictions | None = None,
                  outputs: list[SampleOutput] | None = None, suffix: str = "",
                  results: Results | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if preds is not None:
        write_json_atomic(out / f"predictions{suffix}.json", predictions_to_json(preds))
    if outputs is not None:
        write_jsonl_atomic(out / f"outputs{suffix}.jsonl", [
            {"sample_key": o.sample_key, "status": o.status, "error": o.error, "notes": o.notes,
             "raw": o.raw, "cost_usd": o.cost_usd, "cost_by_stage": o.cost_by_stage,
             "n_requests": o.n_requests, "n_cached": o.n_cached}
            for o in outputs
        ])
    if scored.judge_log is not None:
        write_jsonl_atomic(out / f"judge{suffix}.jsonl", scored.judge_log)
    write_jsonl_atomic(out / f"samples{suffix}.jsonl", scored.rows)
    if results is not None:
        write_json_atomic(out / "results.json", results.to_json())


async def dry_run_async(cfg: EvalConfig) -> dict[str, Any]:
    """Prepare frames and build every request without sending any: counts and estimated cost."""
    bench = _load(cfg, check_videos=True)
    with run_session(cfg) as ctx:
        model = build_model(cfg, ctx)
        _probe(bench, cfg, model)
        model.bind(bench.samples, cfg.mode)
        try:
            for p in _passes(cfg, bench.samples):  # epochs: each with its seed's model
                pass_model = model if p.seed == cfg.seed else build_model(
                    cfg, dataclasses.replace(ctx, seed=p.seed))
                await predict_all(p.samples, pass_model, cfg, bench.video_root)
        finally:
            await model.aclose()
        if cfg.mode == "open" and model.matched_by_itself() is None:
            from vdbench.pipeline.judge_estimate import estimate_judge

            for p in _passes(cfg, bench.samples):  # each pass is judged
                await estimate_judge(p.samples, cfg.judge, ctx)
        tally, stats = ctx.runtime.dry_run, ctx.runtime.stats
    return {"model": cfg.model, "data": bench.source, "revision": bench.revision,
            "mode": cfg.mode, "protocol": cfg.protocol.name, "judge": cfg.judge,
            "samples": len(bench.samples),
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


async def run_eval_async(cfg: EvalConfig, observer: Observer | None = None
                         ) -> tuple[Results, Path]:
    if cfg.out is None:  # a fresh folder, made when the run is written: nobody else's
        return await _run_eval(cfg, observer, no_old_run)
    writable_folder(cfg.out, "output folder (--out)", create=False)  # refused before the run
    with claim_run_folder(cfg.out, overwrite=cfg.overwrite) as clear:
        return await _run_eval(cfg, observer, clear)


async def _run_eval(cfg: EvalConfig, observer: Observer | None,
                    clear: Callable[[], None]) -> tuple[Results, Path]:
    bench = _load(cfg, check_videos=True)
    with run_session(cfg) as ctx:
        if observer is not None:
            ctx.runtime.add_batch_observer(observer.batch)
        model = build_model(cfg, ctx)
        _probe(bench, cfg, model)
        passes = _passes(cfg, bench.samples)
        # each epoch draws with its own seed, so its model is built with that seed
        models = {cfg.seed: model} | {
            p.seed: build_model(cfg, dataclasses.replace(ctx, seed=p.seed))
            for p in passes if p.seed != cfg.seed}
        judge = None
        matched_by = model.matched_by_itself() if cfg.mode == "open" else None
        if cfg.mode == "open" and matched_by is None:  # an unusable judge stops the run early
            from vdbench.scoring.judge.select import get_judge

            judge = get_judge(cfg.judge, ctx)
        try:
            for m in models.values():
                m.bind(bench.samples, cfg.mode)
            await model.preflight()
            check_context(bench, cfg, model)
            if judge is not None:
                await judge.preflight()
            runs = [await predict_all(p.samples, models[p.seed], cfg, bench.video_root,
                                      observer) for p in passes]
        finally:
            for m in models.values():
                await m.aclose()
        try:
            scored_runs = [await score_predictions(p.samples, as_predictions(outs), cfg,
                                                   _statuses(outs), judge,
                                                   matched_by=matched_by)
                           for p, outs in zip(passes, runs)]
        finally:
            if judge is not None:
                await judge.aclose()
        batch_stats = (ctx.runtime.stats.batch_requests, ctx.runtime.stats.batch_jobs)
    outputs, scored = runs[0], scored_runs[0]
    preds = as_predictions(outputs)
    all_outputs = [o for outs in runs for o in outs]
    extra: dict[str, Any] = {"model": model.provenance()}
    if model.needs_frames:
        extra["frame_sampling"] = model.frames_for(cfg.frames).to_dict()
    stage_costs = _cost_by_stage(all_outputs)
    complete, failed = failures(cfg, len(bench.samples), all_outputs, scored_runs)
    results = Results(
        model=cfg.model, mode=cfg.mode, split=cfg.selection.split, **scored.results,
        cost_usd=round(sum(o.cost_usd for o in all_outputs), 6),
        cost_by_stage=stage_costs or None,
        requests={"sent": sum(o.n_requests - o.n_cached for o in all_outputs),
                  "cached": sum(o.n_cached for o in all_outputs),
                  "batched": batch_stats[0], "batch_jobs": batch_stats[1]},
        provenance=provenance(bench, cfg, extra), complete=complete, failures=failed,
        strict_answers=_strict_answers(cfg, outputs),
    )
    out = cfg.out or default_out_dir(cfg)
    clear()
    for p, outs, sc in list(zip(passes, runs, scored_runs))[1:]:
        if p.suffix == "_swapped":
            results.swap = swap_summary(cfg, scored, sc, preds, as_predictions(outs),
                                        bench.samples)
        write_outputs(out, sc, as_predictions(outs), outs, suffix=p.suffix)
    if cfg.epochs > 1:  # the headline and every block: the mean over the epochs
        results.epochs = epoch_summary(results.headline_metric, passes, scored_runs)
        epoch_runs = [sc for p, sc in zip(passes, scored_runs) if p.suffix != "_swapped"]
        for key, value in epoch_mean(bench.samples, cfg.mode, epoch_runs).items():
            setattr(results, key, value)
    write_outputs(out, scored, preds, outputs, results=results)
    describe_run(out, bench, cfg, results)
    return results, out


def _strict_answers(cfg: EvalConfig, outputs: list[SampleOutput]) -> dict[str, int] | None:
    """Under strict answers, what strictness did: the answers a tolerant reading would have
    read otherwise, and in how many samples."""
    if cfg.protocol.asking.answers != "strict":
        return None
    return {"tolerant_changes": sum(o.tolerant_changes for o in outputs),
            "samples_changed": sum(o.tolerant_changes > 0 for o in outputs)}


async def score_file_async(path: Path, cfg: EvalConfig) -> tuple[Results, Path]:
    out = cfg.out or path.parent / f"{path.stem}_scored"  # never overwrite a run's results
    writable_folder(out, "output folder (--out)", create=False)
    if cfg.out_held:
        return await _score_file(path, cfg, out, no_old_run)
    with claim_run_folder(out, overwrite=cfg.overwrite, keep=path) as clear:
        return await _score_file(path, cfg, out, clear)


async def _score_file(path: Path, cfg: EvalConfig, out: Path,
                      clear: Callable[[], None]) -> tuple[Results, Path]:
    bench = _load(cfg, check_videos=False)
    loaded = load_predictions(path, bench.samples, cfg.mode)

    if cfg.mode == "closed":
        scored = await score_predictions(bench.samples, loaded.predictions, cfg)
    else:
        with run_session(cfg) as ctx:
            scored = await score_predictions(bench.samples, loaded.predictions, cfg, ctx=ctx)
    complete, failed = failures(cfg, len(bench.samples), [], [scored])
    results = Results(
        model=path.name, mode=cfg.mode, split=cfg.selection.split, **scored.results,
        prediction_format=loaded.format, missing_samples=loaded.missing_samples,
        provenance=provenance(bench, cfg, {"predictions_file": str(path)}),
        complete=complete, failures=failed,
    )
    clear()
    write_outputs(out, scored, results=results)
    return results, out


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from synchronous code, also from inside a running event loop
    (a Jupyter cell), where it runs on a worker thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vdbench") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


def run_eval(cfg: EvalConfig, observer: Observer | None = None) -> tuple[Results, Path]:
    return run_sync(lambda: run_eval_async(cfg, observer))


def score_file(path: Path, cfg: EvalConfig) -> tuple[Results, Path]:
    return run_sync(lambda: score_file_async(path, cfg))


def dry_run(cfg: EvalConfig) -> dict[str, Any]:
    return run_sync(lambda: dry_run_async(cfg))
