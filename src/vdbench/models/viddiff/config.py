"""The VidDiff method's settings. The run's protocol (`BY_PROTOCOL[ctx.protocol.name]`: paper
follows the authors' reference code, fast is cheaper) sets the defaults of the settings it
names; a `--model-option viddiff.KEY=VALUE` the user gives wins over the protocol.

`ViddiffOptions` is what `--model-option` is checked against: every setting the protocol sets
is None unless given. `ViddiffOptions.resolve(protocol)` fills those from the protocol and gives
the `ViddiffConfig` the stages read (recorded whole as provenance.model.config)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from vdbench.core.errors import InputError
from vdbench.core.protocol import Protocol, by_protocol
from vdbench.data.viddiffbench_facts import PAPER_FPS
from vdbench.llm.providers import registry

LOCALIZERS = ("clip", "random", "oracle")
EMBEDDERS = ("clip", "offline")
UNLINKED = ("middle", "all")
OpenProtocol = Literal["standard", "paper"]
Rule = Literal["vdbench", "reference"]  # whose rule: vdbench's or the reference's


@dataclass(frozen=True)
class ViddiffProtocol:
    """What each named protocol sets for the VidDiff method (`--model-option viddiff.KEY`
    wins); the defaults are the fast protocol's."""

    proposer_model: str = "gpt-4o-mini"
    differencer_model: str = "gpt-4o"
    fps_by_domain: dict[str, float] = field(default_factory=lambda: dict(PAPER_FPS))
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


BY_PROTOCOL: dict[str, ViddiffProtocol] = {
    "paper": ViddiffProtocol(
        proposer_model="gpt-4o-mini", differencer_model="openai:gpt-4o-2024-05-13",
        fps_by_domain={**PAPER_FPS, "fitness": 8.0}, frame_cap=None, n_retrieval_strings=5,
        refine_retrieval=True, multiframe_sep_s=0.35, open_protocol="standard",
        keep_all_stages=True, nearest_difference_names=True, viterbi="reference",
        linking="reference"),
    "fast": ViddiffProtocol(),
}


def protocol_settings(protocol: Protocol) -> ViddiffProtocol:
    """The method's settings under the run's protocol (fast's for a protocol not named)."""
    return by_protocol(protocol, BY_PROTOCOL)


# The settings the protocol sets (ViddiffProtocol's fields that are method options).
FROM_PROTOCOL = ("proposer_model", "differencer_model", "n_retrieval_strings",
                 "multiframe_sep_s", "refine_retrieval", "open_protocol", "keep_all_stages",
                 "nearest_difference_names", "viterbi", "linking")
_STANDARD = ViddiffProtocol()  # the fast protocol's values: ViddiffConfig()'s defaults


@dataclass(frozen=True)
class _MethodSettings:
    """The settings no protocol sets, with the paper's values."""

    # Stage 2. The public code's CLIP server runs open_clip ViT-bigG-14 (laion2b_s39b_b160k).
    localizer: str = "clip"
    embedder: str = "clip"
    clip_model: str = "ViT-bigG-14"
    clip_pretrained: str = "laion2b_s39b_b160k"
    clip_device: str = "auto"  # auto: cuda when available, else cpu
    max_stages: int = 5  # the public proposer prompt asks for "5 steps or fewer"
    stay_probability: float = 0.5  # Viterbi self-transition; 0.5 = no duration prior
    # Multi-frame ("gt_1") differences: an odd window around the linked stages, as in the
    # public code (retriever.multiframe.nframes = 3).
    multiframe_n: int = 3
    unlinked: str = "middle"  # stage(s) for a difference the linking left out: middle or all

    def _check_method(self) -> None:
        choices = {"localizer": LOCALIZERS, "embedder": EMBEDDERS, "unlinked": UNLINKED}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InputError(f"viddiff option {name}: expected one of {', '.join(allowed)}, "
                                 f"got {getattr(self, name)!r}")
        for name in ("max_stages", "multiframe_n"):
            if getattr(self, name) < 1:
                raise InputError(f"viddiff option {name}: must be at least 1")
        if not 0.0 < self.stay_probability < 1.0:
            raise InputError("viddiff option stay_probability: must be in (0, 1)")


@dataclass(frozen=True)
class ViddiffConfig(_MethodSettings):
    """The settings in force, every one set (defaults: the fast protocol's)."""

    # Stage 1 and 3 models: an LLM proposes, a VLM compares frames.
    proposer_model: str = _STANDARD.proposer_model
    differencer_model: str = _STANDARD.differencer_model
    n_retrieval_strings: int = _STANDARD.n_retrieval_strings  # per stage ("at least N")
    # Spacing of a multi-frame window (never less than one sampled frame); the reference's
    # retriever.multiframe.frames_sep_seconds is 0.35.
    multiframe_sep_s: float = _STANDARD.multiframe_sep_s
    # A second proposer call that drops retrieval strings too like those of other stages
    # (the reference's filter_retrieval_keys).
    refine_retrieval: bool = _STANDARD.refine_retrieval
    # Open mode. standard: the proposals are predictions, matched by the run's judge.
    # paper: the reference's variant: the proposals are matched to the annotated differences
    # before differencing (unmatched ones dropped, kept ones keyed by annotated key), and the
    # scorer checks no direction (reported apart).
    open_protocol: OpenProtocol = _STANDARD.open_protocol
    # The reference's repairs (ViddiffProtocol): every stage of the reply kept; a misspelt
    # difference name read as the nearest; its Viterbi tie-break and floor.
    keep_all_stages: bool = _STANDARD.keep_all_stages
    nearest_difference_names: bool = _STANDARD.nearest_difference_names
    viterbi: Rule = _STANDARD.viterbi
    linking: Rule = _STANDARD.linking  # "reference": after refinement (ViddiffProtocol)

    def __post_init__(self) -> None:
        self._check_method()
        _check_protocol_settings({n: getattr(self, n) for n in FROM_PROTOCOL})


@dataclass(frozen=True)
class ViddiffOptions(_MethodSettings):
    """`--model-option viddiff.KEY=VALUE`; None: the run's protocol's value."""

    option_prefix: ClassVar[str] = "viddiff."  # --model-option viddiff.localizer=random

    proposer_model: str | None = None
    differencer_model: str | None = None
    n_retrieval_strings: int | None = None
    multiframe_sep_s: float | None = None
    refine_retrieval: bool | None = None
    open_protocol: OpenProtocol | None = None
    keep_all_stages: bool | None = None
    nearest_difference_names: bool | None = None
    viterbi: Rule | None = None
    linking: Rule | None = None

    def __post_init__(self) -> None:
        self._check_method()
        _check_protocol_settings({n: getattr(self, n) for n in FROM_PROTOCOL})

    def given(self) -> dict[str, object]:
        """The protocol-set settings the user gave."""
        return {n: getattr(self, n) for n in FROM_PROTOCOL if getattr(self, n) is not None}

    def resolve(self, protocol: ViddiffProtocol) -> ViddiffConfig:
        values = {n: getattr(self, n) for n in FROM_PROTOCOL}
        for name, value in values.items():
            if value is None:
                value = getattr(protocol, name)
                if name.endswith("_model"):
                    value = protocol_model(value)
                values[name] = value
        method = {f.name: getattr(self, f.name) for f in dataclasses.fields(_MethodSettings)}
        return ViddiffConfig(**method, **values)


def _check_protocol_settings(values: dict[str, Any]) -> None:
    """The settings of FROM_PROTOCOL, where set (None: the protocol's)."""
    if values["n_retrieval_strings"] is not None and values["n_retrieval_strings"] < 1:
        raise InputError("viddiff option n_retrieval_strings: must be at least 1")
    if values["multiframe_sep_s"] is not None and values["multiframe_sep_s"] < 0:
        raise InputError("viddiff option multiframe_sep_s: must be >= 0")
    for name in ("proposer_model", "differencer_model"):
        if values[name] == "viddiff":
            raise InputError(f"viddiff option {name}: must be a chat model, not viddiff")
    for name in ("viterbi", "linking"):
        if values[name] not in (None, "vdbench", "reference"):
            raise InputError(f"viddiff option {name}: expected one of vdbench, reference, "
                             f"got {values[name]!r}")
    if values["open_protocol"] not in (None, "standard", "paper"):
        raise InputError(f"viddiff option open_protocol: expected one of standard, paper, "
                         f"got {values['open_protocol']!r}")


def protocol_model(name: str) -> str:
    """A model named by the protocol: an alias, `provider:ID`, or a bare OpenAI snapshot id
    (the reference's models are all OpenAI's: paper's differencer is gpt-4o-2024-05-13)."""
    if ":" in name or any(a.name == name for a in registry.aliases()):
        return name
    return f"openai:{name}"
