"""VidDiffBench (Burgess et al., "Video Action Differencing", ICLR 2025) behind the benchmark
spec. Its data layer (data/), prompts (tasks/) and scorers (scoring/) predate the spec and
stay where they are; this module is the one place that names them for the layers above."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vdbench.benchmarks.spec import (
    BenchmarkSpec,
    LoadedBenchmark,
    LoadedPredictions,
    Reported,
)
from vdbench.core.protocol import Protocol
from vdbench.core.records import Record
from vdbench.core.results import HEADLINE
from vdbench.core.types import SampleOutput
from vdbench.data.viddiffbench_facts import DOMAINS, HUB_ID, PAPER_FPS, SPLITS
from vdbench.frames.spec import FrameSpec
from vdbench.llm.context import CallContext
from vdbench.scoring.settings import Scored, ScoringSettings
from vdbench.tasks.base import Task


class VidDiffBench(BenchmarkSpec):
    name = "viddiffbench"
    title = "VidDiffBench"
    citation = ("Burgess et al., Video Action Differencing, ICLR 2025 (arXiv 2503.07860); "
                f"data: {HUB_ID}")
    licence = "see the hub card of jmhb/VidDiffBench (per-source licences)"
    modes = ("closed", "open")
    headline = HEADLINE
    axes = {"split": "easy, medium, hard (the paper's difficulty splits)",
            "domain": "fitness, ballsports, diving, music, surgery",
            "action": "an action id, e.g. fitness_0"}
    splits = SPLITS
    frame_domains = DOMAINS
    hub_id = HUB_ID

    def load(self, data: str, selection: Any, *, video_root: Path | None,
             cache_dir: Path | None, skip_missing: bool, check_videos: bool,
             revision: str | None) -> LoadedBenchmark:
        from vdbench.data.loader import load_benchmark

        return load_benchmark(data, selection, video_root=video_root, cache_dir=cache_dir,
                              skip_missing=skip_missing, check_videos=check_videos,
                              revision=revision)

    def adapt_protocol(self, protocol: Protocol) -> Protocol:
        """The paper's per-domain frame rates where the protocol names none."""
        if protocol.frames.fps_by_domain:
            return protocol
        frames = dataclasses.replace(protocol.frames, fps_by_domain=dict(PAPER_FPS))
        return dataclasses.replace(protocol, frames=frames)

    def frame_spec(self, protocol: Protocol) -> FrameSpec:
        return super().frame_spec(self.adapt_protocol(protocol))

    def tasks(self, prompts_dir: Path | None) -> Mapping[str, Task]:
        from vdbench.tasks.viddiffbench import viddiffbench_tasks

        return viddiffbench_tasks(prompts_dir)

    def as_predictions(self, outputs: list[SampleOutput]) -> Any:
        from vdbench.benchmarks.viddiffbench.scoring import as_predictions

        return as_predictions(outputs)

    def parse_predictions(self, raw: Any, samples: list[Any], mode: str, *, strict: bool,
                          where: str) -> LoadedPredictions:
        from vdbench.data.predictions import parse_predictions

        return parse_predictions(raw, samples, mode, strict=strict,  # type: ignore[arg-type]
                                 where=where)

    def predictions_to_json(self, predictions: Any) -> dict[str, Any]:
        from vdbench.data.predictions import predictions_to_json

        return predictions_to_json(predictions)

    def judged(self, mode: str) -> bool:
        return mode == "open"

    def make_judge(self, spec: str, ctx: CallContext) -> Any:
        from vdbench.scoring.judge.select import get_judge

        return get_judge(spec, ctx)

    async def score(self, samples: list[Any], predictions: Any, settings: ScoringSettings, *,
                    statuses: dict[str, str] | None = None, judge: Any = None,
                    ctx: CallContext | None = None,
                    matched_by: dict[str, Any] | None = None) -> Scored:
        from vdbench.benchmarks.viddiffbench.scoring import score_predictions

        return await score_predictions(samples, predictions, settings, statuses, judge, ctx,
                                       matched_by)

    def epoch_mean(self, samples: list[Any], mode: str, epochs: list[Scored]) -> dict[str, Any]:
        from vdbench.benchmarks.viddiffbench.scoring import epoch_mean

        return epoch_mean(samples, mode, epochs)

    def record_types(self) -> Mapping[str, type[Record]]:
        from vdbench.scoring.closed import ScoredDifference
        from vdbench.scoring.open import JudgedSample

        return {"samples": ScoredDifference, "judge": JudgedSample}

    def swap_summary(self, mode: str, given: Scored, swapped: Scored, given_preds: Any,
                     swapped_preds: Any, samples: list[Any]) -> dict[str, Any]:
        from vdbench.benchmarks.viddiffbench.scoring import swap_summary

        return swap_summary(mode, given, swapped, given_preds, swapped_preds, samples)

    async def estimate_judge(self, samples: list[Any], judge_spec: str,
                             ctx: CallContext) -> None:
        from vdbench.benchmarks.viddiffbench.judge_estimate import estimate_judge

        await estimate_judge(samples, judge_spec, ctx)

    def chance(self, mode: str, results: Mapping[str, Any]) -> float | None:
        return 0.5 if mode == "closed" else None

    def reported(self) -> list[Reported]:
        from vdbench.benchmarks.viddiffbench.reported import paper_results

        return paper_results()

    def judge_gold_sets(self) -> Mapping[str, Path]:
        from vdbench.scoring.judge.gold import HELDOUT_PATHS

        return dict(HELDOUT_PATHS)


SPEC = VidDiffBench()
