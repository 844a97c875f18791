"""Chat models: a provider adapter (one API call) driven by the shared request runtime.

The split mirrors inspect_ai's ModelAPI / generate: an adapter knows only its wire format;
retries, rate limits, caching and cost live once in `vdbench.runtime.Runtime`.
"""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from typing import Any

from ..errors import InputError
from ..models.base import EvalItem, Model, ModelOptions, SampleOutput
from ..models.types import ChatReply, ChatRequest, GenerationConfig, Usage
from ..tasks import closed
from ..tasks import open as open_task

DRY_RUN_KEY = "dry-run: never sent"


def api_key(var: str, options: ModelOptions, model: str, *, fallback: str | None = None,
            hint: str = "") -> str:
    """The key from the SDK's usual variable. A dry run sends nothing, so it needs none."""
    key = os.environ.get(var) or fallback
    if key:
        return key
    if options.extra.get("dry_run"):
        return DRY_RUN_KEY
    raise InputError(f"--model {model}: set {var}{hint}")


class ProviderAdapter(ABC):
    """One provider's wire format. `complete` makes exactly one attempt and raises on failure."""

    provider: str  # "openai", "anthropic", "gemini", "vllm"
    model_id: str  # the pinned snapshot actually requested
    _client: Any = None
    _client_loop: asyncio.AbstractEventLoop | None = None

    @abstractmethod
    async def complete(self, request: ChatRequest) -> tuple[str, Usage]: ...

    def cache_identity(self) -> dict[str, Any]:
        """Everything besides the request that changes the reply (never the API key)."""
        return {"provider": self.provider, "model": self.model_id}

    def _new_client(self) -> Any:
        raise NotImplementedError("adapters that use client() make their SDK client here")

    def client(self) -> Any:
        """The SDK client of the running event loop: an SDK's connection pool belongs to the
        loop that first used it, and each asyncio.run has a new one."""
        loop = asyncio.get_running_loop()
        if self._client_loop is not loop:
            self._client, self._client_loop = self._new_client(), loop
            self._on_new_client()
        return self._client

    def _on_new_client(self) -> None:
        pass

    async def _close_client(self, client: Any) -> None:
        await client.close()

    async def aclose(self) -> None:
        if self._client is not None:  # never used: nothing to close
            await self._close_client(self.client())
            self._client, self._client_loop = None, None


TASKS = {
    "closed": (closed.build_closed_request, closed.parse_closed_reply),
    "open": (open_task.build_open_request, open_task.parse_open_reply),
}


class ChatModel(Model):
    """A model behind a provider adapter, asked with the task's prompt and parsed."""

    def __init__(self, name: str, adapter: ProviderAdapter, options: ModelOptions):
        from ..runtime import get_runtime

        self.name = name
        self.adapter = adapter
        self.config = GenerationConfig(seed=options.seed)
        self.runtime = get_runtime(options)

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert item.clips is not None
        build, parse = TASKS[item.mode]
        reply: ChatReply = await self.runtime.call(
            self.adapter, build(item.sample, item.clips, self.config))
        if reply.status != "ok":
            out = SampleOutput(item.sample.sample_key, {}, status="api_error", error=reply.error)
        else:
            out = parse(item.sample, reply.text)
        out.cost_usd, out.n_requests, out.n_cached = reply.cost_usd, 1, int(reply.cached)
        return out

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.adapter.cache_identity(),
            "temperature": self.config.temperature,
            "seed": self.config.seed,
            "prompt_hash": {"closed": closed.prompt_hash(), "open": open_task.prompt_hash()},
        }

    async def aclose(self) -> None:
        await self.adapter.aclose()


def get_chat_model(name: str, options: ModelOptions, role: str) -> ChatModel:
    """A registered model that is an LLM behind an adapter, for a judge or a method's stage;
    `role` names the option that asked for it, in errors."""
    from .base import get_model

    try:
        model = get_model(name, options)
    except InputError as exc:
        raise InputError(f"{role}: cannot use {name!r} ({exc})") from None
    if not isinstance(model, ChatModel):
        raise InputError(f"{role}: {name!r} is not an LLM served through an adapter")
    return model
