"""A run folder's JSON-lines files, read as typed records (core.records) whatever the
benchmark, and their published JSON Schemas: schemas/outputs.schema.json, and for each
built-in benchmark NAME schemas/samples.NAME.schema.json and schemas/judge.NAME.schema.json.

Regenerate the schemas with `python -m vdbench.benchmarks.records` (from the repository root;
a test keeps the committed copies in step)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from vdbench.benchmarks.catalog import BUILTIN, DEFAULT_BENCHMARK, get_benchmark
from vdbench.core import runfiles
from vdbench.core.records import (
    OutputRecord,
    Record,
    ScoredRecord,
    read_records,
    read_records_if_present,
    record_schema_text,
)

OUTPUTS_SCHEMA = "outputs.schema.json"
TITLES = {"samples": "samples.jsonl: one scored item a line",
          "judge": "judge.jsonl: the judge's decisions"}


def schema_name(kind: str, benchmark: str) -> str:
    """The published schema of a benchmark's file kind (samples, judge)."""
    return f"{kind}.{benchmark}.schema.json"


def schema_texts() -> dict[str, str]:
    """Every published record schema, by file name under schemas/, byte for byte."""
    out = {OUTPUTS_SCHEMA: record_schema_text(
        OutputRecord, "vdbench outputs.jsonl: one sample's model run a line")}
    for name in BUILTIN:
        spec = get_benchmark(name)
        for kind, cls in spec.record_types().items():
            out[schema_name(kind, name)] = record_schema_text(
                cls, f"vdbench {spec.title} {TITLES.get(kind, kind + '.jsonl')}")
    return out


@dataclass
class RunRecords:
    """A run folder's JSON-lines files, typed; a file the folder does not have is None (a
    scored folder has no outputs, a run no judge unless a judge scored it)."""

    samples: list[Record] | None
    outputs: list[OutputRecord] | None
    judge: list[Record] | None


def read_run_records(run: Path, benchmark: str | None = None, suffix: str = "") -> RunRecords:
    """The records of one pass (`suffix`: _swapped, _epoch1, ...) of the run in `run`, read
    through the benchmark's record types (`benchmark`: results.json's, default
    VidDiffBench's). A bad line is an InputError naming the file and the line."""
    folder = runfiles.RunFolder(Path(run))
    types = get_benchmark(benchmark or DEFAULT_BENCHMARK).record_types()
    judge_type = types.get("judge")
    return RunRecords(
        samples=read_records_if_present(folder.file(runfiles.SAMPLES, suffix), types["samples"]),
        outputs=read_records_if_present(folder.file(runfiles.OUTPUTS, suffix), OutputRecord),
        judge=(read_records_if_present(folder.file(runfiles.JUDGE, suffix), judge_type)
               if judge_type is not None else None))


def read_scored(path: Path, benchmark: str | None = None) -> list[ScoredRecord]:
    """A samples.jsonl file, read as the benchmark's scored items (`compare`)."""
    cls = get_benchmark(benchmark or DEFAULT_BENCHMARK).record_types()["samples"]
    return cast(list[ScoredRecord], read_records(path, cls))


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m vdbench.benchmarks.records [FOLDER, default schemas]
    for p in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(p)
