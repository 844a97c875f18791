"""`vdbench eval` against a local OpenAI-compatible server, through the real openai SDK."""

import json
import re

import pytest

from servers.openai_server import FakeOpenAIServer, prompt_text
from vdbench.cli.main import main

pytest.importorskip("openai")
pytest.importorskip("av")

SECRET = "sk-test-SECRET-key-0123456789"


def answer_all_a(body: dict) -> str:
    """Answers every key the closed prompt asks about, as a chatty model would."""
    keys = re.findall(r'^\s*"(\d+)":', prompt_text(body), re.MULTILINE)
    return "Here you go:\n```json\n" + json.dumps({k: "a" for k in keys}) + "\n```"


@pytest.fixture
def api(monkeypatch, cache_dir):
    with FakeOpenAIServer(reply=answer_all_a) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        yield server


def _eval(out, *extra) -> int:
    return main(["eval", "--model", "openai:any", "--split", "all", "--concurrency", "16",
                 "--out", str(out), "--no-progress", *extra])


def test_eval_scores_and_a_rerun_sends_nothing(api, hub_copy, tmp_path, cache_dir):
    assert _eval(tmp_path / "r1", "--data", str(hub_copy)) == 0
    first = len(api.requests)
    results = json.loads((tmp_path / "r1" / "results.json").read_text())
    assert first == results["n_samples"] == 18 and results["coverage"] == 1.0
    samples = [json.loads(x) for x in (tmp_path / "r1" / "samples.jsonl").open()]
    expected = sum(r["gt"] == "a" for r in samples) / len(samples)
    assert results["metrics"]["accuracy"] == pytest.approx(expected)
    # every request shows video a's frames before video b's, as JPEG data URLs
    body = api.requests[0].body
    kinds = [p["type"] for p in body["messages"][0]["content"]]
    assert kinds.count("image_url") > 2 and body["temperature"] == 1  # the paper protocol
    assert _eval(tmp_path / "r2", "--data", str(hub_copy)) == 0
    assert len(api.requests) == first  # zero requests on the rerun
    again = json.loads((tmp_path / "r2" / "results.json").read_text())
    assert again["metrics"] == results["metrics"] and again["requests"]["cached"] == 18
    for p in list(tmp_path.rglob("*")) + list(cache_dir.rglob("*")):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p


def test_faults_do_not_change_predictions(api, tmp_path, cache_dir, monkeypatch):
    assert _eval(tmp_path / "clean", "--cache-dir", str(tmp_path / "c1")) == 0
    api.fault_rate = 0.3
    assert _eval(tmp_path / "faulty", "--cache-dir", str(tmp_path / "c2")) == 0
    assert any(r.fault for r in api.requests)
    clean = (tmp_path / "clean" / "predictions.json").read_text()
    assert (tmp_path / "faulty" / "predictions.json").read_text() == clean


def test_dry_run_counts_and_sends_nothing(api, tmp_path, capsys):
    assert _eval(tmp_path / "dry", "--dry-run") == 0
    out = capsys.readouterr().out
    assert api.requests == []
    assert "total: 18 requests" in out
    assert int(re.search(r"total: 18 requests, ([\d,]+) images", out).group(1)
               .replace(",", "")) > 36
    assert not (tmp_path / "dry").exists()


def test_max_cost_stops_cleanly_and_a_rerun_resumes(api, tmp_path):
    # gpt-4o's price table applies to openai:gpt-4o-2024-08-06
    args = ["eval", "--model", "gpt-4o", "--no-progress", "--concurrency", "1"]
    # a run cut by the budget is incomplete: exit 1, never a score
    assert main([*args, "--out", str(tmp_path / "cut"), "--max-cost", "0.000001"]) == 1
    cut = json.loads((tmp_path / "cut" / "results.json").read_text())
    assert cut["status_counts"].get("api_error", 0) > 0 and cut["coverage"] < 1
    assert cut["complete"] is False
    assert cut["failures"]["failed_samples"] == cut["status_counts"]["api_error"]
    assert "BudgetExceeded" in cut["failures"]["first_errors"][0]["error"]
    sent = len(api.requests)
    assert sent < 18
    assert main([*args, "--out", str(tmp_path / "full")]) == 0
    full = json.loads((tmp_path / "full" / "results.json").read_text())
    assert full["coverage"] == 1.0 and len(api.requests) == 18  # only the missing ones sent
    assert full["complete"] is True


def test_api_failure_is_recorded_per_sample(api, tmp_path):
    api.fail_next(*["400"] * 1)
    assert _eval(tmp_path / "r", "--limit", "3") == 1  # incomplete: the sample failed
    outputs = [json.loads(x) for x in (tmp_path / "r" / "outputs.jsonl").open()]
    failed = [o for o in outputs if o["status"] == "api_error"]
    assert len(failed) == 1 and "BadRequest" in failed[0]["error"]
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["status_counts"] == {"api_error": 1, "ok": 2}
    assert results["complete"] is False and results["failures"]["failed_samples"] == 1
    # the same command again sends only the failed sample and completes the run
    before = len(api.requests)
    assert _eval(tmp_path / "r", "--limit", "3") == 0
    assert len(api.requests) == before + 1
    assert json.loads((tmp_path / "r" / "results.json").read_text())["complete"] is True


def test_max_failures_accepts_a_stated_amount(api, tmp_path):
    api.fail_next("400")
    assert _eval(tmp_path / "r", "--limit", "3", "--max-failures", "1") == 0
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["complete"] is True and results["failures"]["allowed"] == 1
    assert results["failures"]["failed_samples"] == 1
    api.fail_next("400", "400")
    assert _eval(tmp_path / "s", "--limit", "3", "--seed", "1", "--max-failures", "34%") == 1
    assert _eval(tmp_path / "t", "--limit", "3", "--max-failures", "many") == 2


def test_dry_run_needs_no_key_and_leaves_none_behind(tmp_path, monkeypatch, cache_dir, capsys):
    import os

    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert main(["eval", "--model", "gpt-4o", "--dry-run", "--limit", "2",
                 "--out", str(tmp_path / "d")]) == 0
    assert "total: 2 requests" in capsys.readouterr().out
    assert "OPENAI_API_KEY" not in os.environ
    assert main(["eval", "--model", "gpt-4o", "--limit", "2", "--no-progress",
                 "--out", str(tmp_path / "r")]) == 2
    assert "set OPENAI_API_KEY" in capsys.readouterr().err
