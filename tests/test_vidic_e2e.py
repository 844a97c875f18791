"""ViDiC-1K end to end, as a user runs it: `vdbench eval --benchmark vidic --model gpt-4o
--data mini` against the local OpenAI stand-in, which plays both the model (a scripted
comparison text) and the judge (gpt-5-mini, a scripted yes/no per checklist question); the
offline run; and the Python API."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from servers.openai_server import FakeOpenAIServer, media_parts, prompt_text
from vdbench.benchmarks.vidic.data import load_vidic
from vdbench.cli.main import main

pytest.importorskip("av")

MODEL_TEXT = "SCRIPTED COMPARISON: In Video B the square is blue; Video A shows it red."
JUDGE_SNAPSHOT = "gpt-5-mini-2025-08-07"
MODEL_SNAPSHOT = "gpt-4o-2024-08-06"


def judge_answer(question: str) -> str:
    """The scripted judge: yes to every question naming a colour or Video B."""
    return "yes" if "colour" in question.lower() or "Video B" in question else "no"


def question_of(body: dict) -> str:
    return prompt_text(body).rsplit("[Question]\n", 1)[1].strip()


class Script:
    """The model's reply (MODEL_TEXT) and the judge's, one JSON answer per question;
    `garbage`: the judge answers the run's items with no JSON (the gold set still gets
    answers)."""

    def __init__(self, garbage: bool = False):
        self.garbage = garbage

    def __call__(self, body: dict) -> str:
        if not body["model"].startswith("gpt-5-mini"):
            return MODEL_TEXT
        if self.garbage and MODEL_TEXT in prompt_text(body):
            return "I would rather not say."
        question = question_of(body)
        return json.dumps({"answer": judge_answer(question), "explanation": "scripted"})


@pytest.fixture
def server(monkeypatch, cache_dir):
    pytest.importorskip("openai")
    server = FakeOpenAIServer(Script()).start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-vidic-e2e")
    yield server
    server.stop()


def model_requests(server: FakeOpenAIServer) -> list[dict]:
    return [r.body for r in server.chat_requests() if r.body["model"] == MODEL_SNAPSHOT]


def judge_requests(server: FakeOpenAIServer, text: str = MODEL_TEXT) -> list[dict]:
    """The judge's requests about the run's texts (not the gold set's)."""
    return [r.body for r in server.chat_requests()
            if r.body["model"] == JUDGE_SNAPSHOT and text in prompt_text(r.body)]


def expected_scores() -> dict[str, float]:
    items = [i for s in load_vidic("mini", check_videos=False).samples for i in s.checklist]
    right = {kind: [judge_answer(i.question) == i.answer for i in items if i.kind == kind]
             for kind in ("difference", "similarity")}
    every = right["difference"] + right["similarity"]
    return {"accuracy": sum(every) / len(every), "n": len(every),
            "difference_accuracy": sum(right["difference"]) / len(right["difference"]),
            "similarity_accuracy": sum(right["similarity"]) / len(right["similarity"])}


def eval_args(out: Path, *extra: str) -> list[str]:
    return ["eval", "--benchmark", "vidic", "--model", "gpt-4o", "--data", "mini",
            "--out", str(out), "--no-progress", *extra]


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_gpt4o_judged_by_gpt5_mini_through_the_stand_in(server, tmp_path):
    samples = load_vidic("mini", check_videos=False).samples
    out = tmp_path / "run"
    assert main(eval_args(out)) == 0

    # the model: one request a pair, its frames as low-detail images (paper: 2 fps, 12 here)
    asked = model_requests(server)
    assert len(asked) == len(samples) == 7
    for body in asked:
        media = media_parts(body)
        assert len(media) == 12 and all(p["type"] == "image_url" for p in media)
        assert {p["image_url"]["detail"] for p in media} == {"low"}
        assert body["messages"][0]["role"] == "system"
    # the judge: one request a checklist item, holding the model's text and the question
    judged = judge_requests(server)
    questions = sorted(i.question for s in samples for i in s.checklist)
    assert sorted(question_of(b) for b in judged) == questions
    for body in judged:
        assert body["seed"] == 0 and body["temperature"] == 1.0

    results = read(out / "results.json")
    want = expected_scores()
    assert results["benchmark"] == "vidic" and results["mode"] == "compare"
    assert results["metric"] == "accuracy" and results["complete"] is True
    assert results["n_scored"] == want["n"] == 25 and results["coverage"] == 1.0
    m = results["metrics"]
    assert m["accuracy"] == pytest.approx(want["accuracy"])
    assert m["difference_accuracy"] == pytest.approx(want["difference_accuracy"])
    assert m["similarity_accuracy"] == pytest.approx(want["similarity_accuracy"])
    assert m["err_judge"] == 0.0
    assert set(results["breakdowns"]) == {"class", "kind", "domain", "action"}
    judge = results["judge"]
    assert judge["model"] == JUDGE_SNAPSHOT and judge["provider"] == "openai"
    assert set(judge["prompts"]) == {"vidic_judge", "vidic_judge_system"}
    assert "agreement" in judge["measured"]  # the judge on the gold set, same server
    assert read(out / "run.json")["judge"] == "default"
    assert read(out / "predictions.json") == {s.sample_key: {"response": MODEL_TEXT}
                                              for s in samples}
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 25
    assert all(r["judge_answer"] == judge_answer(r["question"]) for r in rows)

    # the same command again: every model and judge call from the cache
    before = len(server.requests)
    again_out = tmp_path / "again"
    assert main(eval_args(again_out)) == 0
    assert len(server.requests) == before
    again = read(again_out / "results.json")
    assert again["requests"]["sent"] == 0 and again["requests"]["cached"] == 7
    assert again["metrics"] == results["metrics"]


def test_batch_sends_model_and_judge_calls_as_jobs(server, tmp_path, monkeypatch):
    from vdbench.llm.batch.types import BatchSettings
    from vdbench.llm.runtime import RuntimeSettings
    from vdbench.pipeline import config

    quick = BatchSettings(debounce_s=0.1, poll_interval_s=0.01)
    monkeypatch.setattr(config, "RuntimeSettings",
                        functools.partial(RuntimeSettings, batch_settings=quick))
    out = tmp_path / "run"
    assert main(eval_args(out, "--batch")) == 0
    assert server.batch_creations()  # jobs, not live calls
    live = [r for r in server.chat_requests()]
    assert live == []
    results = read(out / "results.json")
    assert results["complete"] is True
    assert results["requests"]["batched"] >= 7 and results["requests"]["batch_jobs"] >= 1
    assert results["metrics"]["accuracy"] == pytest.approx(expected_scores()["accuracy"])


def test_a_judge_answering_garbage_leaves_the_run_incomplete(server, tmp_path, capsys):
    server.reply = Script(garbage=True)
    out = tmp_path / "run"
    assert main(eval_args(out)) == 1
    results = read(out / "results.json")
    assert results["complete"] is False
    assert results["failures"]["by_status"] == {"judge_error": 7}
    assert results["metrics"]["err_judge"] == 1.0 and results["metrics"]["accuracy"] == 0.0
    assert results["status_counts"] == {"judge_error": 7}
    # each item asked three times, then recorded as the judge's failure, never an answer
    assert len(judge_requests(server)) == 3 * 25
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert {r["status"] for r in rows} == {"judge_error"}
    assert all(r["judge_answer"] is None for r in rows)
    assert "incomplete" in capsys.readouterr().err


def test_random_with_the_offline_judge_needs_no_key(tmp_path, monkeypatch, cache_dir):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "run"
    assert main(["eval", "--benchmark", "vidic", "--model", "random", "--judge", "offline",
                 "--data", "mini", "--out", str(out), "--no-progress"]) == 0
    results = read(out / "results.json")
    assert results["benchmark"] == "vidic" and results["complete"] is True
    assert results["judge"]["name"] == "offline-lexical"
    assert results["judge"]["comparable"] is False
    assert results["n_scored"] == 25


def test_python_api_evaluates_vidic_offline(tmp_path, monkeypatch, cache_dir):
    from vdbench.api import evaluate
    from vdbench.core.results import Results

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    res = evaluate(model="random", benchmark="vidic", judge="offline", out=tmp_path / "api")
    assert isinstance(res, Results)
    assert res.benchmark == "vidic" and res.mode == "compare" and res.metric == "accuracy"
    assert res.headline == res.metrics["accuracy"] and res.headline is not None
    assert res.judge is not None and res.judge["comparable"] is False
    assert res.breakdowns is not None and "class" in res.breakdowns
    assert Path(res.run_dir) == tmp_path / "api"
    assert read(tmp_path / "api" / "results.json")["metrics"] == res.metrics
