"""Chat models: a provider adapter asked with the task's prompt, its reply parsed.

Every call goes through the run's runtime (`vdbench.llm.runtime.Runtime`); the adapter only
knows its wire format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from vdbench.core.protocol import AskingProtocol, GenerationProtocol
from vdbench.core.types import Mode, SampleOutput
from vdbench.data.schema import Sample
from vdbench.frames.spec import FrameSpec
from vdbench.frames.types import Clip, ClipShape, blank_clip
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.context import CallContext
from vdbench.llm.cost import text_tokens
from vdbench.llm.providers import make_adapter
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatReply, ChatRequest, GenerationConfig
from vdbench.models.base import EvalItem, Model, PromptSize
from vdbench.tasks import closed
from vdbench.tasks import open as open_task
from vdbench.tasks.prompts import PromptSet

TASKS = {
    "closed": (closed.build_closed_request, closed.parse_closed_reply),
    "open": (open_task.build_open_request, open_task.parse_open_reply),
}

DEFAULT_GENERATION = GenerationProtocol()


class ChatModel(Model):
    """A model behind a provider adapter, asked with the task's prompt and parsed."""

    def __init__(self, name: str, adapter: ProviderAdapter, runtime: Runtime, seed: int = 0,
                 prompts: PromptSet | None = None,
                 generation: GenerationProtocol = DEFAULT_GENERATION,
                 asking: AskingProtocol = closed.TOLERANT):
        self.name = name
        self.adapter = adapter
        self.config = GenerationConfig(temperature=generation.temperature, seed=seed,
                                       max_tokens=generation.max_tokens,
                                       json_mode=generation.json_mode)
        self.runtime = runtime
        self.prompts = prompts or PromptSet.default()
        self.asking = asking

    def _request(self, sample: Sample, mode: Mode, clips: tuple[Clip, Clip]) -> ChatRequest:
        build, _ = TASKS[mode]
        return build(sample, clips, self.config, self.prompts,
                     as_video=self.adapter.sends_video, asking=self.asking,
                     model_id=self.adapter.model_id)

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert item.clips is not None
        reply: ChatReply = await self.runtime.call(
            self.adapter, self._request(item.sample, item.mode, item.clips))
        if reply.status != "ok":
            out = SampleOutput(item.sample.sample_key, {}, status="api_error", error=reply.error)
        else:
            out = TASKS[item.mode][1](item.sample, reply.text or "", self.asking)
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

    def prompt_size(self, sample: Sample, mode: Mode,
                    shapes: tuple[ClipShape, ClipShape]) -> PromptSize | None:
        visual = self.adapter.visual_tokens(shapes)
        if visual is None:
            return None
        request = self._request(sample, mode, (blank_clip(shapes[0]), blank_clip(shapes[1])))
        return PromptSize(visual, text_tokens(request))

    def provenance(self) -> dict[str, Any]:
        as_video = self.adapter.sends_video
        return {
            "name": self.name,
            **self.adapter.cache_identity(),
            "temperature": self.config.temperature,
            "seed": self.config.seed,
            "prompt_hash": {"closed": closed.prompt_hash(self.prompts, as_video),
                            "open": open_task.prompt_hash(self.prompts, as_video)},
            "prompts": self.prompts.hashes(dict.fromkeys(
                closed.templates("closed", as_video) + closed.templates("open", as_video))),
        }

    async def aclose(self) -> None:
        await self.adapter.aclose()


def chat_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> ChatModel:
    """The catalog's factory for every alias and `provider:MODEL-ID`."""
    return ChatModel(name, make_adapter(name, ctx, options), ctx.runtime, ctx.seed,
                     PromptSet.from_dir(ctx.protocol.prompts_dir), ctx.protocol.generation,
                     ctx.protocol.asking)
