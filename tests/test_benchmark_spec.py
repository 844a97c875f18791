"""A third benchmark, defined only in the tests (tests/benchmark_plugin/tinybench.py) and
installed as a plugin is, through the entry-point group `vdbench.benchmarks`: the CLI lists
it, evaluates it with the random baseline and with gpt-4o (the local OpenAI stand-in), and
scores its prediction files. Its samples share no fields with VidDiffBench's or ViDiC-1K's
beyond what every pair has (key, two videos, a domain for the frame rate), so a pipeline
that reached for another benchmark's fields would fail here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers.openai_server import FakeOpenAIServer, media_parts, prompt_text
from vdbench.benchmarks.catalog import BUILTIN, ENTRY_POINT_GROUP, get_benchmark, registered
from vdbench.benchmarks.vidic.data import MINI_DIR as VIDIC_MINI
from vdbench.core.errors import InputError

PLUGIN_DIR = Path(__file__).parent / "benchmark_plugin"
SRC = Path(__file__).resolve().parents[1] / "src"

# (id, video a, video b, domain, question, answer): videos of ViDiC-1K's bundled mini
PAIRS = [
    ("t0", "shapes/change_colour/0_src.mp4", "shapes/change_colour/0_tgt.mp4", "shapes",
     "Is the square the same colour in both videos?", "different"),
    ("t1", "shapes/change_colour/0_src.mp4", "shapes/change_colour/0_src.mp4", "shapes",
     "Are the two clips the same recording?", "same"),
    ("t2", "camera/pan/5_src.mp4", "camera/pan/5_tgt.mp4", "camera",
     "Does the camera move the same way?", "different"),
]


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """tinybench installed: a dist-info folder whose entry_points.txt names its spec, on
    sys.path here and on PYTHONPATH for the CLI's subprocesses."""
    site = tmp_path / "site"
    info = site / "vdbench_tinybench-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vdbench-tinybench\n"
                                   "Version: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ntinybench = tinybench:SPEC\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.syspath_prepend(str(site))
    paths = [str(site), str(PLUGIN_DIR), str(SRC), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    return site


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    """A tinybench data folder: pairs.json and the videos it names."""
    folder = tmp_path / "tinydata"
    rows = []
    for key, a, b, domain, question, answer in PAIRS:
        for rel in (a, b):
            dst = folder / "videos" / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(VIDIC_MINI / "data" / rel, dst)
        rows.append({"id": key, "a": f"videos/{a}", "b": f"videos/{b}", "domain": domain,
                     "question": question, "answer": answer})
    (folder / "pairs.json").write_text(json.dumps(rows), encoding="utf-8")
    return folder


def cli(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vdbench.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the catalog, in this process ------------------------------------------------------------

def test_entry_point_plugin_is_registered_after_the_builtins(plugin):
    known = registered()
    assert list(known)[:len(BUILTIN)] == list(BUILTIN)
    assert known["tinybench"] == "tinybench:SPEC"
    spec = get_benchmark("tinybench")
    assert spec.name == "tinybench" and spec.modes == ("answer",)
    assert type(spec).__module__ == "tinybench"


def test_without_the_plugin_the_name_is_unknown():
    assert "tinybench" not in registered()
    with pytest.raises(InputError, match="unknown benchmark 'tinybench'"):
        get_benchmark("tinybench")


# --- the CLI, as a user runs it ----------------------------------------------------------------

def test_benchmarks_lists_the_plugin_and_an_unknown_name_lists_the_known(plugin):
    listed = cli("benchmarks")
    assert listed.returncode == 0, listed.stderr
    names = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert names == ["viddiffbench", "vidic", "tinybench"]
    assert "TinyBench\ttasks: answer" in listed.stdout
    unknown = cli("eval", "--benchmark", "tinybenhc", "--model", "random", "--no-progress")
    assert unknown.returncode == 2
    message = " ".join(unknown.stderr.split())
    assert "unknown benchmark 'tinybenhc'" in message and "tinybench" in message
    assert "known: viddiffbench, vidic, tinybench" in message


def test_random_eval_then_score_of_its_predictions(plugin, tiny_data, tmp_path, cache_dir):
    out = tmp_path / "run"
    run = cli("eval", "--benchmark", "tinybench", "--model", "random", "--data",
              str(tiny_data), "--out", str(out), "--no-progress", "--seed", "1")
    assert run.returncode == 0, run.stderr
    results = read(out / "results.json")
    assert results["benchmark"] == "tinybench" and results["mode"] == "answer"
    assert results["metric"] == "accuracy" and results["complete"] is True
    assert results["n_samples"] == 3 and results["coverage"] == 1.0
    assert set(results["breakdowns"]["domain"]) == {"camera", "shapes"}
    preds = read(out / "predictions.json")
    assert set(preds) == {"t0", "t1", "t2"}
    assert {v["answer"] for v in preds.values()} <= {"same", "different"}
    expected = sum(preds[k]["answer"] == p[5] for p in PAIRS for k in [p[0]]) / 3
    assert results["metrics"]["accuracy"] == expected
    assert read(out / "run.json")["benchmark"] == "tinybench"

    rescored = tmp_path / "rescored"
    score = cli("score", str(out / "predictions.json"), "--benchmark", "tinybench",
                "--data", str(tiny_data), "--out", str(rescored))
    assert score.returncode == 0, score.stderr
    again = read(rescored / "results.json")
    assert again["benchmark"] == "tinybench" and again["prediction_format"] == "canonical"
    assert again["metrics"] == results["metrics"]
    assert again["breakdowns"] == results["breakdowns"]


class ScriptedAnswers:
    """gpt-4o's replies by question: right on t0 and t1, wrong on t2."""

    def __call__(self, body: dict) -> str:
        text = prompt_text(body)
        if "colour" in text:
            return "Different."
        if "recording" in text:
            return "They are the same."
        return "same"


@pytest.fixture
def openai_server(monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-tinybench")
    with FakeOpenAIServer(ScriptedAnswers()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server


def test_gpt4o_through_the_stand_in_sends_frames_and_scores_its_replies(
        plugin, tiny_data, tmp_path, cache_dir, openai_server):
    out = tmp_path / "run"
    args = ("eval", "--benchmark", "tinybench", "--model", "gpt-4o", "--data", str(tiny_data),
            "--no-progress")
    run = cli(*args, "--out", str(out))
    assert run.returncode == 0, run.stderr
    requests = openai_server.chat_requests()
    assert len(requests) == 3
    for r in requests:
        media = media_parts(r.body)
        # frames as images, video a's then video b's (2 fps, at most 8 a pair)
        assert media and all(p["type"] == "image_url" for p in media)
        assert len(media) == 8
        assert re.search(r"Answer with one word: same or different", prompt_text(r.body))
    results = read(out / "results.json")
    assert results["benchmark"] == "tinybench" and results["complete"] is True
    assert results["metrics"]["accuracy"] == pytest.approx(2 / 3)
    domain = results["breakdowns"]["domain"]
    assert domain["shapes"]["accuracy"] == 1.0 and domain["camera"]["accuracy"] == 0.0
    assert results["requests"]["sent"] == 3
    assert read(out / "predictions.json") == {"t0": {"answer": "different"},
                                              "t1": {"answer": "same"},
                                              "t2": {"answer": "same"}}
    # the same run again: every reply from the cache
    rerun = cli(*args, "--out", str(tmp_path / "rerun"))
    assert rerun.returncode == 0, rerun.stderr
    assert len(openai_server.chat_requests()) == 3
    again = read(tmp_path / "rerun" / "results.json")
    assert again["requests"]["cached"] == 3 and again["requests"]["sent"] == 0
    assert again["metrics"] == results["metrics"]


def test_unparseable_replies_are_wrong_answers_not_failures(plugin, tiny_data, tmp_path,
                                                            cache_dir, openai_server):
    openai_server.reply = lambda body: "I cannot tell."
    out = tmp_path / "run"
    run = cli("eval", "--benchmark", "tinybench", "--model", "gpt-4o", "--data",
              str(tiny_data), "--out", str(out), "--no-progress")
    assert run.returncode == 0, run.stderr
    results = read(out / "results.json")
    assert results["metrics"]["accuracy"] == 0.0 and results["coverage"] == 0.0
    assert results["status_counts"] == {"parse_error": 3}
