"""OpenAI chat completions, and vLLM's OpenAI-compatible server, through the `openai` SDK.

Frames go as base64 JPEG data URLs, in prompt order (text, video a, text, video b, text).
OpenAI gets one `image_url` part per frame. vLLM gets each video as one `video_url` part
holding `data:video/jpeg;base64,<frame>,<frame>,...`, the frame-list form vLLM documents,
so Qwen2-VL and LLaVA-Video see a video rather than unrelated images.
"""

from __future__ import annotations

import base64
import os
from typing import Any, Literal

from ..errors import InputError, require
from ..frames.types import Clip
from ..runtime import FatalError, RetryableError, get_runtime
from .aliases import OPENAI_NEEDS, VLLM_NEEDS, register_provider
from .base import ModelOptions
from .chat import ChatModel, ProviderAdapter, api_key
from .types import ChatRequest, TextPart, Usage, VideoPart

DEFAULT_VLLM_BASE_URL = "http://localhost:8000/v1"
# Frames are at most 512 px by default (FrameSpec.long_side), so "low" (one 512x512 view,
# 85 tokens) shows the model what "high" would (that view plus one 512 px tile, 255 tokens)
# at a third of the price.
DEFAULT_IMAGE_DETAIL = "low"
LOCAL_PLACEHOLDER_KEY = "not-needed"  # servers without auth still want some bearer token

ImageDetail = Literal["low", "high", "auto"]
VideoInput = Literal["video", "images"]


def _jpeg_urls(clip: Clip) -> list[str]:
    return [f"data:image/jpeg;base64,{base64.b64encode(f.jpeg).decode()}" for f in clip.frames]


class OpenAIChatAdapter(ProviderAdapter):
    provider = "openai"
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
                for url in _jpeg_urls(part.clip)]

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

    def _new_client(self) -> Any:
        openai = require("openai", "openai")
        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url,
                                  max_retries=0,  # the runtime retries, sharing the backoff
                                  timeout=self._timeout_s)


class VLLMChatAdapter(OpenAIChatAdapter):
    provider = "vllm"
    token_limit_param = "max_tokens"  # accepted by every vLLM release

    def __init__(self, model_id: str, *, base_url: str, api_key: str, timeout_s: float,
                 video_input: VideoInput = "video"):
        super().__init__(model_id, base_url=base_url, api_key=api_key, timeout_s=timeout_s)
        self.video_input = video_input

    def cache_identity(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model_id,
                "video_input": self.video_input}

    def video_content(self, part: VideoPart) -> list[dict[str, Any]]:
        if self.video_input == "images":
            return [{"type": "image_url", "image_url": {"url": url}}
                    for url in _jpeg_urls(part.clip)]
        frames = ",".join(base64.b64encode(f.jpeg).decode() for f in part.clip.frames)
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


# --- registration -------------------------------------------------------------------------

def openai_model(model_id: str, name: str, options: ModelOptions) -> ChatModel:
    require("openai", "openai")
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = api_key("OPENAI_API_KEY", options, name,  # a local server needs no key
                  fallback=LOCAL_PLACEHOLDER_KEY if base_url else None,
                  hint=" (or OPENAI_BASE_URL for a local OpenAI-compatible server)")
    detail = options.extra.get("image_detail", DEFAULT_IMAGE_DETAIL)
    if detail not in ("low", "high", "auto"):
        raise InputError(f"image_detail must be low, high or auto, not {detail!r}")
    adapter = OpenAIChatAdapter(model_id, base_url=base_url, api_key=key,
                                timeout_s=get_runtime(options).policy.timeout_s,
                                image_detail=detail)
    return ChatModel(name, adapter, options)


def vllm_model(model_id: str, name: str, options: ModelOptions) -> ChatModel:
    require("openai", "openai")
    base_url = options.base_url or os.environ.get("VLLM_BASE_URL") or DEFAULT_VLLM_BASE_URL
    video_input = options.extra.get("video_input", "video")
    if video_input not in ("video", "images"):
        raise InputError(f"video_input must be video or images, not {video_input!r}")
    adapter = VLLMChatAdapter(model_id, base_url=base_url,
                              api_key=os.environ.get("VLLM_API_KEY") or LOCAL_PLACEHOLDER_KEY,
                              timeout_s=get_runtime(options).policy.timeout_s,
                              video_input=video_input)
    return ChatModel(name, adapter, options)


register_provider("openai", openai_model, "gpt-4o-2024-11-20", OPENAI_NEEDS)
register_provider("vllm", vllm_model, "Qwen/Qwen2.5-VL-7B-Instruct", VLLM_NEEDS)
