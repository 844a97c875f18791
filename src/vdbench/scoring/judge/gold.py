"""The gold set of human matching decisions that judges are measured against.

Each case is one open-mode sample in miniature: the annotated differences (label a, b or c),
the predicted ones (label a or b) and, for every annotated key, the human decision: the
predicted key it matches and whether the prediction is worded in the opposite direction, or
null. The rules the annotators followed are in docs/judging.md ("Annotation rules for the
gold set"); `load_gold` checks the file strictly and `split_gold` gives a fixed dev/test split.

`load_heldout("a")` and `load_heldout("b")` load the two fresh held-out sets (same format):
a is development data since the version 6 work (`development_cases` includes it), b is
never tuned on.

`load_dev_extra` loads a second file in the same format, gold/dev_extra_v1.json: cases
written for development only (varied wording for the same properties), never split and never
part of a test measurement. `development_cases` is what a judge may be tuned on: the dev half
of the gold set, the extra cases and held-out set a.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vdbench.core.errors import InputError

GOLD_FORMAT = "vdbench-judge-gold"
GOLD_VERSION = 1
DEFAULT_GOLD_PATH = Path(__file__).parent / "gold" / "gold_v1.json"
DEV_EXTRA_PATH = Path(__file__).parent / "gold" / "dev_extra_v1.json"
# Two fresh sets by an annotator who had not seen the judge, its lexicon or the gold cases
# above, under the same rules (docs/judging.md): heldout_a became development data once
# offline judge v5 had been measured on it; heldout_b is a test set that no judge version was
# developed on, so the figures recorded with every run come from it.
HELDOUT_PATHS = {"a": Path(__file__).parent / "gold" / "heldout_a_v1.json",
                 "b": Path(__file__).parent / "gold" / "heldout_b_v1.json"}
HELDOUT_PATH = HELDOUT_PATHS["b"]

DOMAINS = ("fitness", "ballsports", "diving", "music", "surgery")
ANNOTATED_LABELS = ("a", "b", "c")
PREDICTED_LABELS = ("a", "b")
# optional tags naming the hard kinds of decision a case contains (docs/judging.md)
KINDS = ("paraphrase", "shared-words", "antonym", "negation", "vague", "two-for-one", "jargon",
         "exact", "c-label")

_CASE_FIELDS = {"id", "domain", "action", "action_description", "annotated", "predicted",
                "matches", "note", "kinds"}
_REQUIRED_CASE_FIELDS = _CASE_FIELDS - {"note", "kinds"}


@dataclass(frozen=True)
class GoldDifference:
    description: str
    label: str


@dataclass(frozen=True)
class GoldMatch:
    pred: str  # the predicted key
    opposite: bool  # the prediction states the reverse direction: its label flips


@dataclass(frozen=True)
class GoldCase:
    id: str
    domain: str
    action: str
    action_description: str
    annotated: dict[str, GoldDifference]
    predicted: dict[str, GoldDifference]
    matches: dict[str, GoldMatch | None]  # one decision per annotated key
    note: str = ""
    kinds: tuple[str, ...] = ()

    @property
    def decisions(self) -> int:
        """One decision per annotated difference."""
        return len(self.annotated)

    @property
    def gt(self) -> dict[str, str]:
        """Annotated key -> description, as a judge is given them (c included)."""
        return {k: d.description for k, d in self.annotated.items()}

    @property
    def pred(self) -> dict[str, str]:
        """Predicted key -> description."""
        return {k: d.description for k, d in self.predicted.items()}

    @property
    def expected(self) -> dict[str, str | None]:
        """Annotated key -> matched predicted key or None: the matching a judge should give."""
        return {k: (m.pred if m else None) for k, m in self.matches.items()}


def load_gold(path: Path | None = None) -> list[GoldCase]:
    """The gold cases in file order. Every problem is reported at once, each naming the
    case id and the key; any problem raises InputError."""
    path = Path(path) if path is not None else DEFAULT_GOLD_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: gold file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file: {exc}") from exc

    problems: list[str] = []
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object with format, version and cases")
    if raw.get("format") != GOLD_FORMAT:
        problems.append(f"format is {raw.get('format')!r}, expected {GOLD_FORMAT!r}")
    if raw.get("version") != GOLD_VERSION:
        problems.append(f"version is {raw.get('version')!r}, expected {GOLD_VERSION}")
    unknown_top = sorted(set(raw) - {"format", "version", "cases"})
    if unknown_top:
        problems.append(f"unknown top-level keys {unknown_top}")
    cases_raw = raw.get("cases")
    if not isinstance(cases_raw, list) or not cases_raw:
        problems.append("'cases' must be a non-empty list")
        cases_raw = []

    cases: list[GoldCase] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(cases_raw):
        case = _parse_case(item, index, problems)
        if case is None:
            continue
        if case.id in seen:
            problems.append(f"case {case.id!r}: duplicate case id (cases {seen[case.id]} and "
                            f"{index})")
            continue
        seen[case.id] = index
        cases.append(case)
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the gold set",
                         problems=problems)
    return cases


def _parse_case(item: Any, index: int, problems: list[str]) -> GoldCase | None:
    if not isinstance(item, dict):
        problems.append(f"cases[{index}]: expected an object")
        return None
    cid = item.get("id")
    if not isinstance(cid, str) or not cid.strip():
        problems.append(f"cases[{index}]: 'id' must be a non-empty string")
        return None
    where = f"case {cid!r}"
    before = len(problems)

    missing = sorted(_REQUIRED_CASE_FIELDS - set(item))
    if missing:
        problems.append(f"{where}: missing fields {missing}")
        return None
    unknown = sorted(set(item) - _CASE_FIELDS)
    if unknown:
        problems.append(f"{where}: unknown fields {unknown}")
    if item["domain"] not in DOMAINS:
        problems.append(f"{where}: key 'domain': unknown domain {item['domain']!r} "
                        f"(expected one of {list(DOMAINS)})")
    for field in ("action", "action_description"):
        if not isinstance(item[field], str) or not item[field].strip():
            problems.append(f"{where}: key {field!r} must be a non-empty string")
    note = item.get("note", "")
    if not isinstance(note, str):
        problems.append(f"{where}: key 'note' must be a string")
    kinds = item.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        problems.append(f"{where}: key 'kinds' must be a list of strings")
        kinds = []
    for kind in kinds:
        if kind not in KINDS:
            problems.append(f"{where}: kinds: unknown kind {kind!r} (expected one of "
                            f"{list(KINDS)})")

    annotated = _parse_differences(item["annotated"], "annotated", ANNOTATED_LABELS, where,
                                   problems, allow_empty=False)
    predicted = _parse_differences(item["predicted"], "predicted", PREDICTED_LABELS, where,
                                   problems, allow_empty=True)
    # existence is checked against the keys as written, so that one bad difference is
    # reported once and not again for every decision that names it
    matches = _parse_matches(item["matches"], _keys(item["annotated"]), _keys(item["predicted"]),
                             where, problems)
    if len(problems) > before or annotated is None or predicted is None or matches is None:
        return None
    return GoldCase(id=cid, domain=item["domain"], action=item["action"],
                    action_description=item["action_description"], annotated=annotated,
                    predicted=predicted, matches=matches, note=note, kinds=tuple(kinds))


def _parse_differences(raw: Any, block: str, labels: tuple[str, ...], where: str,
                       problems: list[str], *, allow_empty: bool
                       ) -> dict[str, GoldDifference] | None:
    if not isinstance(raw, dict) or (not raw and not allow_empty):
        problems.append(f"{where}: {block!r} must be a "
                        f"{'' if allow_empty else 'non-empty '}object of key -> difference")
        return None
    out: dict[str, GoldDifference] = {}
    for key, diff in raw.items():
        at = f"{where}: {block}[{key!r}]"
        if not isinstance(diff, dict) or set(diff) != {"description", "label"}:
            problems.append(f"{at}: expected exactly 'description' and 'label'")
            continue
        desc, label = diff["description"], diff["label"]
        if not isinstance(desc, str) or not desc.strip():
            problems.append(f"{at}: 'description' must be a non-empty string")
            continue
        if label not in labels:
            problems.append(f"{at}: unknown label {label!r} (expected one of {list(labels)})")
            continue
        out[key] = GoldDifference(description=desc, label=label)
    return out


def _keys(block: Any) -> list[str] | None:
    return list(block) if isinstance(block, dict) else None


def _parse_matches(raw: Any, annotated: list[str] | None, predicted: list[str] | None,
                   where: str, problems: list[str]) -> dict[str, GoldMatch | None] | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'matches' must be an object of annotated key -> decision")
        return None
    if annotated is None or predicted is None:
        return None
    out: dict[str, GoldMatch | None] = {}
    used: dict[str, str] = {}
    for key in annotated:
        if key not in raw:
            problems.append(f"{where}: matches: no decision for annotated key {key!r} "
                            f"(use null for no match)")
    for key, decision in raw.items():
        at = f"{where}: matches[{key!r}]"
        if key not in annotated:
            problems.append(f"{at}: annotated key {key!r} does not exist")
            continue
        if decision is None:
            out[key] = None
            continue
        if not isinstance(decision, dict) or set(decision) != {"pred", "opposite"}:
            problems.append(f"{at}: expected null or exactly 'pred' and 'opposite'")
            continue
        pred, opposite = decision["pred"], decision["opposite"]
        if not isinstance(opposite, bool):
            problems.append(f"{at}: 'opposite' must be true or false")
            continue
        if not isinstance(pred, str) or pred not in predicted:
            problems.append(f"{at}: predicted key {pred!r} does not exist")
            continue
        if pred in used:
            problems.append(f"{at}: predicted key {pred!r} is already matched to annotated "
                            f"key {used[pred]!r} (matching is one-to-one)")
            continue
        used[pred] = key
        out[key] = GoldMatch(pred=pred, opposite=opposite)
    # keep the annotation order whatever the order of the decisions in the file
    return {k: out[k] for k in annotated if k in out}


def split_gold(cases: list[GoldCase], seed: int = 0,
               test_fraction: float = 0.5) -> dict[str, list[GoldCase]]:
    """A dev/test split stratified by domain, fixed by the seed.

    Within each domain (taken in sorted order) the cases are sorted by id, shuffled with one
    random.Random(seed) and the first round(n * test_fraction) go to test, at least one and
    at most n - 1 when a domain has two or more cases. Both parts are sorted by id.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    by_domain: dict[str, list[GoldCase]] = defaultdict(list)
    for case in cases:
        by_domain[case.domain].append(case)
    rng = random.Random(seed)
    dev: list[GoldCase] = []
    test: list[GoldCase] = []
    for domain in sorted(by_domain):
        group = sorted(by_domain[domain], key=lambda c: c.id)
        rng.shuffle(group)
        n_test = round(len(group) * test_fraction)
        if len(group) >= 2:
            n_test = min(max(n_test, 1), len(group) - 1)
        test.extend(group[:n_test])
        dev.extend(group[n_test:])
    return {"dev": sorted(dev, key=lambda c: c.id), "test": sorted(test, key=lambda c: c.id)}


def load_dev_extra(path: Path | None = None) -> list[GoldCase]:
    """The extra development cases (gold/dev_extra_v1.json), checked as strictly as the gold
    set. They are development data only: tune on them, never report them as a test."""
    return load_gold(Path(path) if path is not None else DEV_EXTRA_PATH)


def load_heldout(name: str) -> list[GoldCase]:
    """A packaged held-out set, "a" (gold/heldout_a_v1.json, development data since offline
    judge v6) or "b" (gold/heldout_b_v1.json, a test set: measure on it, never tune on it),
    checked as strictly as the gold set."""
    if name not in HELDOUT_PATHS:
        raise InputError(f"no held-out set {name!r} (expected one of {sorted(HELDOUT_PATHS)})")
    return load_gold(HELDOUT_PATHS[name])


def development_cases(gold: Path | None = None, extra: Path | None = None,
                      seed: int = 0, heldout_a: Path | None = None) -> list[GoldCase]:
    """Everything a judge may be tuned on: the dev half of the gold set (`split_gold` with
    `seed`), the extra development cases and held-out set a (development data since it was
    measured once, for offline judge v5). The gold test half and held-out set b are never
    included; a case id that occurs in two of the files is an InputError."""
    cases = load_gold(gold)
    parts = {"the extra development cases": load_dev_extra(extra),
             "held-out set a": load_gold(heldout_a or HELDOUT_PATHS["a"])}
    seen = {c.id: "the gold set" for c in cases}
    problems = []
    for name, part in parts.items():
        for case in part:
            if case.id in seen:
                problems.append(f"case {case.id!r}: id in {name} and in {seen[case.id]}")
            seen.setdefault(case.id, name)
    if problems:
        raise InputError("the development files reuse case ids", problems=problems)
    return split_gold(cases, seed=seed)["dev"] + [c for part in parts.values() for c in part]
