"""Baselines that need no API: a seeded coin flip, and the replay of a prediction file."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from ..data.schema import Sample
from .base import DiffPrediction, EvalItem, Model, ModelOptions, SampleOutput, register

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
    """Replays a prediction file (either accepted format) as if a model had produced it."""

    needs_frames = False

    def __init__(self, path: str):
        self.name, self.path = f"replay:{path}", Path(path)
        self._preds: dict[str, dict[str, DiffPrediction]] | None = None

    def bind(self, samples: list[Sample], mode: str) -> None:
        from ..predictions import load_predictions

        self._preds = load_predictions(self.path, samples, mode).predictions  # type: ignore[arg-type]

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert self._preds is not None, "bind() first"
        key = item.sample.sample_key
        if key not in self._preds:
            return SampleOutput(key, {}, status="parse_error",
                                error="no entry in the replayed file")
        return SampleOutput(key, self._preds[key])

    def provenance(self) -> dict:
        return {"name": self.name, "file": str(self.path)}


@register("random", "uniform random a/b per difference, seeded by --seed")
def _random(_: str | None, options: ModelOptions) -> Model:
    return RandomModel(options.seed)


@register("replay", "replays a prediction file (canonical or list format)", prefix=True)
def _replay(path: str | None, options: ModelOptions) -> Model:
    return ReplayModel(path or "")
