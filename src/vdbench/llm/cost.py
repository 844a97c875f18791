"""What calls cost: a price table for pinned snapshots, and an estimator for dry runs."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from vdbench.core.errors import InputError
from vdbench.frames.types import ClipShape
from vdbench.llm.types import ChatRequest, TextPart, Usage, VideoPart

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter


@dataclass(frozen=True)
class Price:
    input_per_mtok: float  # USD per million input tokens
    output_per_mtok: float


# List prices in USD for prompts under the long-context tier. Add a row when pinning a snapshot.
PRICES: dict[str, Price] = {
    "gpt-4o-2024-08-06": Price(2.50, 10.00),
    "gpt-4o-2024-05-13": Price(5.00, 15.00),  # the reference's VidDiff differencer
    "gpt-4o-mini-2024-07-18": Price(0.15, 0.60),
    "gpt-4.1-2025-04-14": Price(2.00, 8.00),
    # as listed in GitHub's Copilot models-and-pricing table (OpenAI's own page was not
    # reachable when pinned): check https://openai.com/api/pricing
    "gpt-5-mini-2025-08-07": Price(0.25, 2.00),
    "claude-3-5-sonnet-20240620": Price(3.00, 15.00),
    "claude-3-5-sonnet-20241022": Price(3.00, 15.00),
    "claude-sonnet-4-20250514": Price(3.00, 15.00),
    "claude-sonnet-4-5-20250929": Price(3.00, 15.00),
    "gemini-1.5-pro-002": Price(1.25, 5.00),
    "gemini-2.5-pro": Price(1.25, 10.00),
}
FREE_PROVIDERS = frozenset({"vllm"})  # self-hosted: no per-token bill
# What a Batch API request costs as a share of the live price (OpenAI, Anthropic and Gemini
# all bill batches at half price).
BATCH_DISCOUNT = 0.5


def price_of(provider: str, model_id: str, fallback: Price | None = None) -> Price | None:
    """The listed price of a snapshot, else the run's --price; None when unknown."""
    if provider in FREE_PROVIDERS:
        return Price(0.0, 0.0)
    return PRICES.get(model_id, fallback)


def parse_price(text: str) -> Price:
    """`--price INPUT_PER_M,OUTPUT_PER_M` (USD per million tokens)."""
    try:
        values = [float(x) for x in text.split(",")]
        if len(values) != 2 or not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError
    except ValueError:
        raise InputError(f"--price: expected INPUT_PER_M,OUTPUT_PER_M in USD per million "
                         f"tokens (e.g. 2.5,10), got {text!r}") from None
    return Price(*values)


def usage_cost(provider: str, model_id: str, usage: Usage,
               fallback: Price | None = None, *, batch: bool = False) -> float | None:
    """USD for one call from the API's reported usage; None when the model has no price.
    `batch`: the request went through a Batch API job, billed at BATCH_DISCOUNT."""
    price = price_of(provider, model_id, fallback)
    if price is None:
        return None
    cost = (usage.input_tokens * price.input_per_mtok
            + usage.output_tokens * price.output_per_mtok) / 1e6
    return cost * BATCH_DISCOUNT if batch else cost


# --- estimates for dry runs --------------------------------------------------------------

# Models that think before they answer, by default and at a length not known beforehand, and
# bill the thinking as output (gemini-2.5-pro cannot turn thinking off; its budget is dynamic).
# Estimates leave thinking out and say so (DryRunTally.thinking_usd_per_1k).
THINKING_MODELS = frozenset({"gemini-2.5-pro"})

# Claude: an image whose long edge is over 1568 px, or that would be over ~1,600 tokens
# (width x height / 750), is first scaled down, keeping its aspect ratio, until it is within
# both; it is billed at the size it is scaled to (docs.claude.com/en/docs/vision, "Evaluate
# image size"). The docs recommend at most 1.15 megapixels, which is ~1,530 tokens; the
# billing limit is the ~1,600 tokens.
ANTHROPIC_LONG_EDGE = 1568
ANTHROPIC_MAX_IMAGE_TOKENS = 1600

# Gemini, an uploaded video: sampled at video_metadata.fps (1 fps unless told), each sampled
# frame billed at 258 tokens at the default media resolution (66 at low, which vdbench does not
# ask for) whatever the video's resolution, plus 32 tokens a second of audio
# (ai.google.dev/gemini-api/docs/video-understanding, "Technical details about videos": "about
# 300 tokens per second" at the default resolution, audio and metadata included). The mp4s
# gemini_api.encode_mp4 writes have no audio track, so no audio tokens; the timestamp metadata
# Gemini adds each second is not counted.
GEMINI_VIDEO_TOKENS_PER_FRAME = 258


class RequestEstimate(NamedTuple):
    n_images: int  # images (frames) the provider is sent, or samples from an uploaded video
    input_tokens: int
    cost_usd: float | None  # None for unpriced models


def _openai_image_tokens(width: int, height: int, model_id: str, detail: str) -> int:
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


def _anthropic_image_tokens(width: int, height: int, long_edge: int = ANTHROPIC_LONG_EDGE) -> int:
    """An image as the adapter sends it (long edge at most `long_edge`) and Claude bills it."""
    scale = min(1.0, min(long_edge, ANTHROPIC_LONG_EDGE) / max(width, height))
    return min(ANTHROPIC_MAX_IMAGE_TOKENS, math.ceil(width * scale * height * scale / 750))


def _gemini_image_tokens(width: int, height: int) -> int:
    if max(width, height) <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


ImageTokens = Callable[[int, int, dict[str, Any]], int]
IMAGE_TOKENS: dict[str, ImageTokens] = {
    "openai": lambda w, h, ident: _openai_image_tokens(
        w, h, str(ident.get("model", "")), str(ident.get("image_detail", "high"))),
    "anthropic": lambda w, h, ident: _anthropic_image_tokens(
        w, h, int(ident.get("max_long_edge", ANTHROPIC_LONG_EDGE))),
    "gemini": lambda w, h, ident: _gemini_image_tokens(w, h),
    # A model of a family vdbench has no rule for (vision_tokens): Qwen2-VL's image rule.
    "vllm": lambda w, h, ident: math.ceil(w / 28) * math.ceil(h / 28),
}


def _frame_size(jpeg: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:  # reads the header only
        return image.size


def text_tokens(request: ChatRequest) -> int:
    """The request's text in tokens, estimated at about 4 characters a token."""
    chars = len(request.system or "") + sum(
        len(p.text) for p in request.parts if isinstance(p, TextPart))
    return math.ceil(chars / 4)


def estimate_request(
    adapter: ProviderAdapter, request: ChatRequest, expected_output_tokens: int = 200,
    fallback: Price | None = None, *, batch: bool = False,
) -> RequestEstimate:
    """Tokens and USD a request would cost: text ~ 4 characters a token, images by provider,
    a video uploaded to Gemini by the frames it samples. `batch`: priced as a Batch API
    request (BATCH_DISCOUNT). Thinking tokens are not included (THINKING_MODELS)."""
    identity = adapter.cache_identity()
    image_tokens = IMAGE_TOKENS.get(adapter.provider, IMAGE_TOKENS["openai"])
    gemini_video = adapter.provider == "gemini" and adapter.sends_video
    videos = [p for p in request.parts if isinstance(p, VideoPart) and p.clip.frames]
    n_images = tokens = 0
    shapes = [ClipShape(len(v.clip), *_frame_size(v.clip.frames[0].image), fps=v.clip.fps)
              for v in videos]
    if (exact := adapter.visual_tokens(shapes)) is not None:  # a served open model's own rule
        n_images, tokens, videos = sum(len(v.clip) for v in videos), exact, []
    for part, sent in zip(videos, adapter.images_sent(videos), strict=True):
        if gemini_video:
            # The mp4 plays at the rate Gemini is told to sample at (video_metadata.fps), so
            # it samples every frame of the clip: its duration times that rate.
            n_images += len(part.clip)
            tokens += len(part.clip) * GEMINI_VIDEO_TOKENS_PER_FRAME
            continue
        width, height = _frame_size(part.clip.frames[0].image)  # a clip's frames share a size
        n_images += sent
        tokens += sent * image_tokens(width, height, identity)
    tokens += text_tokens(request)
    cost = usage_cost(adapter.provider, adapter.model_id, Usage(tokens, expected_output_tokens),
                      fallback, batch=batch)
    return RequestEstimate(n_images, tokens, cost)
