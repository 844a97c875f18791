"""The run folder's JSON-lines files as typed, versioned records (core.records): written and
read through the same types, strict readers, and published schemas kept in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vdbench.benchmarks.records import OUTPUTS_SCHEMA, read_run_records, schema_texts
from vdbench.benchmarks.vidic.scoring import ScoredItem
from vdbench.cli.main import main
from vdbench.core.errors import InputError
from vdbench.core.records import RECORD_VERSION, OutputRecord, read_records
from vdbench.core.types import SampleOutput
from vdbench.pipeline.compare import compare_runs
from vdbench.scoring.closed import ScoredDifference
from vdbench.scoring.open import JudgedSample

ROOT = Path(__file__).parents[1]
# today's keys of outputs.jsonl, in order (the viewer and the tests read them)
OUTPUT_KEYS = ["sample_key", "status", "error", "notes", "raw", "cost_usd", "cost_by_stage",
               "n_requests", "n_cached"]


def test_published_record_schemas_are_in_step():
    texts = schema_texts()
    assert set(texts) == {OUTPUTS_SCHEMA, "samples.viddiffbench.schema.json",
                          "judge.viddiffbench.schema.json", "samples.vidic.schema.json",
                          "judge.vidic.schema.json"}
    for name, text in texts.items():
        assert (ROOT / "schemas" / name).read_text() == text, (
            "regenerate: python -m vdbench.benchmarks.records")


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("records")
    cache = str(base / "cache")
    out = {"closed": base / "closed", "open": base / "open", "vidic": base / "vidic"}
    common = ["--model", "random", "--no-progress", "--cache-dir", cache]
    assert main(["eval", *common, "--out", str(out["closed"])]) == 0
    assert main(["eval", *common, "--mode", "open", "--judge", "offline",
                 "--out", str(out["open"])]) == 0
    assert main(["eval", *common, "--benchmark", "vidic", "--judge", "offline",
                 "--out", str(out["vidic"])]) == 0
    return out


@pytest.mark.parametrize("run, benchmark", [("closed", None), ("open", None),
                                            ("vidic", "vidic")])
def test_every_line_a_run_writes_is_versioned_and_reads_back_as_written(runs, run, benchmark):
    folder = runs[run]
    records = read_run_records(folder, benchmark)
    for name, typed in (("samples.jsonl", records.samples), ("outputs.jsonl", records.outputs),
                        ("judge.jsonl", records.judge)):
        if not (folder / name).exists():
            assert typed is None and name == "judge.jsonl" and run == "closed"
            continue
        raw = _lines(folder / name)
        assert raw and all(r["record_version"] == RECORD_VERSION for r in raw)
        assert typed is not None and [r.to_json() for r in typed] == raw
    for line in _lines(folder / "outputs.jsonl"):  # today's keys, plus the version
        assert list(line) == OUTPUT_KEYS + (["response"] if run == "vidic" else []) + [
            "record_version"]
    assert type(records.samples[0]) is (ScoredItem if run == "vidic" else ScoredDifference)
    if run == "open":
        assert all(isinstance(j, JudgedSample) for j in records.judge)


def test_lines_written_before_versions_are_read_as_version_1(tmp_path):
    legacy = {"sample_key": "s", "gt_key": "0", "gt": "a", "pred_key": None, "flipped": False,
              "prediction": None, "correct": False, "status": "missing"}
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(legacy) + "\n\n")
    [row] = read_records(path, ScoredDifference)
    assert row.record_version == 1 and row.to_json() == {**legacy, "record_version": 1}


def test_output_record_keeps_todays_keys_and_omits_a_missing_response():
    o = SampleOutput("s", {}, status="api_error", error="boom", n_requests=2)
    line = OutputRecord.from_output(o).to_json()
    assert list(line) == OUTPUT_KEYS + ["record_version"]
    assert line["error"] == "boom" and line["raw"] is None and line["notes"] == []
    with_text = OutputRecord.from_output(SampleOutput("s", {}, response="text")).to_json()
    assert with_text["response"] == "text"
    assert OutputRecord.from_json(with_text, "x") == OutputRecord.from_output(
        SampleOutput("s", {}, response="text"))


@pytest.mark.parametrize("change, message", [
    ({"extra": 1}, "line 2: unknown key(s) extra"),
    ({"correct": "yes"}, "line 2: key correct: expected boolean"),
    ({"pred_key": 3}, "line 2: key pred_key: expected string or null"),
    ({"record_version": 2}, "line 2: record_version 2 is not one this vdbench reads"),
    ({"record_version": True}, "line 2: record_version True"),
    ({"gt_key": None}, "line 2: key gt_key: expected string"),
])
def test_a_bad_line_names_the_file_the_line_and_the_key(tmp_path, change, message):
    good = ScoredDifference("s", "0", "a", None, False, None, False, "ok").to_json()
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, **change}) + "\n")
    with pytest.raises(InputError) as err:
        read_records(path, ScoredDifference)
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_missing_key_or_broken_json_is_refused(tmp_path):
    path = tmp_path / "judge.jsonl"
    path.write_text(json.dumps({"sample_key": "s", "matches": {}}) + "\n")
    with pytest.raises(InputError, match=r"line 1: missing key\(s\) opposite"):
        read_records(path, JudgedSample)
    path.write_text("{\n")
    with pytest.raises(InputError, match="line 1: invalid JSON"):
        read_records(path, JudgedSample)
    path.write_text("[1]\n")
    with pytest.raises(InputError, match="line 1: not a JSON object"):
        read_records(path, JudgedSample)
    with pytest.raises(InputError, match="not found"):
        read_records(tmp_path / "none.jsonl", JudgedSample)


def test_judge_records_name_their_optional_parts(tmp_path):
    line = JudgedSample("s", {"0": "1", "1": None}, {"0": True}, dropped=["'9' -> x"],
                        judge_error="TimeoutError: slow").to_json()
    assert "repeated_predictions" not in line  # left out when None, as before
    assert JudgedSample.from_json(line, "x").dropped == ["'9' -> x"]
    with pytest.raises(InputError, match="key opposite: expected an object of"):
        JudgedSample.from_json({**line, "opposite": {"0": "yes"}}, "x")


def test_compare_reads_each_run_through_its_benchmarks_records(runs, tmp_path):
    c = compare_runs(runs["vidic"], runs["vidic"])
    assert c["difference"] == 0 and c["n"] == len(_lines(runs["vidic"] / "samples.jsonl"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text((runs["closed"] / "results.json").read_text())
    rows = (runs["closed"] / "samples.jsonl").read_text().splitlines()
    broken = json.loads(rows[2]) | {"was": 1}
    del broken["record_version"]  # hand-made: not a file vdbench wrote (tests/conftest.py)
    rows[2] = json.dumps(broken)
    (bad / "samples.jsonl").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl: line 3: unknown key\(s\) was"):
        compare_runs(runs["closed"], bad)
