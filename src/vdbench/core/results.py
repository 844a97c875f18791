"""results.json as one typed, versioned record: written by the pipeline, read by `compare`,
`submit` and the leaderboard through `Results.from_json`. Its JSON Schema is published as
`schemas/results.schema.json` (regenerate with `python -m vdbench.core.results`)."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vdbench.core.errors import InputError
from vdbench.core.jsonschema import type_schema
from vdbench.core.types import Mode

SCHEMA_VERSION = 1
# The one place that says which metric heads each mode.
HEADLINE: dict[str, str] = {"closed": "accuracy", "open": "recall"}

# A block of metrics for a group of differences (all, a split, a domain, an action): the
# headline metric, its ci95, n_scored, n_correct, n_answered, n_samples, and per mode
# p_vs_chance (closed) or err_nomatch, err_flippedpred, err_judge, matched_fraction (open).
Block = dict[str, float | int | list[float] | None]


def _doc(text: str) -> dict[str, Any]:
    return {"schema": {"description": text}}


@dataclass
class Results:
    """The scores of one set of predictions on one selection of the benchmark."""

    model: str = field(metadata=_doc("the model name asked for, or the submission's name"))
    mode: Mode
    split: str = field(metadata=_doc("easy, medium, hard or all"))
    n_samples: int
    n_scored: int = field(metadata=_doc("differences scored (gt a or b)"))
    coverage: float = field(metadata=_doc("share of scored differences with a valid answer"))
    status_counts: dict[str, int] = field(metadata=_doc("samples by model-run status"))
    metrics: Block = field(metadata=_doc("the overall block, plus split_average"))
    ci95: list[float] | None
    by_split: dict[str, Block]
    by_domain: dict[str, Block]
    by_action: dict[str, Block]
    provenance: dict[str, Any] = field(metadata=_doc(
        "vdbench version, dataset and revision, selection, seed, model identity, frame "
        "sampling, creation time"))
    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    complete: bool = field(default=True, metadata=_doc(
        "false when more samples failed (API, frames, judge) than --max-failures allows: "
        "such a result is never ranked; rerunning the same command completes it"))
    failures: dict[str, Any] | None = field(default=None, metadata=_doc(
        "failed_samples, allowed, by_status and the first errors"))
    judge: dict[str, Any] | None = field(default=None, metadata=_doc(
        "open mode: the judge's identity (models, prompt hashes, settings)"))
    localization: dict[str, Any] | None = None
    cost_usd: float | None = None
    cost_by_stage: dict[str, float] | None = None
    requests: dict[str, int] | None = field(default=None, metadata=_doc("sent and cached"))
    swap: dict[str, Any] | None = None
    epochs: dict[str, Any] | None = field(default=None, metadata=_doc(
        "with --epochs N: the headline metric of each epoch (seed), their mean and sd"))
    strict_answers: dict[str, int] | None = field(default=None, metadata=_doc(
        "under strict answers (protocol paper): tolerant_changes, the labels a tolerant "
        "reading (\"A\", \"(a)\", \"video a\") would have read otherwise, and "
        "samples_changed"))
    prediction_format: str | None = None
    missing_samples: list[str] | None = None

    @property
    def headline_metric(self) -> str:
        return HEADLINE[self.mode]

    @property
    def headline(self) -> float | None:
        value = self.metrics.get(self.headline_metric)
        return float(value) if isinstance(value, (int, float)) else None

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        optional = {f.name for f in dataclasses.fields(self) if f.default is None}
        return {k: v for k, v in out.items() if not (k in optional and v is None)}

    @classmethod
    def from_json(cls, value: Any, source: str = "results.json") -> Results:
        """A parsed results.json, its shape checked; a problem is an InputError naming it."""
        if not isinstance(value, dict):
            raise InputError(f"{source}: not a JSON object")
        version = value.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InputError(f"{source}: schema_version {version!r} is not {SCHEMA_VERSION}; "
                             "rescore the predictions with this vdbench (`vdbench score`)")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise InputError(f"{source}: unknown key(s) {', '.join(unknown)}")
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
        missing = [k for k in required if k not in value]
        if missing:
            raise InputError(f"{source}: missing key(s) {', '.join(missing)}")
        if value["mode"] not in HEADLINE:
            raise InputError(f"{source}: mode {value['mode']!r} is not closed or open")
        for key in ("metrics", "by_split", "by_domain", "by_action", "provenance"):
            if not isinstance(value[key], dict):
                raise InputError(f"{source}: {key} is not an object")
        return cls(**value)


def load_results(path: Path) -> Results:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    return Results.from_json(value, str(path))


def results_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = type_schema(Results, defs, {Block: "Block"})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"vdbench results.json, schema_version {SCHEMA_VERSION}",
            **root, "$defs": defs}


def schema_text() -> str:
    """schemas/results.schema.json, byte for byte (a test keeps the committed copy in step)."""
    return json.dumps(results_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
