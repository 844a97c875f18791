"""The eval pipeline: dataset -> frames -> model -> predictions.json -> scorer -> results.json."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import resolve_cache_dir
from .data.loader import Benchmark, Selection, load_benchmark
from .data.schema import Sample
from .errors import InputError
from .frames.spec import FrameSpec
from .io import write_json_atomic, write_jsonl_atomic
from .models.base import EvalItem, Mode, Model, ModelOptions, SampleOutput, get_model
from .predictions import Predictions, load_predictions, predictions_to_json
from .runtime import summarize
from .scoring.closed import closed_results, score_rows
from .scoring.localization import DEFAULT_TOLERANCE_S, localization_metrics


@dataclass
class EvalConfig:
    model: str = "random"
    data: str = "mini"
    selection: Selection = field(default_factory=Selection)
    mode: Mode = "closed"
    out: Path | None = None
    seed: int = 0
    concurrency: int = 8
    cache_dir: Path | None = None
    video_root: Path | None = None
    skip_missing: bool = False
    frame_spec: FrameSpec = field(default_factory=FrameSpec)
    base_url: str | None = None
    rpm: float | None = None
    max_cost: float | None = None
    dry_run: bool = False
    judge: str = "paper"
    swap: bool = False
    tolerance_s: float = DEFAULT_TOLERANCE_S
    model_extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise InputError(f"--concurrency: must be at least 1, got {self.concurrency}")

    def model_options(self) -> ModelOptions:
        extra = dict(self.model_extra)
        if self.max_cost is not None:
            extra["max_cost"] = self.max_cost
        if self.dry_run:
            extra["dry_run"] = True
        return ModelOptions(seed=self.seed, concurrency=self.concurrency,
                            cache_dir=resolve_cache_dir(self.cache_dir),
                            base_url=self.base_url, rpm=self.rpm, extra=extra)


def default_out_dir(cfg: EvalConfig) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.model).strip("-")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{slug}_{cfg.mode}_{cfg.selection.split}_{stamp}"
    out, n = base, 1
    while True:  # created here, so two runs in the same second never share a folder
        try:
            out.mkdir(parents=True)
            return out
        except FileExistsError:
            n += 1
            out = base.with_name(f"{base.name}-{n}")


class Observer:
    """Told when a run starts and as each sample finishes (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def done(self, out: SampleOutput) -> None: ...


async def predict_all(
    samples: list[Sample], model: Model, cfg: EvalConfig, video_root: Path,
    observer: Observer | None = None,
) -> list[SampleOutput]:
    """Run the model on every sample, frames prepared in threads; failures recorded per sample."""
    preparer = None
    if model.needs_frames:
        from .frames.prepare import FramePreparer

        preparer = FramePreparer(cfg.frame_spec, resolve_cache_dir(cfg.cache_dir), video_root)
    observer = observer or Observer()
    observer.start(len(samples))
    # Bounds samples in flight, frames included: prepared clips never pile up behind the API.
    in_flight = asyncio.Semaphore(cfg.concurrency)
    frame_slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def predict(sample: Sample) -> SampleOutput:
        clips = None
        if preparer is not None:
            async with frame_slots:
                try:
                    clips = await asyncio.to_thread(preparer.prepare_pair, sample)
                except Exception as exc:  # a broken video fails its sample, not the run
                    return _failed(sample, "frame_error", exc)
        try:
            return await model.predict(EvalItem(sample, cfg.mode, clips))
        except InputError:
            raise
        except Exception as exc:
            return _failed(sample, "api_error", exc)

    refusals: list[InputError] = []  # a bad configuration stops the run: no new sample starts

    async def one(sample: Sample) -> SampleOutput | None:
        async with in_flight:
            if refusals:
                return None
            try:
                out = await predict(sample)
            except InputError as exc:
                refusals.append(exc)
                return None
        observer.done(out)
        return out

    outputs = await asyncio.gather(*(one(s) for s in samples))
    if refusals:
        raise refusals[0]
    return [o for o in outputs if o is not None]


def _failed(sample: Sample, status: str, exc: Exception) -> SampleOutput:
    return SampleOutput(sample.sample_key, {}, status=status,  # type: ignore[arg-type]
                        error=summarize(exc))


@dataclass
class Scored:
    results: dict[str, Any]
    rows: list[dict[str, Any]]
    judge_log: list[dict[str, Any]] | None = None


async def score_predictions(
    samples: list[Sample], preds: Predictions, cfg: EvalConfig,
    statuses: dict[str, str] | None = None, judge=None,
) -> Scored:
    """One scoring path for model runs and submitted files, closed or open."""
    judge_log = None
    if cfg.mode == "closed":
        rows = score_rows(samples, preds, statuses)
        results = closed_results(samples, rows)
    else:
        from .scoring.judge import get_judge
        from .scoring.open import judge_open, open_results

        own = judge is None
        judge = judge or get_judge(cfg.judge, cfg.model_options())
        try:
            rows, judge_log = await judge_open(samples, preds, judge, statuses, cfg.concurrency)
        finally:
            if own:
                await judge.aclose()
        results = open_results(samples, rows)
        results["judge"] = judge.identity()
    localization = localization_metrics(samples, preds, rows, cfg.tolerance_s)
    if localization:
        results["localization"] = localization
    return Scored(results, [r.to_json() for r in rows], judge_log)


def _as_predictions(outputs: list[SampleOutput]) -> Predictions:
    return {o.sample_key: o.predictions for o in outputs if o.predictions}


def _cost_by_stage(outputs: list[SampleOutput]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for o in outputs:
        for stage, cost in o.cost_by_stage.items():
            totals[stage] = round(totals.get(stage, 0.0) + cost, 6)
    return totals


def swap_consistency(original: Predictions, swapped: Predictions, samples: list[Sample]) -> dict:
    """Fraction of differences answered the same way whatever the video order (closed mode)."""
    flip = {"a": "b", "b": "a"}
    same = both = 0
    for s in samples:
        for k in s.scored_keys:
            p, q = original.get(s.sample_key, {}).get(k), swapped.get(s.sample_key, {}).get(k)
            if p and q:
                both += 1
                same += p.prediction == flip[q.prediction]
    return {"consistency": same / both if both else None, "n_answered_both": both}


def write_outputs(out: Path, scored: Scored, preds: Predictions | None = None,
                  outputs: list[SampleOutput] | None = None, suffix: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    if preds is not None:
        write_json_atomic(out / f"predictions{suffix}.json", predictions_to_json(preds))
    if outputs is not None:
        write_jsonl_atomic(out / f"outputs{suffix}.jsonl", [
            {"sample_key": o.sample_key, "status": o.status, "error": o.error, "notes": o.notes,
             "raw": o.raw, "cost_usd": o.cost_usd, "cost_by_stage": o.cost_by_stage,
             "n_requests": o.n_requests,
             "n_cached": o.n_cached}
            for o in outputs
        ])
    if scored.judge_log is not None:
        write_jsonl_atomic(out / f"judge{suffix}.jsonl", scored.judge_log)
    write_jsonl_atomic(out / f"samples{suffix}.jsonl", scored.rows)
    if not suffix:
        write_json_atomic(out / "results.json", scored.results)


def provenance(bench: Benchmark, cfg: EvalConfig, extra: dict | None = None) -> dict:
    return {
        "vdbench_version": __version__,
        **bench.provenance(),
        "selection": {k: v for k, v in vars(cfg.selection).items() if v is not None},
        "seed": cfg.seed,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **(extra or {}),
    }


def _load(cfg: EvalConfig, check_videos: bool) -> Benchmark:
    return load_benchmark(cfg.data, cfg.selection, video_root=cfg.video_root,
                          cache_dir=cfg.cache_dir, skip_missing=cfg.skip_missing,
                          check_videos=check_videos)


def dry_run(cfg: EvalConfig) -> dict[str, Any]:
    """Prepare frames and build every request without sending any: counts and estimated cost."""
    from .runtime import get_runtime

    bench = _load(cfg, check_videos=True)
    model = get_model(cfg.model, cfg.model_options())
    model.bind(bench.samples, cfg.mode)

    async def go() -> None:
        try:
            for samples in _orders(cfg, bench.samples):
                await predict_all(samples, model, cfg, bench.video_root)
        finally:
            await model.aclose()

    asyncio.run(go())
    runtime = get_runtime(cfg.model_options())
    tally = runtime.dry_run
    return {"model": cfg.model, "samples": len(bench.samples),
            "requests_to_send": tally.requests if tally else 0,
            "cached": runtime.stats.cache_hits,
            "images": tally.images if tally else 0,
            "estimated_input_tokens": tally.input_tokens if tally else 0,
            "estimated_cost_usd": round(tally.cost_usd, 4) if tally else 0.0,
            "note": "judge calls (open mode) are not included" if cfg.mode == "open" else ""}


def _orders(cfg: EvalConfig, samples: list[Sample]) -> list[list[Sample]]:
    """The samples as given, and with --swap the same pairs with the videos swapped."""
    return [samples] + ([[s.swapped() for s in samples]] if cfg.swap else [])


def _statuses(outputs: list[SampleOutput]) -> dict[str, str]:
    return {o.sample_key: o.status for o in outputs}


def swap_summary(cfg: EvalConfig, given: Scored, swapped: Scored, given_preds: Predictions,
                 swapped_preds: Predictions, samples: list[Sample]) -> dict[str, Any]:
    metric = "accuracy" if cfg.mode == "closed" else "recall"
    a, b = given.results["metrics"][metric], swapped.results["metrics"][metric]
    consistency = (swap_consistency(given_preds, swapped_preds, samples)
                   if cfg.mode == "closed" else {"consistency": None})
    return {"metric": metric, "original_order": a, "swapped_order": b,
            "mean": (a + b) / 2 if a is not None and b is not None else None, **consistency}


def run_eval(cfg: EvalConfig, observer: Observer | None = None) -> tuple[dict, Path]:
    bench = _load(cfg, check_videos=True)
    model = get_model(cfg.model, cfg.model_options())
    model.bind(bench.samples, cfg.mode)
    judge = None
    if cfg.mode == "open":  # an unusable judge stops the run before any model call
        from .scoring.judge import get_judge

        judge = get_judge(cfg.judge, cfg.model_options())
    orders = _orders(cfg, bench.samples)

    async def go() -> list[tuple[list[SampleOutput], Scored]]:
        try:
            runs = [await predict_all(samples, model, cfg, bench.video_root, observer)
                    for samples in orders]
        finally:
            await model.aclose()
        try:
            return [(outs, await score_predictions(samples, _as_predictions(outs), cfg,
                                                   _statuses(outs), judge))
                    for samples, outs in zip(orders, runs)]
        finally:
            if judge is not None:
                await judge.aclose()

    (outputs, scored), *swapped_run = asyncio.run(go())
    preds = _as_predictions(outputs)
    all_outputs = outputs + [o for outs, _ in swapped_run for o in outs]
    extra: dict[str, Any] = {"model": model.provenance()}
    if model.needs_frames:
        extra["frame_sampling"] = cfg.frame_spec.to_dict()
    results = {
        "model": cfg.model, "mode": cfg.mode, "split": cfg.selection.split, **scored.results,
        "cost_usd": round(sum(o.cost_usd for o in all_outputs), 6),
        **({"cost_by_stage": stage_costs} if (stage_costs := _cost_by_stage(all_outputs)) else {}),
        "requests": {"sent": sum(o.n_requests - o.n_cached for o in all_outputs),
                     "cached": sum(o.n_cached for o in all_outputs)},
        "provenance": provenance(bench, cfg, extra),
    }
    out = cfg.out or default_out_dir(cfg)
    for swapped_outputs, swapped_scored in swapped_run:
        swapped_preds = _as_predictions(swapped_outputs)
        results["swap"] = swap_summary(cfg, scored, swapped_scored, preds, swapped_preds,
                                       bench.samples)
        write_outputs(out, swapped_scored, swapped_preds, swapped_outputs, suffix="_swapped")
    write_outputs(out, Scored(results, scored.rows, scored.judge_log), preds, outputs)
    return results, out


def score_file(path: Path, cfg: EvalConfig) -> tuple[dict, Path]:
    bench = _load(cfg, check_videos=False)
    loaded = load_predictions(path, bench.samples, cfg.mode)
    scored = asyncio.run(score_predictions(bench.samples, loaded.predictions, cfg))
    scored.results = {
        "model": path.name, "mode": cfg.mode, "split": cfg.selection.split, **scored.results,
        "prediction_format": loaded.format,
        "missing_samples": loaded.missing_samples,
        "provenance": provenance(bench, cfg, {"predictions_file": str(path)}),
    }
    out = cfg.out or path.parent / f"{path.stem}_scored"  # never overwrite a run's results
    write_outputs(out, scored)
    return scored.results, out
