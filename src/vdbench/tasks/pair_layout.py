"""How a prompt lays out a pair of videos, for VidDiffBench's two tasks: the template that
describes them (as frames or as videos), where each video goes among the text, and the
asking protocol's tolerant default."""

from __future__ import annotations

from vdbench.core.protocol import AskingProtocol
from vdbench.frames.types import Clip
from vdbench.llm.types import TextPart, VideoPart
from vdbench.tasks.prompts import PromptSet

# How the two videos are described: as frames, or as videos (`ProviderAdapter.sends_video`).
LAYOUTS = {False: "video_layout", True: "video_layout_video"}
TOLERANT = AskingProtocol()  # fast's asking: vdbench's labelled layout, tolerant labels


def templates(task: str, as_video: bool = False) -> tuple[str, str]:
    """The templates (tasks/templates/NAME.txt) a task sends to a model shown frames, or
    videos."""
    return (task, LAYOUTS[as_video])


def video_layout(clips: tuple[Clip, Clip], prompts: PromptSet | None = None,
                 as_video: bool = False) -> str:
    """Each video's own rate: the per-video frame cap can sample the two at different rates."""
    return (prompts or PromptSet.default()).render(
        LAYOUTS[as_video], n_a=len(clips[0]), n_b=len(clips[1]), fps_a=clips[0].fps,
        fps_b=clips[1].fps,
        # the reference prints one rate, video b's, as int(fps_original / step)
        fps_int=int(clips[1].fps))


def video_parts(text: str, clips: tuple[Clip, Clip], layout: str = "labelled") -> tuple:
    """labelled: the prompt's first line, then video a, then video b, then the rest of the
    prompt. reference: the whole prompt, then video a, then video b, with no labels."""
    if layout == "reference":
        return (TextPart(text), VideoPart(clips[0], "a"), VideoPart(clips[1], "b"))
    intro, _, rest = text.partition("\n")
    return (
        TextPart(intro),
        TextPart("Video a:"),
        VideoPart(clips[0], "a"),
        TextPart("Video b:"),
        VideoPart(clips[1], "b"),
        TextPart(rest),
    )
