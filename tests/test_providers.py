"""Providers are records in a registry (vdbench.llm.providers): one added from outside the
package through the entry-point group `vdbench.providers` is listed, resolved and called like
a built-in one, and a provider or model without a price or image rule says "unknown" instead
of borrowing OpenAI's figures."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from conftest import call_context
from servers.chat_requests import tiny_clip, two_video_request
from vdbench.catalog import find, list_models
from vdbench.core.protocol import PROTOCOLS
from vdbench.llm.cost import estimate_request, price_of, usage_cost
from vdbench.llm.providers import make_adapter, registry, resolve
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, Usage

PLUGIN = '''
import os
from dataclasses import dataclass

from vdbench.llm.providers.base import Alias, Provider

PROVIDER = Provider(
    name="localai",
    adapter="vdbench_localai_plugin:make",
    description="any model a LocalAI server serves (OpenAI's wire format)",
    extra="openai",
    setup="a server at LOCALAI_BASE_URL",
    aliases=(Alias("local-echo", "any", "the test server's model"),),
    protocol={"paper": "paper settings", "fast": "fast settings"},
)


@dataclass(frozen=True)
class Options:
    pass


def make(model_id, ctx, options: Options):
    from vdbench.llm.openai_api import OpenAIChatAdapter

    class LocalAIAdapter(OpenAIChatAdapter):
        provider = "localai"

    return LocalAIAdapter(model_id, base_url=os.environ["LOCALAI_BASE_URL"],
                          api_key="sk-local-0123456789", timeout_s=ctx.runtime.policy.timeout_s)
'''


def install_plugin(site: Path) -> None:
    """A distribution on sys.path, as pip would leave it (as test_architecture's model
    plugin): a module and its dist-info naming its Provider in the group vdbench.providers."""
    (site / "vdbench_localai_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "vdbench_localai_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vdbench-localai-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[vdbench.providers]\nlocalai = vdbench_localai_plugin:PROVIDER\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    registry.refresh()
    yield registry.get("localai")
    registry.refresh()


def test_a_plugin_provider_is_listed_resolved_and_called(plugin, tmp_path, monkeypatch):
    pytest.importorskip("openai")
    from servers.openai_server import FakeOpenAIServer

    assert plugin is not None and plugin.plugin == "vdbench-localai-plugin"
    assert plugin.settings(PROTOCOLS["paper"]) == "paper settings"
    shown = {e.shown: e for e in list_models()}
    assert "localai:MODEL" in shown and "vdbench-localai-plugin" in shown["localai:MODEL"].description
    assert shown["local-echo"].needs == ("pip install 'vdbench[openai]'; "
                                         "a server at LOCALAI_BASE_URL")
    assert find("localai:some-model").name == "localai:"
    assert resolve("local-echo") == ("localai", "any")

    with FakeOpenAIServer(reply=lambda body: "b") as server:
        monkeypatch.setenv("LOCALAI_BASE_URL", server.base_url)
        ctx = call_context(tmp_path / "cache")
        adapter = make_adapter("local-echo", ctx)
        assert adapter.provider == "localai"
        request = ChatRequest((TextPart("a or b?"),), config=GenerationConfig())

        async def go():
            try:
                return await ctx.runtime.call(adapter, request)
            finally:
                await adapter.aclose()

        reply = asyncio.run(go())
    assert reply.status == "ok" and reply.text == "b"
    assert server.requests[-1].body["model"] == "any"
    # no price declared: costed at 0 and named unpriced, never at OpenAI's price
    assert reply.cost_usd == 0.0 and ctx.runtime.stats.unpriced_models == {"any"}


def test_a_provider_without_a_price_or_image_rule_says_unknown(plugin, tmp_path, monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.setenv("LOCALAI_BASE_URL", "http://localhost:9/v1")
    assert price_of("localai", "gpt-4o-2024-08-06") is None  # OpenAI's row is OpenAI's only
    assert usage_cost("localai", "gpt-4o-2024-08-06", Usage(1000, 100)) is None
    assert price_of("openai", "gpt-4o-2024-08-06") is not None
    assert price_of("vllm", "anything") is not None  # self-hosted: free, as before
    assert usage_cost("vllm", "anything", Usage(1000, 100)) == 0.0

    ctx = call_context(tmp_path / "cache", dry_run=True)
    request = two_video_request(tiny_clip(1, n_frames=3), tiny_clip(2, n_frames=3))
    estimate = estimate_request(make_adapter("localai:gpt-4o-2024-08-06", ctx), request)
    assert estimate.cost_usd is None and estimate.n_images == 6
    priced = estimate_request(make_adapter("gpt-4o", ctx), request)
    assert priced.cost_usd is not None and priced.input_tokens > estimate.input_tokens

    asyncio.run(ctx.runtime.call(make_adapter("localai:m", ctx), request))
    tally = ctx.runtime.dry_run
    assert tally.unpriced_models == {"m"} and tally.stages["model"].unpriced


def test_an_unknown_provider_is_not_a_model():
    assert resolve("nosuch:model") is None
    with pytest.raises(Exception, match="unknown model"):
        find("nosuch:model")
