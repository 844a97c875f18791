"""`--judge vllm:MODEL`: an open-weight judge served by vLLM, through the local server that
speaks vLLM's OpenAI-compatible protocol (no OpenAI key, VLLM_BASE_URL, the served-model check)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servers.openai_server import FakeOpenAIServer, media_parts
from test_judge_eval import GOLD_RECALL, SMALL, gold_reply, parse, write_gold
from test_open_mode import diff, match_by_key
from vdbench.cli import judging
from vdbench.cli.main import main
from vdbench.data.loader import load_benchmark

JUDGE_ID = "Qwen/Qwen2.5-72B-Instruct"
SPEC = f"vllm:{JUDGE_ID}"

pytest.importorskip("openai")


@pytest.fixture
def vllm_env(monkeypatch):
    """No OpenAI credentials at all: a vLLM judge must not need them."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "VLLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)

    def serve(reply, models=(JUDGE_ID,)) -> FakeOpenAIServer:
        server = FakeOpenAIServer(reply)
        server.served_models = models
        return server

    return serve


def easy_predictions(tmp_path: Path) -> Path:
    samples = [s for s in load_benchmark("mini").samples if s.split == "easy"]
    preds = {s.sample_key: {k: diff(s.differences_annotated[k].description, s.differences_gt[k])
                            for k in s.scored_keys} for s in samples}
    path = tmp_path / "preds.json"
    path.write_text(json.dumps(preds))
    return path


def test_open_mode_scored_by_a_vllm_judge_and_rescored_from_the_cache(
        tmp_path, monkeypatch, vllm_env):
    preds = easy_predictions(tmp_path)
    with vllm_env(match_by_key) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        args = ["score", str(preds), "--mode", "open", "--split", "easy", "--judge", SPEC,
                "--cache-dir", str(tmp_path / "cache")]
        assert main([*args, "--out", str(tmp_path / "first")]) == 0
        sent = len(server.requests)
        assert sent > 0 and {r.body["model"] for r in server.requests} == {JUDGE_ID}
        assert all(not media_parts(r.body) for r in server.requests)
        results = json.loads((tmp_path / "first" / "results.json").read_text())
        assert main([*args, "--out", str(tmp_path / "second")]) == 0
        assert len(server.requests) == sent  # the response cache answers the rescore
    assert results["metrics"]["recall"] == 1.0
    judge = results["judge"]
    assert judge["match_model"] == judge["direction_model"] == JUDGE_ID
    assert judge["match_provider"] == judge["direction_provider"] == "vllm"
    again = json.loads((tmp_path / "second" / "results.json").read_text())
    assert again["metrics"] == results["metrics"] and again["judge"] == judge


def test_a_vllm_server_that_does_not_serve_the_judge_stops_before_any_call(
        tmp_path, monkeypatch, capsys, vllm_env):
    preds = easy_predictions(tmp_path)
    with vllm_env(match_by_key, models=("Qwen/Qwen2-VL-7B-Instruct",)) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        rc = main(["score", str(preds), "--mode", "open", "--split", "easy", "--judge", SPEC,
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")])
        assert server.requests == []
    err = capsys.readouterr().err
    assert rc == 1
    assert JUDGE_ID in err and "vllm serve" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_judge_eval_measures_a_vllm_judge(tmp_path, monkeypatch, vllm_env):
    gold = write_gold(tmp_path / "small.json", SMALL)
    out = tmp_path / "vllm.json"
    with vllm_env(gold_reply) as server:
        monkeypatch.setenv("VLLM_BASE_URL", server.base_url)
        assert judging.cmd_judge_eval(parse(["judge-eval", "--judge", SPEC, "--gold", str(gold),
                                             "--split", "all", "--out", str(out),
                                             "--cache-dir", str(tmp_path / "cache")])) == 0
        assert {r.body["model"] for r in server.requests} == {JUDGE_ID}
    data = json.loads(out.read_text())
    assert data["judge"]["match_model"] == JUDGE_ID
    o = data["overall"]
    assert o["agreement"]["value"] == 1.0 and o["direction_accuracy"]["value"] == 1.0
    assert o["recall_bias"]["value"] == 0.0 and o["gold_recall"]["value"] == GOLD_RECALL
