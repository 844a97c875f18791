"""The model interface: a model answers one sample at a time. Which names exist, and which
module builds each, is the catalog's business (`vdbench.catalog`), not this module's."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from vdbench.core.types import SampleOutput
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip, ClipShape
from vdbench.tasks.base import Task, TaskSet


@dataclass(frozen=True)
class PromptSize:
    """A request's prompt in tokens before it is sent: its frames by the model's own rule
    (exact), its text estimated."""

    visual: int
    text: int

    @property
    def total(self) -> int:
        return self.visual + self.text


@dataclass(frozen=True)
class EvalItem:
    sample: Any  # the benchmark's sample type
    task: Task  # what to ask: the benchmark's task for this run's mode
    clips: tuple[Clip, Clip] | None  # None for models that do not look at frames

    @property
    def mode(self) -> str:
        return self.task.name


class Model(ABC):
    name: str
    needs_frames: ClassVar[bool] = True

    def bind(self, samples: list[Any], tasks: TaskSet) -> None:  # noqa: B027 - optional hook
        """Called once with the run's samples, in order, and the benchmark's tasks (the one
        asked in `tasks.chosen`), before any predict()."""

    @abstractmethod
    async def predict(self, item: EvalItem) -> SampleOutput: ...

    def frames_for(self, spec: FrameSpec) -> FrameSpec:
        """The sampling this model is shown: the run's, unless the model's method samples
        otherwise (the VidDiff method's own rates under the paper protocol)."""
        return spec

    def matched_by_itself(self) -> dict[str, Any] | None:
        """Open mode: None when a judge matches the model's differences to the annotated ones
        (the standard protocol); else who matched them (the VidDiff method's
        open_protocol=paper keys its answers by annotated keys itself), scored with no judge
        and no direction check."""
        return None

    async def preflight(self) -> None:  # noqa: B027 - optional hook
        """Before the first sample: check that what the model calls is there (RunFailure)."""

    @property
    def context_window(self) -> int | None:
        """The served context window in tokens, where the endpoint says (after preflight)."""
        return None

    def prompt_size(self, sample: Any, task: Task,
                    shapes: tuple[ClipShape, ClipShape]) -> PromptSize | None:
        """The size of the sample's request, where the model knows it exactly for its frames."""
        return None

    def provenance(self) -> dict[str, Any]:
        """What identifies this model's outputs (snapshot, prompt hash, settings)."""
        return {"name": self.name}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass
