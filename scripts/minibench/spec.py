"""What an action is: its difference keys, how to draw a frame of it, when its events happen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import ImageDraw

W, H = 160, 120  # frame size, px
FPS = {"fitness": 8.0, "ballsports": 30.0, "diving": 25.0, "music": 30.0, "surgery": 30.0}
SECONDS = {"fitness": 4.0, "ballsports": 4.0, "diving": 3.0, "music": 6.0, "surgery": 6.0}

Params = dict[str, float]
Events = dict[str, list[float]]  # event name -> times (seconds from the start of the clip)
Draw = Callable[[ImageDraw.ImageDraw, float, Params], None]  # (canvas, time, params)


@dataclass(frozen=True)
class Diff:
    """One difference key of an action's taxonomy."""

    name: str
    description: str  # comparative statement, more true of the video that gets `more`
    query: str
    num_frames: str  # "1": visible in one frame; "gt_1": needs several frames
    param: str | None = None  # None: not rendered (may only be left unlabelled)
    more: float = 0.0
    less: float = 0.0
    event: str = "start"  # the event whose frames show it best (retrieval_frames)


@dataclass(frozen=True)
class Action:
    action: str
    name: str
    description: str
    domain: str
    base: Params  # values of parameters no difference key controls
    diffs: tuple[Diff, ...]
    draw: Draw
    events: Callable[[Params], Events]


def times(start: float, period: float, seconds: float) -> list[float]:
    """start, start + period, ... up to (not including) `seconds`."""
    return [t for k in range(100) if (t := start + k * period) < seconds]
