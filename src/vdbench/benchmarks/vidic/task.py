"""ViDiC-1K's one task, "compare": the model writes a free-text comparison of Video A and
Video B (similarities briefly, differences in detail, along seven aspects), later checked
item by item against the pair's checklist by a judge (vidic.judge).

The prompt is vdbench's own wording of the intent of the authors' prompt
(prompt/prompt_get_response.txt of NJU-LINK/ViDiC-1K); docs/vidic.md, "Prompt", lists how it
departs. As in their inference scripts, the instructions are the system prompt and the user
turn holds "Video A", its frames (or video), "Video B", its frames (or video)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vdbench.benchmarks.vidic.prompts import COMPARE, FRAMES_LABEL, VIDEO_LABEL, vidic_prompts
from vdbench.core.protocol import AskingProtocol
from vdbench.core.types import SampleOutput
from vdbench.frames.types import Clip
from vdbench.llm.types import ChatRequest, GenerationConfig, TextPart, VideoPart
from vdbench.tasks.base import Draw, Task

LABELS = {False: FRAMES_LABEL, True: VIDEO_LABEL}
VIDEO_NAMES = ("A", "B")

# The random baseline's texts: comparisons that state no difference. Under the judging rule
# ("the same unless the text says otherwise") each scores 1 on similarity items and 0 on
# difference items: the "blank text" reference level of docs/vidic.md, "Chance".
GENERIC_TEXTS = (
    "Both videos show a similar scene.",
    "Video A and Video B look alike.",
    "The two videos have much in common.",
    "I cannot tell the two videos apart.",
)


class CompareTask(Task):
    name = "compare"

    def __init__(self, prompts_dir: Path | None = None):
        self.prompts = vidic_prompts(prompts_dir)

    def templates(self, as_video: bool) -> tuple[str, ...]:
        return (COMPARE, LABELS[as_video])

    def build_request(self, sample: Any, clips: tuple[Clip, Clip], config: GenerationConfig,
                      *, as_video: bool, asking: AskingProtocol, model_id: str) -> ChatRequest:
        """The instructions as the system prompt; the user turn: each video's label, then its
        frames (or video), A before B. `asking` and `model_id` change nothing here: ViDiC-1K
        asks every model the same way and reads any text as the answer."""
        parts: list[TextPart | VideoPart] = []
        for name, clip in zip(VIDEO_NAMES, clips, strict=True):
            parts.append(TextPart(self.prompts.render(LABELS[as_video], label=name,
                                                      n=len(clip), fps=clip.fps)))
            parts.append(VideoPart(clip, name.lower()))
        return ChatRequest(parts=tuple(parts), config=config,
                           system=self.prompts.render(COMPARE))

    def parse_reply(self, sample: Any, text: str | None,
                    asking: AskingProtocol | None = None) -> SampleOutput:
        """Any non-empty text is the answer; an empty reply is a parse error."""
        answer = (text or "").strip()
        if not answer:
            return SampleOutput(sample.sample_key, {}, status="parse_error",
                                error="empty reply", raw=text)
        return SampleOutput(sample.sample_key, {}, status="ok", raw=text, response=answer)

    def random_output(self, sample: Any, draw: Draw) -> SampleOutput:
        text = draw(sample.sample_key).choice(GENERIC_TEXTS)
        return SampleOutput(sample.sample_key, {}, status="ok", raw=text, response=text)

    def replayed(self, sample_key: str, prediction: Any) -> SampleOutput:
        return SampleOutput(sample_key, {}, status="ok", raw=prediction, response=prediction)
