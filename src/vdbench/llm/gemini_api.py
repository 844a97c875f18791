"""Gemini through `google-genai`: frames as inline JPEG parts, or each clip as a small mp4.

The `gemini_input` option picks how videos travel:
- "frames" (default): one inline image part per frame, as the other providers see them.
- "video": the clip's frames encoded as an mp4 playing at the clip's sampling rate (PyAV),
  uploaded once per distinct clip through the Files API, and referenced with
  `video_metadata.fps` set to that rate, so Gemini samples exactly those frames (it samples
  1 fps unless told). Uploads are deleted at `aclose()`; files a crash leaves expire in 48 h.
  Reuse is within one adapter only: a file found from another run could be deleted by that
  run's `aclose()` while this one still needs it.

Requests pin API version v1beta, where the Files API and video metadata are documented, so
a change of the SDK's default version does not change what is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Any, Literal

from vdbench.core.errors import require
from vdbench.frames.types import Clip
from vdbench.llm.adapter import ProviderAdapter, api_key
from vdbench.llm.context import CallContext
from vdbench.llm.errors import FatalError, RetryableError
from vdbench.llm.providers.gemini import PROVIDER, GeminiSettings
from vdbench.llm.types import ChatRequest, TextPart, Usage, VideoPart

log = logging.getLogger(__name__)

API_VERSION = "v1beta"
INLINE_LIMIT_BYTES = 20 * 2**20  # larger requests must go through the Files API
MAX_VIDEO_FPS = 24.0  # VideoMetadata.fps must lie in (0, 24]
VIDEO_ENCODING = "h264 yuv420p crf18"  # part of the cache identity: it changes what Gemini sees

InputMode = Literal["frames", "video"]


@dataclass(frozen=True)
class UploadPolicy:
    poll_interval_s: float = 1.0
    max_wait_s: float = 90.0  # under the runtime's 120 s per attempt; a retry resumes waiting


def clip_video_key(clip: Clip, rate: float | None = None) -> str:
    """Content hash of the video a clip becomes: its frames, its rate and the encoding."""
    digest = hashlib.sha256(f"{VIDEO_ENCODING}|{rate or clip.fps!r}".encode())
    for frame in clip.frames:
        digest.update(frame.sha256.encode())
    return digest.hexdigest()


def encode_mp4(clip: Clip, rate: float | None = None) -> bytes:
    """The clip's frames as an H.264 mp4 that plays at `rate` frames per second (default the
    clip's sampling rate; the reference plays them at 1, so each frame lasts a second)."""
    av = require("av", "video")
    from PIL import Image

    with Image.open(io.BytesIO(clip.frames[0].image)) as first:
        # yuv420p needs even dimensions
        width, height = max(2, first.width // 2 * 2), max(2, first.height // 2 * 2)
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264",
                                      rate=Fraction(rate or clip.fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18"}
        for i, frame in enumerate(clip.frames):
            with Image.open(io.BytesIO(frame.image)) as image:
                picture = av.VideoFrame.from_image(image.convert("RGB"))
            picture = picture.reformat(width=width, height=height, format="yuv420p")
            picture.pts = i
            container.mux(stream.encode(picture))
        container.mux(stream.encode())
    return out.getvalue()


class ClipUploads:
    """Each distinct clip uploaded once, waited on until ACTIVE, and deleted at the end."""

    def __init__(self, policy: UploadPolicy, rate: float | None = None):
        self.policy = policy
        self.rate = rate  # playback rate of the uploaded videos; None: each clip's own
        self._uploaded: dict[str, Any] = {}  # video key -> File as uploaded, maybe PROCESSING
        self._active: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def reset_locks(self) -> None:
        """Locks belong to one event loop; the files themselves outlive it."""
        self._locks = {}

    async def active_file(self, client: Any, clip: Clip) -> Any:
        key = clip_video_key(clip, self.rate)
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._active:
                if key not in self._uploaded:
                    self._uploaded[key] = await self._upload(client, clip, key)
                self._active[key] = await self._wait_until_active(client, key)
            return self._active[key]

    async def _upload(self, client: Any, clip: Clip, key: str) -> Any:
        from google.genai import types

        mp4 = await asyncio.to_thread(encode_mp4, clip, self.rate)
        config = types.UploadFileConfig(mime_type="video/mp4", display_name=f"vdbench-{key[:32]}")
        return await client.aio.files.upload(file=io.BytesIO(mp4), config=config)

    async def _wait_until_active(self, client: Any, key: str) -> Any:
        from google.genai import types

        file = self._uploaded[key]
        deadline = asyncio.get_running_loop().time() + self.policy.max_wait_s
        while file.state != types.FileState.ACTIVE:
            if file.state == types.FileState.FAILED:  # deleted at close with the others
                raise FatalError(f"Gemini could not process the video {file.name}: {file.error}")
            if asyncio.get_running_loop().time() >= deadline:
                raise RetryableError(f"{file.name} not ready after {self.policy.max_wait_s:g} s")
            await asyncio.sleep(self.policy.poll_interval_s)
            file = await client.aio.files.get(name=file.name)
        return file

    async def delete_all(self, client: Any) -> None:
        for file in self._uploaded.values():
            try:
                await client.aio.files.delete(name=file.name)
            except Exception as exc:  # noqa: BLE001 - cleanup must reach every file
                log.warning("could not delete %s (it expires in 48 h): %s", file.name, exc)
        self._uploaded.clear()
        self._active.clear()


class GeminiAdapter(ProviderAdapter):
    provider = "gemini"
    key_var = "GEMINI_API_KEY"

    def __init__(self, model_id: str, ctx: CallContext, input_mode: InputMode = "frames",
                 upload_policy: UploadPolicy = UploadPolicy(), video_fps: float | None = None,
                 api_defaults: bool = False):
        genai = require("google.genai", "gemini")
        from google.genai import types

        if input_mode == "video":
            require("av", "video")
        key = api_key("GEMINI_API_KEY", model_id, dry_run=ctx.dry_run)
        self.model_id = model_id
        self.input_mode = input_mode
        self.sends_video = input_mode == "video"
        self.video_fps = video_fps  # playback rate of uploaded videos (None: sampling rate)
        self.api_defaults = api_defaults
        self.uploads = ClipUploads(upload_policy, video_fps)
        http_options = types.HttpOptions(
            base_url=ctx.base_url or os.environ.get("GEMINI_BASE_URL"),
            api_version=API_VERSION,
            retry_options=types.HttpRetryOptions(attempts=1),  # the runtime owns retries
        )
        self._client_factory = partial(genai.Client, api_key=key, http_options=http_options)

    def cache_identity(self) -> dict[str, Any]:
        identity = {**super().cache_identity(), "input": self.input_mode}
        if self.input_mode == "video":
            identity["video_encoding"] = VIDEO_ENCODING
            if self.video_fps is not None:
                identity["video_fps"] = self.video_fps
        if self.api_defaults:
            identity["generation"] = "api defaults"
        return identity

    async def generate_args(self, client: Any, request: ChatRequest) -> tuple[list[Any], Any]:
        """The contents and GenerateContentConfig of a request: what `complete` sends, and
        what an inlined batch request carries."""
        from google.genai import types

        parts = await self._parts(client, request)
        config = request.config
        if self.api_defaults:  # as the reference: Gemini's own sampling settings apply
            generation = types.GenerateContentConfig(system_instruction=request.system)
        else:
            generation = types.GenerateContentConfig(
                temperature=config.temperature,
                seed=config.seed,
                max_output_tokens=config.max_tokens,
                system_instruction=request.system,
                response_mime_type="application/json" if config.json_mode else None,
            )
        return [types.Content(role="user", parts=parts)], generation

    async def complete(self, request: ChatRequest) -> tuple[str, Usage]:
        client = self.client()
        contents, generation = await self.generate_args(client, request)
        try:
            response = await client.aio.models.generate_content(
                model=self.model_id, contents=contents, config=generation)
        except json.JSONDecodeError as exc:
            raise RetryableError(f"malformed reply body: {exc}") from exc
        return parse_response(response)

    async def _parts(self, client: Any, request: ChatRequest) -> list[Any]:
        from google.genai import types

        if self.input_mode == "frames":
            inline = sum(len(f.image) for clip in request.clips for f in clip.frames) * 4 // 3
            if inline > INLINE_LIMIT_BYTES:
                raise FatalError(f"frames are {inline / 2**20:.0f} MB inline, over Gemini's "
                                 f"{INLINE_LIMIT_BYTES / 2**20:.0f} MB; use gemini_input=video")
        parts = []
        for part in request.parts:
            if isinstance(part, TextPart):
                if part.text.strip():  # the API rejects empty text parts
                    parts.append(types.Part.from_text(text=part.text))
            elif self.input_mode == "frames":
                parts.extend(types.Part.from_bytes(data=f.image, mime_type=f.mime)
                             for f in part.clip.frames)
            else:
                parts.append(await self._video_part(client, part))
        return parts

    async def _video_part(self, client: Any, part: VideoPart) -> Any:
        from google.genai import types

        rate = self.video_fps or part.clip.fps
        if not 0 < rate <= MAX_VIDEO_FPS:
            raise FatalError(f"video {part.label} would play at {rate:g} fps; Gemini takes "
                             f"video at most {MAX_VIDEO_FPS:g} fps; use gemini_input=frames")
        file = await self.uploads.active_file(client, part.clip)
        return types.Part(file_data=types.FileData(file_uri=file.uri, mime_type="video/mp4"),
                          video_metadata=types.VideoMetadata(fps=rate))

    def _on_new_client(self) -> None:
        self.uploads.reset_locks()  # its asyncio locks belonged to the previous event loop

    async def _close_client(self, client: Any) -> None:
        await self.uploads.delete_all(client)
        await client.aio.aclose()


def parse_response(response: Any) -> tuple[str, Usage]:
    """Text and usage of a GenerateContentResponse, live or from a batch job."""
    if not response.text:
        raise FatalError(f"reply has no text ({_finish_reason(response)})")
    usage = response.usage_metadata
    # Thinking tokens are billed as output.
    output_tokens = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
    return response.text, Usage(usage.prompt_token_count or 0, output_tokens)


def _finish_reason(response: Any) -> str:
    if response.candidates:
        return f"finish_reason: {response.candidates[0].finish_reason}"
    feedback = response.prompt_feedback
    return f"block_reason: {feedback.block_reason if feedback else None}"


@dataclass(frozen=True)
class GeminiOptions:
    gemini_input: InputMode | None = None  # None: the protocol's (paper: video, fast: frames)


def gemini_adapter(model_id: str, ctx: CallContext, options: GeminiOptions) -> GeminiAdapter:
    settings: GeminiSettings = PROVIDER.settings(ctx.protocol)
    mode = options.gemini_input or settings.input
    return GeminiAdapter(model_id, ctx, mode,
                         video_fps=settings.video_fps if mode == "video" else None,
                         api_defaults=settings.api_defaults)
