"""Measuring a judge against the gold set: exact figures on hand-built gold sets with scripted
judges, the offline judge's figures on the held-out test half, `vdbench judge-eval` through
the CLI (its JSON, a bad --gold file), and an LLM judge end to end through the real openai
SDK against the local fake server."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path

import pytest

from servers.openai_server import FakeOpenAIServer, prompt_text
from vdbench.cli import judging
from vdbench.cli.main import main
from vdbench.core.errors import InputError
from vdbench.scoring.judge.base import Judge, MatchTask
from vdbench.scoring.judge.evaluate import FIGURES, evaluate_judge
from vdbench.scoring.judge.gold import (
    DEFAULT_GOLD_PATH,
    GoldCase,
    GoldDifference,
    GoldMatch,
    load_gold,
    split_gold,
)

# --- two hand-built cases ---------------------------------------------------------------


def case(cid: str, domain: str, annotated: dict, predicted: dict, matches: dict) -> GoldCase:
    return GoldCase(
        id=cid, domain=domain, action=cid, action_description=f"the action of {cid}",
        annotated={k: GoldDifference(d, lab) for k, (d, lab) in annotated.items()},
        predicted={k: GoldDifference(d, lab) for k, (d, lab) in predicted.items()},
        matches={k: (GoldMatch(*m) if m else None) for k, m in matches.items()})


# c1: gt 0 and 1 are matched and right (1 after its flip), gt 2 (label c) is matched, gt 3
# has no match. c2: both matched and both wrong. Gold recall: 2 right of 5 labelled a/b.
C1 = case("c1", "fitness",
          {"0": ("the squat is deeper", "a"), "1": ("the stance is wider", "b"),
           "2": ("the heels stay down more", "c"), "3": ("the arms swing more", "a")},
          {"0": ("the hips go lower", "a"), "1": ("the feet are placed closer together", "a"),
           "2": ("the heels lift more", "b"), "3": ("the form is better", "a")},
          {"0": ("0", False), "1": ("1", True), "2": ("2", True), "3": None})
C2 = case("c2", "music",
          {"0": ("the tempo is faster", "b"), "1": ("the wrists are held higher", "a")},
          {"0": ("the piece is played more slowly", "b"), "1": ("the wrists sit higher", "b")},
          {"0": ("0", True), "1": ("1", False)})
CASES = [C1, C2]
GOLD_RECALL = 2 / 5


class Scripted(Judge):
    """Replies with the given matching per case and flags opposite what `flip` says."""

    name = "scripted"

    def __init__(self, matching: dict[str, dict[str, str | None]], flip: bool = False):
        self.matching, self.flip, self.pairs_asked = matching, flip, 0
        self.gold = {(c.annotated[k].description, c.predicted[m.pred].description): m.opposite
                     for c in CASES for k, m in c.matches.items() if m}

    async def match(self, task: MatchTask) -> dict[str, str | None]:
        return dict(self.matching[task.sample_key])

    async def opposites(self, pairs: list[tuple[str, str]]) -> list[bool]:
        self.pairs_asked += len(pairs)
        return [self.gold.get(p, False) != self.flip for p in pairs]

    def identity(self) -> dict:
        return {"name": self.name, "flip": self.flip}


def evaluate(judge: Judge, cases=CASES, **kw):
    return asyncio.run(evaluate_judge(judge, cases, n_boot=200, **kw))


PERFECT = {c.id: c.expected for c in CASES}


def test_a_perfect_judge_agrees_everywhere_with_no_bias():
    report = evaluate(Scripted(PERFECT))
    o = report.overall
    assert set(o) == set(FIGURES)
    assert o["agreement"].value == 1.0 and o["agreement"].n == 6  # c counts as a decision
    assert o["match_precision"].value == o["match_recall"].value == 1.0
    assert o["direction_accuracy"].value == 1.0 and o["direction_accuracy"].n == 5
    assert o["judge_recall"].value == o["gold_recall"].value == GOLD_RECALL
    assert o["recall_bias"].value == 0.0 and o["recall_bias"].n == 5
    assert (o["recall_bias"].low, o["recall_bias"].high) == (0.0, 0.0)
    assert (o["agreement"].low, o["agreement"].high) == (1.0, 1.0)
    assert report.disagreements == [] and report.judge_errors == {}
    assert set(report.per_domain) == {"fitness", "music"}
    assert report.per_domain["music"]["agreement"].n == 2
    assert report.per_domain["fitness"]["gold_recall"].value == 2 / 3
    json.dumps(report.to_json())  # serializable as it is


def test_a_judge_that_matches_nothing_has_minus_the_gold_recall_as_bias():
    judge = Scripted({c.id: dict.fromkeys(c.annotated) for c in CASES})
    o = evaluate(judge).overall
    assert o["agreement"].value == 1 / 6  # only c1's unmatched gt 3 agrees
    assert o["match_precision"].value is None and o["match_precision"].n == 0
    assert o["match_recall"].value == 0.0
    assert o["direction_accuracy"].value is None
    assert o["judge_recall"].value == 0.0
    assert o["recall_bias"].value == pytest.approx(-GOLD_RECALL)
    assert judge.pairs_asked == 0  # nothing matched: no direction check
    report = evaluate(judge)
    assert [(d.case_id, d.key, d.kind) for d in report.disagreements] == [
        ("c1", "0", "match"), ("c1", "1", "match"), ("c1", "2", "match"), ("c2", "0", "match"),
        ("c2", "1", "match")]
    assert report.disagreements[0].gold_pred == "0" and report.disagreements[0].judge_pred is None


def test_a_judge_with_every_direction_flipped_has_direction_accuracy_zero():
    report = evaluate(Scripted(PERFECT, flip=True))
    o = report.overall
    assert o["agreement"].value == 1.0  # agreement is about matching only
    assert o["direction_accuracy"].value == 0.0 and o["direction_accuracy"].n == 5
    # c1's two right answers turn wrong, c2's two wrong answers turn right
    assert o["judge_recall"].value == 2 / 5 and o["recall_bias"].value == 0.0
    assert {d.kind for d in report.disagreements} == {"direction"}
    assert len(report.disagreements) == 5


def test_the_scorer_rules_apply_to_what_the_judge_proposes():
    """Duplicates and unknown keys are dropped exactly as open-mode scoring drops them."""
    proposal = {"c1": {"0": "0", "1": "0", "3": "9", "7": "1"}, "c2": PERFECT["c2"]}
    o = evaluate(Scripted(proposal)).overall
    # c1 keeps gt 0 -> 0 only (1 claims a used prediction, 3 an unknown one, 7 is no key)
    assert o["agreement"].value == 4 / 6
    assert o["match_precision"].value == 1.0 and o["match_precision"].n == 3
    assert o["match_recall"].value == 3 / 5
    assert o["judge_recall"].value == 1 / 5 and o["recall_bias"].value == pytest.approx(-1 / 5)


def test_a_wrong_match_counts_against_precision_and_recall():
    proposal = {"c1": {"0": "0", "1": "1", "2": "2", "3": "3"}, "c2": {"0": "1", "1": "0"}}
    report = evaluate(Scripted(proposal))
    o = report.overall
    assert o["agreement"].value == 3 / 6
    assert o["match_precision"].value == 3 / 6 and o["match_recall"].value == 3 / 5
    assert o["direction_accuracy"].n == 3
    kinds = {(d.case_id, d.key): d.kind for d in report.disagreements}
    assert kinds == {("c1", "3"): "match", ("c2", "0"): "match", ("c2", "1"): "match"}


def test_a_failing_judge_is_recorded_not_hidden():
    class Failing(Scripted):
        async def match(self, task):
            if task.sample_key == "c2":
                raise RuntimeError("judge down")
            return await super().match(task)

    report = evaluate(Failing(PERFECT))
    assert list(report.judge_errors) == ["c2"] and "judge down" in report.judge_errors["c2"]
    assert report.overall["agreement"].value == 4 / 6


def test_bootstrap_intervals_resample_cases_and_are_reproducible():
    cases = load_gold()[:12]
    judge = Scripted({c.id: dict.fromkeys(c.annotated) for c in cases})
    a = asyncio.run(evaluate_judge(judge, cases, n_boot=300, seed=3))
    b = asyncio.run(evaluate_judge(judge, cases, n_boot=300, seed=3))
    assert a.to_json() == b.to_json()
    bias = a.overall["recall_bias"]
    assert bias.low <= bias.value <= bias.high and bias.low < bias.high


# --- the offline judge on the held-out test half ----------------------------------------

TARGETS = {"agreement": 0.85, "match_precision": 0.90, "direction_accuracy": 0.90}
MAX_BIAS = 0.03
# What offline judge v5 measured on the test half (docs/judging.md, "The offline judge":
# embedding 0.867 / 0.877 / 0.904 / -0.070, lexical 0.818 / 0.864 / 0.937 / -0.113), less a
# decision or two: a change that does worse fails here.
FLOORS = {
    "embedding": {"agreement": 0.85, "match_precision": 0.86, "direction_accuracy": 0.885,
                  "recall_bias": -0.085},
    "lexical": {"agreement": 0.80, "match_precision": 0.85, "direction_accuracy": 0.92,
                "recall_bias": -0.125},
}


@pytest.fixture(scope="module")
def test_figures() -> dict:
    """The offline judge's figures on the held-out test half, per backend it can run."""
    from vdbench.scoring.judge.offline import OfflineJudge

    cases = split_gold(load_gold(), seed=0)["test"]
    out = {}
    for backend in ("embedding", "lexical"):
        try:
            judge = OfflineJudge(backend)
        except ImportError:  # extra 'judge' not installed: the lexical fallback only
            continue
        out[backend] = asyncio.run(evaluate_judge(judge, cases)).overall
        shown = {k: round(f.value, 3) for k, f in out[backend].items() if f.value is not None}
        print(f"\n[offline-{backend}, gold test] {shown}")
    return out


@pytest.mark.xfail(strict=True, reason="offline judge v5 misses two targets on the test half "
                   "(precision 0.877, recall bias -0.070; agreement 0.867 and direction 0.904 "
                   "meet theirs); see docs/judging.md, 'The offline judge'")
def test_offline_judge_meets_the_targets_on_the_test_half(test_figures):
    if "embedding" not in test_figures:
        pytest.skip("extra 'judge' not installed: the targets are for the default backend")
    o = test_figures["embedding"]
    for name, floor in TARGETS.items():
        assert o[name].value >= floor, name
    assert abs(o["recall_bias"].value) <= MAX_BIAS


@pytest.mark.parametrize("backend", ["embedding", "lexical"])
def test_offline_judge_keeps_its_measured_figures_on_the_test_half(test_figures, backend):
    if backend not in test_figures:
        pytest.skip("extra 'judge' not installed")
    o = test_figures[backend]
    for name, floor in FLOORS[backend].items():
        assert o[name].value >= floor, (name, o[name].value)


def test_offline_identity_names_version_and_settings():
    from vdbench.scoring.judge.offline import VERSION, OfflineJudge

    ident = OfflineJudge("lexical").identity()
    assert VERSION == 5
    assert ident["version"] == VERSION and ident["backend"] == "lexical"
    assert re.fullmatch(r"[0-9a-f]{16}", ident["rules_hash"])
    assert re.fullmatch(r"[0-9a-f]{16}", ident["weights_hash"])
    assert OfflineJudge("lexical").identity() == ident


# --- vdbench judge-eval -----------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vdbench")
    judging.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_judge_eval_writes_the_figures(tmp_path, capsys):
    out = tmp_path / "figures.json"
    args = parse(["judge-eval", "--judge", "offline", "--split", "dev", "--out", str(out),
                  "--cache-dir", str(tmp_path / "cache")])
    assert parse(["judge-eval"]).judge == "default"  # the same default as eval and submit
    assert (args.judge, args.split) == ("offline", "dev")
    assert judging.COMMANDS["judge-eval"](args) == 0
    data = json.loads(out.read_text())
    assert {"split", "gold", "judge", "n_cases", "overall", "per_domain", "disagreements",
            "judge_errors"} <= set(data)
    assert data["split"] == "dev" and data["judge"]["name"].startswith("offline-")
    assert data["n_cases"] == len(split_gold(load_gold())["dev"])
    assert set(data["overall"]) == set(FIGURES)
    assert set(data["overall"]["agreement"]) == {"value", "low", "high", "n"}
    assert set(data["per_domain"]) == {"fitness", "ballsports", "diving", "music", "surgery"}
    for d in data["disagreements"]:
        assert {"case_id", "key", "kind", "gold_pred", "judge_pred"} <= set(d)
    shown = capsys.readouterr().out
    assert "agreement" in shown and "surgery" in shown


def test_judge_eval_defaults_to_the_test_split():
    args = parse(["judge-eval"])
    assert (args.judge, args.split, args.gold, args.out) == ("default", "test", None, None)
    with pytest.raises(SystemExit):
        parse(["judge-eval", "--split", "train"])


def test_bad_gold_file_exits_2_naming_the_case_and_key(tmp_path, capsys):
    raw = json.loads(DEFAULT_GOLD_PATH.read_text(encoding="utf-8"))
    bad = raw["cases"][3]
    bad["matches"][next(iter(bad["matches"]))] = {"pred": "99", "opposite": False}
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    key = next(iter(bad["matches"]))
    with pytest.raises(InputError, match=re.escape(f"case {bad['id']!r}")):
        judging.cmd_judge_eval(parse(["judge-eval", "--gold", str(path)]))
    rc = main(["judge-eval", "--gold", str(path), "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert rc == 2
    flat = " ".join(err.split())
    assert f"case {bad['id']!r}: matches[{key!r}]: predicted key '99' does not exist" in flat


def test_missing_gold_file_exits_2(tmp_path, capsys):
    rc = main(["judge-eval", "--gold", str(tmp_path / "nope.json")])
    assert rc == 2 and "gold file not found" in capsys.readouterr().err


# --- an LLM judge end to end, through the real openai SDK ---------------------------------

SMALL = [C1, C2]


def write_gold(path: Path, cases: list[GoldCase]) -> Path:
    def diff(d: GoldDifference) -> dict:
        return {"description": d.description, "label": d.label}

    raw = {"format": "vdbench-judge-gold", "version": 1, "cases": [
        {"id": c.id, "domain": c.domain, "action": c.action,
         "action_description": c.action_description,
         "annotated": {k: diff(d) for k, d in c.annotated.items()},
         "predicted": {k: diff(d) for k, d in c.predicted.items()},
         "matches": {k: (None if m is None else {"pred": m.pred, "opposite": m.opposite})
                     for k, m in c.matches.items()}} for c in cases]}
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def gold_reply(body: dict) -> str:
    """What a perfect LLM judge would answer to the judge's two prompts."""
    text = prompt_text(body)
    if "List 1:" in text:
        gt = json.loads(re.search(r"^List 1: (.*)$", text, re.MULTILINE).group(1))
        c = next(c for c in SMALL if c.gt == gt)
        return json.dumps({"matches": [{"gt": k, "pred": v} for k, v in c.expected.items()]})
    pairs = re.findall(r'^\d+\. "(.*)" / "(.*)"$', text, re.MULTILINE)
    assert pairs, text
    flags = {(c.annotated[k].description, c.predicted[m.pred].description): m.opposite
             for c in SMALL for k, m in c.matches.items() if m}
    return json.dumps({"results": [int(flags[p]) for p in pairs]})


def test_llm_judge_runs_end_to_end_against_the_local_server(tmp_path, monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-judge-eval")
    gold = write_gold(tmp_path / "small.json", SMALL)
    assert load_gold(gold) == SMALL  # the file round-trips through the strict loader
    out = tmp_path / "llm.json"
    with FakeOpenAIServer(gold_reply) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        argv = ["judge-eval", "--judge", "gpt-4o", "--gold", str(gold), "--split", "all",
                "--out", str(out), "--cache-dir", str(tmp_path / "cache")]
        assert judging.cmd_judge_eval(parse(argv)) == 0
        asked = len(server.requests)
        assert asked == 4  # one match and one direction call per case
        assert {r.body["model"] for r in server.requests} == {"gpt-4o-2024-08-06"}
        assert all(r.body["temperature"] == 0.0 for r in server.requests)
        data = json.loads(out.read_text())
        # the same runtime and cache as a scoring run: the second time nothing is sent
        assert judging.cmd_judge_eval(parse(argv)) == 0
        assert len(server.requests) == asked
    assert data["judge"]["match_model"] == "gpt-4o-2024-08-06"
    o = data["overall"]
    assert o["agreement"]["value"] == 1.0 and o["direction_accuracy"]["value"] == 1.0
    assert o["recall_bias"]["value"] == 0.0 and o["gold_recall"]["value"] == GOLD_RECALL
    assert data["disagreements"] == [] and data["judge_errors"] == {}


def test_llm_judge_failures_are_reported_per_case(tmp_path, monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-judge-eval")
    gold = write_gold(tmp_path / "small.json", SMALL)
    with FakeOpenAIServer(lambda body: "I cannot decide.") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        report = judging.run_judge_eval("gpt-4o", gold=gold, split="all",
                                        cache_dir=tmp_path / "cache")
    assert set(report.judge_errors) == {"c1", "c2"}
    assert all("malformed judge reply" in e for e in report.judge_errors.values())
    assert report.overall["match_recall"].value == 0.0
