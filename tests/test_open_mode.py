"""Open mode: the model's reply parsed under the cap, the matching rules, the open metrics,
and the whole path through the command line with the offline judge and an LLM judge."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from conftest import make_row
from servers.chat_requests import tiny_clip
from servers.openai_server import FakeOpenAIServer, media_parts, prompt_text
from vdbench.cli.main import main
from vdbench.core.types import DiffPrediction, SampleOutput
from vdbench.data.loader import load_benchmark
from vdbench.data.schema import parse_row
from vdbench.llm.types import GenerationConfig, TextPart, VideoPart
from vdbench.scoring.closed import ScoredDifference
from vdbench.scoring.judge.base import Judge
from vdbench.scoring.open import enforce_matching, judge_open, open_block, open_results
from vdbench.tasks.open import build_open_request, parse_open_reply
from vdbench.tasks.viddiffbench import GENERIC_DIFFERENCES


def capped_sample(cap: int = 3):
    return parse_row(make_row("s0", n_differences_open_prediction=cap))


def diff(desc: str, label: str = "a") -> dict:
    return {"description": desc, "prediction": label}


# --- parsing the model's reply --------------------------------------------------------------

def test_reply_over_the_cap_is_truncated_and_the_truncation_noted():
    reply = json.dumps({str(i): diff(f"statement {i} is higher", "ab"[i % 2]) for i in range(5)})
    out = parse_open_reply(capped_sample(3), reply)
    assert out.status == "ok"
    assert list(out.predictions) == ["0", "1", "2"]
    assert [p.description for p in out.predictions.values()] == [
        "statement 0 is higher", "statement 1 is higher", "statement 2 is higher"]
    assert [p.prediction for p in out.predictions.values()] == ["a", "b", "a"]
    assert out.notes == ["truncated 5 differences to the cap of 3"]
    assert out.raw == reply


def test_reply_at_the_cap_is_kept_whole_without_a_note():
    reply = json.dumps({str(i): diff(f"statement {i}") for i in range(3)})
    out = parse_open_reply(capped_sample(3), reply)
    assert len(out.predictions) == 3 and out.notes == [] and out.status == "ok"


def test_malformed_entries_are_dropped_and_the_rest_renumbered():
    reply = json.dumps({
        "3": diff("the squat is deeper", "Video A"),
        "4": {"description": "", "prediction": "a"},  # empty description
        "5": {"description": "the arms are higher"},  # no label
        "6": diff("the stance is wider", "c"),  # not a or b
        "7": "b",  # a bare label has no description
        "9": diff("  the jump is higher  ", "(b)"),
    })
    out = parse_open_reply(capped_sample(5), reply)
    assert out.status == "ok"
    assert out.predictions == {"0": DiffPrediction("a", "the squat is deeper"),
                               "1": DiffPrediction("b", "the jump is higher")}
    assert out.notes == ["dropped 4 malformed difference(s)"]


def test_malformed_entries_do_not_count_against_the_cap():
    entries = [{"prediction": "a"}] + [diff(f"statement {i}") for i in range(4)]
    reply = json.dumps({str(i): e for i, e in enumerate(entries)})
    out = parse_open_reply(capped_sample(2), reply)
    assert [p.description for p in out.predictions.values()] == ["statement 0", "statement 1"]
    assert out.notes == ["dropped 1 malformed difference(s)",
                         "truncated 4 differences to the cap of 2"]


def test_reply_in_a_code_fence_with_prose_around_it():
    body = json.dumps({"0": diff("the squat is deeper", "b"), "1": diff("the feet are wider")})
    reply = f"Here are the differences I see:\n```json\n{body}\n```\nHope this helps."
    out = parse_open_reply(capped_sample(5), reply)
    assert out.status == "ok"
    assert out.predictions == {"0": DiffPrediction("b", "the squat is deeper"),
                               "1": DiffPrediction("a", "the feet are wider")}


def test_list_under_a_differences_key():
    reply = json.dumps({"differences": [diff("the squat is deeper", "b"),
                                        diff("the feet are wider", "a")]})
    out = parse_open_reply(capped_sample(5), reply)
    assert out.status == "ok"
    assert out.predictions == {"0": DiffPrediction("b", "the squat is deeper"),
                               "1": DiffPrediction("a", "the feet are wider")}


def test_bare_top_level_list():
    """A JSON array of differences is the most common shape models produce when not asked
    for an object; it should parse like the list under "differences" does."""
    reply = json.dumps([diff("the squat is deeper", "b"), diff("the feet are wider", "a")])
    out = parse_open_reply(capped_sample(5), reply)
    assert out.status == "ok", (out.error, out.notes)
    assert out.predictions == {"0": DiffPrediction("b", "the squat is deeper"),
                               "1": DiffPrediction("a", "the feet are wider")}


@pytest.mark.parametrize("text", [None, "", "I see no differences.", "{}", '{"0": "a"}',
                                  json.dumps({"differences": []})])
def test_nothing_usable_is_a_parse_error(text):
    out = parse_open_reply(capped_sample(5), text)
    assert out.status == "parse_error"
    assert out.predictions == {} and out.error


def test_open_request_names_the_cap_and_sends_both_videos_in_order():
    sample = capped_sample(4)
    clips = (tiny_clip(1, n_frames=3), tiny_clip(2, n_frames=2))
    config = GenerationConfig(seed=9)
    request = build_open_request(sample, clips, config)
    assert request.config is config
    videos = [p for p in request.parts if isinstance(p, VideoPart)]
    assert [(v.label, v.clip) for v in videos] == [("a", clips[0]), ("b", clips[1])]
    text = "\n".join(p.text for p in request.parts if isinstance(p, TextPart))
    assert "at most 4 differences" in text
    assert sample.action_description in text
    assert "3 frames of video a" in text and "2 frames of video b" in text


# --- the matching rules -----------------------------------------------------------------------

def test_enforce_matching_keeps_the_first_annotated_claim_whatever_the_reply_order():
    raw = {"2": "p0", "0": "p0", "1": "p1"}
    matching, dropped = enforce_matching(raw, ["0", "1", "2"], ["p0", "p1"])
    assert matching == {"0": "p0", "1": "p1", "2": None}
    assert dropped == ["'2' -> 'p0' already matched"]


def test_enforce_matching_drops_unknown_keys_and_fills_missing_ones():
    raw = {"0": "p9", "x": "p0", "1": None, "2": 0}
    matching, dropped = enforce_matching(raw, ["0", "1", "2", "3"], ["0", "p0"])
    assert matching == {"0": None, "1": None, "2": "0", "3": None}
    assert "'0' -> unknown predicted key 'p9'" in dropped
    assert "unknown annotated key 'x'" in dropped
    assert len(dropped) == 2


def test_enforce_matching_reads_non_string_annotated_keys_as_it_validates_them():
    """A judge that answers {2: "p0"} (an int key, as a plugin judge or a lenient JSON reader
    may): the key is validated as "2" (not reported as unknown), so it must also be applied as
    "2" rather than vanish without a trace."""
    matching, dropped = enforce_matching({2: "p0"}, ["1", "2"], ["p0"])
    assert matching == {"1": None, "2": "p0"} or dropped, (matching, dropped)


def test_enforce_matching_output_is_always_one_to_one():
    matching, _ = enforce_matching({k: "p" for k in "abcdef"}, list("abcdef"), ["p", "q"])
    assert [v for v in matching.values() if v] == ["p"]


# --- open metrics ------------------------------------------------------------------------------

def row(key, gt, pred_key, prediction, status="ok", sample="s0", flipped=False):
    return ScoredDifference(sample, key, gt, pred_key, flipped, prediction,
                            prediction == gt, status)


def test_open_block_counts():
    rows = [
        row("0", "a", "0", "a"),  # matched, right
        row("1", "b", "3", "a"),  # matched, wrong
        row("2", "a", "1", "a", flipped=True),  # matched after a flip, right
        row("3", "b", None, None),  # no match
        row("4", "a", None, None, status="parse_error", sample="s1"),
    ]
    block = open_block(rows)
    assert block["recall"] == 2 / 5
    assert block["err_nomatch"] == 2 / 5
    assert block["err_flippedpred"] == 1 / 5
    assert block["matched_fraction"] == 3 / 5
    assert block["recall"] + block["err_nomatch"] + block["err_flippedpred"] == pytest.approx(1)
    assert block["n_answered"] == 4  # a miss of a model that replied is its own, not coverage
    assert "p_vs_chance" not in block  # recall has no chance level of 50%
    assert block["ci95"][0] <= block["recall"] <= block["ci95"][1]


class NeverCalled(Judge):
    name = "never"

    async def match(self, task):
        raise AssertionError("the judge must not be asked")

    async def opposites(self, pairs):
        raise AssertionError("the judge must not be asked")

    def identity(self):
        return {"name": self.name}


def test_samples_without_predictions_are_scored_as_misses_without_asking_the_judge():
    sample = capped_sample(5)
    rows, _ = asyncio.run(judge_open([sample], {}, NeverCalled()))
    assert [(r.gt_key, r.pred_key, r.correct, r.status) for r in rows] == [
        ("0", None, False, "missing"), ("1", None, False, "missing")]
    rows, _ = asyncio.run(judge_open([sample], {"s0": {}}, NeverCalled(),
                                     statuses={"s0": "parse_error"}))
    assert {r.status for r in rows} == {"parse_error"}
    results = open_results([sample], rows)
    assert results["metrics"]["recall"] == 0.0 and results["metrics"]["err_nomatch"] == 1.0
    assert results["coverage"] == 0.0


def test_a_failing_judge_is_recorded_per_sample():
    class Broken(NeverCalled):
        async def match(self, task):
            raise ConnectionError("judge endpoint unreachable")

    sample = capped_sample(5)
    preds = {"s0": {"0": DiffPrediction("a", "the squat is deeper")}}
    rows, log = asyncio.run(judge_open([sample], preds, Broken()))
    assert {r.status for r in rows} == {"judge_error"}
    assert all(r.pred_key is None and not r.correct for r in rows)
    assert "ConnectionError: judge endpoint unreachable" in log[0]["judge_error"]
    assert open_results([sample], rows)["status_counts"] == {"judge_error": 1}


def test_random_baseline_in_open_mode_says_generic_things_seeded_by_sample(tmp_path):
    from conftest import call_context
    from vdbench.catalog import make_model
    from vdbench.models.base import EvalItem
    from vdbench.tasks.viddiffbench import viddiffbench_tasks

    samples = load_benchmark("mini").samples

    def outputs(seed: int, order) -> dict:
        model = make_model("random", call_context(tmp_path, seed=seed), {})
        return {s.sample_key: asyncio.run(model.predict(EvalItem(s, viddiffbench_tasks()["open"], None))).predictions
                for s in order}

    first = outputs(1, samples)
    assert first == outputs(1, list(reversed(samples)))  # independent of the run's order
    assert first != outputs(2, samples)
    for s in samples:
        preds = first[s.sample_key]
        assert len(preds) == min(s.n_differences_open_prediction, len(GENERIC_DIFFERENCES))
        assert list(preds) == [str(i) for i in range(len(preds))]
        texts = [p.description for p in preds.values()]
        assert len(set(texts)) == len(texts) and set(texts) <= set(GENERIC_DIFFERENCES)


# --- end to end through the command line ----------------------------------------------------------

def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check_open_run(out: Path, n_samples: int) -> dict:
    results = json.loads((out / "results.json").read_text())
    assert results["mode"] == "open" and results["n_samples"] == n_samples
    metrics = results["metrics"]
    for key in ("recall", "err_nomatch", "err_flippedpred", "ci95", "split_average"):
        assert key in metrics, key
    assert metrics["recall"] + metrics["err_nomatch"] + metrics["err_flippedpred"] == (
        pytest.approx(1))
    lo, hi = results["ci95"]
    assert lo <= metrics["recall"] <= hi
    assert results["judge"]["name"] in ("offline-lexical", "offline-embedding")
    rows = read_jsonl(out / "samples.jsonl")
    assert len(rows) == results["n_scored"]
    assert metrics["recall"] == pytest.approx(sum(r["correct"] for r in rows) / len(rows))
    assert metrics["err_nomatch"] == pytest.approx(
        sum(r["pred_key"] is None for r in rows) / len(rows))
    for r in rows:
        assert set(r) >= {"sample_key", "gt_key", "gt", "pred_key", "flipped", "prediction",
                          "correct"}
        assert r["gt"] in ("a", "b")
    matched = [(r["sample_key"], r["pred_key"]) for r in rows if r["pred_key"] is not None]
    assert len(matched) == len(set(matched))  # one-to-one in the scored output too
    judge_log = read_jsonl(out / "judge.jsonl")
    assert len(judge_log) == n_samples and all("matches" in x for x in judge_log)
    return results


def test_eval_open_with_the_offline_judge_on_mini_and_a_local_hub_folder(
        hub_copy, tmp_path, cache_dir):
    out = tmp_path / "mini-open"
    assert main(["eval", "--model", "random", "--mode", "open", "--judge", "offline", "--seed", "4",
                 "--out", str(out), "--no-progress"]) == 0
    samples = load_benchmark("mini").samples
    results = check_open_run(out, len(samples))
    assert set(results["by_split"]) == {"easy", "medium", "hard"}
    preds = json.loads((out / "predictions.json").read_text())
    caps = {s.sample_key: s.n_differences_open_prediction for s in samples}
    assert set(preds) == set(caps)
    for key, value in preds.items():
        assert 0 < len(value) <= caps[key]
        assert {v["description"] for v in value.values()} <= set(GENERIC_DIFFERENCES)
        assert {v["prediction"] for v in value.values()} <= {"a", "b"}
    # the same samples from a plain folder in the hub layout score the same
    hub_out = tmp_path / "hub-open"
    assert main(["eval", "--model", "random", "--mode", "open", "--judge", "offline", "--seed", "4",
                 "--data", str(hub_copy), "--split", "easy",
                 "--out", str(hub_out), "--no-progress"]) == 0
    easy = sum(s.split == "easy" for s in samples)
    hub = check_open_run(hub_out, easy)
    assert hub["metrics"]["recall"] == results["by_split"]["easy"]["recall"]
    assert hub["metrics"]["err_nomatch"] == results["by_split"]["easy"]["err_nomatch"]
    assert hub["judge"] == results["judge"]
    # a prediction file re-scores to the same figures (one scoring path for both)
    rescored = tmp_path / "rescored"
    assert main(["score", str(hub_out / "predictions.json"), "--mode", "open", "--judge",
                 "offline", "--data", str(hub_copy), "--split", "easy",
                 "--out", str(rescored)]) == 0
    again = json.loads((rescored / "results.json").read_text())
    assert again["metrics"] == hub["metrics"] and again["judge"] == hub["judge"]


def test_score_rejects_a_file_over_the_cap_naming_the_sample(tmp_path, cache_dir, capsys):
    sample = next(s for s in load_benchmark("mini").samples if s.sample_key == "mini_06")
    cap = sample.n_differences_open_prediction
    preds = {"mini_06": {str(i): diff(f"the arms swing higher {i}") for i in range(cap + 1)}}
    path = tmp_path / "over.json"
    path.write_text(json.dumps(preds))
    out = tmp_path / "out"
    rc = main(["score", str(path), "--mode", "open", "--judge", "offline", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "over.json" in err and "mini_06" in err
    assert f"{cap + 1} differences, over the cap" in err
    assert not out.exists()
    # at the cap it is accepted
    preds["mini_06"].pop(str(cap))
    path.write_text(json.dumps(preds))
    assert main(["score", str(path), "--mode", "open", "--judge", "offline",
                 "--out", str(out)]) == 0


# --- the LLM judge through the command line ------------------------------------------------------

def match_by_key(body: dict) -> str:
    """A judge that matches annotated key k to predicted key k when there is one, and calls
    a pair opposite when the prediction says "shallower"."""
    text = prompt_text(body)
    if "List 1:" in text:
        gt = json.loads(re.search(r"^List 1: (.*)$", text, re.MULTILINE).group(1))
        pred = json.loads(re.search(r"^List 2: (.*)$", text, re.MULTILINE).group(1))
        return json.dumps({"matches": {k: (k if k in pred else None) for k in gt}})
    pairs = re.findall(r'^\d+\. "(.*)" / "(.*)"$', text, re.MULTILINE)
    return json.dumps({"results": [int("shallower" in p) for _, p in pairs]})


def test_score_open_with_an_llm_judge_and_rescore_from_the_cache(tmp_path, monkeypatch,
                                                                 capsys):
    pytest.importorskip("openai")
    key = "sk-dummy-" + "Q7x" * 6
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    samples = [s for s in load_benchmark("mini").samples if s.split == "easy"]
    preds = {s.sample_key: {k: diff(s.differences_annotated[k].description, s.differences_gt[k])
                            for k in s.scored_keys} for s in samples}
    first = samples[0]
    assert first.differences_annotated["0"].description == "the squat is deeper"
    flip = {"a": "b", "b": "a"}
    preds[first.sample_key]["0"] = diff("the squat is shallower",
                                        flip[first.differences_gt["0"]])
    path = tmp_path / "preds.json"
    path.write_text(json.dumps(preds))
    cache = tmp_path / "cache"
    with FakeOpenAIServer(match_by_key) as server:
        args = ["score", str(path), "--mode", "open", "--split", "easy", "--judge", "gpt-4o",
                "--base-url", server.base_url, "--cache-dir", str(cache)]
        assert main([*args, "--out", str(tmp_path / "first")]) == 0
        sent = len(server.requests)
        assert sent >= 2 * len(samples)  # a match and a direction call per sample
        assert all(not media_parts(r.body) for r in server.requests)
        results = json.loads((tmp_path / "first" / "results.json").read_text())
        assert results["metrics"]["recall"] == 1.0
        assert results["metrics"]["err_nomatch"] == results["metrics"]["err_flippedpred"] == 0
        assert results["judge"]["match_model"] == "gpt-4o-2024-08-06"
        assert results["judge"]["temperature"] == 1.0  # the paper protocol, the default
        rows = read_jsonl(tmp_path / "first" / "samples.jsonl")
        flipped = [(r["sample_key"], r["gt_key"]) for r in rows if r["flipped"]]
        assert flipped == [(first.sample_key, "0")]
        # re-scoring sends nothing: every judge call comes from the cache
        assert main([*args, "--out", str(tmp_path / "second")]) == 0
        assert len(server.requests) == sent
        again = json.loads((tmp_path / "second" / "results.json").read_text())
        assert again["metrics"] == results["metrics"] and again["judge"] == results["judge"]
    written = "".join(p.read_text() for d in ("first", "second")
                      for p in (tmp_path / d).iterdir())
    assert key not in written and key not in capsys.readouterr().out


def test_open_reply_over_the_cap_from_a_served_model_is_truncated_in_the_run(
        tmp_path, monkeypatch, cache_dir):
    """A model that ignores the cap: its run keeps the first n and says so in outputs.jsonl."""
    pytest.importorskip("openai")
    pytest.importorskip("av")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-model-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    def chatty(body: dict) -> str:
        cap = int(re.search(r"at most (\d+) differences", prompt_text(body)).group(1))
        return json.dumps({str(i): diff(f"the movement is larger {i}", "a")
                           for i in range(cap + 2)})

    out = tmp_path / "run"
    with FakeOpenAIServer(chatty) as server:
        assert main(["eval", "--model", "gpt-4o", "--mode", "open", "--judge", "offline",
                     "--limit", "2", "--base-url", server.base_url, "--out", str(out),
                     "--no-progress"]) == 0
    samples = load_benchmark("mini").samples[:2]
    outputs = {o["sample_key"]: o for o in read_jsonl(out / "outputs.jsonl")}
    preds = json.loads((out / "predictions.json").read_text())
    for s in samples:
        cap = s.n_differences_open_prediction
        assert len(preds[s.sample_key]) == cap
        assert outputs[s.sample_key]["notes"] == [
            f"truncated {cap + 2} differences to the cap of {cap}"]
        assert outputs[s.sample_key]["status"] == "ok"


def test_an_unusable_judge_is_refused_before_the_model_runs(tmp_path, monkeypatch, capsys):
    """`eval --mode open` with the default (paper) judge and no OpenAI key: the run must stop
    before paying for model calls, and the message must point at --judge, not --model."""
    from vdbench.models.base import Model

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    calls = []

    class Costly(Model):
        name, needs_frames = "costly", False

        async def predict(self, item):
            calls.append(item.sample.sample_key)
            return SampleOutput(item.sample.sample_key, {"0": DiffPrediction("a", "x")})

    monkeypatch.setattr("vdbench.pipeline.session.make_model",
                        lambda name, ctx, options: Costly())
    rc = main(["eval", "--model", "random",
               "--mode", "open", "--out", str(tmp_path / "run"), "--no-progress",
               "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert rc == 2 and "OPENAI_API_KEY" in err
    problems = []
    if "--judge" not in err:
        problems.append(f"the message does not name --judge: {err.strip()!r}")
    if calls:
        problems.append(f"the model ran on {len(calls)} samples before the judge was checked")
    assert not problems, problems


def test_a_repeated_description_counts_once(tmp_path):
    """Anti-gaming: the same statement written twice (case, spaces, punctuation aside) can win
    one match, not two."""
    from vdbench.scoring.open import distinct_predictions

    preds = {"0": DiffPrediction("a", "The squat is DEEPER."), "1": DiffPrediction("b", "the  squat is deeper"),
             "2": DiffPrediction("a", "the stance is wider")}
    kept, repeats = distinct_predictions(preds)
    assert kept == {"0": "The squat is DEEPER.", "2": "the stance is wider"} and repeats == ["1"]
