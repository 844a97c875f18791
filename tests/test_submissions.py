"""Submissions: the format and its schema, `validate` on malformed files, `submit` recording."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from board_helpers import (
    META,
    closed_predictions,
    flat,
    mini_samples,
    open_predictions,
    run,
    snapshot,
    write_json,
)
from vdbench.core.errors import InputError
from vdbench.data.loader import Selection
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import score_file
from vdbench.submissions import record as submit_mod
from vdbench.submissions.record import submit
from vdbench.submissions.validate import schema_text, submission_schema, validate_submission

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """One recorded submission and a built leaderboard, made once for the module."""
    root = tmp_path_factory.mktemp("recorded")
    preds = write_json(root / "first.json", closed_predictions("b"))
    write_json(root / "first.meta.json", META)
    assert run(["submit", str(preds), "--name", "existing",
                "--submissions", str(root / "submissions")]) == 0
    assert run(["leaderboard", "--submissions", str(root / "submissions"),
                "--no-runs", "--out", str(root / "leaderboard")]) == 0
    return root


@pytest.fixture
def ws(recorded: Path, tmp_path: Path, cache_dir) -> Path:
    """A fresh copy of the recorded workspace for each test."""
    for name in ("submissions", "leaderboard"):
        shutil.copytree(recorded / name, tmp_path / name)
    return tmp_path


# ---------------------------------------------------------------- malformed submissions


@dataclass
class Bad:
    """A malformed submission: how to write it, and what the error must say."""

    write: Callable[[Path], Path]  # writes the files, returns the path to submit
    expect: list[str]
    argv: list[str] = field(default_factory=list)
    mode: str = "closed"
    commands: tuple[str, ...] = ("validate", "submit")


def text_file(text: str | bytes, meta: dict | None = META) -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        p = d / "bad.json"
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        if meta is not None:
            write_json(d / "bad.meta.json", meta)
        return p
    return write


def preds_file(edit: Callable[[dict], dict] = lambda p: p, meta: dict | None = META,
               base: Callable[[], dict] = closed_predictions) -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        return text_file(json.dumps(edit(base())), meta)(d)
    return write


def envelope(meta: dict, extra: dict | None = None, sidecar: dict | None = None):
    def write(d: Path) -> Path:
        p = write_json(d / "bad.json",
                       {"metadata": meta, "predictions": closed_predictions(), **(extra or {})})
        if sidecar is not None:
            write_json(d / "bad.meta.json", sidecar)
        return p
    return write


def _with(sample: str, diff: str, value) -> Callable[[dict], dict]:
    return lambda p: {**p, sample: {**p[sample], diff: value}}


def _without(sample: str, diff: str | None = None) -> Callable[[dict], dict]:
    if diff is None:
        return lambda p: {k: v for k, v in p.items() if k != sample}
    return lambda p: {**p, sample: {k: v for k, v in p[sample].items() if k != diff}}


def _dup_sample_text() -> str:
    body = json.dumps(closed_predictions())
    first = json.dumps({"mini_00": closed_predictions()["mini_00"]})[1:-1]
    return body[:-1] + ", " + first + "}"


def _dup_difference_text() -> str:
    body = json.dumps(closed_predictions())
    return body.replace('"mini_00": {', '"mini_00": {"0": "a", ', 1)


OPEN = dict(META, mode="open")

BAD: dict[str, Bad] = {
    "json-syntax": Bad(text_file('{"mini_00": {"0": "a",}}'),
                       ["bad.json: invalid JSON at line 1 column"]),
    "top-level-type": Bad(text_file('"hello"'), ["top level must be an object", "got str"]),
    "empty-object": Bad(text_file("{}"), ["empty object: no predictions"]),
    "null-file": Bad(text_file("null"), ["top level must be an object", "got NoneType"]),
    "unknown-sample": Bad(preds_file(lambda p: {**p, "nope": {"0": "a"}}),
                          ["sample 'nope': unknown sample key"]),
    "missing-sample": Bad(preds_file(_without("mini_03")), ["sample 'mini_03': missing"]),
    "unknown-difference": Bad(preds_file(_with("mini_00", "99", "a")),
                              ["sample 'mini_00', difference '99': unknown difference key"]),
    "missing-difference": Bad(preds_file(_without("mini_01", "2")),
                              ["sample 'mini_01', difference '2': missing"]),
    "label-not-a-or-b": Bad(preds_file(_with("mini_00", "0", {"prediction": "c"})),
                            ["sample 'mini_00', difference '0'", 'must be "a" or "b", got \'c\'']),
    "label-wrong-type": Bad(preds_file(_with("mini_02", "1", 1)),
                            ["sample 'mini_02', difference '1'", "got int"]),
    "unknown-prediction-field": Bad(
        preds_file(_with("mini_00", "0", {"prediction": "a", "confidence": 0.9})),
        ["sample 'mini_00', difference '0': unknown field(s) ['confidence']"]),
    "bad-frames": Bad(preds_file(_with("mini_00", "1", {"prediction": "a",
                                                        "frames": {"a": [-1]}})),
                      ["sample 'mini_00', difference '1'", '"frames" must be']),
    "nan": Bad(text_file(json.dumps(closed_predictions()).replace('"a"', "NaN", 1)),
               ["bad.json: invalid JSON", "NaN is not valid JSON"]),
    "not-utf8": Bad(text_file(b'{"mini_00": "\xff"}'), ["bad.json: cannot read"]),
    "duplicate-sample": Bad(text_file(_dup_sample_text()),
                            ["top level: duplicate sample key 'mini_00'"]),
    "duplicate-difference": Bad(text_file(_dup_difference_text()),
                                ["sample 'mini_00': duplicate difference key '0'"]),
    "list-wrong-length": Bad(text_file(json.dumps([{"0": "a"}] * 3)),
                             ["list format has 3 entries", "18 samples"]),
    "wrong-dataset": Bad(preds_file(lambda p: {f"other_{k}": v for k, v in p.items()}),
                         ["none of the 18 sample keys is in the chosen data"]),
    "open-empty-description": Bad(
        preds_file(_with("mini_04", "0", {"prediction": "a", "description": "  "}), OPEN,
                   open_predictions),
        ["sample 'mini_04', difference '0'", "required and non-empty in open mode"],
        mode="open"),
    "open-over-cap": Bad(
        preds_file(lambda p: {**p, "mini_05": {str(i): {"prediction": "b", "description": f"d{i}"}
                                               for i in range(12)}},
                   OPEN, open_predictions),
        ["sample 'mini_05': 12 differences, over the cap n_differences_open_prediction="],
        mode="open"),
    "over-size-limit": Bad(preds_file(), ["bad.json", "over the size limit of 0.001 MB"],
                           argv=["--max-size-mb", "0.001"]),
    "file-not-found": Bad(lambda d: d / "absent.json", ["absent.json: file not found"]),
    "no-metadata": Bad(preds_file(meta=None), ["metadata missing", "bad.meta.json"]),
    "metadata-missing-field": Bad(preds_file(meta={k: v for k, v in META.items()
                                                   if k != "authors"}),
                                  ["bad.meta.json, field 'authors': missing"]),
    "metadata-bad-date": Bad(preds_file(meta=dict(META, date="2025-13-01")),
                             ["bad.meta.json, field 'date': '2025-13-01' is not a calendar date"]),
    "metadata-date-format": Bad(preds_file(meta=dict(META, date="31/01/2025")),
                                ["bad.meta.json, field 'date': '31/01/2025' does not match"]),
    "metadata-wrong-type": Bad(preds_file(meta=dict(META, method=5)),
                               ["field 'method': expected string, got 5"]),
    "metadata-blank": Bad(preds_file(meta=dict(META, authors="   ")),
                          ["field 'authors': must not be blank"]),
    "metadata-unknown-field": Bad(preds_file(meta=dict(META, team="x")),
                                  ["bad.meta.json: unknown field(s) ['team']"]),
    "metadata-bad-link": Bad(preds_file(meta=dict(META, link="javascript:alert(1)")),
                             ["field 'link': 'javascript:alert(1)' does not match"]),
    "metadata-bad-mode": Bad(preds_file(meta=dict(META, mode="both")),
                             ["field 'mode': 'both' is not a task of VidDiffBench (closed or "
                              "open)"]),
    "metadata-not-object": Bad(text_file(json.dumps(closed_predictions()), meta=["x"]),
                               ["bad.meta.json: expected an object, got list"]),
    "sidecar-invalid-json": Bad(lambda d: (d / "bad.meta.json").write_text("{")
                                and preds_file(meta=None)(d),
                                ["bad.meta.json: invalid JSON at line 1"]),
    "embedded-bad-metadata": Bad(envelope(dict(META, date=None)),
                                 ["metadata, field 'date': expected string, got None"]),
    "embedded-null-metadata": Bad(envelope(None),  # type: ignore[arg-type]
                                  ["metadata: expected an object, got NoneType"]),
    "envelope-without-predictions": Bad(text_file(json.dumps({"metadata": META}), meta=None),
                                        ['top level: "predictions" missing']),
    "envelope-unknown-key": Bad(envelope(META, {"extra": 1}),
                                ["top level: unknown key(s) ['extra']"]),
    "metadata-twice": Bad(envelope(META, sidecar=META), ["metadata given twice"]),
    "mode-mismatch": Bad(preds_file(meta=OPEN), [("field 'mode': 'open', but the file is "
                                                  "checked in closed mode")],
                         commands=("validate",)),
    "bad-name": Bad(preds_file(), ["--name '../evil': expected a slug"],
                    argv=["--name", "../evil"], commands=("submit",)),
    "name-taken": Bad(preds_file(), ["a submission named 'existing' is already recorded",
                                     "--replace"],
                      argv=["--name", "existing"], commands=("submit",)),
}


def _argv(command: str, case: Bad, path: Path, ws: Path) -> list[str]:
    if command == "validate":
        return ["validate", str(path), "--require-metadata", "--mode", case.mode, *case.argv]
    name = [] if "--name" in case.argv else ["--name", "newcomer"]
    return ["submit", str(path), *name, "--submissions", str(ws / "submissions"), *case.argv]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_malformed_submission_exits_2_names_the_place_and_changes_nothing(kind, ws, capsys):
    case = BAD[kind]
    inputs = ws / "inputs"
    inputs.mkdir()
    path = case.write(inputs)
    before = snapshot(ws / "submissions", ws / "leaderboard")
    for command in case.commands:
        capsys.readouterr()
        assert run(_argv(command, case, path, ws)) == 2, command
        err = flat(capsys.readouterr().err)
        for text in case.expect:
            assert text in err, (command, text, err)
        assert snapshot(ws / "submissions", ws / "leaderboard") == before


def test_every_problem_is_listed_not_just_the_first(tmp_path, cache_dir):
    preds = closed_predictions()
    preds["mini_00"]["0"] = "c"
    preds["mini_02"]["99"] = "a"
    del preds["mini_07"]
    path = write_json(tmp_path / "p.json", {"metadata": dict(META, date="soon", method=""),
                                            "predictions": preds})
    with pytest.raises(InputError) as info:
        validate_submission(path, mini_samples(), "closed")
    problems = info.value.problems
    assert len(problems) == 5, problems
    assert any("predictions, sample 'mini_00', difference '0'" in p for p in problems)
    assert any("predictions, sample 'mini_02', difference '99'" in p for p in problems)
    assert any("predictions, sample 'mini_07': missing" in p for p in problems)
    assert any("metadata, field 'date'" in p for p in problems)
    assert any("metadata, field 'method': must not be blank" in p for p in problems)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- valid submissions


def test_validate_accepts_a_bare_file_and_reports_its_metadata(tmp_path, cache_dir, capsys):
    path = write_json(tmp_path / "p.json", closed_predictions())
    assert run(["validate", str(path)]) == 0
    assert "no metadata" in flat(capsys.readouterr().out)
    write_json(tmp_path / "p.meta.json", META)
    assert run(["validate", str(path), "--require-metadata"]) == 0
    assert "'Always A'" in flat(capsys.readouterr().out)


def test_validate_takes_the_mode_from_the_metadata(tmp_path, cache_dir):
    path = write_json(tmp_path / "open.json", {"metadata": OPEN, "predictions": open_predictions()})
    assert run(["validate", str(path), "--require-metadata"]) == 0
    assert run(["validate", str(path), "--mode", "closed"]) == 2  # an explicit mode still wins


def test_submit_records_predictions_metadata_and_results(tmp_path, cache_dir, capsys):
    path = write_json(tmp_path / "preds.json", closed_predictions("a"))
    write_json(tmp_path / "preds.meta.json", META)
    subs = tmp_path / "submissions"
    assert run(["submit", str(path), "--name", "always-a", "--submissions", str(subs)]) == 0
    out = flat(capsys.readouterr().out)
    assert "recorded" in out and "rank 1 of 1" in out
    folder = subs / "always-a"
    assert sorted(p.name for p in folder.iterdir()) == [
        "metadata.json", "predictions.json", "results.json", "samples.jsonl"]
    assert [p.name for p in subs.iterdir()] == ["always-a"]  # no scratch folder left behind
    assert json.loads((folder / "metadata.json").read_text()) == dict(
        META, model_snapshot=None, benchmark="viddiffbench")  # the benchmark is recorded
    results = json.loads((folder / "results.json").read_text())
    samples = mini_samples()
    expected, _ = score_file(path, EvalConfig(out=tmp_path / "direct"))
    assert results["metrics"] == expected.metrics
    assert results["model"] == "always-a" and results["prediction_format"] == "canonical"
    assert results["provenance"]["predictions_file"] == "predictions.json"
    assert str(tmp_path) not in (folder / "results.json").read_text()
    n_lines = len((folder / "samples.jsonl").read_text().splitlines())
    assert n_lines == results["n_scored"] == sum(len(s.scored_keys) for s in samples)


def test_submit_accepts_embedded_metadata_and_the_public_list_format(tmp_path, cache_dir):
    samples = mini_samples("easy")
    listed = [{k: "b" for k in s.scored_keys} for s in samples]
    path = write_json(tmp_path / "listed.json", {"metadata": META, "predictions": listed})
    rec = submit(path, "listed", EvalConfig(selection=Selection("easy")),
                 submissions_dir=tmp_path / "subs")
    recorded = json.loads((rec.folder / "predictions.json").read_text())
    assert list(recorded) == [s.sample_key for s in samples]  # stored canonical, keyed
    assert recorded[samples[0].sample_key][samples[0].scored_keys[0]]["prediction"] == "b"
    assert rec.results.prediction_format == "list" and rec.results.split == "easy"
    assert set(rec.results.by_split) == {"easy"}


def test_replace_swaps_the_folder_and_refuses_without_the_flag(ws, capsys):
    path = write_json(ws / "again.json", closed_predictions("a"))
    write_json(ws / "again.meta.json", dict(META, method="Second try"))
    assert run(["submit", str(path), "--name", "existing",
                "--submissions", str(ws / "submissions")]) == 2
    assert run(["submit", str(path), "--name", "existing", "--replace",
                "--submissions", str(ws / "submissions")]) == 0
    meta = json.loads((ws / "submissions" / "existing" / "metadata.json").read_text())
    assert meta["method"] == "Second try"
    assert [p.name for p in (ws / "submissions").iterdir()] == ["existing"]


def test_failed_scoring_with_replace_leaves_the_record_byte_for_byte(ws, monkeypatch):
    path = write_json(ws / "again.json", closed_predictions("a"))
    write_json(ws / "again.meta.json", META)
    before = snapshot(ws / "submissions")

    def boom(*args, **kwargs):
        raise RuntimeError("judge fell over")

    monkeypatch.setattr(submit_mod, "score_file", boom)
    with pytest.raises(RuntimeError):
        submit(path, "existing", EvalConfig(), submissions_dir=ws / "submissions",
               replace=True)
    assert snapshot(ws / "submissions") == before


def test_failed_rename_into_place_restores_the_old_record(ws, monkeypatch):
    path = write_json(ws / "again.json", closed_predictions("a"))
    write_json(ws / "again.meta.json", META)
    before = snapshot(ws / "submissions")
    real_replace = os.replace

    def flaky(src, dst):
        if str(src).endswith(".new"):  # the new folder moving into place
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(submit_mod.os, "replace", flaky)
    with pytest.raises(OSError):
        submit(path, "existing", EvalConfig(), submissions_dir=ws / "submissions",
               replace=True)
    monkeypatch.undo()
    assert snapshot(ws / "submissions") == before


def test_scoring_input_error_exits_2_and_records_nothing(tmp_path, cache_dir, monkeypatch,
                                                         capsys):
    # open mode goes through score_file too; whatever it refuses is bad input, not a record
    path = write_json(tmp_path / "open.json", open_predictions())
    write_json(tmp_path / "open.meta.json", dict(META, mode="open"))

    def refuse(p, cfg):
        assert cfg.mode == "open"
        raise InputError("--mode open: no judge configured")

    monkeypatch.setattr(submit_mod, "score_file", refuse)
    subs = tmp_path / "submissions"
    assert run(["submit", str(path), "--name", "open-one", "--submissions", str(subs)]) == 2
    assert "no judge configured" in capsys.readouterr().err
    assert not subs.exists()


# ---------------------------------------------------------------- the schema


def test_committed_schema_is_generated_from_the_types():
    committed = (REPO / "submissions" / "schema.json").read_text()
    assert committed == schema_text(), (
        "submissions/schema.json is stale: python -m vdbench.submissions.validate "
        "> submissions/schema.json")
    schema = submission_schema()
    meta = schema["$defs"]["SubmissionMetadata"]
    assert meta["required"] == ["method", "authors", "mode", "date"]
    assert meta["properties"]["mode"]["type"] == "string"  # a task of the chosen benchmark
    assert schema["$defs"]["DiffPrediction"]["properties"]["prediction"]["enum"] == ["a", "b"]


def test_schema_agrees_with_the_validator_on_examples():
    jsonschema = pytest.importorskip("jsonschema")
    schema = submission_schema()
    check = jsonschema.Draft202012Validator(schema)
    meta_schema = {**schema, "$ref": "#/$defs/SubmissionMetadata"}
    del meta_schema["anyOf"]
    check_meta = jsonschema.Draft202012Validator(meta_schema)
    preds = closed_predictions()
    listed = [{"0": "a"}]
    for ok in (preds, listed, {"metadata": META, "predictions": preds},
               {"metadata": META, "predictions": listed}):
        assert check.is_valid(ok)
    assert check_meta.is_valid(META)
    for bad in (dict(META, date="31/01/2025"), dict(META, link="ftp://x"), dict(META, team=1),
                {k: v for k, v in META.items() if k != "authors"}, dict(META, mode=""),
                dict(META, method="  "), dict(META, benchmark="Not A Name")):
        assert not check_meta.is_valid(bad), bad
    assert not check.is_valid({"metadata": META, "predictions": preds, "extra": 1})
    assert not check.is_valid({"s": {"0": {"prediction": "c"}}})
    assert not check.is_valid({"s": {"0": {"prediction": "a", "confidence": 1}}})


def test_open_mode_submission_is_judged_and_records_the_judge(tmp_path, cache_dir, capsys):
    samples = mini_samples()
    preds = {s.sample_key: {str(i): {"prediction": "b" if s.differences_gt[k] == "b" else "a",
                                     "description": d.description}
                            for i, k in enumerate(s.labelled_keys)
                            if (d := s.differences_annotated.get(k))}
             for s in samples}
    path = write_json(tmp_path / "open.json", {"metadata": dict(META, mode="open"),
                                               "predictions": preds})
    subs = tmp_path / "submissions"
    assert run(["submit", str(path), "--name", "open-oracle", "--judge", "offline",
                "--submissions", str(subs)]) == 0
    results = json.loads((subs / "open-oracle" / "results.json").read_text())
    assert results["mode"] == "open" and results["judge"]["name"].startswith("offline-")
    assert results["metrics"]["recall"] > 0.5  # the annotations' own words, right direction
    assert "judge.jsonl" in flat(capsys.readouterr().out)
