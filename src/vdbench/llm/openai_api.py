"""OpenAI chat completions, and vLLM's OpenAI-compatible server, through the `openai` SDK.

Frames go as base64 JPEG data URLs, in prompt order (text, video a, text, video b, text).
OpenAI gets one `image_url` part per frame. vLLM gets each video as one `video_url` part
holding `data:video/jpeg;base64,<frame>,<frame>,...`, the frame-list form vLLM documents,
so Qwen2-VL and LLaVA-Video see a video rather than unrelated images.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vdbench.core.errors import RunFailure, require
from vdbench.frames.types import Clip, ClipShape
from vdbench.llm.adapter import ProviderAdapter, api_key
from vdbench.llm.context import CallContext
from vdbench.llm.errors import FatalError, RetryableError, ServerSetupError, summarize
from vdbench.llm.providers.openai import PROVIDER as OPENAI
from vdbench.llm.providers.openai import OpenAISettings
from vdbench.llm.types import ChatRequest, TextPart, Usage, VideoPart
from vdbench.llm.vision_tokens import vision_tokens_for

ImageDetail = Literal["low", "high", "auto"]
VideoInput = Literal["video", "images"]
DEFAULT_VLLM_BASE_URL = "http://localhost:8000/v1"
VLLM_TARGETS = {"Qwen2-VL": "vllm-qwen2-vl", "LLaVA-Video": "vllm-llava-video"}  # Makefile
# Frames are at most 512 px by default (FrameSpec.long_side), so "low" (one 512x512 view,
# 85 tokens) shows the model what "high" would (that view plus one 512 px tile, 255 tokens)
# at a third of the price.
DEFAULT_IMAGE_DETAIL: ImageDetail = "low"
LOCAL_PLACEHOLDER_KEY = "not-needed"  # servers without auth still want some bearer token



def as_jpeg(data: bytes) -> bytes:
    """vLLM's frame-list video form takes JPEG frames: a PNG frame is re-encoded (at 95)."""
    if data[:3] == b"\xff\xd8\xff":
        return data
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def _image_urls(clip: Clip) -> list[str]:
    return [f"data:{f.mime};base64,{base64.b64encode(f.image).decode()}" for f in clip.frames]


class OpenAIChatAdapter(ProviderAdapter):
    provider = "openai"
    key_var = "OPENAI_API_KEY"
    token_limit_param = "max_completion_tokens"  # OpenAI's name since max_tokens was deprecated

    def __init__(self, model_id: str, *, base_url: str | None, api_key: str, timeout_s: float,
                 image_detail: ImageDetail = DEFAULT_IMAGE_DETAIL):
        self.model_id = model_id
        self.base_url = base_url
        self.image_detail = image_detail
        self._api_key = api_key
        self._timeout_s = timeout_s

    def cache_identity(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model_id,
                "image_detail": self.image_detail}

    def video_content(self, part: VideoPart) -> list[dict[str, Any]]:
        return [{"type": "image_url", "image_url": {"url": url, "detail": self.image_detail}}
                for url in _image_urls(part.clip)]

    def extra_body(self, request: ChatRequest) -> dict[str, Any]:
        return {}

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """Keyword arguments for `chat.completions.create`."""
        content: list[dict[str, Any]] = []
        for part in request.parts:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            else:
                content.extend(self.video_content(part))
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        if request.system:
            messages.insert(0, {"role": "system", "content": request.system})
        config = request.config
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "temperature": config.temperature,
            self.token_limit_param: config.max_tokens,
        }
        if config.seed is not None:
            body["seed"] = config.seed
        if config.response_schema:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "reply", "schema": config.response_schema, "strict": True}}
        elif config.json_mode:
            body["response_format"] = {"type": "json_object"}
        if extra := self.extra_body(request):
            body["extra_body"] = extra
        return body

    async def complete(self, request: ChatRequest) -> tuple[str, Usage]:
        try:
            completion = await self.client().chat.completions.create(
                **self.request_body(request))
        except ValueError as exc:  # the body was not JSON, or not a chat completion
            raise RetryableError(f"malformed reply: {exc}") from exc
        return parse_completion(completion)

    # --- the Batch API (vdbench.llm.batch) ---------------------------------------------------

    def batch_line(self, request: ChatRequest, custom_id: str) -> dict[str, Any]:
        """One line of a Batch API input file: the body `complete` sends, with `extra_body`
        merged into it as the SDK merges it into the JSON it posts."""
        body = self.request_body(request)
        extra = body.pop("extra_body", None) or {}
        return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                "body": {**body, **extra}}

    def parse_batch_body(self, body: dict[str, Any]) -> tuple[str, Usage]:
        """A result line's chat completion, read exactly as `complete` reads a live one."""
        openai = require("openai", "openai")
        return parse_completion(openai.types.chat.ChatCompletion.construct(**body))

    async def preflight(self) -> None:
        """A custom endpoint (a vLLM server, a proxy) must be up and serve the model."""
        if self.base_url is None:
            return
        try:
            listed = await self.client().models.list()
            cards = {m.id: m for m in getattr(listed, "data", [])}
            served = list(cards)
        except Exception as exc:
            raise RunFailure(f"{self.provider} {self.model_id}: cannot list the models at "
                             f"{self.base_url} ({summarize(exc)}); "
                             f"{self.what_to_fix('connection refused')}") from None
        if self.model_id not in served:
            raise RunFailure(f"{self.provider}: the server at {self.base_url} serves "
                             f"{', '.join(served) or 'no model'}, not {self.model_id!r}; "
                             f"{self.start_hint or 'point --base-url at the right server'}")
        # vLLM lists the served context window with each model; OpenAI does not.
        window = getattr(cards[self.model_id], "max_model_len", None)
        self.context_window = window if isinstance(window, int) else None

    def _new_client(self) -> Any:
        openai = require("openai", "openai")
        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url,
                                  max_retries=0,  # the runtime retries, sharing the backoff
                                  timeout=self._timeout_s)


class VLLMChatAdapter(OpenAIChatAdapter):
    provider = "vllm"
    key_var = "VLLM_API_KEY"
    token_limit_param = "max_tokens"  # accepted by every vLLM release

    @property
    def start_hint(self) -> str:  # type: ignore[override]
        target = next((t for name, t in VLLM_TARGETS.items() if name in self.model_id), None)
        command = f"make {target}" if target else f"vllm serve {self.model_id}"
        return f"start the server with `{command}` and set VLLM_BASE_URL"

    def __init__(self, model_id: str, *, base_url: str, api_key: str, timeout_s: float,
                 video_input: VideoInput = "video"):
        super().__init__(model_id, base_url=base_url, api_key=api_key, timeout_s=timeout_s)
        self.video_input = video_input
        self.sends_video = video_input == "video"
        self.vision = vision_tokens_for(model_id)
        self.frame_pixels = self.vision.pixels if self.vision is not None else None

    def visual_tokens(self, shapes: Sequence[ClipShape]) -> int | None:
        if self.vision is None:
            return None
        if self.video_input == "video":
            return sum(self.vision.video(s.n_frames, s.width, s.height) for s in shapes)
        return sum(s.n_frames * self.vision.image(s.width, s.height) for s in shapes)

    async def complete(self, request: ChatRequest) -> tuple[str, Usage]:
        openai = require("openai", "openai")
        try:
            return await super().complete(request)
        except openai.BadRequestError as exc:
            raise server_refusal(exc, self.video_input) from None

    def cache_identity(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model_id,
                "video_input": self.video_input}

    def video_content(self, part: VideoPart) -> list[dict[str, Any]]:
        if self.video_input == "images":
            return [{"type": "image_url", "image_url": {"url": url}}
                    for url in _image_urls(part.clip)]
        frames = ",".join(base64.b64encode(as_jpeg(f.image)).decode() for f in part.clip.frames)
        return [{"type": "video_url", "video_url": {"url": f"data:video/jpeg;base64,{frames}"}}]

    def extra_body(self, request: ChatRequest) -> dict[str, Any]:
        if self.video_input == "images":
            return {}
        # Recent vLLM keeps only the first 32 frames of a JPEG-list video unless told -1
        # (all); fps becomes the video's metadata. Older releases ignore the field.
        video_io: dict[str, Any] = {"num_frames": -1}
        if len(rates := {clip.fps for clip in request.clips}) == 1:
            video_io["fps"] = rates.pop()
        return {"media_io_kwargs": {"video": video_io}}


def server_refusal(exc: Exception, video_input: VideoInput) -> Exception:
    """A vLLM 400 for a known cause, as an error that says what to change."""
    text = str(exc)
    message = summarize(exc)
    if "media_io_kwargs" in text:
        return ServerSetupError(
            "the server refuses per-request media settings, which vdbench sends so that "
            "every frame of a video is kept at its frame rate",
            "restart it with --trust-request-mm-kwargs (as `make vllm-qwen2-vl` does), or "
            "use --model-option video_input=images")
    if "may be provided in one prompt" in text:
        kind = "video" if video_input == "video" else "image"
        return ServerSetupError(
            f"the server takes fewer {kind}s a prompt than a pair needs ({message})",
            "restart it with --limit-mm-per-prompt '{\"video\": 2, \"image\": 150}' (as the "
            "Makefile targets do; for video_input=images, N images with N the frames of a "
            "pair)")
    no_media = "does not support" in text and any(w in text for w in ("image", "video"))
    if "is not a multimodal model" in text or no_media:
        return ServerSetupError(f"the served model takes no {video_input} ({message})",
                                "serve a vision-language model")
    if "context length" in text:
        return FatalError(
            f"the prompt is longer than the served context window ({message}); serve a longer "
            "one (vllm serve --max-model-len) or show fewer frames (--fps, --max-frames)")
    return exc


def parse_completion(completion: Any) -> tuple[str, Usage]:
    """Text and usage of a chat completion; anything missing is a malformed (retryable) reply."""
    choices = getattr(completion, "choices", None)
    if not choices:
        raise RetryableError("malformed reply: no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    if refusal := getattr(message, "refusal", None):
        raise FatalError(f"the model refused: {refusal}")
    if getattr(choice, "finish_reason", None) == "content_filter":
        raise FatalError("the reply was withheld by the content filter")
    text = getattr(message, "content", None)
    if not isinstance(text, str):
        raise RetryableError("malformed reply: no message content")
    usage = getattr(completion, "usage", None)
    return text, Usage(getattr(usage, "prompt_tokens", 0) or 0,
                       getattr(usage, "completion_tokens", 0) or 0)


# --- builders (named in vdbench.llm.providers.openai and .vllm) ---------------------------

@dataclass(frozen=True)
class OpenAIOptions:
    image_detail: ImageDetail | None = None  # None: the protocol's


@dataclass(frozen=True)
class VLLMOptions:
    video_input: VideoInput = "video"


def openai_adapter(model_id: str, ctx: CallContext, options: OpenAIOptions) -> OpenAIChatAdapter:
    require("openai", "openai")
    settings: OpenAISettings = OPENAI.settings(ctx.protocol)
    base_url = ctx.base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = api_key("OPENAI_API_KEY", model_id, dry_run=ctx.dry_run,  # a local server: no key
                  fallback=LOCAL_PLACEHOLDER_KEY if base_url else None,
                  hint=" (or OPENAI_BASE_URL for a local OpenAI-compatible server)")
    return OpenAIChatAdapter(model_id, base_url=base_url, api_key=key,
                             timeout_s=ctx.runtime.policy.timeout_s,
                             image_detail=(options.image_detail
                                           or settings.detail))


def vllm_adapter(model_id: str, ctx: CallContext, options: VLLMOptions) -> VLLMChatAdapter:
    require("openai", "openai")
    base_url = ctx.base_url or os.environ.get("VLLM_BASE_URL") or DEFAULT_VLLM_BASE_URL
    return VLLMChatAdapter(model_id, base_url=base_url,
                           api_key=os.environ.get("VLLM_API_KEY") or LOCAL_PLACEHOLDER_KEY,
                           timeout_s=ctx.runtime.policy.timeout_s,
                           video_input=options.video_input)
