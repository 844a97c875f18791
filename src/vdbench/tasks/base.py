"""A task: how one model call is built from a sample and its frames, and how the reply is
read back. A benchmark names its tasks (VidDiffBench: closed and open; ViDiC-1K: compare);
models receive the task with each item and never choose one themselves."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.protocol import AskingProtocol
from vdbench.core.types import SampleOutput
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig
from vdbench.tasks.prompts import PromptSet

Draw = Callable[..., random.Random]


class Task(ABC):
    name: str  # the mode: `--mode NAME`, recorded in results.json

    prompts: PromptSet  # the task's templates, with the run's --prompts in their place

    @abstractmethod
    def build_request(self, sample: Any, clips: tuple[Clip, Clip], config: GenerationConfig,
                      *, as_video: bool, asking: AskingProtocol, model_id: str) -> ChatRequest:
        """The request for one pair (video a always before video b)."""

    @abstractmethod
    def parse_reply(self, sample: Any, text: str, asking: AskingProtocol) -> SampleOutput:
        """The reply read into predictions, with a status saying what was usable."""

    @abstractmethod
    def templates(self, as_video: bool) -> tuple[str, ...]:
        """The names of the templates the task sends."""

    def prompt_hash(self, as_video: bool) -> str:
        return self.prompts.joint_hash(self.templates(as_video))

    def template_hashes(self, as_video: bool) -> dict[str, str]:
        return self.prompts.hashes(dict.fromkeys(self.templates(as_video)))

    @abstractmethod
    def random_output(self, sample: Any, draw: Draw) -> SampleOutput:
        """The `random` baseline's answer: what chance looks like for this task. `draw(*parts)`
        gives a generator seeded by the run's seed and the parts, never by the run's order."""

    def replayed(self, sample_key: str, prediction: Any) -> SampleOutput:
        """A prediction read from a file (`replay:PATH`) as the model's output."""
        return SampleOutput(sample_key, prediction)


@dataclass(frozen=True)
class TaskSet:
    """A benchmark's tasks as a model sees them: the one this run asks, and all of them (a
    model's provenance records the prompt hash of every task, so that runs of different modes
    of one model can be told apart and compared)."""

    chosen: Task
    all: Mapping[str, Task]
    # reads a prediction file for these samples (`replay:PATH`): the benchmark's own reader
    read_predictions: Callable[[Path, list[Any], str], Any]
