"""ViDiC-1K on the submission path and the leaderboard: validate and submit its two prediction
formats on the mini, bad files refused with their place, and a leaderboard section of its own
in which rows of different judges are never ranked together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from board_helpers import flat, run, snapshot, write_json
from vdbench.benchmarks.catalog import get_benchmark
from vdbench.data.loader import Selection
from vdbench.leaderboard.build import build
from vdbench.leaderboard.publish import write

META = {"method": "Plain text", "authors": "Test Lab", "mode": "compare",
        "date": "2025-01-31", "benchmark": "vidic"}
TEXT = "Video B is brighter and the person in it moves faster."


def vidic_samples():
    return get_benchmark("vidic").load("mini", Selection(), video_root=None, cache_dir=None,
                                       skip_missing=False, check_videos=False,
                                       revision=None).samples


def canonical() -> dict:
    return {s.sample_key: {"response": TEXT} for s in vidic_samples()}


def published() -> list:
    """The authors' response file: one entry per pair, matched by its two video paths."""
    return [{"video1_path": s.videos[0].path, "video2_path": s.videos[1].path,
             "response": TEXT, "model": "extra keys are ignored"} for s in vidic_samples()]


def test_validate_accepts_both_formats(tmp_path, cache_dir, capsys):
    bare = write_json(tmp_path / "c.json", canonical())
    write_json(tmp_path / "c.meta.json", META)
    assert run(["validate", str(bare), "--data", "mini", "--benchmark", "vidic",
                "--require-metadata"]) == 0
    out = flat(capsys.readouterr().out)
    assert "valid (ViDiC-1K, canonical format, 7 samples" in out
    listed = write_json(tmp_path / "l.json", {"metadata": META, "predictions": published()})
    # no --benchmark: the metadata names it
    assert run(["validate", str(listed), "--data", "mini", "--require-metadata"]) == 0
    assert "published format" in flat(capsys.readouterr().out)


def test_submit_records_both_formats_with_the_benchmark(tmp_path, cache_dir, capsys):
    subs = tmp_path / "submissions"
    bare = write_json(tmp_path / "c.json", canonical())
    write_json(tmp_path / "c.meta.json", {k: v for k, v in META.items() if k != "benchmark"})
    assert run(["submit", str(bare), "--name", "plain", "--data", "mini", "--benchmark",
                "vidic", "--judge", "offline", "--submissions", str(subs)]) == 0
    listed = write_json(tmp_path / "l.json", {"metadata": dict(META, method="Listed"),
                                              "predictions": published()})
    assert run(["submit", str(listed), "--name", "listed", "--data", "mini", "--judge",
                "offline", "--submissions", str(subs)]) == 0
    out = flat(capsys.readouterr().out)
    assert "rank 1 of" in out and "pass --data NJU-LINK/ViDiC-1K" in out
    for name, fmt in (("plain", "canonical"), ("listed", "published")):
        folder = subs / name
        assert json.loads((folder / "metadata.json").read_text())["benchmark"] == "vidic"
        results = json.loads((folder / "results.json").read_text())
        assert results["benchmark"] == "vidic" and results["mode"] == "compare"
        assert results["prediction_format"] == fmt and results["complete"]
        assert results["judge"]["name"] == "offline-lexical"
        stored = json.loads((folder / "predictions.json").read_text())
        assert stored == canonical()  # the list is stored canonical, keyed by sample
    a, b = (json.loads((subs / n / "results.json").read_text())["metrics"]
            for n in ("plain", "listed"))
    assert a == b  # the same texts, however they were filed


@pytest.mark.parametrize("command", ["validate", "submit"])
def test_bad_files_exit_2_name_the_file_and_sample_and_record_nothing(tmp_path, cache_dir,
                                                                     capsys, command):
    preds = canonical()
    first, second = list(preds)[:2]
    preds[first] = {"response": "   "}
    preds[second] = {"text": TEXT}
    preds["no-such-pair"] = {"response": TEXT}
    bad = write_json(tmp_path / "bad.json", {"metadata": META, "predictions": preds})
    entries = published()
    entries[0]["video2_path"] = "videos/elsewhere.mp4"
    del entries[1]["response"]
    worse = write_json(tmp_path / "worse.json", {"metadata": META, "predictions": entries})
    subs = tmp_path / "submissions"
    extra = ["--name", "x", "--submissions", str(subs), "--judge", "offline"] * (
        command == "submit")
    before = snapshot(tmp_path)
    assert run([command, str(bad), "--data", "mini", *extra]) == 2
    err = flat(capsys.readouterr().err)
    assert str(bad) in err
    assert f"sample '{first}': 'response' is empty" in err
    assert f"sample '{second}': expected {{\"response\": TEXT}}" in err
    assert "sample 'no-such-pair': not a sample of the selection" in err
    assert run([command, str(worse), "--data", "mini", *extra]) == 2
    err = flat(capsys.readouterr().err)
    assert str(worse) in err and "entry [0]: no sample of the selection has videos" in err
    assert "entry [1]: missing response" in err
    assert f"sample '{vidic_samples()[0].sample_key}': missing" in err  # strict: unanswered
    assert snapshot(tmp_path) == before  # nothing recorded, nothing left behind


def test_metadata_of_another_benchmark_is_refused(tmp_path, cache_dir, capsys):
    path = write_json(tmp_path / "c.json", {"metadata": META, "predictions": canonical()})
    assert run(["validate", str(path), "--data", "mini", "--benchmark", "viddiffbench"]) == 2
    err = flat(capsys.readouterr().err)
    assert "field 'benchmark': 'vidic', but the file is checked against viddiffbench" in err
    no_name = write_json(tmp_path / "n.json", {
        "metadata": {k: v for k, v in META.items() if k != "benchmark"},
        "predictions": canonical()})
    assert run(["validate", str(no_name), "--data", "mini"]) == 2  # VidDiffBench by default
    err = flat(capsys.readouterr().err)
    assert "'compare' is not a task of VidDiffBench (closed or open); a task of vidic" in err


# ---------------------------------------------------------------- the leaderboard


LLM_JUDGE = {"name": "llm:gpt-5-mini", "model": "gpt-5-mini", "provider": "openai",
             "temperature": 1.0, "seed": 0, "max_tokens": 4096, "max_attempts": 3,
             "per_item": True, "prompt_hash": "abc", "prompts": {}}


@pytest.fixture
def vidic_runs(tmp_path: Path, cache_dir) -> Path:
    """A VidDiffBench run and two ViDiC-1K runs on the mini: the offline judge's, and the
    same record as if gpt-5-mini had judged it, with a better score."""
    runs = tmp_path / "runs"
    assert run(["eval", "--model", "random", "--out", str(runs / "vdb"), "--no-progress"]) == 0
    assert run(["eval", "--benchmark", "vidic", "--model", "random", "--judge", "offline",
                "--out", str(runs / "vidic-offline"), "--no-progress"]) == 0
    results = json.loads((runs / "vidic-offline" / "results.json").read_text())
    results["judge"] = LLM_JUDGE
    results["metrics"]["accuracy"] = 0.99
    results["model"] = "judged-by-llm"
    write_json((runs / "vidic-llm").mkdir() or runs / "vidic-llm" / "results.json", results)
    return runs


def test_vidic_gets_a_section_and_judges_are_never_ranked_together(vidic_runs, tmp_path):
    board = build(tmp_path / "none", vidic_runs)
    vidic = [t for t in board.tables if t.benchmark == "vidic"]
    others = [t for t in board.tables if t.benchmark != "vidic"]
    assert {r.id for t in others for r in t.rows if r.source == "run"} == {"run:vdb"}
    assert all(t.mode in ("closed", "open") for t in others)
    assert board.tables.index(vidic[0]) > max(board.tables.index(t) for t in others)
    reported = [t for t in vidic if t.reported]
    assert len(reported) == 1 and reported[0].judge == "gpt-5-mini"
    assert all(r.rank is None and r.source == "paper" for r in reported[0].rows)
    assert len(reported[0].rows) == len(get_benchmark("vidic").reported())
    ran = {t.rows[0].id: t for t in vidic if not t.reported}
    assert set(ran) == {"run:vidic-offline", "run:vidic-llm"}  # one table per judge
    assert all(len(t.rows) == 1 and t.rows[0].rank == 1 for t in ran.values())
    assert ran["run:vidic-offline"].judge.startswith("offline-lexical")
    assert ran["run:vidic-offline"].smoke  # the offline judge: a smoke test
    row = ran["run:vidic-offline"].rows[0]
    assert set(row.columns) >= {"difference_accuracy", "similarity_accuracy", "background"}
    assert row.chance == pytest.approx(row.overall.value)  # the random texts: no difference

    write(board, tmp_path / "lb")
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    section = md.split("## ViDiC-1K: accuracy (%)")[1].split("## Notes")[0]
    assert "## Closed mode" in md.split("## ViDiC-1K")[0]
    assert "| Rank | Method | Accuracy | Difference | Similarity | Subject |" in section
    assert "Reported by its authors, not reproduced by vdbench" in section
    assert "judge: offline judge v1 (offline-lexical)" in section
    assert "judge: LLM judge: gpt-5-mini" in section
    assert "run vidic-offline" in section and "run vdb" not in section
    data = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    assert {t["benchmark"] for t in data["tables"]} == {"viddiffbench", "vidic"}
    html = (tmp_path / "lb" / "index.html").read_text()
    assert '<section id="vidic"' in html and '<a href="#vidic">ViDiC-1K</a>' in html
