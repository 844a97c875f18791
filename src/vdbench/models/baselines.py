"""Baselines that need no API: a seeded coin flip, and the replay of a prediction file."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from ..data.schema import Sample
from ..errors import InputError
from .base import DiffPrediction, EvalItem, Model, ModelOptions, SampleOutput, register


class RandomModel(Model):
    """Uniform a/b per difference; the draw depends only on (seed, sample, key), not on order."""

    needs_frames = False

    def __init__(self, seed: int):
        self.name, self.seed = "random", seed

    def _label(self, sample_key: str, diff_key: str) -> str:
        digest = hashlib.sha256(f"{self.seed}|{sample_key}|{diff_key}".encode()).digest()
        return random.Random(digest).choice("ab")

    async def predict(self, item: EvalItem) -> SampleOutput:
        if item.mode != "closed":
            raise InputError("--model random: only closed mode is supported")
        s = item.sample
        preds = {d.key: DiffPrediction(self._label(s.sample_key, d.key)) for d in s.closed_differences()}  # type: ignore[arg-type]
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
            return SampleOutput(key, {}, status="parse_error", error="no entry in the replayed file")
        return SampleOutput(key, self._preds[key])

    def provenance(self) -> dict:
        return {"name": self.name, "file": str(self.path)}


@register("random", "uniform random a/b per difference, seeded by --seed")
def _random(_: str | None, options: ModelOptions) -> Model:
    return RandomModel(options.seed)


@register("replay", "replays a prediction file (canonical or list format)", prefix=True)
def _replay(path: str | None, options: ModelOptions) -> Model:
    return ReplayModel(path or "")
