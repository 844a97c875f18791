"""How frames are sampled and encoded, and the pure rule that picks which frames a model sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from vdbench.core.errors import InputError
from vdbench.data.schema import VideoRef
from vdbench.data.viddiffbench_facts import DOMAINS, PAPER_FPS, PAPER_MAX_FRAMES
from vdbench.frames.sizing import PixelBudget, shown_size


@dataclass(frozen=True)
class FrameSpec:
    fps: float | None = None  # None: the paper's rate for each domain (PAPER_FPS)
    fps_by_domain: dict[str, float] = field(default_factory=dict, hash=False)  # wins over fps
    max_frames: int | None = PAPER_MAX_FRAMES  # both videos of a pair together; None: no cap
    # Over the cap: "thin_each" thins each video evenly to half of it; "refuse" fails the pair
    # (the reference code raises rather than thinning); "keep_first" keeps each video's first
    # half-of-the-cap frames and drops the rest (ViDiC-1K's inference scripts truncate).
    over_cap: Literal["thin_each", "refuse", "keep_first"] = "thin_each"
    long_side: int | None = 512  # shrink so the longer side is at most this; None: as decoded
    jpeg_quality: int = 85
    image_format: Literal["jpeg", "png"] = "jpeg"  # png: lossless, as the reference sends
    pixels: PixelBudget | None = None  # a model's per-frame pixel budget, after long_side

    def __post_init__(self) -> None:
        rates = {f"fps_by_domain[{d!r}]": v for d, v in self.fps_by_domain.items()}
        for name, value in {"fps": self.fps, **rates}.items():
            if value is not None and not value > 0:
                raise InputError(f"frame spec: {name} must be positive, got {value!r}")
        if self.max_frames is not None and self.max_frames < 2:
            raise InputError(f"frame spec: max_frames must be at least 2, got {self.max_frames}")
        if self.long_side is not None and self.long_side < 16:
            raise InputError(f"frame spec: long_side must be at least 16, got {self.long_side}")
        if not 1 <= self.jpeg_quality <= 95:
            raise InputError(f"frame spec: jpeg_quality must be in 1..95, got {self.jpeg_quality}")

    def shown_size(self, width: int, height: int) -> tuple[int, int]:
        """The size a decoded frame of width x height is shown at."""
        return shown_size(width, height, self.long_side, self.pixels)

    @property
    def per_video_cap(self) -> int | None:
        """What one video may keep before the pair is checked: half the cap when thinning,
        everything when the pair is refused over the cap (or there is no cap)."""
        if self.max_frames is None or self.over_cap == "refuse":
            return None
        return self.max_frames // 2

    @property
    def keep_first(self) -> bool:
        """Whether a video over its share of the cap keeps its first frames (not thinned)."""
        return self.over_cap == "keep_first"

    def target_fps(self, domain: str) -> float:
        if domain in self.fps_by_domain:
            return float(self.fps_by_domain[domain])
        if self.fps is not None:
            return float(self.fps)
        if domain not in PAPER_FPS:
            raise InputError(
                f"no paper frame rate for domain {domain!r} (known: {', '.join(PAPER_FPS)}); "
                "give an explicit fps"
            )
        return float(PAPER_FPS[domain])

    def to_dict(self, domains: Sequence[str] = DOMAINS) -> dict[str, Any]:
        """The spec as recorded in results.json provenance, with the rate each of the
        benchmark's domains gets (no domains: one rate for all, under "*")."""
        return {
            "fps": self.fps,
            "fps_by_domain": dict(sorted(self.fps_by_domain.items())),
            "target_fps": ({d: self.target_fps(d) for d in domains} if domains
                           else {"*": self.fps}),
            "max_frames": self.max_frames,
            "over_cap": self.over_cap,
            "long_side": self.long_side,
            "jpeg_quality": self.jpeg_quality,
            "format": self.image_format,
            **({"pixels": self.pixels.to_dict()} if self.pixels else {}),
        }


@dataclass(frozen=True)
class Selection:
    indices: tuple[int, ...]  # frame indices in the original video file / image folder, ascending
    times_s: tuple[float, ...]  # seconds from the start of the trimmed clip
    fps: float  # effective sampling rate of the kept frames


T = TypeVar("T")


def even_pick(items: Sequence[T], k: int) -> list[T]:
    """k items at the centres of k equal spans: evenly spread, no duplicates."""
    n = len(items)
    if k >= n:
        return list(items)
    return [items[(2 * i + 1) * n // (2 * k)] for i in range(k)]


def select_frames(ref: VideoRef, n_available: int, target_fps: float,
                  max_frames: int | None, keep_first: bool = False) -> Selection:
    """Which frames of `ref` to keep: the paper's integer step, then an even thinning to the cap
    (None: no cap), or with `keep_first` the first `max_frames` of them (the rate is kept)."""
    if target_fps <= 0 or (max_frames is not None and max_frames < 1):
        raise ValueError(f"target_fps and max_frames must be positive ({target_fps}, {max_frames})")
    clip = range(n_available)[ref.trim]
    if len(clip) == 0:
        raise InputError(
            f"{ref.path}: frames_trim {list(ref.frames_trim)} selects no frames "
            f"of the {n_available} in the video"
        )
    clip_fps = ref.fps_original / clip.step
    # The paper's rule, int(fps / target); the epsilon keeps e.g. 0.3 / 0.1 from flooring to 2.
    step = max(1, int(clip_fps / target_fps + 1e-9))
    candidates: Sequence[int] = clip[::step]
    fps = clip_fps / step
    n = len(candidates)
    if max_frames is not None and n > max_frames and keep_first:
        candidates = candidates[:max_frames]
    elif max_frames is not None and n > max_frames:
        candidates = even_pick(candidates, max_frames)
        fps *= max_frames / n
    start = clip[0]
    return Selection(
        indices=tuple(candidates),
        times_s=tuple((i - start) / ref.fps_original for i in candidates),
        fps=fps,
    )
