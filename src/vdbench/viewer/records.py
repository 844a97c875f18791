"""What the viewer holds about a run once load.py has read its folder: per sample the
benchmark's Sample, its scored rows, the model's predictions and output, and the judge's log;
and the benchmark's view (kinds.py), which shapes them into the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vdbench.core.results import Results
from vdbench.data.loaded import LoadedBenchmark
from vdbench.frames.spec import FrameSpec


@dataclass
class SampleRecord:
    """Everything the run holds about one sample."""

    sample: Any  # the benchmark's Sample (VidDiffBench: data.schema.Sample; ViDiC: VidicSample)
    # samples.jsonl rows by the item they score (the view's row_key: gt_key, item_key)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the benchmark's prediction for the sample (VidDiffBench: diff key -> DiffPrediction;
    # ViDiC: the response text)
    predictions: Any = field(default_factory=dict)
    output: dict[str, Any] | None = None  # its outputs.jsonl line
    judge: dict[str, Any] | None = None  # its judge.jsonl line (open mode)

    @property
    def result(self) -> str:
        """correct (every scored item right), wrong (at least one wrong), or none."""
        if not self.rows:
            return "none"
        return "correct" if all(r.get("correct") is True for r in self.rows.values()) else "wrong"

    @property
    def status(self) -> str:
        if self.output and self.output.get("status"):
            return str(self.output["status"])
        statuses = {str(r.get("status")) for r in self.rows.values() if r.get("status")}
        return statuses.pop() if len(statuses) == 1 else "ok" if not statuses else "mixed"


@dataclass
class RunRecord:
    run: Path
    results: Results
    benchmark: LoadedBenchmark
    samples: list[SampleRecord]
    frame_spec: FrameSpec
    frame_spec_recorded: bool  # False: the model used no frames; the default spec is shown
    predictions_source: str | None  # the file the predictions were read from
    warnings: list[str]
    # how the page draws this benchmark's runs: a kinds.BenchmarkView (not named here: kinds
    # imports the shaping modules, which import these records)
    view: Any
