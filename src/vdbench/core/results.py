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

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: VidDiffBench only, before the benchmark spec
# Which metric heads each of VidDiffBench's modes (version 1 files name no metric).
HEADLINE: dict[str, str] = {"closed": "accuracy", "open": "recall"}
VIDDIFFBENCH = "viddiffbench"

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
    mode: str = field(metadata=_doc("the benchmark's task: closed or open (VidDiffBench), "
                                    "compare (ViDiC-1K)"))
    split: str = field(metadata=_doc("the benchmark's split, or all"))
    n_samples: int
    n_scored: int = field(metadata=_doc("differences scored (gt a or b)"))
    coverage: float = field(metadata=_doc("share of scored differences with a valid answer"))
    status_counts: dict[str, int] = field(metadata=_doc("samples by model-run status"))
    metrics: Block = field(metadata=_doc("the overall block, plus split_average"))
    ci95: list[float] | None
    provenance: dict[str, Any] = field(metadata=_doc(
        "vdbench version, dataset and revision, selection, seed, model identity, frame "
        "sampling, creation time"))
    schema_version: Literal[1, 2] = 2  # SCHEMA_VERSION
    benchmark: str = field(default=VIDDIFFBENCH, metadata=_doc(
        "which benchmark (`vdbench benchmarks`); version 1 files are VidDiffBench's"))
    metric: str | None = field(default=None, metadata=_doc(
        "the name of the headline metric in `metrics` (version 1: by mode)"))
    by_split: dict[str, Block] | None = None
    by_domain: dict[str, Block] | None = None
    by_action: dict[str, Block] | None = None
    breakdowns: dict[str, dict[str, Block]] | None = field(default=None, metadata=_doc(
        "the benchmark's other breakdowns, by name (ViDiC-1K: class, kind, domain)"))
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

    def __post_init__(self) -> None:
        if self.metric is None and self.benchmark == VIDDIFFBENCH:
            self.metric = HEADLINE.get(self.mode)

    @property
    def headline_metric(self) -> str:
        assert self.metric is not None, "results without a headline metric"
        return self.metric

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
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise InputError(f"{source}: schema_version {version!r} is not one of "
                             f"{', '.join(map(str, READABLE_VERSIONS))}; rescore the "
                             "predictions with this vdbench (`vdbench score`)")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise InputError(f"{source}: unknown key(s) {', '.join(unknown)}")
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
        if version == 1 or value.get("benchmark", VIDDIFFBENCH) == VIDDIFFBENCH:
            required += ["by_split", "by_domain", "by_action"]
        if version == 2 and value.get("benchmark", VIDDIFFBENCH) != VIDDIFFBENCH:
            required.append("metric")
        missing = [k for k in required if k not in value]
        if missing:
            raise InputError(f"{source}: missing key(s) {', '.join(missing)}")
        if version == 1 and "benchmark" in value:
            raise InputError(f"{source}: version 1 files have no key benchmark")
        if not isinstance(value.get("benchmark", VIDDIFFBENCH), str):
            raise InputError(f"{source}: benchmark is not a string")
        if value.get("benchmark", VIDDIFFBENCH) == VIDDIFFBENCH and value["mode"] not in HEADLINE:
            raise InputError(f"{source}: mode {value['mode']!r} is not closed or open")
        for key in ("metrics", "by_split", "by_domain", "by_action", "provenance", "breakdowns"):
            if key in value and not isinstance(value[key], dict):
                raise InputError(f"{source}: {key} is not an object")
        return cls(**{**value, "schema_version": SCHEMA_VERSION})  # read as the current form


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
