"""What calls cost, from the prices and image rules each provider's record declares
(vdbench.llm.providers), and an estimator for dry runs. A model or provider without a price,
or whose images have no rule, is unpriced: its cost is "unknown", never another's figure."""

from __future__ import annotations

import io
import logging
import math
from typing import TYPE_CHECKING, NamedTuple

from vdbench.core.errors import InputError
from vdbench.frames.types import ClipShape
from vdbench.llm.providers import registry
from vdbench.llm.providers.base import Price
from vdbench.llm.types import ChatRequest, TextPart, Usage, VideoPart

if TYPE_CHECKING:
    from vdbench.llm.adapter import ProviderAdapter

__all__ = ["BATCH_DISCOUNT", "Price", "RequestEstimate", "estimate_request", "parse_price",
           "price_of", "text_tokens", "thinks", "usage_cost"]
log = logging.getLogger("vdbench.cost")


# What a Batch API request costs as a share of the live price (OpenAI, Anthropic and Gemini
# all bill batches at half price).
BATCH_DISCOUNT = 0.5


def price_of(provider: str, model_id: str, fallback: Price | None = None) -> Price | None:
    """The price its provider lists for a model (0 for a self-hosted provider), else the
    run's --price; None when unknown."""
    record = registry.get(provider)
    listed = record.price(model_id) if record is not None else None
    return listed if listed is not None else fallback


def thinks(provider: str, model_id: str) -> bool:
    """The model thinks before it answers, billed as output at a length not known beforehand
    (its provider's thinking_models); estimates leave thinking out and say so."""
    record = registry.get(provider)
    return record is not None and model_id in record.thinking_models


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

class RequestEstimate(NamedTuple):
    n_images: int  # images (frames) the provider is sent, or samples from an uploaded video
    input_tokens: int
    cost_usd: float | None  # None for unpriced models


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
    """Tokens and USD a request would cost: text ~ 4 characters a token, images by their
    provider's rule, a video uploaded whole (Gemini) by the frames it samples. No rule for what
    is sent: the visual tokens are left out and the cost is None ("unknown"). `batch`: priced
    as a Batch API request (BATCH_DISCOUNT). Thinking tokens are not included (`thinks`)."""
    identity = adapter.cache_identity()
    record = registry.get(adapter.provider)
    image_tokens = record.image_tokens if record is not None else None
    video_tokens = record.video_frame_tokens if record is not None else None
    uploaded_video = adapter.sends_video and video_tokens is not None
    videos = [p for p in request.parts if isinstance(p, VideoPart) and p.clip.frames]
    n_images = tokens = 0
    known = True  # False: images are sent that no rule of the provider counts
    shapes = [ClipShape(len(v.clip), *_frame_size(v.clip.frames[0].image), fps=v.clip.fps)
              for v in videos]
    if (exact := adapter.visual_tokens(shapes)) is not None:  # a served open model's own rule
        n_images, tokens, videos = sum(len(v.clip) for v in videos), exact, []
    for part, sent in zip(videos, adapter.images_sent(videos), strict=True):
        if uploaded_video:
            assert video_tokens is not None
            # The mp4 plays at the rate the provider is told to sample at (Gemini's
            # video_metadata.fps), so it samples every frame of the clip: its duration times
            # that rate.
            n_images += len(part.clip)
            tokens += len(part.clip) * video_tokens
            continue
        n_images += sent
        if image_tokens is None:
            known = False
            continue
        width, height = _frame_size(part.clip.frames[0].image)  # a clip's frames share a size
        tokens += sent * image_tokens(width, height, identity)
    tokens += text_tokens(request)
    if not known:
        _warn_no_rule(adapter.provider)
        return RequestEstimate(n_images, tokens, None)
    cost = usage_cost(adapter.provider, adapter.model_id, Usage(tokens, expected_output_tokens),
                      fallback, batch=batch)
    return RequestEstimate(n_images, tokens, cost)


_WARNED: set[str] = set()


def _warn_no_rule(provider: str) -> None:
    if provider not in _WARNED:
        _WARNED.add(provider)
        log.warning("provider %s declares no rule for what an image costs: its estimates leave "
                    "the images' tokens out and their cost is unknown", provider)
