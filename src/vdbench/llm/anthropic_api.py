"""Claude through the official `anthropic` SDK: every frame is a base64 JPEG image block.

The Messages API bounds what one request may carry (platform.claude.com, build-with-claude/
vision, "General limits"): 100 images for models with a 200k-token context, at most
2000x2000 px per image once a request holds more than 20 images, 32 MB per request. Frames
past the image cap are subsampled evenly within each video (the prompt says so), and frames
are downscaled to the 1568 px long edge the docs recommend, further if the request would
still be too large.

Anthropic has no seed parameter, so runs repeat only as far as temperature 0 makes them.
SDK 1.x dropped `temperature` from `messages.create`; the API still takes it, so it travels
in `extra_body` (models that reject sampling parameters answer 400).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from vdbench.core.errors import require
from vdbench.frames.spec import even_pick
from vdbench.llm.adapter import ProviderAdapter, api_key
from vdbench.llm.context import CallContext
from vdbench.llm.errors import FatalError, RetryableError
from vdbench.llm.providers.anthropic import PROVIDER, AnthropicSettings
from vdbench.llm.types import ChatRequest, TextPart, Usage, VideoPart

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class ImageLimits:
    max_images: int = 100
    max_long_edge: int = 1568
    max_base64_bytes: int = 30 * 2**20  # all images together; leaves room for text in 32 MB
    min_long_edge: int = 256  # smaller frames are useless; refuse the request instead
    jpeg_quality: int | None = None  # re-encode every frame at this quality (the protocol's)


@dataclass(frozen=True)
class FittedVideo:
    jpegs: list[bytes]
    n_original: int
    fps: float  # sampling rate of what is sent, after subsampling

    @property
    def subsampled(self) -> bool:
        return len(self.jpegs) < self.n_original


def allocate(lengths: Sequence[int], budget: int) -> list[int]:
    """Split `budget` across videos in proportion to their lengths (largest remainder)."""
    total = sum(lengths)
    if total <= budget:
        return list(lengths)
    shares = [budget * n / total for n in lengths]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(lengths)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: budget - sum(counts)]:
        counts[i] += 1
    return counts


def downscale(data: bytes, long_edge: int, quality: int | None = None) -> bytes:
    """A JPEG whose longer side is at most `long_edge`: the frame itself when it is a JPEG
    that fits and no quality is asked for, else a re-encoded (and if need be resized) copy."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if max(image.size) <= long_edge and image.format == "JPEG" and quality is None:
            return data
        image.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=quality or 90)
        return out.getvalue()


def base64_size(jpeg: bytes) -> int:
    return 4 * math.ceil(len(jpeg) / 3)


def frames_sent(videos: Sequence[VideoPart], limits: ImageLimits) -> list[int]:
    """How many frames of each video a request carries: all of them, or an even share of
    `limits.max_images` when there are more (what `fit_videos` keeps; dry runs count these)."""
    return allocate([len(v.clip) for v in videos], limits.max_images)


def fit_videos(videos: Sequence[VideoPart], limits: ImageLimits) -> list[FittedVideo]:
    counts = frames_sent(videos, limits)
    chosen = [even_pick(v.clip.frames, k) for v, k in zip(videos, counts)]
    long_edge = limits.max_long_edge
    while True:
        jpegs = [[downscale(f.image, long_edge, limits.jpeg_quality) for f in frames]
                 for frames in chosen]
        size = sum(base64_size(j) for js in jpegs for j in js)
        if size <= limits.max_base64_bytes:
            break
        if long_edge <= limits.min_long_edge:
            raise FatalError(f"frames are {size / 2**20:.0f} MB even at {long_edge} px; the "
                             f"request limit allows {limits.max_base64_bytes / 2**20:.0f} MB")
        long_edge = max(limits.min_long_edge, int(long_edge * 0.75))
    return [FittedVideo(js, len(v.clip), v.clip.fps * len(js) / max(1, len(v.clip)))
            for v, js in zip(videos, jpegs)]


def subsample_note(label: str, video: FittedVideo, limits: ImageLimits) -> str:
    return (f"(Video {label}: {len(video.jpegs)} of its {video.n_original} frames, evenly "
            f"spaced, about {video.fps:.3g} frames per second, to stay within "
            f"{limits.max_images} images per request.)")


def content_blocks(request: ChatRequest, limits: ImageLimits) -> list[dict[str, Any]]:
    """Text and image blocks in the request's order; empty text is dropped (the API rejects it)."""
    videos = [p for p in request.parts if isinstance(p, VideoPart)]
    fitted = iter(fit_videos(videos, limits))
    blocks: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, TextPart):
            if part.text.strip():
                blocks.append({"type": "text", "text": part.text})
            continue
        video = next(fitted)
        blocks.extend(
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                         "data": base64.b64encode(jpeg).decode("ascii")}}
            for jpeg in video.jpegs
        )
        if video.subsampled:
            blocks.append({"type": "text", "text": subsample_note(part.label, video, limits)})
    return blocks


class AnthropicAdapter(ProviderAdapter):
    provider = "anthropic"
    key_var = "ANTHROPIC_API_KEY"

    def __init__(self, model_id: str, ctx: CallContext, limits: ImageLimits = ImageLimits()):
        anthropic = require("anthropic", "anthropic")
        key = api_key("ANTHROPIC_API_KEY", model_id, dry_run=ctx.dry_run)
        self.model_id = model_id
        self.limits = limits
        self._warned_subsampling = False
        # base_url None lets the SDK read ANTHROPIC_BASE_URL; the runtime owns retries.
        self._client_factory = partial(anthropic.AsyncAnthropic, api_key=key,
                                   base_url=ctx.base_url, max_retries=0)

    def cache_identity(self) -> dict[str, Any]:
        return {**super().cache_identity(), "max_images": self.limits.max_images,
                "max_long_edge": self.limits.max_long_edge,
                **({"jpeg_quality": self.limits.jpeg_quality}
                   if self.limits.jpeg_quality is not None else {})}

    def images_sent(self, videos: Sequence[VideoPart]) -> list[int]:
        """Frames of each video a request carries as images (what dry runs count)."""
        return frames_sent(videos, self.limits)

    async def message_params(self, request: ChatRequest) -> dict[str, Any]:
        """The Messages API body of a request: what `complete` posts, and the `params` of a
        Message Batches request."""
        blocks = await asyncio.to_thread(content_blocks, request, self.limits)
        self._warn_once_if_subsampled(request)
        config = request.config
        params: dict[str, Any] = {"model": self.model_id, "max_tokens": config.max_tokens,
                                  "messages": [{"role": "user", "content": blocks}],
                                  "temperature": config.temperature}
        if request.system:
            params["system"] = request.system
        return params

    async def complete(self, request: ChatRequest) -> tuple[str, Usage]:
        params = await self.message_params(request)
        temperature = params.pop("temperature")
        try:
            message = await self.client().messages.create(
                **params, extra_body={"temperature": temperature})
        except json.JSONDecodeError as exc:
            raise RetryableError(f"malformed reply body: {exc}") from exc
        return parse_message(message)

    def _warn_once_if_subsampled(self, request: ChatRequest) -> None:
        n_frames = sum(len(clip) for clip in request.clips)
        if n_frames > self.limits.max_images and not self._warned_subsampling:
            self._warned_subsampling = True
            log.warning("%s: a request has %d frames; Anthropic takes %d images, so frames are "
                        "subsampled evenly and the prompt says so", self.model_id, n_frames,
                        self.limits.max_images)



def parse_message(message: Any) -> tuple[str, Usage]:
    """Text and usage of a Message, live or from a Message Batches result."""
    text = "".join(block.text for block in message.content if block.type == "text")
    if not text:
        raise FatalError(f"reply has no text (stop_reason: {message.stop_reason})")
    return text, Usage(message.usage.input_tokens, message.usage.output_tokens)


@dataclass(frozen=True)
class AnthropicOptions:
    """No adapter options: image limits are the API's, not a choice."""


def anthropic_adapter(model_id: str, ctx: CallContext,
                      options: AnthropicOptions) -> AnthropicAdapter:
    settings: AnthropicSettings = PROVIDER.settings(ctx.protocol)
    quality = settings.jpeg_quality
    return AnthropicAdapter(model_id, ctx, ImageLimits(jpeg_quality=quality))
