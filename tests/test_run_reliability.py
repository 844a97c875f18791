"""A failure is never a score: damaged or unwritable state, unreachable or wrong endpoints,
unpriced budgets, judges that fail, and incomplete runs kept off the ranked leaderboard."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from board_helpers import META, flat, open_predictions, results_record, run, write_json, write_run
from servers.openai_server import FakeOpenAIServer

pytest.importorskip("openai")


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-reliability-0123456789")
    for var in ("OPENAI_BASE_URL", "VLLM_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def _eval(*args: str) -> int:
    return run(["eval", "--model", "random", "--no-progress", *args])


# --- damaged or unwritable state ------------------------------------------------------------

@pytest.mark.parametrize("damage", ["garbage", "truncated", "overwritten page"])
def test_a_damaged_cache_stops_the_run_naming_the_file(tmp_path, key, capsys, damage):
    cache = tmp_path / "cache"
    db = sqlite3.connect(cache.mkdir() or cache / "responses.sqlite")
    db.execute("CREATE TABLE t (x TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [("y" * 500,)] * 200)
    db.commit()
    db.close()
    path = cache / "responses.sqlite"
    data = bytearray(path.read_bytes())
    if damage == "garbage":
        data = bytearray(b"not a database " * 300)
    elif damage == "truncated":
        data = data[: len(data) // 3 + 7]
    else:
        data[4096 + 10: 4096 + 200] = b"\xff" * 190  # the second page
    path.write_bytes(bytes(data))
    assert _eval("--model", "gpt-4o", "--dry-run", "--cache-dir", str(cache)) == 1
    err = flat(capsys.readouterr().err)
    assert str(path) in err and "damaged" in err and "Move it aside" in err
    assert "Traceback" not in err


def test_a_cache_that_cannot_be_written_mid_run_stops_the_run_naming_the_file(
        tmp_path, key, capsys, monkeypatch):
    from vdbench.llm import cache as cache_module

    monkeypatch.setattr(cache_module, "BUSY_TIMEOUT_S", 0.2)
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / "responses.sqlite"
    cache_module.ResponseCache(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock far too long
    try:
        with FakeOpenAIServer(reply=lambda body: "{}") as fake:
            assert _eval("--model", "gpt-4o", "--limit", "3", "--base-url", fake.base_url,
                         "--cache-dir", str(cache), "--out", str(tmp_path / "r")) == 1
    finally:
        holder.rollback()
        holder.close()
    err = flat(capsys.readouterr().err)
    assert str(path) in err and "cannot write the response cache" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r" / "results.json").exists()


def test_unwritable_folders_are_bad_input(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert _eval("--model", "random", "--out", str(afile)) == 2
    assert "is a file, not a folder" in flat(capsys.readouterr().err)
    assert _eval("--model", "random", "--cache-dir", str(afile / "sub")) == 2
    assert "is a file" in flat(capsys.readouterr().err)
    # a folder nobody may write in (root ignores permission bits, so use a read-only fs)
    assert _eval("--model", "random", "--out", "/proc/vdbench-run") == 2
    assert "/proc/vdbench-run" in flat(capsys.readouterr().err)
    assert not (tmp_path / "runs").exists()


# --- endpoints ----------------------------------------------------------------------------

def test_a_vllm_server_that_was_never_started_stops_before_any_sample(tmp_path, capsys):
    with FakeOpenAIServer() as fake:
        url = fake.base_url  # the port is free again once the server stops
    assert _eval("--model", "qwen2-vl-7b", "--base-url", url, "--cache-dir",
                 str(tmp_path / "c"), "--out", str(tmp_path / "r")) == 1
    err = flat(capsys.readouterr().err)
    assert url in err and "make vllm-qwen2-vl" in err
    assert not (tmp_path / "r" / "results.json").exists()


def test_a_server_that_serves_another_model_is_refused_before_any_sample(tmp_path, capsys):
    with FakeOpenAIServer() as fake:
        fake.served_models = ("Qwen/Qwen2.5-VL-7B-Instruct",)
        assert _eval("--model", "qwen2-vl-7b", "--base-url", fake.base_url, "--cache-dir",
                     str(tmp_path / "c"), "--out", str(tmp_path / "r")) == 1
        assert fake.requests == []  # no chat request was sent
    err = flat(capsys.readouterr().err)
    assert "Qwen/Qwen2.5-VL-7B-Instruct, not 'Qwen/Qwen2-VL-7B-Instruct'" in err


def test_a_bad_key_stops_the_run_at_once_and_writes_no_score(tmp_path, key, capsys):
    with FakeOpenAIServer(reply=lambda body: "{}") as fake:
        fake.fail_next("401")
        assert _eval("--model", "gpt-4o", "--base-url", fake.base_url, "--concurrency", "1",
                     "--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path / "r")) == 1
        assert len(fake.requests) == 1  # the first failure stopped it: no other call
    err = flat(capsys.readouterr().err)
    assert "authentication failed" in err and "OPENAI_API_KEY" in err
    assert not (tmp_path / "r" / "results.json").exists()


# --- money --------------------------------------------------------------------------------

def test_max_cost_needs_a_price_for_an_unpriced_model(tmp_path, key, capsys):
    with FakeOpenAIServer(reply=lambda body: "{}") as fake:
        args = ["--model", "openai:any", "--base-url", fake.base_url, "--limit", "2",
                "--cache-dir", str(tmp_path / "c"), "--max-cost", "1"]
        assert _eval(*args, "--out", str(tmp_path / "r")) == 2
        assert fake.requests == []
        assert "no known price" in flat(capsys.readouterr().err)
        assert _eval(*args, "--price", "2.5,10", "--out", str(tmp_path / "p"),
                     "--max-failures", "100%") == 0
    cost = json.loads((tmp_path / "p" / "results.json").read_text())["cost_usd"]
    assert cost > 0
    assert _eval(*args, "--price", "cheap", "--out", str(tmp_path / "q")) == 2


def test_a_dry_run_marks_an_unpriced_estimate_as_unknown(tmp_path, key, capsys):
    assert _eval("--model", "openai:gpt-unlisted", "--dry-run", "--limit", "2",
                 "--cache-dir", str(tmp_path / "c")) == 0
    out = flat(capsys.readouterr().out)
    assert "unknown: no price for gpt-unlisted" in out
    assert _eval("--model", "openai:gpt-unlisted", "--dry-run", "--limit", "2", "--price",
                 "1,2", "--cache-dir", str(tmp_path / "c")) == 0
    assert re.search(r"input tokens, \$0\.0\d* estimated", flat(capsys.readouterr().out))


# --- judges -------------------------------------------------------------------------------

def test_an_open_submit_whose_judge_fails_records_nothing(tmp_path, key, capsys):
    preds = write_json(tmp_path / "p.json", {"metadata": dict(META, mode="open"),
                                             "predictions": open_predictions()})
    subs = tmp_path / "subs"
    with FakeOpenAIServer(reply=lambda body: "not json at all") as fake:
        assert run(["submit", str(preds), "--name", "judged", "--submissions", str(subs),
                    "--judge", "gpt-4o", "--base-url", fake.base_url,
                    "--cache-dir", str(tmp_path / "c")]) == 1
    assert "nothing was recorded" in flat(capsys.readouterr().err)
    assert not (subs / "judged").exists()


# --- the leaderboard ------------------------------------------------------------------------

def test_an_incomplete_run_is_never_ranked_and_never_supersedes(tmp_path):
    runs = tmp_path / "runs"
    good = results_record({"easy": 0.6, "medium": 0.6, "hard": 0.6}, model="m",
                          created="2025-01-01T00:00:00+00:00")
    broken = dict(results_record({"easy": 0.0, "medium": 0.0, "hard": 0.0}, model="m",
                                 created="2025-02-01T00:00:00+00:00"),
                  complete=False, failures={"failed_samples": 18, "allowed": 0})
    write_run(runs, "good", good)
    write_run(runs, "broken", broken)
    assert run(["leaderboard", "--runs", str(runs), "--submissions", str(tmp_path / "s"),
                "--out", str(tmp_path / "lb")]) == 0
    board = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    shown = [r["id"] for t in board["tables"] for r in t["rows"] if r["source"] == "run"]
    assert shown == ["run:good"] and board["superseded"] == []
    assert board["incomplete"] == ["run:broken"]
    assert "run:broken" not in (tmp_path / "lb" / "leaderboard.md").read_text()


def test_an_incomplete_run_says_what_failed_and_how_to_finish(tmp_path, key, capsys):
    with FakeOpenAIServer(reply=lambda body: "{}") as fake:
        fake.fail_next("400")
        assert _eval("--model", "openai:any", "--base-url", fake.base_url, "--limit", "2",
                     "--concurrency", "1", "--cache-dir", str(tmp_path / "c"),
                     "--out", str(tmp_path / "r")) == 1
    err = flat(capsys.readouterr().err)
    assert "incomplete: 1 of 2 samples failed (1 api_error" in err
    assert "BadRequestError" in err and "run the same command again" in err
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["complete"] is False


def test_results_files_written_by_runs_conform_to_the_published_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "results.schema.json")
                        .read_text())
    assert _eval("--model", "random", "--out", str(tmp_path / "r"), "--swap") == 0
    jsonschema.validate(json.loads((tmp_path / "r" / "results.json").read_text()), schema)
    bad = dict(json.loads((tmp_path / "r" / "results.json").read_text()), complete="yes")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


# --- videos -----------------------------------------------------------------------------------

def test_a_broken_video_stops_the_run_before_any_call_or_is_skipped_and_recorded(
        tmp_path, key, hub_copy, capsys):
    broken = hub_copy / "videos" / "music" / "mini_13_a.mp4"
    broken.write_bytes(broken.read_bytes()[:300])  # truncated
    with FakeOpenAIServer(reply=lambda body: "{}") as fake:
        args = ["--model", "openai:any", "--base-url", fake.base_url, "--data", str(hub_copy),
                "--cache-dir", str(tmp_path / "c"), "--max-failures", "100%"]
        assert _eval(*args, "--out", str(tmp_path / "r")) == 2
        assert fake.requests == []
        err = flat(capsys.readouterr().err)
        assert "mini_13_a.mp4" in err and "mini_13" in err
        assert _eval(*args, "--skip-missing", "--out", str(tmp_path / "s")) == 0
    results = json.loads((tmp_path / "s" / "results.json").read_text())
    skipped = results["provenance"]["skipped_bad_videos"]
    assert [s["sample_key"] for s in skipped] == ["mini_13"] and results["n_samples"] == 17


# --- judges carry their measured quality ---------------------------------------------------

def test_open_results_carry_the_judges_measured_quality_to_the_leaderboard(tmp_path):
    runs = tmp_path / "runs"
    assert _eval("--mode", "open", "--judge", "offline", "--split", "easy",
                 "--out", str(runs / "o"), "--cache-dir", str(tmp_path / "c")) == 0
    judge = json.loads((runs / "o" / "results.json").read_text())["judge"]
    measured = judge["measured"]
    assert measured["n_cases"] >= 30 and 0 < measured["agreement"]["value"] <= 1
    assert measured["agreement"]["low"] <= measured["agreement"]["value"]
    assert run(["leaderboard", "--runs", str(runs), "--submissions", str(tmp_path / "s"),
                "--out", str(tmp_path / "lb")]) == 0
    board = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    table = next(t for t in board["tables"] if t["mode"] == "open" and not t["reported_in_paper"])
    assert "measured" not in table["judge"]  # the figures are shown beside, not in the label
    assert f"agreement {100 * measured['agreement']['value']:.0f}%" in table["judge_quality"]
    assert table["judge_quality"] in (tmp_path / "lb" / "leaderboard.md").read_text()
