"""How many prompt tokens an open model's vision encoder makes of the frames it is sent, by
the model's own rules, so that a run can be checked against the served context window before
the first call. For Qwen2-VL and llava-onevision (LLaVA-Video) this is exact arithmetic: the
real vLLM server reports the same count (tests/vllm)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from vdbench.frames.sizing import PixelBudget

# The reference runs Qwen2-VL with max_pixels 151,200 a frame (360 x 420; apis/qwen_api.py),
# and qwen-vl-utils' video minimum of 128 x 28 x 28, which Qwen2-VL's processor also applies.
QWEN2_VL_MAX_PIXELS = 151_200
QWEN2_VL_MIN_PIXELS = 128 * 28 * 28


@dataclass(frozen=True)
class Qwen2VLTokens:
    """14 px patches merged 2 x 2 into one token, pairs of frames merged in time."""

    max_pixels: int = QWEN2_VL_MAX_PIXELS
    min_pixels: int = QWEN2_VL_MIN_PIXELS
    patch: int = 14
    merge: int = 2
    temporal: int = 2

    @property
    def pixels(self) -> PixelBudget:
        """Frames are sent at this size, which the model's processor keeps as it is."""
        return PixelBudget(self.max_pixels, self.min_pixels, self.patch * self.merge)

    def _per_frame(self, width: int, height: int) -> int:
        w, h = self.pixels.fit(width, height)
        return (h // self.patch) * (w // self.patch) // self.merge**2

    def video(self, n_frames: int, width: int, height: int) -> int:
        return math.ceil(n_frames / self.temporal) * self._per_frame(width, height)

    def image(self, width: int, height: int) -> int:
        return self._per_frame(width, height)


@dataclass(frozen=True)
class LlavaOnevisionTokens:
    """SigLIP at 384 px with 14 px patches (27 x 27). A video frame is pooled 2 x 2 (196
    tokens) plus one newline token a video; an image is tiled "anyres" over the grid
    pinpoints, plus the whole image at 384 px."""

    image_size: int = 384
    patch: int = 14
    pool: int = 2
    max_tiles: int = 9  # anyres_max_9
    pinpoint_steps: int = 6  # pinpoints are 384 x (1..6) by 384 x (1..6)
    pixels = None  # the processor resizes every frame itself

    @property
    def _grid(self) -> int:
        return self.image_size // self.patch

    def video(self, n_frames: int, width: int, height: int) -> int:
        return n_frames * math.ceil(self._grid / self.pool) ** 2 + 1

    def _best_resolution(self, width: int, height: int) -> tuple[int, int]:
        best, best_effective, best_waste = (self.image_size, self.image_size), 0, math.inf
        sides = [self.image_size * k for k in range(1, self.pinpoint_steps + 1)]
        for ph in sides:
            for pw in sides:
                scale = min(pw / width, ph / height)
                effective = min(int(width * scale) * int(height * scale), width * height)
                waste = pw * ph - effective
                if effective > best_effective or (effective == best_effective
                                                  and waste < best_waste):
                    best, best_effective, best_waste = (ph, pw), effective, waste
        return best

    def image(self, width: int, height: int) -> int:
        ph, pw = self._best_resolution(width, height)
        grid = self._grid
        cur_h, cur_w = grid * (ph // self.image_size), grid * (pw // self.image_size)
        if width / height > cur_w / cur_h:
            new_h = int(round(height * (cur_w / width), 7))
            cur_h -= 2 * ((cur_h - new_h) // 2)
        else:
            new_w = int(round(width * (cur_h / height), 7))
            cur_w -= 2 * ((cur_w - new_w) // 2)
        unpadded, newlines = cur_h * cur_w, cur_h
        ratio = math.sqrt(cur_h * cur_w / (self.max_tiles * grid**2))
        if ratio > 1.1:
            unpadded = int(cur_h // ratio) * int(cur_w // ratio)
            newlines = int(cur_h // ratio)
        return unpadded + newlines + grid * grid


VisionTokens = Qwen2VLTokens | LlavaOnevisionTokens

# Which rule a served model follows, by a part of its id (Hugging Face names).
FAMILIES: tuple[tuple[str, VisionTokens], ...] = (
    ("qwen2-vl", Qwen2VLTokens()),
    ("llava-video", LlavaOnevisionTokens()),
    ("llava-onevision", LlavaOnevisionTokens()),
)


def vision_tokens_for(model_id: str) -> VisionTokens | None:
    """The token rule of a served model, or None for a family vdbench does not know."""
    name = model_id.lower()
    return next((rule for part, rule in FAMILIES if part in name), None)
