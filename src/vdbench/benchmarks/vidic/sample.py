"""A ViDiC-1K pair: two videos and the checklist its answer is judged against.

The published checklist (`checklist/checklist.json` of NJU-LINK/ViDiC-1K) holds, per pair,
`structured_analysis: {Similarities: [...], Differences: [...]}`, each entry `{class,
question, correct_answer}`. A difference question is answered "yes" when the text states
that difference; a similarity question asks about a difference that is not there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vdbench.data.schema import VideoRef

Kind = Literal["difference", "similarity"]
KINDS: tuple[Kind, ...] = ("difference", "similarity")
# The published file's names for the two lists.
PUBLISHED_KINDS: dict[Kind, str] = {"difference": "Differences", "similarity": "Similarities"}
CLASSES = ("subject", "style", "background", "camera", "motion", "position",
           "playback technique")


@dataclass(frozen=True)
class ChecklistItem:
    kind: Kind
    index: int  # position in its kind's list
    cls: str  # one of CLASSES in the published data
    question: str
    answer: Literal["yes", "no"]  # the correct answer

    @property
    def key(self) -> str:
        """Stable within a pair: d0, d1, ... for differences, s0, ... for similarities."""
        return f"{self.kind[0]}{self.index}"


@dataclass(frozen=True)
class VidicSample:
    sample_key: str  # the published `index`, as text
    videos: tuple[VideoRef, VideoRef]  # video1_path, video2_path (Video A, Video B)
    domain: str  # the source collection: the first folder under data/ (e.g. "LongoXC")
    action: str  # the kind of edit or pairing: the folder below it (e.g. "add_person")
    checklist: tuple[ChecklistItem, ...]
    split: str = "test"

    @property
    def differences(self) -> list[ChecklistItem]:
        return [i for i in self.checklist if i.kind == "difference"]

    @property
    def similarities(self) -> list[ChecklistItem]:
        return [i for i in self.checklist if i.kind == "similarity"]

    def swapped(self) -> VidicSample:
        raise NotImplementedError("ViDiC-1K's questions name Video A and Video B: no --swap")
