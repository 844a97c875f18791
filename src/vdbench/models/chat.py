"""Chat models: a provider adapter asked with the task's prompt, its reply parsed.

Every call goes through the run's runtime (`vdbench.llm.runtime.Runtime`); the adapter only
knows its wire format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from vdbench.core.protocol import AskingProtocol, GenerationProtocol
from vdbench.core.types import SampleOutput
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip, ClipShape, blank_clip
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.context import CallContext
from vdbench.llm.cost import text_tokens
from vdbench.llm.providers import make_adapter
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatReply, ChatRequest, GenerationConfig
from vdbench.models.base import EvalItem, Model, PromptSize
from vdbench.tasks.base import Task, TaskSet
from vdbench.tasks.pair_layout import TOLERANT

DEFAULT_GENERATION = GenerationProtocol()


class ChatModel(Model):
    """A model behind a provider adapter, asked with the task's prompt and parsed."""

    def __init__(self, name: str, adapter: ProviderAdapter, runtime: Runtime, seed: int = 0,
                 generation: GenerationProtocol = DEFAULT_GENERATION,
                 asking: AskingProtocol = TOLERANT):
        self.name = name
        self.adapter = adapter
        self.config = GenerationConfig(temperature=generation.temperature, seed=seed,
                                       max_tokens=generation.max_tokens,
                                       json_mode=generation.json_mode)
        self.runtime = runtime
        self.asking = asking
        self.tasks: TaskSet | None = None

    def bind(self, samples: list[Any], tasks: TaskSet) -> None:
        self.tasks = tasks

    def _request(self, sample: Any, task: Task, clips: tuple[Clip, Clip]) -> ChatRequest:
        return task.build_request(sample, clips, self.config, as_video=self.adapter.sends_video,
                                  asking=self.asking, model_id=self.adapter.model_id)

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert item.clips is not None
        reply: ChatReply = await self.runtime.call(
            self.adapter, self._request(item.sample, item.task, item.clips))
        if reply.status != "ok":
            out = SampleOutput(item.sample.sample_key, {}, status="api_error", error=reply.error)
        else:
            out = item.task.parse_reply(item.sample, reply.text or "", self.asking)
        out.cost_usd, out.n_requests, out.n_cached = reply.cost_usd, 1, int(reply.cached)
        return out

    async def preflight(self) -> None:
        await self.adapter.preflight()

    def frames_for(self, spec: FrameSpec) -> FrameSpec:
        pixels = self.adapter.frame_pixels  # the model's own per-frame budget (Qwen2-VL)
        return spec if pixels is None else dataclasses.replace(spec, pixels=pixels)

    @property
    def context_window(self) -> int | None:
        return self.adapter.context_window

    def prompt_size(self, sample: Any, task: Task,
                    shapes: tuple[ClipShape, ClipShape]) -> PromptSize | None:
        visual = self.adapter.visual_tokens(shapes)
        if visual is None:
            return None
        request = self._request(sample, task, (blank_clip(shapes[0]), blank_clip(shapes[1])))
        return PromptSize(visual, text_tokens(request))

    def provenance(self) -> dict[str, Any]:
        as_video = self.adapter.sends_video
        return {
            "name": self.name,
            **self.adapter.cache_identity(),
            "temperature": self.config.temperature,
            "seed": self.config.seed,
            **self._prompt_provenance(as_video),
        }

    def _prompt_provenance(self, as_video: bool) -> dict[str, Any]:
        """Each task's prompt hash, and every template's, of the benchmark's tasks."""
        if self.tasks is None:
            return {}
        tasks = self.tasks.all.values()
        return {"prompt_hash": {t.name: t.prompt_hash(as_video) for t in tasks},
                "prompts": {k: v for t in tasks for k, v in t.template_hashes(as_video).items()}}

    async def aclose(self) -> None:
        await self.adapter.aclose()


def chat_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> ChatModel:
    """The catalog's factory for every alias and `provider:MODEL-ID`."""
    return ChatModel(name, make_adapter(name, ctx, options), ctx.runtime, ctx.seed,
                     ctx.protocol.generation, ctx.protocol.asking)
