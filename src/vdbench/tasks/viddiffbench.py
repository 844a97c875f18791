"""VidDiffBench's two tasks as `Task`s: closed (each annotated difference, a or b?) and open
(the model names the differences). The prompt building and parsing live in closed.py and
open.py; this module gives them the interface models are handed."""

from __future__ import annotations

from pathlib import Path

from vdbench.core.protocol import AskingProtocol
from vdbench.core.types import DiffPrediction, SampleOutput
from vdbench.data.schema import Sample
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig
from vdbench.tasks import closed
from vdbench.tasks import open as open_mode
from vdbench.tasks.base import Draw, Task
from vdbench.tasks.pair_layout import templates
from vdbench.tasks.prompts import PromptSet

# Content-free statements for open mode: what a model that ignores the videos could say.
GENERIC_DIFFERENCES = (
    "the movement is faster", "the movement is larger", "the body is lower",
    "the arms are straighter", "the motion is smoother", "the stance is wider",
    "the action takes longer", "the posture is more upright",
)


class ClosedTask(Task):
    name = "closed"

    def __init__(self, prompts: PromptSet):
        self.prompts = prompts

    def build_request(self, sample: Sample, clips: tuple[Clip, Clip],
                      config: GenerationConfig, *, as_video: bool, asking: AskingProtocol,
                      model_id: str) -> ChatRequest:
        return closed.build_closed_request(sample, clips, config, self.prompts, as_video,
                                           asking, model_id)

    def parse_reply(self, sample: Sample, text: str, asking: AskingProtocol) -> SampleOutput:
        return closed.parse_closed_reply(sample, text, asking)

    def templates(self, as_video: bool) -> tuple[str, ...]:
        return templates("closed", as_video)

    def random_output(self, sample: Sample, draw: Draw) -> SampleOutput:
        return SampleOutput(sample.sample_key, {
            d.key: DiffPrediction(draw(sample.sample_key, d.key).choice("ab"))  # type: ignore[arg-type]
            for d in sample.closed_differences()})


class OpenTask(Task):
    name = "open"

    def __init__(self, prompts: PromptSet):
        self.prompts = prompts

    def build_request(self, sample: Sample, clips: tuple[Clip, Clip],
                      config: GenerationConfig, *, as_video: bool, asking: AskingProtocol,
                      model_id: str) -> ChatRequest:
        return open_mode.build_open_request(sample, clips, config, self.prompts, as_video,
                                            asking, model_id)

    def parse_reply(self, sample: Sample, text: str, asking: AskingProtocol) -> SampleOutput:
        return open_mode.parse_open_reply(sample, text, asking)

    def templates(self, as_video: bool) -> tuple[str, ...]:
        return templates("open", as_video)

    def random_output(self, sample: Sample, draw: Draw) -> SampleOutput:
        rng = draw(sample.sample_key, "open")
        n = min(sample.n_differences_open_prediction, len(GENERIC_DIFFERENCES))
        return SampleOutput(sample.sample_key, {
            str(i): DiffPrediction(rng.choice("ab"), text)  # type: ignore[arg-type]
            for i, text in enumerate(rng.sample(GENERIC_DIFFERENCES, n))})


def viddiffbench_tasks(prompts_dir: Path | None = None) -> dict[str, Task]:
    prompts = PromptSet.from_dir(prompts_dir)
    return {"closed": ClosedTask(prompts), "open": OpenTask(prompts)}
