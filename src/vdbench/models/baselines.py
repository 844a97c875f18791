"""Baselines that need no API: a seeded coin flip, and the replay of a prediction file."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.options import parse_options
from vdbench.core.types import SampleOutput
from vdbench.llm.context import CallContext
from vdbench.models.base import EvalItem, Model
from vdbench.tasks.base import TaskSet


class RandomModel(Model):
    """What the task says chance looks like (VidDiffBench closed: uniform a/b per difference;
    open: generic statements with random labels). Every draw depends only on (seed, sample,
    key), never on the order of the run."""

    needs_frames = False

    def __init__(self, seed: int):
        self.name, self.seed = "random", seed

    def _rng(self, *parts: str) -> random.Random:
        return random.Random(hashlib.sha256("|".join((str(self.seed), *parts)).encode()).digest())

    async def predict(self, item: EvalItem) -> SampleOutput:
        return item.task.random_output(item.sample, self._rng)

    def provenance(self) -> dict:
        return {"name": self.name, "seed": self.seed}


class ReplayModel(Model):
    """Replays a prediction file (every format `validate` accepts) as if a model had produced
    it. A sample the file lacks is `missing`: a failure, so a partial file is no complete run."""

    needs_frames = False

    def __init__(self, path: str):
        self.name, self.path = f"replay:{path}", Path(path)
        self._preds: dict[str, Any] | None = None

    def bind(self, samples: list[Any], tasks: TaskSet) -> None:
        self._preds = tasks.read_predictions(self.path, samples, tasks.chosen.name).predictions

    async def predict(self, item: EvalItem) -> SampleOutput:
        assert self._preds is not None, "bind() first"
        key = item.sample.sample_key
        if key not in self._preds:
            return SampleOutput(key, {}, status="missing",
                                error=f"no entry in the replayed file {self.path}")
        return item.task.replayed(key, self._preds[key])

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
