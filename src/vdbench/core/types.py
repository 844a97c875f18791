"""What a model answers for one sample: the typed values that flow from models to scoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["closed", "open"]
# ok: every asked difference answered; partial: some keys missing or invalid;
# parse_error: nothing usable in the reply; api_error: the call failed after retries;
# frame_error: the sample's videos could not be prepared; missing: a replayed prediction
# file has no entry for the sample (a failure, like api_error: the run is incomplete).
Status = Literal["ok", "partial", "parse_error", "api_error", "frame_error", "missing",
                 "skipped"]


@dataclass(frozen=True)
class DiffPrediction:
    prediction: Literal["a", "b"]
    description: str = ""
    frames: dict[str, list[int]] | None = None  # {"a": [...], "b": [...]} for localization

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prediction": self.prediction, "description": self.description}
        if self.frames is not None:
            out["frames"] = self.frames
        return out


@dataclass
class SampleOutput:
    """A model's answer for one sample, with what went wrong if anything did."""

    sample_key: str
    predictions: dict[str, DiffPrediction]
    status: Status = "ok"
    error: str | None = None  # short reason for a non-ok status; never a secret
    raw: str | None = None  # the reply text, for debugging parse failures
    cost_usd: float = 0.0
    n_requests: int = 0
    n_cached: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. truncation to the open-mode cap
    # strict answers: how many labels a tolerant reading ("A", "(a)", "video a") would change
    tolerant_changes: int = 0
    cost_by_stage: dict[str, float] = field(default_factory=dict)  # multi-stage methods
    response: str | None = None  # a free-text task's answer (ViDiC-1K's comparison)
