"""Short model names pinned to snapshots, so a result names exactly what was asked."""

from __future__ import annotations

from dataclasses import dataclass

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
          "GPT-4o, the snapshot in the reference code's config", OPENAI_NEEDS),
    Alias("gpt-4o-mini", "openai", "gpt-4o-mini-2024-07-18",
          "GPT-4o mini (the reference code's direction-check judge)", OPENAI_NEEDS),
    Alias("gpt-5-mini", "openai", "gpt-5-mini-2025-08-07",
          "GPT-5 mini (ViDiC-1K's checklist judge; the authors' code names the undated "
          "gpt-5-mini); a reasoning model: temperature 1 only", OPENAI_NEEDS),
    Alias("gpt-4.1", "openai", "gpt-4.1-2025-04-14", "GPT-4.1", OPENAI_NEEDS),
    Alias("qwen2-vl-7b", "vllm", "Qwen/Qwen2-VL-7B-Instruct",
          "Qwen2-VL-7B-Instruct served by vLLM, videos sent as videos", VLLM_NEEDS),
    Alias("llava-video-7b", "vllm", "lmms-lab/LLaVA-Video-7B-Qwen2",
          "LLaVA-Video-7B-Qwen2 served by vLLM (converted to llava-onevision format)",
          VLLM_NEEDS),
    Alias("claude-3-5-sonnet", "anthropic", "claude-3-5-sonnet-20241022",
          "Claude 3.5 Sonnet; the reference ran an undated OpenRouter alias, 20241022 is the "
          "only date its code names", ANTHROPIC_NEEDS),
    Alias("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929",
          "Claude Sonnet 4.5", ANTHROPIC_NEEDS),
    Alias("gemini-1.5-pro", "gemini", "gemini-1.5-pro-002",
          "Gemini 1.5 Pro, pinned to -002; the reference ran the undated alias "
          "models/gemini-1.5-pro", GEMINI_NEEDS),
    Alias("gemini-2.5-pro", "gemini", "gemini-2.5-pro", "Gemini 2.5 Pro", GEMINI_NEEDS),
)
