"""Short model names pinned to snapshots, so a result names exactly what was asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .base import Model, ModelOptions, register

OPENAI_NEEDS = ("pip install 'vdbench[openai]'; OPENAI_API_KEY "
                "(or OPENAI_BASE_URL for a local server)")
VLLM_NEEDS = ("pip install 'vdbench[openai]'; a vLLM server at VLLM_BASE_URL "
              "(default http://localhost:8000/v1)")
ANTHROPIC_NEEDS = "pip install 'vdbench[anthropic]'; ANTHROPIC_API_KEY"
GEMINI_NEEDS = ("pip install 'vdbench[gemini]' ('vdbench[video]' too for gemini_input=video); "
                "GEMINI_API_KEY")


@dataclass(frozen=True)
class Alias:
    name: str
    provider: str  # the adapter that serves it: "openai", "vllm", ...
    snapshot: str  # the model id actually requested
    description: str
    needs: str  # extra, key and endpoint it needs, shown by `vdbench models`


ALIASES: tuple[Alias, ...] = (
    Alias("gpt-4o", "openai", "gpt-4o-2024-08-06",
          "GPT-4o, the snapshot evaluated in the paper", OPENAI_NEEDS),
    Alias("gpt-4o-mini", "openai", "gpt-4o-mini-2024-07-18",
          "GPT-4o mini (also the paper's judge for flipped predictions)", OPENAI_NEEDS),
    Alias("gpt-4.1", "openai", "gpt-4.1-2025-04-14", "GPT-4.1", OPENAI_NEEDS),
    Alias("qwen2-vl-7b", "vllm", "Qwen/Qwen2-VL-7B-Instruct",
          "Qwen2-VL-7B-Instruct served by vLLM, videos sent as videos", VLLM_NEEDS),
    Alias("llava-video-7b", "vllm", "lmms-lab/LLaVA-Video-7B-Qwen2",
          "LLaVA-Video-7B-Qwen2 served by vLLM (converted to llava-onevision format)",
          VLLM_NEEDS),
    Alias("claude-3-5-sonnet", "anthropic", "claude-3-5-sonnet-20240620",
          "Claude 3.5 Sonnet, the snapshot evaluated in the paper", ANTHROPIC_NEEDS),
    Alias("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929",
          "Claude Sonnet 4.5", ANTHROPIC_NEEDS),
    Alias("gemini-1.5-pro", "gemini", "gemini-1.5-pro-002",
          "Gemini 1.5 Pro, the model evaluated in the paper", GEMINI_NEEDS),
    Alias("gemini-2.5-pro", "gemini", "gemini-2.5-pro", "Gemini 2.5 Pro", GEMINI_NEEDS),
)


def aliases_for(provider: str) -> list[Alias]:
    return [a for a in ALIASES if a.provider == provider]


MakeModel = Callable[[str, str, ModelOptions], Model]  # (model id, display name, options)


def register_provider(provider: str, make: MakeModel, example: str, needs: str) -> None:
    """Register the provider's aliases and its `provider:MODEL-ID` form."""
    for alias in aliases_for(provider):
        register(alias.name, alias.description, alias.needs)(
            lambda _arg, options, a=alias: make(a.snapshot, a.name, options))
    register(provider, f"any {provider} model id, e.g. {provider}:{example}", needs, prefix=True)(
        lambda model_id, options: make(model_id, f"{provider}:{model_id}", options))
