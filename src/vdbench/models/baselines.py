"""Baselines that need no API: a seeded coin flip, and the replay of a prediction file."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.options import parse_options
from vdbench.core.types import DiffPrediction, Mode, SampleOutput
from vdbench.data.schema import Sample
from vdbench.llm.context import CallContext
from vdbench.models.base import EvalItem, Model

# Content-free statements for open mode: what a model that ignores the videos could say.
GENERIC_DIFFERENCES = (
    "the movement is faster", "the movement is larger", "the body is lower",
    "the arms are straighter", "the motion is smoother", "the stance is wider",
    "the action takes longer", "the posture is more upright",
)


class RandomModel(Model):
    """Closed: uniform a/b per difference. Open: generic statements with random labels.
    Every draw depends only on (seed, sample, key), never on the order of the run."""

    needs_frames = False

    def __init__(self, seed: int):
        self.name, self.seed = "random", seed

    def _rng(self, *parts: str) -> random.Random:
        return random.Random(hashlib.sha256("|".join((str(self.seed), *parts)).encode()).digest())

    async def predict(self, item: EvalItem) -> SampleOutput:
        s = item.sample
        if item.mode == "closed":
            preds = {d.key: DiffPrediction(self._rng(s.sample_key, d.key).choice("ab"))  # type: ignore[arg-type]
                     for d in s.closed_differences()}
        else:
            rng = self._rng(s.sample_key, "open")
            n = min(s.n_differences_open_prediction, len(GENERIC_DIFFERENCES))
            preds = {str(i): DiffPrediction(rng.choice("ab"), text)  # type: ignore[arg-type]
                     for i, text in enumerate(rng.sample(GENERIC_DIFFERENCES, n))}
        return SampleOutput(s.sample_key, preds)

    def provenance(self) -> dict:
        return {"name": self.name, "seed": self.seed}


class ReplayModel(Model):
    """Replays a prediction file (every format `validate` accepts) as if a model had produced
    it. A sample the file lacks is `missing`: a failure, so a partial file is no complete run."""

    needs_frames = False

    def __init__(self, path: str):
        self.name, self.path = f"replay:{path}", Path(path)
        self._preds: dict[str, dict[str, DiffPrediction]] | None = None

    def bind(self, samples: list[Sample], mode: Mode) -> None:
        from vdbench.data.predictions import load_predictions

        self._preds = load_predictions(self.path, samples, mode).predictions

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert self._preds is not None, "bind() first"
        key = item.sample.sample_key
        if key not in self._preds:
            return SampleOutput(key, {}, status="missing",
                                error=f"no entry in the replayed file {self.path}")
        return SampleOutput(key, self._preds[key])

    def provenance(self) -> dict:
        return {"name": self.name, "file": str(self.path)}


@dataclass(frozen=True)
class NoOptions:
    """Baselines take no --model-option."""


def random_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> Model:
    parse_options(NoOptions, options, name)
    return RandomModel(ctx.seed)


def replay_model(name: str, ctx: CallContext, options: Mapping[str, Any]) -> Model:
    parse_options(NoOptions, options, name)
    return ReplayModel(name.removeprefix("replay:"))
