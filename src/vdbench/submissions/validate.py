"""A submission: a benchmark's prediction file (canonical, or a format its authors published)
plus metadata, embedded as {"metadata": ..., "predictions": ...} or in a sidecar file. Checked
strictly, the predictions by the benchmark's own parser (`BenchmarkSpec.parse_predictions`);
every problem is reported with its place."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_type_hints

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, get_benchmark
from vdbench.benchmarks.spec import BenchmarkSpec
from vdbench.core.errors import InputError
from vdbench.core.jsonschema import conforms, describe, type_schema
from vdbench.core.types import DiffPrediction
from vdbench.data.predictions import (
    JsonObject,
    LoadedPredictions,
    duplicate_keys,
    is_envelope,
    json_error,
    loads_strict,
)
from vdbench.submissions import DEFAULT_MAX_MB, SIDECAR_SUFFIX

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _doc(text: str, **constraints: Any) -> dict[str, Any]:
    return {"schema": {"description": text, **constraints}}


@dataclass(frozen=True)
class SubmissionMetadata:
    """Who made the predictions and how; shown on the leaderboard."""

    method: str = field(metadata=_doc("Name shown on the leaderboard.",
                                      minLength=1, maxLength=100, pattern=r"\S"))
    authors: str = field(metadata=_doc("Organisation or authors.",
                                       minLength=1, maxLength=300, pattern=r"\S"))
    mode: str = field(metadata=_doc(
        "One of the benchmark's tasks; the file is scored in it. VidDiffBench: closed (a/b "
        "per annotated difference) or open (free-text differences); ViDiC-1K: compare.",
        minLength=1, maxLength=100))
    date: str = field(metadata=_doc("Date of the predictions, YYYY-MM-DD.",
                                    pattern=r"^\d{4}-\d{2}-\d{2}$"))
    link: str | None = field(default=None, metadata=_doc(
        "Paper, code or model page (http or https).", pattern=r"^https?://\S+$", maxLength=500))
    model_snapshot: str | None = field(default=None, metadata=_doc(
        "Exact model version, if any (e.g. gpt-4o-2024-08-06).",
        minLength=1, maxLength=200, pattern=r"\S"))
    notes: str | None = field(default=None, metadata=_doc("Free text.", maxLength=2000))
    benchmark: str | None = field(default=None, metadata=_doc(
        f"Which benchmark the predictions answer (`vdbench benchmarks`; default "
        f"{DEFAULT_BENCHMARK}); it must agree with --benchmark. `submit` records it.",
        minLength=1, maxLength=100, pattern=r"^[a-z0-9][a-z0-9._-]*$"))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PredictionValue = DiffPrediction | Literal["a", "b"]
CanonicalPredictions = dict[str, dict[str, PredictionValue]]
ListPredictions = list[dict[str, PredictionValue]]
ResponseText = str | dict[str, Any]


@dataclass(frozen=True)
class VidicResponse:
    """ViDiC-1K: the model's comparison of the pair, as text (an object is read as its JSON
    text, as the authors' judge does)."""

    response: ResponseText = field(metadata=_doc("Not blank.", minLength=1))


@dataclass(frozen=True)
class VidicPublishedEntry:
    """ViDiC-1K: one entry of the authors' response file, matched to a sample by its two
    video paths; other keys are ignored."""

    video1_path: str
    video2_path: str
    response: ResponseText = field(metadata=_doc("Not blank.", minLength=1))


VidicPredictions = dict[str, VidicResponse]
VidicPublished = list[VidicPublishedEntry]
AnyPredictions = CanonicalPredictions | ListPredictions | VidicPredictions | VidicPublished


@dataclass(frozen=True)
class Submission:
    """A prediction file with its metadata embedded."""

    metadata: SubmissionMetadata
    predictions: AnyPredictions = field(metadata=_doc(
        "VidDiffBench: canonical, keyed by sample_key, or the public code's list, aligned "
        "with the chosen split's order. ViDiC-1K: {sample_key: {response}}, or the authors' "
        "list of {video1_path, video2_path, response}."))


def submission_schema() -> dict[str, Any]:
    """The JSON Schema of a submission file (submissions/schema.json); a sidecar metadata
    file is `#/$defs/SubmissionMetadata`."""
    defs: dict[str, Any] = {}
    aliases = {PredictionValue: "PredictionValue", CanonicalPredictions: "CanonicalPredictions",
               ListPredictions: "ListPredictions", VidicPredictions: "VidicPredictions",
               VidicPublished: "VidicPublished"}
    top = type_schema(Submission | CanonicalPredictions | ListPredictions | VidicPredictions
                      | VidicPublished, defs, aliases)
    defs["VidicPublishedEntry"]["additionalProperties"] = True  # the authors' other keys
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vdbench submission",
        "description": (
            "A prediction file with embedded metadata ({metadata, predictions}), or a bare "
            "prediction file (a benchmark's canonical object or its published list) whose "
            "metadata is in a sidecar file NAME.meta.json matching "
            "#/$defs/SubmissionMetadata. vdbench validate also checks what a schema cannot: "
            "the benchmark and mode, sample and difference keys against the dataset, the "
            "open-mode cap and non-empty descriptions."),
        **top,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """submissions/schema.json, byte for byte (a test keeps the committed copy in step)."""
    return json.dumps(submission_schema(), indent=2, ensure_ascii=False) + "\n"


@dataclass
class CheckedSubmission:
    predictions: LoadedPredictions
    metadata: SubmissionMetadata | None
    metadata_source: str | None  # "embedded", the sidecar's path, or None


def check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise InputError(f"--name {name!r}: expected a slug: lowercase letters, digits, '.', "
                         "'_' or '-', starting with a letter or digit, at most 64 characters")


def sidecar_path(path: Path) -> Path:
    """preds.json -> preds.meta.json"""
    stem = path.name.removesuffix(".json")
    return path.with_name(stem + SIDECAR_SUFFIX)


def validate_submission(
    path: str | Path,
    samples: list[Any],
    mode: str | None = None,
    *,
    metadata_path: str | Path | None = None,
    require_metadata: bool = False,
    max_mb: float = DEFAULT_MAX_MB,
    benchmark: str | BenchmarkSpec | None = None,
) -> CheckedSubmission:
    """Strict check of a submission against the chosen samples of `benchmark` (a name or a
    spec; default VidDiffBench). mode=None takes the mode from the metadata. Raises InputError
    listing every problem, each with its place."""
    spec = benchmark if isinstance(benchmark, BenchmarkSpec) else get_benchmark(benchmark)
    path = Path(path)
    problems: list[str] = []
    raw = _read(path, max_mb, problems)
    embedded = is_envelope(raw)
    preds_raw, meta_raw, meta_where = _unwrap(raw, problems) if embedded else (raw, _ABSENT, None)

    sidecar = Path(metadata_path) if metadata_path else sidecar_path(path)
    if metadata_path or sidecar.exists():
        if meta_where == "embedded":
            problems.append(f"{sidecar}: metadata given twice (embedded in the file and in "
                            "this sidecar); keep one")
        else:
            meta_raw, meta_where = _read(sidecar, max_mb, problems), str(sidecar)

    metadata = None
    if meta_where is None:
        if require_metadata:
            problems.append(f"metadata missing: embed it as {{\"metadata\": {{...}}, "
                            f"\"predictions\": ...}} or write it to {sidecar} "
                            "(see submissions/README.md)")
    elif meta_raw is not _ABSENT:
        metadata = _check_metadata(meta_raw, _meta_loc(meta_where), problems)

    where = _meta_loc(meta_where or "")
    meta = meta_raw if isinstance(meta_raw, dict) else {}
    named = meta.get("benchmark")
    if isinstance(named, str) and named != spec.name:
        problems.append(f"{where}, field 'benchmark': {named!r}, but the file is checked "
                        f"against {spec.name} ({spec.title}); pass --benchmark {named}")
    claimed = meta.get("mode")
    tasks = " or ".join(spec.modes)
    if isinstance(claimed, str) and claimed not in spec.modes and named in (None, spec.name):
        problems.append(f"{where}, field 'mode': {claimed!r} is not a task of {spec.title} "
                        f"({tasks}){_task_hint(claimed)}")
    if mode is None:
        # an otherwise invalid metadata block still says which mode to check predictions in
        mode = claimed if claimed in spec.modes else spec.modes[0]
    elif mode not in spec.modes:
        problems.append(f"--mode: {mode!r} is not a task of {spec.title}; give {tasks}")
    elif claimed in spec.modes and claimed != mode:
        problems.append(f"{where}, field 'mode': {claimed!r}, but the file is checked in "
                        f"{mode} mode (pass --mode {claimed})")
    if metadata is not None and metadata.benchmark is None:
        metadata = dataclasses.replace(metadata, benchmark=spec.name)  # recorded by submit

    loaded = None
    if preds_raw is not _ABSENT and mode in spec.modes:
        prefix = "predictions, " if embedded else ""
        problems += [prefix + p for p in duplicate_keys(preds_raw)]
        loaded = _check_predictions(path, preds_raw, samples, mode, prefix, problems, spec)
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s)", problems=problems)
    assert loaded is not None  # no problem means the predictions were read and checked
    return CheckedSubmission(loaded, metadata, meta_where)


def _task_hint(mode: str) -> str:
    """"; a task of ViDiC-1K: pass --benchmark vidic" where other benchmarks ask it."""
    from vdbench.benchmarks.catalog import benchmark_names

    found = []
    for name in benchmark_names():
        try:
            if mode in get_benchmark(name).modes:
                found.append(name)
        except (InputError, ImportError):
            continue
    return (f"; a task of {' and '.join(found)}: pass --benchmark {found[0]} or name it in "
            "the metadata's 'benchmark'" if found else "")


def claimed_benchmark(path: str | Path, metadata_path: str | Path | None = None,
                      max_mb: float = DEFAULT_MAX_MB) -> str | None:
    """The benchmark a submission's metadata names (embedded or in its sidecar), or None:
    what `validate` and `submit` check the file against when --benchmark is not given. A file
    that cannot be read says nothing here; the strict check reports it."""
    path = Path(path)
    ignored: list[str] = []
    raw = _read(path, max_mb, ignored)
    meta = raw.get("metadata") if is_envelope(raw) else None
    if meta is None:
        sidecar = Path(metadata_path) if metadata_path else sidecar_path(path)
        meta = _read(sidecar, max_mb, ignored) if sidecar.exists() else None
    named = meta.get("benchmark") if isinstance(meta, dict) else None
    return named if isinstance(named, str) and named else None


_ABSENT: Any = object()  # a file that could not be read, or a part the file does not have


def _unwrap(raw: JsonObject, problems: list[str]) -> tuple[Any, Any, str | None]:
    """{"metadata": ..., "predictions": ...} -> predictions, metadata, "embedded" or None."""
    problems += [f"top level: duplicate key {k!r}" for k in raw.duplicates]
    extra = sorted(set(raw) - {"metadata", "predictions"})
    if extra:
        problems.append(f"top level: unknown key(s) {extra} (a submission holds "
                        "\"metadata\" and \"predictions\")")
    if "predictions" not in raw:
        problems.append("top level: \"predictions\" missing")
    meta_where = "embedded" if "metadata" in raw else None
    return raw.get("predictions", _ABSENT), raw.get("metadata", _ABSENT), meta_where


def _read(path: Path, max_mb: float, problems: list[str]) -> Any:
    """Parse one JSON file; problems are appended, _ABSENT returned when it cannot be read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return _ABSENT
    if size > max_mb * 1e6:
        problems.append(f"{path}: {size / 1e6:.1f} MB, over the size limit of {max_mb:g} MB "
                        "(--max-size-mb)")
        return _ABSENT
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read ({exc})")
        return _ABSENT
    try:
        return loads_strict(text)
    except (ValueError, RecursionError) as exc:
        problems.append(json_error(path, exc))
        return _ABSENT


def _meta_loc(where: str) -> str:
    return "metadata" if where == "embedded" else where


def _check_metadata(raw: Any, loc: str, problems: list[str]) -> SubmissionMetadata | None:
    if not isinstance(raw, dict):
        problems.append(f"{loc}: expected an object, got {type(raw).__name__}")
        return None
    problems += [f"{loc}: duplicate field {k!r}" for k in getattr(raw, "duplicates", [])]
    hints = get_type_hints(SubmissionMetadata)
    fields = {f.name: f for f in dataclasses.fields(SubmissionMetadata)}
    n_before = len(problems)
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        problems.append(f"{loc}: unknown field(s) {unknown} (known: {sorted(fields)})")
    for name, f in fields.items():
        where = f"{loc}, field {name!r}"
        if name not in raw:
            if f.default is dataclasses.MISSING:
                problems.append(f"{where}: missing")
            continue
        value = raw[name]
        if not conforms(value, hints[name]):
            problems.append(f"{where}: expected {describe(hints[name])}, got {value!r}")
        elif isinstance(value, str):
            problems += [f"{where}: {why}" for why in _string_problems(name, value, f.metadata)]
    if len(problems) > n_before:
        return None
    return SubmissionMetadata(**raw)


def _string_problems(name: str, value: str, meta: Any) -> list[str]:
    rules = meta.get("schema", {})
    if rules.get("minLength", 0) >= 1 and not value.strip():
        return ["must not be blank"]
    if len(value) > rules.get("maxLength", float("inf")):
        return [f"{len(value)} characters, over the limit of {rules['maxLength']}"]
    pattern = rules.get("pattern")
    if pattern and not re.search(pattern, value):
        return [f"{value!r} does not match {pattern} ({rules['description']})"]
    if name == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return [f"{value!r} is not a calendar date"]
    return []


def _check_predictions(
    path: Path, raw: Any, samples: list[Any], mode: str, prefix: str, problems: list[str],
    spec: BenchmarkSpec,
) -> LoadedPredictions | None:
    """The prediction checks of `vdbench validate` (the benchmark's parse_predictions,
    strict), on the file's predictions, embedded or not."""
    known = {s.sample_key for s in samples}
    if isinstance(raw, dict) and raw and not known & set(raw):
        example = f", e.g. {samples[0].sample_key!r}" if samples else ""
        problems.append(f"{prefix}none of the {len(raw)} sample keys is in the chosen data and "
                        f"split of {spec.title} ({len(samples)} samples{example}): check "
                        "--benchmark, --data and --split")
        return None
    try:
        return spec.parse_predictions(raw, samples, mode, strict=True, where=str(path))
    except InputError as exc:
        if exc.problems:
            problems += [prefix + p for p in exc.problems]
        else:
            problems.append(prefix + str(exc).removeprefix(f"{path}: "))
        return None


if __name__ == "__main__":  # python -m vdbench.submissions.validate > submissions/schema.json
    print(schema_text(), end="")
