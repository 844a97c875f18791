"""The model interface and registry: a new model is one small class registered by name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..data.schema import Sample
from ..errors import InputError
from ..frames.types import Clip

Mode = Literal["closed", "open"]
# ok: every asked difference answered; partial: some keys missing or invalid;
# parse_error: nothing usable in the reply; api_error: the call failed after retries.
Status = Literal["ok", "partial", "parse_error", "api_error", "skipped"]


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
    cost_by_stage: dict[str, float] = field(default_factory=dict)  # multi-stage methods


@dataclass(frozen=True)
class EvalItem:
    sample: Sample
    mode: Mode
    clips: tuple[Clip, Clip] | None  # None for models that do not look at frames


@dataclass
class ModelOptions:
    """Run-wide settings every model factory receives."""

    seed: int = 0
    concurrency: int = 8
    cache_dir: Path | None = None
    base_url: str | None = None
    rpm: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Model(ABC):
    name: str
    needs_frames: ClassVar[bool] = True

    def bind(self, samples: list[Sample], mode: Mode) -> None:  # noqa: B027 - optional hook
        """Called once with the run's samples, in order, before any predict()."""

    @abstractmethod
    async def predict(self, item: EvalItem) -> SampleOutput: ...

    def provenance(self) -> dict[str, Any]:
        """What identifies this model's outputs (snapshot, prompt hash, settings)."""
        return {"name": self.name}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    needs: str = ""  # what it needs to run: extra, key, endpoint


Factory = Callable[[str | None, ModelOptions], Model]


@dataclass(frozen=True)
class _Entry:
    factory: Factory
    info: ModelInfo


_NAMES: dict[str, _Entry] = {}
_PREFIXES: dict[str, _Entry] = {}


def register(name: str, description: str, needs: str = "", *, prefix: bool = False):
    """Register a factory under an exact name, or under `prefix:` (it receives the rest)."""

    def deco(factory: Factory) -> Factory:
        table = _PREFIXES if prefix else _NAMES
        if name in table:
            raise ValueError(f"model {name!r} registered twice")
        shown = f"{name}:MODEL" if prefix else name
        table[name] = _Entry(factory, ModelInfo(shown, description, needs))
        return factory

    return deco


def _load_builtin_models() -> None:
    from ..viddiff import model  # noqa: F401  (each registers its models on import)
    from . import baselines, providers  # noqa: F401


def get_model(name: str, options: ModelOptions | None = None) -> Model:
    _load_builtin_models()
    options = options or ModelOptions()
    if name in _NAMES:
        return _NAMES[name].factory(None, options)
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _PREFIXES and rest:
        return _PREFIXES[prefix].factory(rest, options)
    known = ", ".join(sorted(_NAMES) + [f"{p}:..." for p in sorted(_PREFIXES)])
    raise InputError(f"--model: unknown model {name!r}; known: {known}")


def list_models() -> list[ModelInfo]:
    _load_builtin_models()
    return [e.info for e in _NAMES.values()] + [e.info for e in _PREFIXES.values()]
