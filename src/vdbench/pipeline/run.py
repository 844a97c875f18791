"""`eval` and `score` end to end: prepare (load, probe, bind), predict each pass (as given,
swapped under --swap, each epoch), score through the benchmark's spec, account, and write the
run folder (pipeline.write; its layout: core.runfiles)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vdbench.core.io import writable_folder
from vdbench.core.results import Results
from vdbench.core.types import SampleOutput
from vdbench.pipeline import account
from vdbench.pipeline.config import EvalConfig, default_out_dir
from vdbench.pipeline.dryrun import dry_run_async
from vdbench.pipeline.fit import check_context
from vdbench.pipeline.passes import epoch_summary, plan_passes
from vdbench.pipeline.predict import Observer, predict_all
from vdbench.pipeline.prepare import bind_tasks, load, probe
from vdbench.pipeline.runfolder import claim_run_folder, no_old_run
from vdbench.pipeline.session import build_model, run_session
from vdbench.pipeline.sync import run_sync
from vdbench.pipeline.write import describe_run, write_outputs

__all__ = ["dry_run", "run_eval", "run_eval_async", "run_sync", "score_file",
           "score_file_async"]


async def run_eval_async(cfg: EvalConfig, observer: Observer | None = None
                         ) -> tuple[Results, Path]:
    if cfg.out is None:  # a fresh folder, made when the run is written: nobody else's
        return await _run_eval(cfg, observer, no_old_run)
    writable_folder(cfg.out, "output folder (--out)", create=False)  # refused before the run
    with claim_run_folder(cfg.out, overwrite=cfg.overwrite) as clear:
        return await _run_eval(cfg, observer, clear)


async def _run_eval(cfg: EvalConfig, observer: Observer | None,
                    clear: Callable[[], None]) -> tuple[Results, Path]:
    spec, settings = cfg.spec, cfg.scoring_settings()
    bench = load(cfg, check_videos=True)
    with run_session(cfg) as ctx:
        if observer is not None:
            ctx.runtime.add_batch_observer(observer.batch)
        model = build_model(cfg, ctx)
        probe(bench, cfg, model)
        passes = plan_passes(cfg, bench.samples)
        # each epoch draws with its own seed, so its model is built with that seed
        models = {cfg.seed: model} | {
            p.seed: build_model(cfg, dataclasses.replace(ctx, seed=p.seed))
            for p in passes if p.seed != cfg.seed}
        judged = spec.judged(cfg.task)
        matched_by = model.matched_by_itself() if judged else None
        # an unusable judge stops the run before the first call
        judge = spec.make_judge(cfg.judge, ctx) if judged and matched_by is None else None
        try:
            for m in models.values():
                tasks = bind_tasks(cfg, m, bench.samples)
            await model.preflight()
            check_context(bench, cfg, model, tasks.chosen)
            if judge is not None:
                await judge.preflight()
            runs = [await predict_all(p.samples, models[p.seed], cfg, tasks.chosen,
                                      bench.video_root, observer) for p in passes]
        finally:
            for m in models.values():
                await m.aclose()
        try:
            scored_runs = [await spec.score(p.samples, spec.as_predictions(outs), settings,
                                            statuses=account.statuses(outs), judge=judge,
                                            matched_by=matched_by)
                           for p, outs in zip(passes, runs)]
        finally:
            if judge is not None:
                await judge.aclose()
        batch_stats = (ctx.runtime.stats.batch_requests, ctx.runtime.stats.batch_jobs)
    outputs, scored = runs[0], scored_runs[0]
    all_outputs = [o for outs in runs for o in outs]
    extra: dict[str, Any] = {"model": model.provenance()}
    if model.needs_frames:
        extra["frame_sampling"] = model.frames_for(cfg.frames).to_dict(spec.frame_domains)
    complete, failed = account.failures(cfg, len(bench.samples), all_outputs, scored_runs)
    results = _results(cfg, scored.results, provenance=account.provenance(bench, cfg, extra),
                       complete=complete, failures=failed,
                       cost_usd=round(sum(o.cost_usd for o in all_outputs), 6),
                       cost_by_stage=account.cost_by_stage(all_outputs) or None,
                       requests=account.requests(all_outputs, *batch_stats),
                       strict_answers=account.strict_answers(cfg, outputs))
    out = cfg.out or default_out_dir(cfg)
    clear()
    preds = spec.as_predictions(outputs)
    for p, outs, sc in list(zip(passes, runs, scored_runs))[1:]:
        if p.swapped:
            results.swap = spec.swap_summary(cfg.task, scored, sc, preds,
                                             spec.as_predictions(outs), bench.samples)
        write_outputs(out, sc, _canonical(cfg, outs), outs, suffix=p.suffix)
    if cfg.epochs > 1:  # the headline and every block: the mean over the epochs
        results.epochs = epoch_summary(results.headline_metric, passes, scored_runs)
        epoch_runs = [sc for p, sc in zip(passes, scored_runs) if not p.swapped]
        for key, value in spec.epoch_mean(bench.samples, cfg.task, epoch_runs).items():
            setattr(results, key, value)
    write_outputs(out, scored, _canonical(cfg, outputs), outputs, results=results)
    describe_run(out, bench, cfg, results)
    return results, out


def _canonical(cfg: EvalConfig, outputs: list[SampleOutput]) -> dict[str, Any]:
    return cfg.spec.predictions_to_json(cfg.spec.as_predictions(outputs))


def _results(cfg: EvalConfig, scored: dict[str, Any], **fields: Any) -> Results:
    """results.json of a run or a scoring: the scorer's blocks, the benchmark and headline."""
    return Results(model=fields.pop("model", cfg.model), mode=cfg.task,
                   split=cfg.selection.split, benchmark=cfg.benchmark,
                   metric=cfg.spec.headline[cfg.task], **scored, **fields)


async def score_file_async(path: Path, cfg: EvalConfig) -> tuple[Results, Path]:
    out = cfg.out or path.parent / f"{path.stem}_scored"  # never overwrite a run's results
    writable_folder(out, "output folder (--out)", create=False)
    if cfg.out_held:
        return await _score_file(path, cfg, out, no_old_run)
    with claim_run_folder(out, overwrite=cfg.overwrite, keep=path) as clear:
        return await _score_file(path, cfg, out, clear)


async def _score_file(path: Path, cfg: EvalConfig, out: Path,
                      clear: Callable[[], None]) -> tuple[Results, Path]:
    spec, settings = cfg.spec, cfg.scoring_settings()
    bench = load(cfg, check_videos=False)
    loaded = spec.load_predictions(path, bench.samples, cfg.task)
    if spec.judged(cfg.task):
        with run_session(cfg) as ctx:
            scored = await spec.score(bench.samples, loaded.predictions, settings, ctx=ctx)
    else:
        scored = await spec.score(bench.samples, loaded.predictions, settings)
    complete, failed = account.failures(cfg, len(bench.samples), [], [scored])
    results = _results(cfg, scored.results, model=path.name,
                       prediction_format=loaded.format,
                       missing_samples=loaded.missing_samples,
                       provenance=account.provenance(bench, cfg,
                                                     {"predictions_file": str(path)}),
                       complete=complete, failures=failed)
    clear()
    write_outputs(out, scored, results=results)
    return results, out


def run_eval(cfg: EvalConfig, observer: Observer | None = None) -> tuple[Results, Path]:
    return run_sync(lambda: run_eval_async(cfg, observer))


def score_file(path: Path, cfg: EvalConfig) -> tuple[Results, Path]:
    return run_sync(lambda: score_file_async(path, cfg))


def dry_run(cfg: EvalConfig) -> dict[str, Any]:
    return run_sync(lambda: dry_run_async(cfg))
