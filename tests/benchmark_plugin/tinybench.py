"""tinybench: a third benchmark that lives outside vdbench, only to prove that the pipeline,
the CLI and the Python API know a benchmark through its spec alone.

Its samples are neither VidDiffBench's nor ViDiC-1K's: a pair of videos, a question about
them, and a one-word answer, "same" or "different". A data folder holds `pairs.json`,

    [{"id": "t0", "a": "videos/x.mp4", "b": "videos/y.mp4", "domain": "shapes",
      "question": "...", "answer": "different"}, ...]

and the videos at the paths given, relative to the folder. One task ("answer"), scored by
exact match: accuracy over pairs, broken down by domain. No judge.

It is registered as installed plugins are, through the entry-point group
`vdbench.benchmarks` (tests/test_benchmark_spec.py writes the dist-info folder), never in
vdbench's own catalog."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.benchmarks.spec import BenchmarkSpec, LoadedBenchmark, LoadedPredictions
from vdbench.core.errors import InputError
from vdbench.core.protocol import AskingProtocol, Protocol
from vdbench.core.records import Record
from vdbench.core.types import SampleOutput
from vdbench.data.schema import VideoRef
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from vdbench.scoring.settings import Scored, ScoringSettings
from vdbench.scoring.stats import binomial_test, bootstrap_ci
from vdbench.tasks.base import Draw, Task
from vdbench.tasks.prompts import Placeholders, PromptSet, TemplateRegistry

ANSWERS = ("same", "different")
PAIRS_FILE = "pairs.json"
ASK = "tiny_ask"
REGISTRY = TemplateRegistry({ASK: Placeholders(required={"question": str})},
                            Path(__file__).parent / "templates")
FPS = 2.0  # one rate for every pair: tinybench has no per-domain rates


@dataclass(frozen=True)
class TinySample:
    sample_key: str
    videos: tuple[VideoRef, VideoRef]
    domain: str  # the frame layer asks every sample for its domain (its rate)
    question: str
    answer: str  # "same" or "different"


# --- data ----------------------------------------------------------------------------------

def load_pairs(folder: Path) -> list[TinySample]:
    file = folder / PAIRS_FILE
    if not file.is_file():
        raise InputError(f"--data {folder}: no {PAIRS_FILE} (tinybench reads a folder)")
    samples = []
    for i, row in enumerate(json.loads(file.read_text(encoding="utf-8"))):
        if row.get("answer") not in ANSWERS:
            raise InputError(f"{file}: entry {i}: answer must be same or different")
        refs = tuple(VideoRef(row[k], _fps(folder / row[k]), (None, None, None),
                              origin=f"{file}: entry {i}: {k!r}") for k in ("a", "b"))
        samples.append(TinySample(str(row["id"]), (refs[0], refs[1]), row["domain"],
                                  row["question"], row["answer"]))
    return samples


def _fps(path: Path) -> float:
    from vdbench.frames.prepare import video_fps

    return (video_fps(path) or 0.0) if path.is_file() else 0.0


# --- the task -------------------------------------------------------------------------------

class AnswerTask(Task):
    name = "answer"

    def __init__(self, prompts_dir: Path | None = None):
        self.prompts = PromptSet.from_dir(prompts_dir, REGISTRY)

    def templates(self, as_video: bool) -> tuple[str, ...]:
        return (ASK,)

    def build_request(self, sample: Any, clips: tuple[Clip, Clip], config: GenerationConfig,
                      *, as_video: bool, asking: AskingProtocol, model_id: str) -> ChatRequest:
        return ChatRequest(parts=(VideoPart(clips[0], "a"), VideoPart(clips[1], "b"),
                                  TextPart(self.prompts.render(ASK, question=sample.question))),
                           config=config)

    def parse_reply(self, sample: Any, text: str, asking: AskingProtocol) -> SampleOutput:
        words = set(re.findall(r"[a-z]+", (text or "").lower())) & set(ANSWERS)
        if len(words) != 1:
            return SampleOutput(sample.sample_key, {}, status="parse_error", raw=text,
                                error="no single word same or different in the reply")
        return SampleOutput(sample.sample_key, {}, status="ok", raw=text,
                            response=words.pop())

    def random_output(self, sample: Any, draw: Draw) -> SampleOutput:
        answer = draw(sample.sample_key).choice(ANSWERS)
        return SampleOutput(sample.sample_key, {}, status="ok", raw=answer, response=answer)

    def replayed(self, sample_key: str, prediction: Any) -> SampleOutput:
        return SampleOutput(sample_key, {}, status="ok", raw=prediction, response=prediction)


# --- scoring --------------------------------------------------------------------------------

def _block(correct: list[bool]) -> dict[str, Any]:
    n, k = len(correct), sum(correct)
    ci = bootstrap_ci([[c] for c in correct]) if n > 1 else None
    return {"accuracy": k / n if n else None, "ci95": list(ci) if ci else None,
            "n_scored": n, "n_correct": k, "p_vs_chance": binomial_test(k, n)}


def tiny_results(samples: list[TinySample], rows: list[dict[str, Any]]) -> dict[str, Any]:
    overall = _block([r["correct"] for r in rows])
    by_domain: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_domain[r["domain"]].append(r["correct"])
    return {
        "n_samples": len(samples), "n_scored": len(rows),
        "coverage": sum(r["status"] == "ok" for r in rows) / len(rows) if rows else 0.0,
        "status_counts": dict(sorted(Counter(r["status"] for r in rows).items())),
        "metrics": {k: overall[k] for k in ("accuracy", "ci95", "p_vs_chance")},
        "ci95": overall["ci95"],
        "breakdowns": {"domain": {d: _block(c) for d, c in sorted(by_domain.items())}},
    }


@dataclass(frozen=True)
class TinyRow(Record):
    """One line of tinybench's samples.jsonl: one pair."""

    sample_key: str
    domain: str
    given: str | None
    answer: str
    status: str
    correct: bool


class TinyBench(BenchmarkSpec):
    name = "tinybench"
    title = "TinyBench"
    citation = "vdbench's tests (tests/benchmark_plugin)"
    licence = "test data"
    modes = ("answer",)
    headline: Mapping[str, str] = {"answer": "accuracy"}
    axes: Mapping[str, str] = {"domain": "what the pair shows"}
    supports_swap = False

    def load(self, data: str, selection: Any, *, video_root: Path | None,
             cache_dir: Path | None, skip_missing: bool, check_videos: bool,
             revision: str | None) -> LoadedBenchmark:
        folder = Path(data)
        samples = load_pairs(folder)
        if selection is not None and selection.domain is not None:
            samples = [s for s in samples if s.domain == selection.domain]
        if selection is not None and selection.limit is not None:
            samples = samples[:selection.limit]
        digest = hashlib.sha256((folder / PAIRS_FILE).read_bytes()).hexdigest()[:16]
        return LoadedBenchmark(samples, str(folder.resolve()), digest,
                               Path(video_root or folder).resolve())

    def frame_spec(self, protocol: Protocol) -> FrameSpec:
        f = protocol.frames
        return FrameSpec(fps=FPS, max_frames=8, over_cap="thin_each", long_side=f.long_side,
                         jpeg_quality=f.jpeg_quality, image_format="jpeg")

    def tasks(self, prompts_dir: Path | None) -> Mapping[str, Task]:
        return {"answer": AnswerTask(prompts_dir)}

    def as_predictions(self, outputs: list[SampleOutput]) -> dict[str, str]:
        return {o.sample_key: o.response for o in outputs if o.status == "ok" and o.response}

    def parse_predictions(self, raw: Any, samples: list[Any], mode: str, *, strict: bool,
                          where: str) -> LoadedPredictions:
        known = {s.sample_key for s in samples}
        if not isinstance(raw, dict):
            raise InputError(f'{where}: expected {{"SAMPLE_KEY": {{"answer": ...}}}}')
        problems = [f"sample {k!r}: not a sample" for k in raw if k not in known]
        problems += [f"sample {k!r}: answer must be same or different" for k, v in raw.items()
                     if not (isinstance(v, dict) and v.get("answer") in ANSWERS)]
        missing = [k for k in known if k not in raw]
        if strict:
            problems += [f"sample {k!r}: missing" for k in missing]
        if problems:
            raise InputError(f"{where}: {len(problems)} problem(s)", problems=problems)
        return LoadedPredictions({k: v["answer"] for k, v in raw.items()}, "canonical",
                                 sorted(missing))

    def predictions_to_json(self, predictions: Any) -> dict[str, Any]:
        return {k: {"answer": v} for k, v in predictions.items()}

    async def score(self, samples: list[Any], predictions: Any, settings: ScoringSettings, *,
                    statuses: dict[str, str] | None = None, judge: Any = None,
                    ctx: Any = None, matched_by: dict[str, Any] | None = None) -> Scored:
        rows = []
        for s in samples:
            given = predictions.get(s.sample_key)
            status = (statuses or {}).get(s.sample_key, "ok" if given else "missing")
            rows.append(TinyRow(s.sample_key, s.domain, given, s.answer, status,
                                status == "ok" and given == s.answer).to_json())
        return Scored(tiny_results(samples, rows), rows)

    def record_types(self) -> Mapping[str, type[Record]]:
        return {"samples": TinyRow}

    def epoch_mean(self, samples: list[Any], mode: str, epochs: list[Scored]) -> dict[str, Any]:
        pooled = tiny_results(samples, [r for e in epochs for r in e.rows])
        return {k: pooled[k] for k in ("coverage", "metrics", "ci95", "breakdowns")}

    def chance(self, mode: str, results: Mapping[str, Any]) -> float | None:
        return 0.5


SPEC = TinyBench()
