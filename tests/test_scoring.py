import json
import random

from vdbench.data.loader import load_benchmark
from vdbench.pipeline.config import EvalConfig
from vdbench.pipeline.run import score_file
from vdbench.scoring.stats import binomial_test, bootstrap_ci


def _independent_accuracy(samples, preds_by_key):
    """Straight from docs/protocol.md (closed scoring), written separately from vdbench.scoring."""
    hits = total = 0
    for s in samples:
        for k, gt in s.differences_gt.items():
            if gt in ("a", "b"):
                total += 1
                v = preds_by_key.get(s.sample_key, {}).get(k)
                label = v["prediction"] if isinstance(v, dict) else v
                hits += label == gt
    return hits / total


def test_score_matches_independent_computation_in_both_formats(tmp_path):
    samples = load_benchmark("mini", check_videos=False).samples
    rng = random.Random(7)
    canon = {}
    for s in samples:
        keys = list(s.differences_annotated)
        # predict a random subset, including c/null keys, some as bare strings
        canon[s.sample_key] = {
            k: rng.choice(["a", "b", {"prediction": rng.choice("ab"), "description": "x"}])
            for k in keys if rng.random() < 0.8
        }
    canon[samples[0].sample_key] = {samples[0].scored_keys[0]: "a"}
    expected = _independent_accuracy(samples, canon)
    for name, content in [("canon.json", canon),
                          ("list.json", [canon[s.sample_key] for s in samples])]:
        (tmp_path / name).write_text(json.dumps(content))
        scored, _ = score_file(tmp_path / name, EvalConfig(out=tmp_path / name.split(".")[0]))
        results = scored.to_json()
        assert abs(results["metrics"]["accuracy"] - expected) < 1e-12
        assert results["coverage"] < 1.0  # some scored keys were left unanswered
        rows = [json.loads(x) for x in (tmp_path / name.split(".")[0] / "samples.jsonl").open()]
        assert len(rows) == results["n_scored"] == sum(len(s.scored_keys) for s in samples)
        assert sum(r["correct"] for r in rows) == results["metrics"]["accuracy"] * len(rows)


def test_breakdowns_sum_to_total(tmp_path):
    samples = load_benchmark("mini", check_videos=False).samples
    preds = {s.sample_key: {k: "a" for k in s.scored_keys} for s in samples}
    (tmp_path / "p.json").write_text(json.dumps(preds))
    scored, _ = score_file(tmp_path / "p.json", EvalConfig(out=tmp_path / "o"))
    results = scored.to_json()
    for group in ("by_split", "by_domain", "by_action"):
        assert sum(b["n_scored"] for b in results[group].values()) == results["n_scored"]
        assert sum(b["n_correct"] for b in results[group].values()) == round(
            results["metrics"]["accuracy"] * results["n_scored"])
    assert results["coverage"] == 1.0
    accs = [results["by_split"][s]["accuracy"] for s in ("easy", "medium", "hard")]
    assert abs(results["metrics"]["split_average"] - sum(accs) / 3) < 1e-12


def test_binomial_test_known_values():
    assert abs(binomial_test(5, 10) - 1.0) < 1e-9
    assert abs(binomial_test(9, 10) - 0.021484375) < 1e-9  # 2 * (10 + 1) / 1024
    assert binomial_test(0, 0) is None
    assert binomial_test(600, 1000) < 1e-9


def test_bootstrap_ci_brackets_the_estimate_and_shrinks_with_n():
    rng = random.Random(0)
    small = [[rng.random() < 0.7 for _ in range(4)] for _ in range(20)]
    big = [[rng.random() < 0.7 for _ in range(4)] for _ in range(500)]
    lo_s, hi_s = bootstrap_ci(small)
    lo_b, hi_b = bootstrap_ci(big)
    acc_b = sum(map(sum, big)) / (4 * 500)
    assert lo_b < acc_b < hi_b
    assert (hi_b - lo_b) < (hi_s - lo_s)
    assert bootstrap_ci(big, seed=1) != bootstrap_ci(big, seed=2)
    assert bootstrap_ci([]) is None
