"""A run folder's per-sample files as typed, versioned records (docs/results-format.md): one
JSON object a line, written through `to_json` and read back through `from_json` (strict: an
unknown key, a missing one or a value of the wrong type is an InputError naming the file, the
line and the key). Their JSON Schemas are published under schemas/ (regenerate with
`python -m vdbench.benchmarks.records`).

Every line carries `record_version` (RECORD_VERSION); a line without it was written before the
records were versioned and is read as version 1, the same shape. The benchmark-independent
record, outputs.jsonl's, is here; each benchmark's samples.jsonl and judge.jsonl records are
declared beside its scorer (BenchmarkSpec.record_types)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, Self, TypeVar, get_type_hints

from vdbench.core.errors import InputError
from vdbench.core.jsonschema import conforms, describe, type_schema
from vdbench.core.types import SampleOutput, Status

RECORD_VERSION: Literal[1] = 1
READABLE_RECORD_VERSIONS = (1,)
VERSION_KEY = "record_version"
# A field that is left out of the line when it is None (the others are written as null).
OMIT_NONE = "omit_none"


def optional(text: str) -> dict[str, Any]:
    """Field metadata: left out of the line when None; `text` describes it in the schema."""
    return {OMIT_NONE: True, "schema": {"description": text}}


def doc(text: str) -> dict[str, Any]:
    return {"schema": {"description": text}}


@dataclass(frozen=True)
class Record:
    """One line of a run's JSON-lines file. Subclasses are frozen dataclasses; their fields
    are the line's keys, in order, and `record_version` comes last."""

    record_version: Literal[1] = field(default=RECORD_VERSION, kw_only=True, metadata=doc(
        "the record's version; a line without it (written before versions) is version 1"))

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        version = out.pop(VERSION_KEY)
        for f in dataclasses.fields(self):
            if f.metadata.get(OMIT_NONE) and out.get(f.name) is None:
                out.pop(f.name)
        out[VERSION_KEY] = version
        return out

    @classmethod
    def from_json(cls, value: Any, source: str) -> Self:
        """A parsed line, its shape checked; `source` names it in errors (file: line N)."""
        if not isinstance(value, dict):
            raise InputError(f"{source}: not a JSON object")
        version = value.get(VERSION_KEY, 1)
        if version not in READABLE_RECORD_VERSIONS or isinstance(version, bool):
            raise InputError(f"{source}: {VERSION_KEY} {version!r} is not one this vdbench "
                             f"reads ({', '.join(map(str, READABLE_RECORD_VERSIONS))}); "
                             "upgrade vdbench, or rerun with this one")
        hints, required = _shape(cls)
        unknown = sorted(set(value) - set(hints))
        if unknown:
            raise InputError(f"{source}: unknown key(s) {', '.join(unknown)}")
        missing = [k for k in required if k not in value]
        if missing:
            raise InputError(f"{source}: missing key(s) {', '.join(missing)}")
        for key, item in value.items():
            if not conforms(item, hints[key]):
                raise InputError(f"{source}: key {key}: expected {describe(hints[key])}, "
                                 f"got {json.dumps(item)[:80]}")
        return cls(**{**value, VERSION_KEY: RECORD_VERSION})


_SHAPES: dict[type, tuple[dict[str, Any], tuple[str, ...]]] = {}


def _shape(cls: type) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A record type's fields with their annotations, and the names a line must have."""
    if cls not in _SHAPES:
        hints = get_type_hints(cls)
        fields = dataclasses.fields(cls)
        _SHAPES[cls] = ({f.name: hints[f.name] for f in fields},
                        tuple(f.name for f in fields if f.default is dataclasses.MISSING
                              and f.default_factory is dataclasses.MISSING))
    return _SHAPES[cls]


R = TypeVar("R", bound=Record)


def read_records(path: Path, cls: type[R]) -> list[R]:
    """Every line of a JSON-lines run file as `cls` (blank lines skipped); a file that is
    missing or unreadable, or a bad line, is an InputError naming the file and the line."""
    records = read_records_if_present(path, cls)
    if records is None:
        raise InputError(f"{path}: not found")
    return records


def read_records_if_present(path: Path, cls: type[R]) -> list[R] | None:
    """As read_records, but None when the file does not exist (a scored folder has no
    outputs.jsonl, a closed run no judge.jsonl)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{path}: line {n}: invalid JSON ({exc})") from None
        out.append(cls.from_json(value, f"{path}: line {n}"))
    return out


class ScoredRecord(Protocol):
    """What `compare` needs of a samples.jsonl record, whatever the benchmark: the pair, the
    scored item within it, and whether it was answered correctly."""

    @property
    def sample_key(self) -> str: ...

    @property
    def item(self) -> str: ...

    @property
    def correct(self) -> bool: ...


@dataclass(frozen=True)
class OutputRecord(Record):
    """One line of outputs.jsonl: one sample's model run, whatever the benchmark."""

    sample_key: str
    status: Status = field(metadata=doc(
        "ok, partial, parse_error, api_error, frame_error, missing (a replayed file without "
        "the sample), skipped"))
    error: str | None = field(metadata=doc("a short reason for a status other than ok; never "
                                           "a secret"))
    notes: list[str]
    raw: str | None = field(metadata=doc("the reply, or the VidDiff method's trace"))
    cost_usd: float
    cost_by_stage: dict[str, float]
    n_requests: int
    n_cached: int
    response: str | None = field(default=None, metadata=optional(
        "a free-text task's answer as scored (ViDiC-1K); absent otherwise"))

    @classmethod
    def from_output(cls, o: SampleOutput) -> OutputRecord:
        return cls(o.sample_key, o.status, o.error, list(o.notes), o.raw, o.cost_usd,
                   dict(o.cost_by_stage), o.n_requests, o.n_cached, o.response)


def record_schema(cls: type[Record], title: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = type_schema(cls, defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{title}, record_version {RECORD_VERSION}", **root, "$defs": defs}


def record_schema_text(cls: type[Record], title: str) -> str:
    """A record type's published schema, byte for byte."""
    return json.dumps(record_schema(cls, title), indent=2, ensure_ascii=False) + "\n"
