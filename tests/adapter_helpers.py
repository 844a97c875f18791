"""Shared by the Anthropic and Gemini adapter tests, which run the real SDKs against servers/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from servers.base import Fault
from vdbench.llm.adapter import ProviderAdapter
from vdbench.llm.cache import ResponseCache
from vdbench.llm.retry import RetryPolicy
from vdbench.llm.runtime import Runtime
from vdbench.llm.types import ChatReply, ChatRequest

# (fault, retryable, retry_after): what classify() must make of the error each fault causes
FAULT_VERDICTS = [
    (Fault("429", retry_after="7"), True, 7.0),
    (Fault("500"), True, None),
    (Fault("drop"), True, None),
    (Fault("malformed"), True, None),
    (Fault("400"), False, None),
]


def call_with_cache(cache_dir: Path, make_adapter: Callable[[], ProviderAdapter],
                    request: ChatRequest) -> ChatReply:
    """One runtime call, quick retries, on the response cache in cache_dir; closes both."""
    async def go() -> ChatReply:
        runtime = Runtime(ResponseCache(cache_dir / "responses.sqlite"),
                          policy=RetryPolicy(base_delay_s=0.01, max_delay_s=0.02))
        adapter = make_adapter()
        try:
            return await runtime.call(adapter, request)
        finally:
            await adapter.aclose()
            runtime.cache.close()

    return asyncio.run(go())
