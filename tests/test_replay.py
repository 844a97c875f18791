"""replay:PATH takes every format `validate` accepts; a file that lacks samples is no complete
run."""

import json

from vdbench.cli.main import main


def _run(tmp_path, name, *args):
    out = tmp_path / name
    rc = main(["eval", "--model", "random", "--no-progress", "--out", str(out), *args])
    return rc, out


def test_replay_accepts_a_submission_with_embedded_metadata(tmp_path, cache_dir):
    rc, first = _run(tmp_path, "first", "--model", "random")
    assert rc == 0
    preds = json.loads((first / "predictions.json").read_text())
    embedded = tmp_path / "submission.json"
    embedded.write_text(json.dumps({"metadata": {"method": "x", "authors": "y", "mode": "closed",
                                                 "date": "2026-01-01"},
                                    "predictions": preds}))
    assert main(["validate", str(embedded)]) == 0
    rc, replayed = _run(tmp_path, "replayed", "--model", f"replay:{embedded}")
    assert rc == 0
    before = json.loads((first / "results.json").read_text())["metrics"]
    assert json.loads((replayed / "results.json").read_text())["metrics"] == before


def test_a_partial_replay_is_an_incomplete_run(tmp_path, cache_dir, capsys):
    rc, first = _run(tmp_path, "first", "--model", "random")
    preds = json.loads((first / "predictions.json").read_text())
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(dict(list(preds.items())[:3])))
    rc, replayed = _run(tmp_path, "replayed", "--model", f"replay:{partial}")
    assert rc == 1
    results = json.loads((replayed / "results.json").read_text())
    assert results["complete"] is False
    assert results["status_counts"]["missing"] == len(preds) - 3
    assert "no entry in the replayed file" in capsys.readouterr().err
