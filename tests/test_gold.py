"""The gold set of human matching decisions (scoring/judge/gold/gold_v1.json): it loads,
it is large and covers every domain and every hard kind of decision, the dev/test split is
fixed, and each kind of broken file is rejected with a message naming the case and key.
The extra development cases (gold/dev_extra_v1.json) are checked the same way, and the
development set built from them and held-out set a never contains a test case. The two fresh
held-out sets (gold/heldout_a_v1.json, heldout_b_v1.json) load through the same checks."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

from vdbench.core.errors import InputError
from vdbench.scoring.judge.gold import (
    DEFAULT_GOLD_PATH,
    DEV_EXTRA_PATH,
    DOMAINS,
    HELDOUT_PATHS,
    GoldCase,
    development_cases,
    load_dev_extra,
    load_gold,
    load_heldout,
    split_gold,
)

HARD_KINDS = ("paraphrase", "shared-words", "antonym", "negation", "vague", "two-for-one",
              "jargon")


@pytest.fixture(scope="module")
def cases() -> list[GoldCase]:
    return load_gold()


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(DEFAULT_GOLD_PATH.read_text(encoding="utf-8"))


# --- the packaged set ---------------------------------------------------------------------

def test_packaged_set_loads_and_is_large(cases):
    assert len(cases) >= 60
    assert sum(c.decisions for c in cases) >= 300
    per_domain = Counter(c.domain for c in cases)
    assert set(per_domain) == set(DOMAINS)
    assert all(n >= 10 for n in per_domain.values()), per_domain
    assert all(3 <= c.decisions <= 8 for c in cases)
    assert len({c.id for c in cases}) == len(cases)


def test_every_hard_kind_appears_in_at_least_five_cases(cases):
    counts = Counter(k for c in cases for k in c.kinds)
    for kind in HARD_KINDS:
        assert counts[kind] >= 5, (kind, counts)


def test_decisions_are_one_to_one_and_name_existing_keys(cases):
    for case in cases:
        assert set(case.matches) == set(case.annotated)
        preds = [m.pred for m in case.matches.values() if m]
        assert len(preds) == len(set(preds)), case.id
        assert set(preds) <= set(case.predicted), case.id


def test_the_set_has_both_outcomes_of_every_decision(cases):
    decisions = [m for c in cases for m in c.matches.values()]
    matched = [m for m in decisions if m]
    unmatched = len(decisions) - len(matched)
    opposite = sum(m.opposite for m in matched)
    assert unmatched >= len(decisions) // 5  # a judge that matches everything must lose
    assert len(matched) // 4 <= opposite <= 3 * len(matched) // 4
    # a c difference is still matchable; every label occurs among the matched ones
    labels = Counter(c.annotated[k].label for c in cases for k, m in c.matches.items() if m)
    assert all(labels[x] > 0 for x in "abc"), labels
    # predictions that match nothing (vague, a second one for the same difference, ...)
    unmatched_preds = sum(len(c.predicted) - len([m for m in c.matches.values() if m])
                          for c in cases)
    assert unmatched_preds >= 40


def test_key_order_does_not_give_the_matching_away(cases):
    matched = [(k, m.pred) for c in cases for k, m in c.matches.items() if m]
    same_key = sum(k == p for k, p in matched)
    assert same_key < len(matched) / 3


def test_case_helpers(cases):
    case = cases[0]
    assert case.gt == {k: d.description for k, d in case.annotated.items()}
    assert case.pred == {k: d.description for k, d in case.predicted.items()}
    assert case.expected == {k: (m.pred if m else None) for k, m in case.matches.items()}


# --- the split ----------------------------------------------------------------------------

def test_split_is_deterministic_disjoint_and_covers_all(cases):
    first = split_gold(cases, seed=0)
    again = split_gold(list(reversed(cases)), seed=0)
    ids = {part: [c.id for c in first[part]] for part in ("dev", "test")}
    assert ids == {part: [c.id for c in again[part]] for part in ("dev", "test")}
    assert set(ids["dev"]).isdisjoint(ids["test"])
    assert sorted(ids["dev"] + ids["test"]) == sorted(c.id for c in cases)
    for part in ("dev", "test"):
        assert {c.domain for c in first[part]} == set(DOMAINS), part
        assert ids[part] == sorted(ids[part])
    per_domain = Counter(c.domain for c in cases)
    for domain, n in per_domain.items():
        n_test = sum(c.domain == domain for c in first["test"])
        assert abs(n_test - n / 2) <= 1, domain


def test_split_depends_on_the_seed_and_fraction(cases):
    ids = lambda s: [c.id for c in s["test"]]  # noqa: E731
    assert ids(split_gold(cases, seed=0)) != ids(split_gold(cases, seed=1))
    small = split_gold(cases, seed=0, test_fraction=0.2)
    assert len(small["test"]) < len(small["dev"])
    assert {c.domain for c in small["test"]} == set(DOMAINS)
    with pytest.raises(ValueError):
        split_gold(cases, test_fraction=1.0)


# --- invalid files ------------------------------------------------------------------------

def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _small(raw: dict) -> dict:
    doc = copy.deepcopy(raw)
    doc["cases"] = doc["cases"][:3]
    return doc


def _first_matched(case: dict) -> tuple[str, str]:
    for k, m in case["matches"].items():
        if m:
            return k, m["pred"]
    raise AssertionError("no matched decision")


def _break_domain(doc):
    doc["cases"][1]["domain"] = "cooking"
    return doc["cases"][1]["id"], "domain"


def _break_annotated_label(doc):
    doc["cases"][0]["annotated"]["2"]["label"] = "d"
    return doc["cases"][0]["id"], "annotated['2']"


def _break_predicted_label(doc):
    key = next(iter(doc["cases"][2]["predicted"]))
    doc["cases"][2]["predicted"][key]["label"] = "c"  # c is not a prediction label
    return doc["cases"][2]["id"], f"predicted[{key!r}]"


def _break_unknown_pred(doc):
    key, _ = _first_matched(doc["cases"][0])
    doc["cases"][0]["matches"][key]["pred"] = "99"
    return doc["cases"][0]["id"], "'99'"


def _break_unknown_annotated(doc):
    doc["cases"][1]["matches"]["42"] = None
    return doc["cases"][1]["id"], "'42'"


def _break_pred_used_twice(doc):
    case = doc["cases"][0]
    matched = [k for k, m in case["matches"].items() if m]
    first, second = matched[0], matched[1]
    case["matches"][second]["pred"] = case["matches"][first]["pred"]
    return case["id"], f"matches[{second!r}]"


def _break_missing_decision(doc):
    case = doc["cases"][2]
    del case["matches"]["0"]
    return case["id"], "'0'"


def _break_duplicate_id(doc):
    doc["cases"][2]["id"] = doc["cases"][0]["id"]
    return doc["cases"][0]["id"], "duplicate case id"


def _break_opposite_type(doc):
    key, _ = _first_matched(doc["cases"][1])
    doc["cases"][1]["matches"][key]["opposite"] = "yes"
    return doc["cases"][1]["id"], f"matches[{key!r}]"


def _break_unknown_kind(doc):
    doc["cases"][0]["kinds"] = ["paraphrase", "sarcasm"]
    return doc["cases"][0]["id"], "'sarcasm'"


BREAKERS = {
    "unknown domain": _break_domain,
    "unknown annotated label": _break_annotated_label,
    "unknown predicted label": _break_predicted_label,
    "matched predicted key does not exist": _break_unknown_pred,
    "decision for an annotated key that does not exist": _break_unknown_annotated,
    "predicted key used twice": _break_pred_used_twice,
    "missing decision": _break_missing_decision,
    "duplicate case id": _break_duplicate_id,
    "opposite not a boolean": _break_opposite_type,
    "unknown kind": _break_unknown_kind,
}


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_invalid_file_is_rejected_naming_case_and_key(tmp_path, raw, name):
    doc = _small(raw)
    case_id, key = BREAKERS[name](doc)
    path = _write(tmp_path, doc)
    with pytest.raises(InputError) as err:
        load_gold(path)
    message = str(err.value)
    assert str(path) in message
    assert repr(case_id) in message, message
    assert key in message, message


def test_the_unbroken_small_file_loads(tmp_path, raw):
    cases = load_gold(_write(tmp_path, _small(raw)))
    assert [c.id for c in cases] == [c["id"] for c in raw["cases"][:3]]


def test_all_problems_are_reported_together(tmp_path, raw):
    doc = _small(raw)
    _break_domain(doc)
    _break_annotated_label(doc)
    with pytest.raises(InputError) as err:
        load_gold(_write(tmp_path, doc))
    assert len(err.value.problems) == 2


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not a readable JSON file"),
    (json.dumps([1, 2]), "expected a JSON object"),
    (json.dumps({"format": "other", "version": 1, "cases": []}), "format"),
    (json.dumps({"format": "vdbench-judge-gold", "version": 2, "cases": []}), "version"),
])
def test_broken_top_level_is_rejected(tmp_path, content, needle):
    path = tmp_path / "gold.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=needle):
        load_gold(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "absent.json")


# --- the extra development cases -----------------------------------------------------------

@pytest.fixture(scope="module")
def extra() -> list[GoldCase]:
    return load_dev_extra()


def test_extra_cases_load_and_are_large(extra):
    assert len(extra) >= 80
    assert sum(c.decisions for c in extra) >= 450
    per_domain = Counter(c.domain for c in extra)
    assert set(per_domain) == set(DOMAINS)
    assert all(n >= 15 for n in per_domain.values()), per_domain
    assert all(3 <= c.decisions <= 8 for c in extra)
    assert len({c.id for c in extra}) == len(extra)
    assert load_gold(DEV_EXTRA_PATH) == extra  # the same strict loader and format


def test_extra_cases_are_one_to_one_and_name_existing_keys(extra):
    for case in extra:
        assert set(case.matches) == set(case.annotated)
        preds = [m.pred for m in case.matches.values() if m]
        assert len(preds) == len(set(preds)), case.id
        assert set(preds) <= set(case.predicted), case.id


def test_extra_cases_cover_every_hard_kind_and_both_outcomes(extra):
    counts = Counter(k for c in extra for k in c.kinds)
    for kind in HARD_KINDS:
        assert counts[kind] >= 5, (kind, counts)
    decisions = [m for c in extra for m in c.matches.values()]
    matched = [m for m in decisions if m]
    assert len(decisions) - len(matched) >= len(decisions) // 5
    assert len(matched) // 4 <= sum(m.opposite for m in matched) <= 3 * len(matched) // 4
    labels = Counter(c.annotated[k].label for c in extra for k, m in c.matches.items() if m)
    assert all(labels[x] > 0 for x in "abc"), labels
    unmatched_preds = sum(len(c.predicted) - len([m for m in c.matches.values() if m])
                          for c in extra)
    assert unmatched_preds >= 60
    same_key = sum(k == m.pred for c in extra for k, m in c.matches.items() if m)
    assert same_key < len(matched) / 3


def test_development_set_is_dev_plus_extra_plus_heldout_a_and_never_test(cases, extra):
    split = split_gold(cases, seed=0)
    heldout_a, heldout_b = load_heldout("a"), load_heldout("b")
    dev = development_cases()
    ids = [c.id for c in dev]
    assert len(ids) == len(set(ids)) == len(split["dev"]) + len(extra) + len(heldout_a)
    assert set(ids) == ({c.id for c in split["dev"]} | {c.id for c in extra}
                        | {c.id for c in heldout_a})
    assert not set(ids) & {c.id for c in split["test"]}
    assert not set(ids) & {c.id for c in heldout_b}  # the final test set is never tuned on
    assert not {c.id for c in extra} & {c.id for c in cases}  # no gold id reused
    # the extra file does not move any case between the gold set's dev and test parts
    assert [c.id for c in split_gold(load_gold(), seed=0)["test"]] == \
        [c.id for c in split["test"]]


def test_development_set_rejects_an_extra_file_reusing_a_gold_id(tmp_path, raw):
    doc = json.loads(DEV_EXTRA_PATH.read_text(encoding="utf-8"))
    doc["cases"][0]["id"] = raw["cases"][5]["id"]
    path = _write(tmp_path, doc)
    with pytest.raises(InputError) as err:
        development_cases(extra=path)
    assert repr(raw["cases"][5]["id"]) in str(err.value)


# --- the fresh held-out sets -------------------------------------------------------------

@pytest.mark.parametrize(("name", "decisions"), [("a", 310), ("b", 320)])
def test_heldout_sets_load_and_cover_every_domain(name, decisions):
    heldout = load_heldout(name)
    assert HELDOUT_PATHS[name].name == f"heldout_{name}_v1.json"
    assert sum(c.decisions for c in heldout) == decisions
    assert len(heldout) >= 40
    assert set(Counter(c.domain for c in heldout)) == set(DOMAINS)
    # the loader's checks held: every decision names an annotated key, one to one
    for case in heldout:
        assert set(case.matches) == set(case.annotated)
        picked = [m.pred for m in case.matches.values() if m]
        assert len(picked) == len(set(picked)) and set(picked) <= set(case.predicted)


def test_heldout_sets_share_no_case_with_the_other_gold_files(cases, extra):
    a, b = ({c.id for c in load_heldout(n)} for n in "ab")
    others = {c.id for c in cases} | {c.id for c in extra}
    assert not a & b and not a & others and not b & others


def test_unknown_heldout_set_is_an_input_error():
    with pytest.raises(InputError, match="no held-out set 'c'"):
        load_heldout("c")


def test_development_set_rejects_a_heldout_a_file_reusing_an_extra_id(tmp_path, extra):
    doc = json.loads(HELDOUT_PATHS["a"].read_text(encoding="utf-8"))
    doc["cases"][0]["id"] = extra[3].id
    path = _write(tmp_path, doc)
    with pytest.raises(InputError) as err:
        development_cases(heldout_a=path)
    assert repr(extra[3].id) in str(err.value.problems)
