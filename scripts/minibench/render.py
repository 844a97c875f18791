"""From an action and its parameters to the frames of a clip, its trim and retrieval frames."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from .spec import SECONDS, Action, H, Params, W

Trim = tuple[int | None, int | None, int | None]  # frames_trim: start, stop, step


@dataclass
class Video:
    frames: list[Image.Image]
    fps: float
    trim: Trim
    retrieval: dict[str, list[int] | None]  # difference key -> retrieval frames


def render(action: Action, p: Params, fps: float, step: int, pad: tuple[int, int],
           retrieval_keys: dict[str, str | None]) -> Video:
    """Render the clip plus `pad` idle frames before and after, which frames_trim cuts off.

    retrieval_keys maps each difference key to the event that shows it (None: no frames)."""
    seconds = SECONDS[action.domain]
    n = round(seconds * fps)

    def frame(t: float) -> Image.Image:
        img = Image.new("RGB", (W, H))
        action.draw(ImageDraw.Draw(img), t, p)
        return img

    clip = [frame(i / fps) for i in range(n)]
    frames = [clip[0]] * pad[0] + clip + [clip[-1]] * pad[1]
    trim = (None, None, None) if pad == (0, 0) and step == 1 else (pad[0], pad[0] + n, step)
    events = action.events(p)
    retrieval: dict[str, list[int] | None] = {}
    for key, event in retrieval_keys.items():
        if event is None:
            retrieval[key] = None
            continue
        last = n - 1 - (n - 1) % step
        indices = {min(last, step * round(t * fps / step)) for t in events[event]}
        retrieval[key] = sorted(indices)[:4]
    return Video(frames, fps, trim, retrieval)


def first_kept_frame(video: Video) -> Image.Image:
    """The first frame of the trimmed clip."""
    return video.frames[video.trim[0] or 0]
