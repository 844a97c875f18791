"""Named protocols: every setting that decides what a model is shown and asked, and how its
answers are judged, in one typed record that each layer reads its part of and that results.json
records whole. `paper` follows the authors' reference code (jmhb0/viddiff); `fast` is
vdbench's cheaper variant. docs/protocol.md lists every setting with its source.

What a protocol sets for one provider or one model lives with it, in a table keyed by
protocol name that `by_protocol` reads (the provider's record, e.g.
vdbench/llm/providers/openai.py; the VidDiff method's vdbench/models/viddiff/config.py); a
model records the settings in force in provenance.model."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from vdbench.core.errors import InputError

# What happens when a pair has more frames than the cap: "refuse" stops the run naming the
# pair (the reference raises), "thin_each" thins each video evenly to half the cap,
# "keep_first" keeps each video's first half-the-cap frames (ViDiC-1K's scripts truncate).
OverCap = Literal["refuse", "thin_each", "keep_first"]

@dataclass(frozen=True)
class FramesProtocol:
    # empty: the benchmark's own rates (its spec's adapt_protocol fills them in)
    fps_by_domain: dict[str, float] = field(default_factory=dict)
    pair_cap: int = 150  # frames of both videos together
    over_cap: OverCap = "thin_each"
    long_side: int | None = 512  # None: the video's own resolution
    image_format: Literal["jpeg", "png"] = "jpeg"
    jpeg_quality: int = 85


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
    generation: GenerationProtocol = field(default_factory=GenerationProtocol)
    judge: JudgeProtocol = field(default_factory=JudgeProtocol)
    asking: AskingProtocol = field(default_factory=AskingProtocol)
    prompts_dir: Path | None = None  # --prompts DIR: the user's templates replace ours
    # A benchmark's own provider settings, by provider name, over the provider's row for the
    # protocol's name (ViDiC-1K's paper protocol asks OpenAI for low image detail).
    provider_settings: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["prompts_dir"] = str(self.prompts_dir) if self.prompts_dir else None
        return out


PAPER = Protocol(
    name="paper",
    description="the settings of the authors' reference code (jmhb0/viddiff)",
    frames=FramesProtocol(over_cap="refuse", long_side=None, image_format="png"),
    generation=GenerationProtocol(temperature=1.0, json_mode=True),
    judge=JudgeProtocol(temperature=1.0, batch_across_samples=True),
    asking=AskingProtocol(layout="reference", answers="strict", open_truncation="first_n",
                          order="annotated"),
)

FAST = Protocol(
    name="fast",
    description="vdbench's cheaper settings: 512 px JPEG at low detail, 75 frames per video, "
                "temperature 0",
)

PROTOCOLS = {p.name: p for p in (PAPER, FAST)}


T = TypeVar("T")


def by_protocol(protocol: Protocol, table: Mapping[str, T], owner: str = "") -> T:
    """A provider's or model's own settings under the run's protocol: the benchmark's for
    `owner` where it sets them, else its row for the protocol's name, else its "fast" row
    (fast's values are the defaults)."""
    if owner in protocol.provider_settings:
        return protocol.provider_settings[owner]
    return table[protocol.name] if protocol.name in table else table["fast"]


def get_protocol(name: str, prompts_dir: Path | None = None) -> Protocol:
    if name not in PROTOCOLS:
        raise InputError(f"--protocol: unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    protocol = PROTOCOLS[name]
    if prompts_dir is not None:
        if not Path(prompts_dir).is_dir():
            raise InputError(f"--prompts {prompts_dir}: not a folder")
        protocol = dataclasses.replace(protocol, prompts_dir=Path(prompts_dir))
    return protocol
