"""OpenAI: the Chat Completions API (adapter: vdbench.llm.openai_api), its Batch API, prices
and image billing."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.llm.providers.base import Alias, Price, Provider


@dataclass(frozen=True)
class OpenAISettings:
    """What the named protocols set for OpenAI (`--model-option image_detail` wins)."""

    detail: Literal["low", "high", "auto"] = "low"


def image_tokens(width: int, height: int, model_id: str, detail: str) -> int:
    # gpt-4o-mini bills images at ~33x the tokens so that they cost what gpt-4o's do.
    base, per_tile = (2833, 5667) if "mini" in model_id else (85, 170)
    if detail == "low":
        return base
    w, h = float(width), float(height)
    if (longest := max(w, h)) > 2048:  # fit in a 2048 square, then shortest side at most 768
        w, h = w * 2048 / longest, h * 2048 / longest
    if (shortest := min(w, h)) > 768:
        w, h = w * 768 / shortest, h * 768 / shortest
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return base + per_tile * tiles


def _image_tokens(width: int, height: int, identity: Mapping[str, Any]) -> int:
    return image_tokens(width, height, str(identity.get("model", "")),
                        str(identity.get("image_detail", "high")))


PROVIDER = Provider(
    name="openai",
    adapter="vdbench.llm.openai_api:openai_adapter",
    description="any OpenAI model id, e.g. openai:gpt-4o-2024-11-20",
    extra="openai",
    key_env="OPENAI_API_KEY",
    setup="(or OPENAI_BASE_URL for a local server)",
    aliases=(
        Alias("gpt-4o", "gpt-4o-2024-08-06",
              "GPT-4o, the snapshot in the reference code's config"),
        Alias("gpt-4o-mini", "gpt-4o-mini-2024-07-18",
              "GPT-4o mini (the reference code's direction-check judge)"),
        Alias("gpt-5-mini", "gpt-5-mini-2025-08-07",
              "GPT-5 mini (ViDiC-1K's checklist judge; the authors' code names the undated "
              "gpt-5-mini); a reasoning model: temperature 1 only"),
        Alias("gpt-4.1", "gpt-4.1-2025-04-14", "GPT-4.1"),
    ),
    # List prices in USD for prompts under the long-context tier. Add a row when pinning.
    prices={
        "gpt-4o-2024-08-06": Price(2.50, 10.00),
        "gpt-4o-2024-05-13": Price(5.00, 15.00),  # the reference's VidDiff differencer
        "gpt-4o-mini-2024-07-18": Price(0.15, 0.60),
        "gpt-4.1-2025-04-14": Price(2.00, 8.00),
        # as listed in GitHub's Copilot models-and-pricing table (OpenAI's own page was not
        # reachable when pinned): check https://openai.com/api/pricing
        "gpt-5-mini-2025-08-07": Price(0.25, 2.00),
    },
    image_tokens=_image_tokens,
    batch="vdbench.llm.batch.openai_batch:OpenAIBatch",
    batch_client="vdbench.llm.batch.openai_batch:client_for",
    protocol={"paper": OpenAISettings(detail="high"), "fast": OpenAISettings()},
)
