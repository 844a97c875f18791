"""The size a frame is shown at: a cap on the longer side, and for models that count tokens
by pixel area (Qwen2-VL) a pixel budget whose sides are multiples of the model's patch grid."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PixelBudget:
    """Each side a multiple of `multiple`, the area within [min_pixels, max_pixels], the aspect
    ratio kept as closely as that rounding allows (Qwen2-VL's `smart_resize` rule, so a frame
    of this size passes through the model's own processor unchanged)."""

    max_pixels: int
    min_pixels: int = 0
    multiple: int = 1

    def fit(self, width: int, height: int) -> tuple[int, int]:
        f = self.multiple
        w, h = max(f, round(width / f) * f), max(f, round(height / f) * f)
        if w * h > self.max_pixels:
            beta = math.sqrt(width * height / self.max_pixels)
            w = max(f, math.floor(width / beta / f) * f)
            h = max(f, math.floor(height / beta / f) * f)
        elif w * h < self.min_pixels:
            beta = math.sqrt(self.min_pixels / (width * height))
            w, h = math.ceil(width * beta / f) * f, math.ceil(height * beta / f) * f
        return w, h

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bounded_size(width: int, height: int, long_side: int | None) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most long_side (None: unchanged);
    never enlarged."""
    if long_side is None:
        return width, height
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def shown_size(width: int, height: int, long_side: int | None,
               pixels: PixelBudget | None) -> tuple[int, int]:
    """The size a decoded frame of width x height is shown at."""
    width, height = bounded_size(width, height, long_side)
    return pixels.fit(width, height) if pixels is not None else (width, height)
