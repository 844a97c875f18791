"""A provider adapter knows one API's wire format and nothing else: retries, limits, caching
and cost live once in `vdbench.llm.runtime.Runtime` (as inspect_ai's ModelAPI under generate)."""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from vdbench.core.errors import InputError
from vdbench.frames.sizing import PixelBudget
from vdbench.frames.types import ClipShape
from vdbench.llm.types import ChatRequest, Usage, VideoPart

DRY_RUN_KEY = "dry-run: never sent"


def api_key(var: str, model: str, *, dry_run: bool, fallback: str | None = None,
            hint: str = "") -> str:
    """The key from the SDK's usual variable. A dry run sends nothing, so it needs none."""
    key = os.environ.get(var) or fallback
    if key:
        return key
    if dry_run:
        return DRY_RUN_KEY
    raise InputError(f"{model}: set {var}{hint}")


class ProviderAdapter(ABC):
    """One provider's wire format. `complete` makes exactly one attempt and raises on failure."""

    provider: str  # "openai", "anthropic", "gemini", "vllm"
    model_id: str  # the pinned snapshot actually requested
    _client: Any = None
    _client_loop: asyncio.AbstractEventLoop | None = None
    _client_factory: Callable[[], Any] | None = None  # or override _new_client

    key_var: str | None = None  # the variable its API key comes from
    start_hint: str = ""  # how to start the server, for self-hosted providers
    # Videos reach the model as videos (an upload, a video part), not as a list of images;
    # the prompt then describes two videos instead of counting frames.
    sends_video: bool = False
    # Frames are resized to this budget before they are sent (the model's own pixel rule).
    frame_pixels: PixelBudget | None = None
    # The served context window in tokens, when the endpoint says (vLLM, after preflight).
    context_window: int | None = None

    @abstractmethod
    async def complete(self, request: ChatRequest) -> tuple[str, Usage]: ...

    @property
    def endpoint(self) -> str:
        return getattr(self, "base_url", None) or f"the {self.provider} API"

    def images_sent(self, videos: Sequence[VideoPart]) -> list[int]:
        """How many frames of each video a request carries (dry runs count these); an
        adapter that thins requests to an image limit says so."""
        return [len(v.clip) for v in videos]

    def visual_tokens(self, shapes: Sequence[ClipShape]) -> int | None:
        """The prompt tokens that clips of these shapes become, by the model's own rules;
        None where they are not known exactly."""
        return None

    async def preflight(self) -> None:
        """Check, before the first sample, that the endpoint is there and serves the model;
        raise RunFailure naming what to fix. Most providers need no check."""

    def what_to_fix(self, reason: str) -> str:
        """What the user should do about a failure that stops the run."""
        if reason == "authentication failed" and self.key_var:
            return f"set a valid {self.key_var}"
        if reason == "permission denied":
            return f"the key in {self.key_var or 'use'} may not use {self.model_id}"
        if reason.startswith("not found"):
            return f"check the model id {self.model_id!r} and the endpoint ({self.endpoint})"
        if reason == "quota exhausted":
            return f"add quota or credit to the {self.provider} account"
        if reason == "connection refused":
            return f"nothing answers at {self.endpoint}" + (
                f"; {self.start_hint}" if self.start_hint else "")
        return "see the message"

    def cache_identity(self) -> dict[str, Any]:
        """Everything besides the request that changes the reply (never the API key)."""
        return {"provider": self.provider, "model": self.model_id}

    def _new_client(self) -> Any:
        if self._client_factory is None:
            raise NotImplementedError("adapters that use client() say how to make it")
        return self._client_factory()

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
