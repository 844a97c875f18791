"""A benchmark, described in one place: where its data comes from and what a sample is, the
tasks it asks (each with its prompts, request builder and reply parser), how answers are
scored and broken down, its headline metric and chance level, and the results its authors
published. The pipeline, submissions, the leaderboard, the viewer, the CLI and the Python API
ask the spec; none of them knows a benchmark's fields.

A benchmark's code lives in its own folder under `vdbench/benchmarks/` (or in another
package), registered by one line in `benchmarks/catalog.py` (or the entry-point group
`vdbench.benchmarks`). See docs/architecture.md, "Adding a benchmark"."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.benchmarks.board_layout import Layout
from vdbench.core.errors import InputError
from vdbench.core.protocol import Protocol
from vdbench.core.records import Record
from vdbench.core.types import SampleOutput
from vdbench.data.loaded import LoadedBenchmark
from vdbench.data.predictions import LoadedPredictions
from vdbench.frames.spec import FrameSpec
from vdbench.llm.context import CallContext
from vdbench.scoring.settings import Scored, ScoringSettings
from vdbench.tasks.base import Task

DEFAULT_FPS = 1.0  # frames a second, for a benchmark that sets no rate of its own

__all__ = ["BenchmarkSpec", "LoadedBenchmark", "LoadedPredictions", "Reported"]


@dataclass(frozen=True)
class Reported:
    """A result published by a benchmark's authors, shown as a leaderboard row."""

    method: str
    mode: str
    headline: float  # the mode's headline metric, in [0, 1]
    columns: Mapping[str, float]  # the table's other columns (splits, classes)
    source: str  # where the numbers are printed: paper, table, repository file
    judge: str | None = None  # who scored them, where a judge did
    snapshot: str | None = None  # the model snapshot, where the paper names it
    notes: str = ""


class BenchmarkSpec(ABC):
    name: str  # `--benchmark NAME`, recorded in results.json
    title: str
    citation: str  # the paper, for the leaderboard and the docs
    licence: str
    modes: tuple[str, ...]  # the tasks, by name; the first is the default
    headline: Mapping[str, str]  # mode -> the metric that heads its results
    axes: Mapping[str, str]  # selection option (split, domain, action) -> what it selects
    splits: tuple[str, ...] = ()  # named splits besides "all"
    supports_swap: bool = True  # whether --swap (the two videos in the other order) is defined
    summary_breakdown: str = ""  # the breakdown whose rows the end-of-run summary prints
    frame_domains: tuple[str, ...] = ()  # domains with a frame rate of their own ((): one rate)
    hub_id: str = ""  # the full benchmark on the Hugging Face hub (`--data HUB_ID`)
    board: Layout | None = None  # its leaderboard section's columns and notes

    # --- data ---------------------------------------------------------------------------
    @abstractmethod
    def load(self, data: str, selection: Any, *, video_root: Path | None,
             cache_dir: Path | None, skip_missing: bool, check_videos: bool,
             revision: str | None) -> LoadedBenchmark:
        """The samples of `data` ("mini", a local folder, a hub id) for a selection."""

    def adapt_protocol(self, protocol: Protocol) -> Protocol:
        """The named protocol with this benchmark's own settings (frames, generation)."""
        return protocol

    def frame_spec(self, protocol: Protocol) -> FrameSpec:
        """The protocol's sampling; one rate for every pair (DEFAULT_FPS) where the protocol
        names no rate per domain and the benchmark none of its own."""
        f = protocol.frames
        every = None if f.fps_by_domain else DEFAULT_FPS
        return FrameSpec(fps=every, fps_by_domain=dict(f.fps_by_domain), max_frames=f.pair_cap,
                         over_cap=f.over_cap, long_side=f.long_side,
                         jpeg_quality=f.jpeg_quality, image_format=f.image_format)

    # --- asking -------------------------------------------------------------------------
    @abstractmethod
    def tasks(self, prompts_dir: Path | None) -> Mapping[str, Task]:
        """Every task of the benchmark, with the run's --prompts in place of its templates."""

    # --- scoring ------------------------------------------------------------------------
    @abstractmethod
    def as_predictions(self, outputs: list[SampleOutput]) -> Any:
        """A run's outputs as the predictions its scorer reads."""

    @abstractmethod
    def parse_predictions(self, raw: Any, samples: list[Any], mode: str, *, strict: bool,
                          where: str) -> LoadedPredictions:
        """Parsed JSON read as predictions (every format the benchmark accepts); InputError
        listing each problem with its sample and key. strict (`vdbench validate`): a sample
        or item without an answer is a problem too, not a wrong answer."""

    def load_predictions(self, path: Path, samples: list[Any], mode: str, *,
                         strict: bool = False) -> LoadedPredictions:
        """A prediction file, embedded in a submission or not, read and parsed."""
        from vdbench.data.predictions import load_predictions

        return load_predictions(path, samples, mode, strict=strict,
                                parse=self.parse_predictions)

    @abstractmethod
    def predictions_to_json(self, predictions: Any) -> dict[str, Any]:
        """The canonical prediction file's content."""

    def judged(self, mode: str) -> bool:
        """Whether a judge scores this task (so a run opens one before the first call)."""
        return False

    def make_judge(self, spec: str, ctx: CallContext) -> Any:
        raise InputError(f"--judge: {self.title} has no judge (its tasks are scored without one)")

    @abstractmethod
    async def score(self, samples: list[Any], predictions: Any, settings: ScoringSettings, *,
                    statuses: dict[str, str] | None = None, judge: Any = None,
                    ctx: CallContext | None = None,
                    matched_by: dict[str, Any] | None = None) -> Scored:
        """Score one set of predictions: a judge the run opened, or one made from
        `settings.judge` in `ctx` (and closed) where the task needs one."""

    @abstractmethod
    def epoch_mean(self, samples: list[Any], mode: str, epochs: list[Scored]) -> dict[str, Any]:
        """The scoring blocks pooled over --epochs runs."""

    @abstractmethod
    def record_types(self) -> Mapping[str, type[Record]]:
        """The typed records of its run files, by file kind: "samples" (samples.jsonl, one
        scored item a line, with `sample_key`, `item` and `correct`: core.records.ScoredRecord)
        and, where a judge scores, "judge" (judge.jsonl). Their schemas are published as
        schemas/KIND.NAME.schema.json (`python -m vdbench.benchmarks.records`)."""

    def swap_summary(self, mode: str, given: Scored, swapped: Scored, given_preds: Any,
                     swapped_preds: Any, samples: list[Any]) -> dict[str, Any]:
        raise InputError(f"--swap: {self.title} does not define the swapped order")

    async def estimate_judge(self, samples: list[Any], judge_spec: str,
                             ctx: CallContext) -> None:
        """A dry run: build and count the judge's requests (the runtime tallies them), send
        none. Nothing to count where no judge scores the task."""

    def chance(self, mode: str, results: Mapping[str, Any]) -> float | None:
        """The headline metric's chance level for these results (a line on the leaderboard)."""
        return None

    # --- what its authors published -------------------------------------------------------
    def reported(self) -> list[Reported]:
        return []

    def judge_gold_sets(self) -> Mapping[str, Path]:
        """Human decisions the benchmark's judges are measured on (`vdbench judge-eval`)."""
        return {}

    async def measure_judge(self, judge: Any, gold: Path | None,
                            concurrency: int) -> dict[str, Any]:
        """A judge's agreement with the human decisions of a gold set (the benchmark's own
        by default): `vdbench judge-eval --benchmark NAME`."""
        raise InputError(f"judge-eval: {self.title} has no judge to measure")
