"""Named protocols: every setting that decides what a model is shown and asked, and how its
answers are judged, in one typed record that each layer reads its part of and that results.json
records whole. `paper` follows the authors' reference code (jmhb0/viddiff); `fast` is
vdbench's cheaper variant. docs/protocol.md lists every setting with its source."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vdbench.core.errors import InputError

# What happens when a pair has more frames than the cap: "refuse" stops the run naming the
# pair (the reference raises), "thin_each" thins each video evenly to half the cap,
# "keep_first" keeps each video's first half-the-cap frames (ViDiC-1K's scripts truncate).
OverCap = Literal["refuse", "thin_each", "keep_first"]

LMM_FPS = {"fitness": 4.0, "ballsports": 5.0, "diving": 6.0, "music": 1.0, "surgery": 1.0}


@dataclass(frozen=True)
class FramesProtocol:
    fps_by_domain: dict[str, float] = field(default_factory=lambda: dict(LMM_FPS))
    pair_cap: int = 150  # frames of both videos together
    over_cap: OverCap = "thin_each"
    long_side: int | None = 512  # None: the video's own resolution
    image_format: Literal["jpeg", "png"] = "jpeg"
    jpeg_quality: int = 85


@dataclass(frozen=True)
class ProvidersProtocol:
    openai_detail: Literal["low", "high", "auto"] = "low"
    anthropic_jpeg_quality: int | None = None  # re-encode frames as JPEG at this quality
    gemini_input: Literal["frames", "video"] = "frames"
    gemini_video_fps: float | None = None  # None: the sampling rate; 1: each frame lasts 1 s
    gemini_api_defaults: bool = False  # send no generation settings: Gemini's own apply


@dataclass(frozen=True)
class GenerationProtocol:
    temperature: float = 0.0
    max_tokens: int = 2048
    seed: int = 0
    json_mode: bool = False  # JSON output mode where the provider has it


@dataclass(frozen=True)
class JudgeProtocol:
    match_model: str = "gpt-4o"
    direction_model: str = "gpt-4o-mini"
    temperature: float = 0.0
    direction_batch: int = 6  # matched pairs per direction-check call
    batch_across_samples: bool = False  # the reference flattens pairs over all samples


@dataclass(frozen=True)
class ViddiffProtocol:
    """Defaults for the VidDiff method's options (`--model-option viddiff.KEY` wins)."""

    proposer_model: str = "gpt-4o-mini"
    differencer_model: str = "gpt-4o"
    fps_by_domain: dict[str, float] = field(default_factory=lambda: dict(LMM_FPS))
    frame_cap: int | None = 150  # None: every sampled frame (the reference embeds them all)
    n_retrieval_strings: int = 3
    refine_retrieval: bool = False
    multiframe_sep_s: float = 0.5
    open_protocol: Literal["paper", "standard"] = "standard"
    keep_all_stages: bool = False  # False: at most max_stages stages of the reply are kept
    # a misspelt difference name in the linking reply: the nearest name however far (the
    # reference), or only one with a difflib ratio of at least 0.8
    nearest_difference_names: bool = False
    # "reference": a tie advances to the next stage and only exact zeros are floored at 1e-5;
    # "vdbench": a tie stays and every score below 1e-5 is floored
    viterbi: Literal["vdbench", "reference"] = "vdbench"
    # "reference": linking after the refinement, shown the refined stages with their strings
    # and every field of the differences (indent 4); "vdbench": alongside it, names and
    # descriptions only
    linking: Literal["vdbench", "reference"] = "vdbench"


@dataclass(frozen=True)
class AskingProtocol:
    """How a model is asked and its reply read (docs/protocol.md, "Prompts")."""

    # "labelled": the prompt's first line, "Video a:", frames, "Video b:", frames, the rest;
    # "reference": the whole text, then the frames (or the video) of a, then of b, unlabelled
    layout: Literal["labelled", "reference"] = "labelled"
    # "tolerant": "A", "(a)", "video a" read as a; "strict": only "a" or "b" after parsing,
    # and closed mode asks for each key's description and prediction
    answers: Literal["tolerant", "strict"] = "tolerant"
    # open mode over the cap: "well_formed" keeps the first n well-formed differences;
    # "first_n" keeps the first n entries whatever they hold (a malformed one counts wrong)
    open_truncation: Literal["well_formed", "first_n"] = "well_formed"
    # the order of the differences in closed and judge prompts: of differences_gt, or of
    # differences_annotated as the reference iterates them
    order: Literal["gt", "annotated"] = "gt"


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str
    frames: FramesProtocol = field(default_factory=FramesProtocol)
    providers: ProvidersProtocol = field(default_factory=ProvidersProtocol)
    generation: GenerationProtocol = field(default_factory=GenerationProtocol)
    judge: JudgeProtocol = field(default_factory=JudgeProtocol)
    viddiff: ViddiffProtocol = field(default_factory=ViddiffProtocol)
    asking: AskingProtocol = field(default_factory=AskingProtocol)
    prompts_dir: Path | None = None  # --prompts DIR: the user's templates replace ours

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["prompts_dir"] = str(self.prompts_dir) if self.prompts_dir else None
        return out


PAPER = Protocol(
    name="paper",
    description="the settings of the authors' reference code (jmhb0/viddiff)",
    frames=FramesProtocol(over_cap="refuse", long_side=None, image_format="png"),
    providers=ProvidersProtocol(openai_detail="high", anthropic_jpeg_quality=75,
                                gemini_input="video", gemini_video_fps=1.0,
                                gemini_api_defaults=True),
    generation=GenerationProtocol(temperature=1.0, json_mode=True),
    judge=JudgeProtocol(temperature=1.0, batch_across_samples=True),
    viddiff=ViddiffProtocol(
        proposer_model="gpt-4o-mini", differencer_model="openai:gpt-4o-2024-05-13",
        fps_by_domain={**LMM_FPS, "fitness": 8.0}, frame_cap=None, n_retrieval_strings=5,
        refine_retrieval=True, multiframe_sep_s=0.35, open_protocol="standard",
        keep_all_stages=True, nearest_difference_names=True, viterbi="reference",
        linking="reference"),
    asking=AskingProtocol(layout="reference", answers="strict", open_truncation="first_n",
                          order="annotated"),
)

FAST = Protocol(
    name="fast",
    description="vdbench's cheaper settings: 512 px JPEG at low detail, 75 frames per video, "
                "temperature 0",
)

PROTOCOLS = {p.name: p for p in (PAPER, FAST)}


def get_protocol(name: str, prompts_dir: Path | None = None) -> Protocol:
    if name not in PROTOCOLS:
        raise InputError(f"--protocol: unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    protocol = PROTOCOLS[name]
    if prompts_dir is not None:
        if not Path(prompts_dir).is_dir():
            raise InputError(f"--prompts {prompts_dir}: not a folder")
        protocol = dataclasses.replace(protocol, prompts_dir=Path(prompts_dir))
    return protocol
