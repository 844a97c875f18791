"""Writing a run folder (its layout: core.runfiles): predictions, outputs, scored rows, the
judge's decisions, results.json, run.json and the metadata template for `submit`. Every
JSON-lines file is written through its record type (core.records; the benchmark's own for
samples.jsonl and judge.jsonl: its spec's record_types), as it is read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK
from vdbench.core import runfiles
from vdbench.core.io import write_json_atomic, write_jsonl_atomic
from vdbench.core.records import OutputRecord
from vdbench.core.results import Results
from vdbench.core.runinfo import RunInfo
from vdbench.core.types import SampleOutput
from vdbench.data.loaded import LoadedBenchmark
from vdbench.pipeline.config import EvalConfig
from vdbench.scoring.settings import Scored


def write_outputs(out: Path, scored: Scored, predictions: dict[str, Any] | None = None,
                  outputs: list[SampleOutput] | None = None, suffix: str = "",
                  results: Results | None = None) -> None:
    """The files of one pass (`suffix`), and results.json when given. `predictions`: the
    canonical prediction file's content."""
    folder = runfiles.RunFolder(out)
    out.mkdir(parents=True, exist_ok=True)
    if predictions is not None:
        write_json_atomic(folder.file(runfiles.PREDICTIONS, suffix), predictions)
    if outputs is not None:
        write_jsonl_atomic(folder.file(runfiles.OUTPUTS, suffix),
                           [OutputRecord.from_output(o).to_json() for o in outputs])
    if scored.judge_log is not None:
        write_jsonl_atomic(folder.file(runfiles.JUDGE, suffix), scored.judge_log)
    write_jsonl_atomic(folder.file(runfiles.SAMPLES, suffix), scored.rows)
    if results is not None:
        write_json_atomic(folder.file(runfiles.RESULTS), results.to_json())


def describe_run(out: Path, bench: LoadedBenchmark, cfg: EvalConfig, results: Results) -> None:
    """run.json (what score, validate and submit of these predictions need) and a metadata
    template for `submit` (fill in authors and link, save as predictions.meta.json)."""
    judge = cfg.judge if cfg.spec.judged(cfg.task) and results.judge else None  # the spec
    RunInfo(mode=cfg.task, data=cfg.data, data_revision=bench.revision,
            split=cfg.selection.split, protocol=cfg.protocol.name, model=cfg.model,
            selection={k: v for k, v in vars(cfg.selection).items()
                       if v is not None and k != "split"}, judge=judge,
            benchmark=cfg.benchmark).write(out)
    snapshot = results.provenance.get("model", {}).get("model")
    benchmark = {} if cfg.benchmark == DEFAULT_BENCHMARK else {"benchmark": cfg.benchmark}
    write_json_atomic(out / runfiles.METADATA_TEMPLATE, {
        **benchmark, "method": cfg.model, "authors": "", "mode": cfg.task,
        "date": dt.date.today().isoformat(), "link": None,
        "model_snapshot": snapshot if isinstance(snapshot, str) else None,
        "notes": f"vdbench eval, protocol {cfg.protocol.name}, seed {cfg.seed}"})
