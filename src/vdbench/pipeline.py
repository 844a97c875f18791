"""The eval pipeline: dataset -> frames -> model -> predictions.json -> scorer -> results.json."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import default_cache_dir
from .data.loader import Benchmark, Selection, load_benchmark
from .data.schema import Sample
from .errors import InputError
from .frames.spec import FrameSpec
from .io import write_json_atomic, write_jsonl_atomic
from .models.base import EvalItem, Mode, Model, ModelOptions, SampleOutput, get_model
from .predictions import Predictions, load_predictions, predictions_to_json
from .scoring.closed import closed_results, score_rows


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

    def model_options(self) -> ModelOptions:
        return ModelOptions(seed=self.seed, concurrency=self.concurrency,
                            cache_dir=self.cache_dir or default_cache_dir(),
                            base_url=self.base_url, rpm=self.rpm)


def default_out_dir(cfg: EvalConfig) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.model).strip("-")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{slug}_{cfg.mode}_{cfg.selection.split}_{stamp}"


class Observer:
    """Told when a run starts and as each sample finishes (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def done(self, out: SampleOutput) -> None: ...


async def predict_all(
    bench: Benchmark, model: Model, cfg: EvalConfig, observer: Observer | None = None
) -> list[SampleOutput]:
    """Run the model on every sample, frames prepared in threads; failures recorded per sample."""
    preparer = None
    if model.needs_frames:
        from .frames.prepare import FramePreparer

        preparer = FramePreparer(cfg.frame_spec, cfg.cache_dir or default_cache_dir(),
                                 bench.video_root)
    observer = observer or Observer()
    observer.start(len(bench.samples))
    model_slots = asyncio.Semaphore(max(1, cfg.concurrency))
    frame_slots = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def one(sample: Sample) -> SampleOutput:
        clips = None
        if preparer is not None:
            async with frame_slots:
                try:
                    clips = await asyncio.to_thread(preparer.prepare_pair, sample)
                except Exception as exc:  # a broken video fails its sample, not the run
                    return _failed(sample, "frame_error", exc)
        async with model_slots:
            try:
                out = await model.predict(EvalItem(sample, cfg.mode, clips))
            except InputError:
                raise
            except Exception as exc:
                out = _failed(sample, "api_error", exc)
        observer.done(out)
        return out

    try:
        return list(await asyncio.gather(*(one(s) for s in bench.samples)))
    finally:
        await model.aclose()


def _failed(sample: Sample, status: str, exc: Exception) -> SampleOutput:
    return SampleOutput(sample.sample_key, {}, status=status,  # type: ignore[arg-type]
                        error=f"{type(exc).__name__}: {exc}"[:500])


def score(
    samples: list[Sample],
    preds: Predictions,
    mode: Mode,
    statuses: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if mode != "closed":
        raise InputError("--mode open: scoring open mode is not implemented yet")
    rows = score_rows(samples, preds, statuses)
    return closed_results(samples, rows), [r.to_json() for r in rows]


def write_outputs(out: Path, results: dict, rows: list[dict],
                  preds: Predictions | None = None, outputs: list[SampleOutput] | None = None):
    out.mkdir(parents=True, exist_ok=True)
    if preds is not None:
        write_json_atomic(out / "predictions.json", predictions_to_json(preds))
    if outputs is not None:
        write_jsonl_atomic(out / "outputs.jsonl", [
            {"sample_key": o.sample_key, "status": o.status, "error": o.error, "raw": o.raw,
             "cost_usd": o.cost_usd, "n_requests": o.n_requests, "n_cached": o.n_cached}
            for o in outputs
        ])
    write_jsonl_atomic(out / "samples.jsonl", rows)
    write_json_atomic(out / "results.json", results)


def provenance(bench: Benchmark, cfg: EvalConfig, extra: dict | None = None) -> dict:
    return {
        "vdbench_version": __version__,
        **bench.provenance(),
        "selection": {k: v for k, v in vars(cfg.selection).items() if v is not None},
        "seed": cfg.seed,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **(extra or {}),
    }


def run_eval(cfg: EvalConfig, observer: Observer | None = None) -> tuple[dict, Path]:
    bench = load_benchmark(cfg.data, cfg.selection, video_root=cfg.video_root,
                           cache_dir=cfg.cache_dir, skip_missing=cfg.skip_missing)
    model = get_model(cfg.model, cfg.model_options())
    model.bind(bench.samples, cfg.mode)
    outputs = asyncio.run(predict_all(bench, model, cfg, observer))
    preds = {o.sample_key: o.predictions for o in outputs if o.predictions}
    statuses = {o.sample_key: o.status for o in outputs}
    results, rows = score(bench.samples, preds, cfg.mode, statuses)
    extra = {"model": model.provenance()}
    if model.needs_frames:
        extra["frame_sampling"] = cfg.frame_spec.to_dict()
    results = {
        "model": cfg.model, "mode": cfg.mode, "split": cfg.selection.split, **results,
        "cost_usd": round(sum(o.cost_usd for o in outputs), 6),
        "requests": {"sent": sum(o.n_requests - o.n_cached for o in outputs),
                     "cached": sum(o.n_cached for o in outputs)},
        "provenance": provenance(bench, cfg, extra),
    }
    out = cfg.out or default_out_dir(cfg)
    write_outputs(out, results, rows, preds, outputs)
    return results, out


def score_file(path: Path, cfg: EvalConfig) -> tuple[dict, Path]:
    bench = load_benchmark(cfg.data, cfg.selection, video_root=cfg.video_root,
                           cache_dir=cfg.cache_dir, check_videos=False)
    loaded = load_predictions(path, bench.samples, cfg.mode)
    results, rows = score(bench.samples, loaded.predictions, cfg.mode)
    results = {
        "model": path.name, "mode": cfg.mode, "split": cfg.selection.split, **results,
        "prediction_format": loaded.format,
        "missing_samples": loaded.missing_samples,
        "provenance": provenance(bench, cfg, {"predictions_file": str(path)}),
    }
    out = cfg.out or path.parent
    write_outputs(out, results, rows)
    return results, out


def load_results(path: Path) -> dict:
    return json.loads(Path(path).read_text())
