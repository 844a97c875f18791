"""vLLM: open models served on an OpenAI-compatible endpoint (adapter: vdbench.llm.openai_api).
Self-hosted, so every call costs 0; no Batch API."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vdbench.llm.providers.base import Alias, Provider


def _image_tokens(width: int, height: int, identity: Mapping[str, Any]) -> int:
    # A model of a family vdbench has no exact rule for (vision_tokens): Qwen2-VL's image rule.
    return math.ceil(width / 28) * math.ceil(height / 28)


PROVIDER = Provider(
    name="vllm",
    adapter="vdbench.llm.openai_api:vllm_adapter",
    description="any model a vLLM server serves, e.g. vllm:Qwen/Qwen2.5-VL-7B-Instruct",
    extra="openai",
    setup="a vLLM server at VLLM_BASE_URL (default http://localhost:8000/v1)",
    aliases=(
        Alias("qwen2-vl-7b", "Qwen/Qwen2-VL-7B-Instruct",
              "Qwen2-VL-7B-Instruct served by vLLM, videos sent as videos"),
        Alias("llava-video-7b", "lmms-lab/LLaVA-Video-7B-Qwen2",
              "LLaVA-Video-7B-Qwen2 served by vLLM (converted to llava-onevision format)"),
    ),
    free=True,
    image_tokens=_image_tokens,
)
