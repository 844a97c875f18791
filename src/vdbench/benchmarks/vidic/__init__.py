"""ViDiC-1K (Wu et al., "ViDiC: Video Difference Captioning", arXiv 2512.03405): a model
compares two videos in free text; a judge checks the text against each pair's checklist of
difference and similarity questions. docs/vidic.md: the protocol, its sources and departures."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vdbench.benchmarks.spec import BenchmarkSpec, LoadedBenchmark, LoadedPredictions, Reported
from vdbench.benchmarks.vidic.board import BOARD
from vdbench.core.protocol import FramesProtocol, GenerationProtocol, JudgeProtocol, Protocol
from vdbench.core.records import Record
from vdbench.core.types import SampleOutput
from vdbench.frames.spec import FrameSpec
from vdbench.llm.context import CallContext
from vdbench.llm.providers.anthropic import AnthropicSettings
from vdbench.llm.providers.gemini import GeminiSettings
from vdbench.llm.providers.openai import OpenAISettings
from vdbench.scoring.settings import Scored, ScoringSettings
from vdbench.tasks.base import Task

ALL_DOMAINS = "*"  # fps_by_domain key: the rate of every source collection
JUDGE_MODEL = "gpt-5-mini"

# `paper`: the authors' API-model settings (inference/get_response_gpt.py: 0.5 s between
# frames, the first 20 frames of each video, width at most 768, JPEG quality 85, image detail
# low, temperature 0.7, max_tokens 4096; get_response_gemini.py: the video itself, same
# generation settings; judge/judge.py: gpt-5-mini with the API's default temperature, 1).
PAPER_FRAMES = FramesProtocol(fps_by_domain={ALL_DOMAINS: 2.0}, pair_cap=40,
                              over_cap="keep_first", long_side=768, image_format="jpeg",
                              jpeg_quality=85)
PAPER_PROVIDERS = {"openai": OpenAISettings(detail="low"), "anthropic": AnthropicSettings(),
                   "gemini": GeminiSettings(input="video")}
PAPER_GENERATION = GenerationProtocol(temperature=0.7, max_tokens=4096, seed=0)
# gpt-5-mini takes temperature 1 only; both protocols judge with it, as the authors do.
VIDIC_JUDGE = JudgeProtocol(match_model=JUDGE_MODEL, direction_model=JUDGE_MODEL,
                            temperature=1.0)
# `fast`: 1 frame a second, at most 8 a video thinned evenly, 512 px, temperature 0.
FAST_FRAMES = FramesProtocol(fps_by_domain={ALL_DOMAINS: 1.0}, pair_cap=16,
                             over_cap="thin_each", long_side=512, image_format="jpeg",
                             jpeg_quality=85)
FAST_GENERATION = GenerationProtocol(temperature=0.0, max_tokens=2048, seed=0)


class VidicSpec(BenchmarkSpec):
    name = "vidic"
    title = "ViDiC-1K"
    citation = ("Wu, Li, Bian, Zhang, Chen, Wen, Ping, He, Wang, Liu. ViDiC: Video Difference "
                "Captioning. arXiv 2512.03405 (2025)")
    licence = "CC-BY-NC-SA-4.0 (the dataset, per the authors' README)"
    modes = ("compare",)
    headline: Mapping[str, str] = {"compare": "accuracy"}
    axes: Mapping[str, str] = {"domain": "source collection", "action": "edit/pair kind"}
    splits = ()
    supports_swap = False
    hub_id = "NJU-LINK/ViDiC-1K"
    board = BOARD
    summary_breakdown = "kind"  # the questions name Video A and Video B

    # --- data ---------------------------------------------------------------------------
    def load(self, data: str, selection: Any, *, video_root: Path | None,
             cache_dir: Path | None, skip_missing: bool, check_videos: bool,
             revision: str | None) -> LoadedBenchmark:
        from vdbench.benchmarks.vidic.data import load_vidic

        return load_vidic(data, selection, video_root=video_root, cache_dir=cache_dir,
                          skip_missing=skip_missing, check_videos=check_videos,
                          revision=revision)

    def adapt_protocol(self, protocol: Protocol) -> Protocol:
        if protocol.name == "paper":
            return dataclasses.replace(
                protocol, frames=PAPER_FRAMES, provider_settings=PAPER_PROVIDERS,
                generation=PAPER_GENERATION, judge=VIDIC_JUDGE,
                description="ViDiC-1K's inference scripts: 2 fps, each video's first 20 "
                            "frames, 768 px JPEG at low detail, temperature 0.7; "
                            "gpt-5-mini judges")
        return dataclasses.replace(
            protocol, frames=FAST_FRAMES, generation=FAST_GENERATION, judge=VIDIC_JUDGE,
            description="vdbench's cheaper ViDiC-1K settings: 1 fps, at most 8 frames a "
                        "video, 512 px JPEG, temperature 0; gpt-5-mini judges")

    def frame_spec(self, protocol: Protocol) -> FrameSpec:
        f = protocol.frames
        rates = dict(f.fps_by_domain)
        every = rates.pop(ALL_DOMAINS, None)
        return FrameSpec(fps=every, fps_by_domain=rates, max_frames=f.pair_cap,
                         over_cap=f.over_cap, long_side=f.long_side,
                         jpeg_quality=f.jpeg_quality, image_format=f.image_format)

    # --- asking -------------------------------------------------------------------------
    def tasks(self, prompts_dir: Path | None) -> Mapping[str, Task]:
        from vdbench.benchmarks.vidic.task import CompareTask

        return {"compare": CompareTask(prompts_dir)}

    # --- scoring ------------------------------------------------------------------------
    def as_predictions(self, outputs: list[SampleOutput]) -> dict[str, str]:
        return {o.sample_key: o.response for o in outputs
                if o.status == "ok" and o.response}

    def parse_predictions(self, raw: Any, samples: list[Any], mode: str, *, strict: bool,
                          where: str) -> LoadedPredictions:
        from vdbench.benchmarks.vidic.predictions import parse_responses

        return parse_responses(raw, samples, strict=strict, where=where)

    def predictions_to_json(self, predictions: Any) -> dict[str, Any]:
        from vdbench.benchmarks.vidic.predictions import responses_to_json

        return responses_to_json(predictions)

    def judged(self, mode: str) -> bool:
        return True

    def make_judge(self, spec: str, ctx: CallContext) -> Any:
        from vdbench.benchmarks.vidic.judge import make_checklist_judge

        return make_checklist_judge(spec, ctx)

    async def score(self, samples: list[Any], predictions: Any, settings: ScoringSettings,
                    *, statuses: dict[str, str] | None = None, judge: Any = None,
                    ctx: CallContext | None = None,
                    matched_by: dict[str, Any] | None = None) -> Scored:
        from vdbench.benchmarks.vidic.gold import measure_checklist_judge
        from vdbench.benchmarks.vidic.scoring import judge_checklist, vidic_results

        own = judge is None
        if judge is None:
            assert ctx is not None, "ViDiC-1K needs a judge or a context to make one"
            judge = self.make_judge(settings.judge, ctx)
        try:
            if own:
                await judge.preflight()
            rows = await judge_checklist(samples, predictions, judge, statuses,
                                         settings.concurrency)
            measured = (await measure_checklist_judge(judge, settings.concurrency)
                        if settings.measure_judge else None)
        finally:
            if own:
                await judge.aclose()
        results = vidic_results(samples, rows)
        results["judge"] = judge.identity()
        if measured is not None:
            results["judge"]["measured"] = {k: v for k, v in measured.items()
                                            if k not in ("disagreements", "judge")}
        log = [r.to_json() for r in rows
               if r.judge_answer is not None or r.status == "judge_error"]
        return Scored(results, [r.to_json() for r in rows], log)

    def epoch_mean(self, samples: list[Any], mode: str, epochs: list[Scored]) -> dict[str, Any]:
        from vdbench.benchmarks.vidic.scoring import epoch_results

        pooled = epoch_results(samples, [e.rows for e in epochs])
        return {k: pooled[k] for k in ("n_scored", "coverage", "status_counts", "metrics",
                                       "ci95", "breakdowns")}

    def record_types(self) -> Mapping[str, type[Record]]:
        from vdbench.benchmarks.vidic.scoring import ScoredItem

        # the judge's log holds the scored items it decided (or failed on), as samples.jsonl
        return {"samples": ScoredItem, "judge": ScoredItem}

    def chance(self, mode: str, results: Mapping[str, Any]) -> float | None:
        """What a text stating no difference scores (the random baseline's generic texts):
        the share of items answered "no" (the similarity items). A coin per item, 0.5, is
        the level `p_vs_chance` tests against."""
        metrics = results.get("metrics") or {}
        value = metrics.get("blank_text_accuracy")
        return float(value) if isinstance(value, (int, float)) else None

    # --- what its authors published -------------------------------------------------------
    def reported(self) -> list[Reported]:
        from vdbench.benchmarks.vidic.reported import reported_rows

        return reported_rows()

    def judge_gold_sets(self) -> Mapping[str, Path]:
        from vdbench.benchmarks.vidic.gold import GOLD_NAME, GOLD_PATH

        return {GOLD_NAME: GOLD_PATH}

    async def measure_judge(self, judge: Any, gold: Path | None,
                            concurrency: int) -> dict[str, Any]:
        from vdbench.benchmarks.vidic.gold import GOLD_PATH, measure_checklist_judge

        return await measure_checklist_judge(judge, concurrency, gold or GOLD_PATH)


SPEC = VidicSpec()
