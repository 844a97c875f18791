"""Anthropic: the Messages API (adapter: vdbench.llm.anthropic_api), its Message Batches API,
prices and image billing."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vdbench.llm.providers.base import Alias, Price, Provider

# Claude: an image whose long edge is over 1568 px, or that would be over ~1,600 tokens
# (width x height / 750), is first scaled down, keeping its aspect ratio, until it is within
# both; it is billed at the size it is scaled to (docs.claude.com/en/docs/vision, "Evaluate
# image size"). The docs recommend at most 1.15 megapixels, which is ~1,530 tokens; the
# billing limit is the ~1,600 tokens.
LONG_EDGE = 1568
MAX_IMAGE_TOKENS = 1600


@dataclass(frozen=True)
class AnthropicSettings:
    """What the named protocols set for Claude."""

    jpeg_quality: int | None = None  # re-encode frames as JPEG at this quality


def image_tokens(width: int, height: int, long_edge: int = LONG_EDGE) -> int:
    """An image as the adapter sends it (long edge at most `long_edge`) and Claude bills it."""
    scale = min(1.0, min(long_edge, LONG_EDGE) / max(width, height))
    return min(MAX_IMAGE_TOKENS, math.ceil(width * scale * height * scale / 750))


def _image_tokens(width: int, height: int, identity: Mapping[str, Any]) -> int:
    return image_tokens(width, height, int(identity.get("max_long_edge", LONG_EDGE)))


PROVIDER = Provider(
    name="anthropic",
    adapter="vdbench.llm.anthropic_api:anthropic_adapter",
    description="any Anthropic model id, e.g. anthropic:claude-opus-4-1-20250805",
    extra="anthropic",
    key_env="ANTHROPIC_API_KEY",
    aliases=(
        Alias("claude-3-5-sonnet", "claude-3-5-sonnet-20241022",
              "Claude 3.5 Sonnet; the reference ran an undated OpenRouter alias, 20241022 is "
              "the only date its code names"),
        Alias("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5"),
    ),
    prices={
        "claude-3-5-sonnet-20240620": Price(3.00, 15.00),
        "claude-3-5-sonnet-20241022": Price(3.00, 15.00),
        "claude-sonnet-4-20250514": Price(3.00, 15.00),
        "claude-sonnet-4-5-20250929": Price(3.00, 15.00),
    },
    image_tokens=_image_tokens,
    batch="vdbench.llm.batch.anthropic_batch:AnthropicBatch",
    batch_client="vdbench.llm.batch.anthropic_batch:client_for",
    protocol={"paper": AnthropicSettings(jpeg_quality=75), "fast": AnthropicSettings()},
)
