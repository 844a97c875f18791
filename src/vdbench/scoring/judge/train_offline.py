"""Fit the offline judge's match model on development data, and only on it.

    python -m vdbench.scoring.judge.train_offline [--check] [--gold FILE] [--extra FILE]

Development data is the dev half of the gold set (`split_gold(..., seed=0)["dev"]`) and the
extra development cases (gold/dev_extra_v1.json); the test half is never read here. The
model is an L2-penalized logistic regression over the pair features (offline.FEATURES, and
with the embeddings the embedding products, offline.PRODUCTS), standardized, one per
backend. Cases are dealt into FOLDS folds (within each domain), REPEATS times in different
orders, and every case is decided by weights fitted on the other folds: the penalty and the
threshold applied after the assignment are the ones whose cross-validated figures fall
least short of the targets (`_objective`: agreement, match precision, the size of the recall
bias), then agree most with the gold decisions. The final weights are fitted on all
development cases. With the embeddings, the learned direction model (direction.py) is fitted
on the annotated pairs of the other folds too, and on all of them for shipping. Writes
offline_weights.py, offline_products.json and offline_direction.json; --check only prints
the cross-validated figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vdbench.scoring.judge import direction
from vdbench.scoring.judge.gold import GoldCase, development_cases
from vdbench.scoring.judge.offline import (
    FEATURES,
    NEVER,
    PRODUCTS_FILE,
    OfflineJudge,
    decide,
)
from vdbench.scoring.judge.properties import Statement, direction_votes

# on standardized features; the embedding products need the strong end of the range
PENALTIES = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
FOLDS = 5
REPEATS = 3
THRESHOLDS = [round(float(t), 2) for t in np.arange(-6.0, 1.01, 0.25)]
# the targets (docs/judging.md, "The offline judge"): a setting is judged by how far its
# cross-validated figures fall short of them
TARGETS = {"agreement": 0.85, "precision": 0.90}
MAX_BIAS = 0.03
OUT = Path(__file__).with_name("offline_weights.py")
DIRECTION_L2 = 100.0  # the learned direction model's penalty, on standardized features


@dataclass
class CaseData:
    case: GoldCase
    features: np.ndarray  # (n, m, k)
    allowed: np.ndarray  # (n, m)
    labels: np.ndarray  # (n, m): 1 where gold matches
    right: np.ndarray  # (n, m): 1 where matching the pair would score the annotation correct
    direction_ok: np.ndarray  # (n, m): 1 where the judge's direction equals gold's (gold pairs)
    gold_right: int  # annotations scored correct under the gold decisions
    scored: int  # annotations labelled a or b
    right_if: np.ndarray  # (2, n, m): `right` if the judge says same (0) / opposite (1)
    gold_opposite: np.ndarray  # (n, m): 1/0 on gold pairs (gold's direction), -1 elsewhere
    direction_x: np.ndarray  # (n, m, d): the learned direction model's features (embedding)
    learned: np.ndarray  # (n, m): where the learned model decides direction, not the rules
    flips: np.ndarray  # (n, m): the rules' direction (True: opposite)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """L2-penalized logistic regression (bias unpenalized) by Newton's method."""
    a = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + penalty * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def _correct(case: GoldCase, gt_key: str, pred_key: str, flipped: bool) -> bool:
    label = case.predicted[pred_key].label
    if flipped:
        label = {"a": "b", "b": "a"}[label]
    return case.annotated[gt_key].label in ("a", "b") and label == case.annotated[gt_key].label


def case_data(judge: OfflineJudge, cases: list[GoldCase]) -> list[CaseData]:
    out = []
    for c in cases:
        gk, pk = list(c.annotated), list(c.predicted)
        if not pk:
            continue
        gt = [c.annotated[k].description for k in gk]
        pred = [c.predicted[k].description for k in pk]
        parsed = [[(Statement.parse(a), Statement.parse(b)) for b in pred] for a in gt]
        flips = [[direction_votes(*ab).vote < 0 for ab in row] for row in parsed]
        learned = np.array([[direction_votes(*ab).kind in direction.LEARNED
                             for ab in row] for row in parsed], dtype=bool)
        embed = judge._embedder.vectors if judge.backend == "embedding" and judge._embedder \
            else None
        flat = [ab for row in parsed for ab in row]
        direction_x = (direction.features(flat, embed).reshape(len(gt), len(pred), -1)
                       if embed else np.zeros((len(gt), len(pred), 0)))
        right_if = np.array([[[float(_correct(c, g, p, flip)) for p in pk] for g in gk]
                             for flip in (False, True)])
        gold_opposite = -np.ones((len(gk), len(pk)))
        for i, g in enumerate(gk):
            m = c.matches[g]
            if m is not None:
                gold_opposite[i, pk.index(m.pred)] = float(m.opposite)
        labels = np.array([[float(c.expected[g] == p) for p in pk] for g in gk])
        right = np.array([[float(_correct(c, g, p, flips[i][j])) for j, p in enumerate(pk)]
                          for i, g in enumerate(gk)])
        direction_ok = np.zeros_like(labels)
        for i, g in enumerate(gk):
            m = c.matches[g]
            if m is not None:
                direction_ok[i, pk.index(m.pred)] = float(flips[i][pk.index(m.pred)]
                                                          == m.opposite)
        gold_right = sum(_correct(c, g, m.pred, m.opposite) for g, m in c.matches.items() if m)
        scored = sum(d.label in ("a", "b") for d in c.annotated.values())
        out.append(CaseData(c, judge.features(gt, pred), judge.allowed(gt, pred), labels,
                            right, direction_ok, gold_right, scored, right_if, gold_opposite,
                            direction_x, learned, np.array(flips, dtype=bool)))
    return out


def fit_direction(data: list[CaseData]) -> tuple[np.ndarray, float]:
    """The learned direction model (direction.py), fitted on the gold pairs of `data` (all
    of them, whatever the rules' evidence), on the raw features' scale."""
    pairs = [d.gold_opposite >= 0 for d in data]
    x = np.concatenate([d.direction_x[m] for d, m in zip(data, pairs)])
    y = np.concatenate([d.gold_opposite[m] for d, m in zip(data, pairs)])
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-9] = 1.0
    w, b = fit_logistic((x - mean) / std, y, DIRECTION_L2)
    return w / std, b - float((w / std) @ mean)


def with_direction(d: CaseData, model: tuple[np.ndarray, float]) -> CaseData:
    """`d` with the learned model's directions where it decides (`d.learned`)."""
    if not d.direction_x.shape[2] or not d.learned.any():
        return d
    flips = np.where(d.learned, d.direction_x @ model[0] + model[1] > 0, d.flips)
    right = np.where(flips, d.right_if[1], d.right_if[0])
    direction_ok = np.where(d.gold_opposite >= 0, (flips == (d.gold_opposite == 1)), 0.0)
    return replace(d, right=right, direction_ok=direction_ok.astype(float))


def fit(data: list[CaseData], l2: float) -> dict:
    """Weights on the raw features, fitted on standardized ones (so that one penalty suits
    features of every scale); "products" holds those after FEATURES."""
    x = np.concatenate([d.features[d.allowed] for d in data])
    y = np.concatenate([d.labels[d.allowed] for d in data])
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-9] = 1.0
    w, b = fit_logistic((x - mean) / std, y, l2)
    w = w / std
    b -= float(w @ mean)
    k = len(FEATURES)
    out = {"weights": [round(float(v), 4) for v in w[:k]], "bias": round(b, 4)}
    if len(w) > k:
        out["products"] = [round(float(v), 5) for v in w[k:]]
    return out


def _coefficients(weights: dict) -> np.ndarray:
    return np.array(weights["weights"] + weights.get("products", []))


def _decide(d: CaseData, weights: dict, threshold: float) -> dict[int, int]:
    s = np.where(d.allowed, d.features @ _coefficients(weights) + weights["bias"], NEVER)
    return dict(decide(s, threshold))


def folds(data: list[CaseData], k: int = FOLDS, repeat: int = 0) -> list[int]:
    """The fold of each case: cases are dealt round-robin within each domain, in id order
    (repeat 0) or in an order fixed by a hash of the repeat and the id, so that every fold
    holds whole cases and all domains."""
    by_domain: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(data):
        by_domain[d.case.domain].append(i)
    out = [0] * len(data)
    n = 0
    for domain in sorted(by_domain):
        for i in sorted(by_domain[domain], key=lambda i: _deal_key(data[i].case.id, repeat)):
            out[i] = n % k
            n += 1
    return out


def _deal_key(case_id: str, repeat: int) -> str:
    return case_id if not repeat else hashlib.sha256(f"{repeat}:{case_id}".encode()).hexdigest()


def cross_validate(data: list[CaseData], l2: float, k: int = FOLDS, repeats: int = REPEATS,
                   learn_direction: bool = False) -> dict[float, dict[str, float]]:
    """Agreement, match precision and recall, direction accuracy and recall bias per
    threshold, each case decided by weights fitted without its fold (with `learn_direction`,
    its direction too), pooled over `repeats` different deals of the folds (one deal alone
    is noisy)."""
    # agree, decisions, right pairs, judge pairs, judge-correct minus gold-correct, scored,
    # direction right
    counts = {t: np.zeros(7) for t in THRESHOLDS}
    for r in range(repeats):
        fold = folds(data, k, r)
        for f in range(k):
            train_fold = [d for i, d in enumerate(data) if fold[i] != f]
            weights = fit(train_fold, l2)
            held_out = [d for i, d in enumerate(data) if fold[i] == f]
            if learn_direction:
                model = fit_direction(train_fold)
                held_out = [with_direction(d, model) for d in held_out]
            for d in held_out:
                for t in THRESHOLDS:
                    counts[t] += _counts(d, _decide(d, weights, t))
    gold_pairs = repeats * sum(int(d.labels.sum()) for d in data)
    return {t: {"agreement": float(c[0] / c[1]), "precision": float(c[2] / max(c[3], 1)),
                "recall": float(c[2] / max(gold_pairs, 1)),
                "direction": float(c[6] / max(c[2], 1)), "recall_bias": float(c[4] / c[5])}
            for t, c in counts.items()}


def _counts(d: CaseData, mine: dict[int, int]) -> np.ndarray:
    gold = {i: int(j) for i, j in zip(*np.nonzero(d.labels))}
    right = sum(gold.get(i) == j for i, j in mine.items())
    agree = sum(mine.get(i) == gold.get(i) for i in range(d.labels.shape[0]))
    bias = sum(d.right[i, j] for i, j in mine.items()) - d.gold_right
    direction = sum(d.direction_ok[i, j] for i, j in mine.items() if gold.get(i) == j)
    return np.array([agree, d.labels.shape[0], right, len(mine), bias, d.scored, direction])


def _objective(cv: dict[str, float]) -> float:
    """Less is better: the total shortfall from the targets. A judge that misses matches
    biases recall downwards and one that matches too eagerly is imprecise; agreement breaks
    ties (in `train`)."""
    return (sum(max(0.0, floor - cv[name]) for name, floor in TARGETS.items())
            + max(0.0, abs(cv["recall_bias"]) - MAX_BIAS))


def train(backend: str, cases: list[GoldCase]
          ) -> tuple[dict, dict[str, float], dict[tuple[float, float], dict[str, float]]]:
    """The weights fitted on all `cases`, the chosen setting's cross-validated figures, and
    the figures of every (penalty, threshold) tried."""
    data = case_data(OfflineJudge(backend), cases)
    learn = backend == "embedding"
    table = {(l2, t): figs for l2 in PENALTIES
             for t, figs in cross_validate(data, l2, learn_direction=learn).items()}
    best = min(table, key=lambda key: (round(_objective(table[key]), 3),
                                       -table[key]["agreement"], key[0]))
    l2, threshold = best
    out = {**fit(data, l2), "threshold": threshold, "l2": l2}
    if learn:
        w, b = fit_direction(data)
        out["direction"] = {"weights": [round(float(v), 6) for v in w], "bias": round(b, 6)}
    return out, table[best], table


def render(weights: dict[str, dict]) -> str:
    """offline_weights.py, as train_offline writes it (the products go to PRODUCTS_FILE)."""
    lines = ['"""Weights of the offline judge\'s match model (offline.FEATURES; the embedding '
             'products\'', 'weights are in offline_products.json), fitted on development data '
             '(the dev half of the', 'gold set and gold/dev_extra_v1.json) by `python -m '
             'vdbench.scoring.judge.train_offline`', '(do not edit by hand)."""',
             "", "WEIGHTS: dict = {"]
    for backend, w in weights.items():
        values = [repr(v) for v in w["weights"]]
        rows = [", ".join(values[k:k + 6]) for k in range(0, len(values), 6)]
        lines.append(f"    {backend!r}: {{")
        lines.append("        'weights': [" + (",\n" + " " * 20).join(rows) + "],")
        lines.extend(f"        {key!r}: {w[key]!r}," for key in ("bias", "threshold", "l2"))
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="print CV figures, write nothing")
    parser.add_argument("--gold", type=Path, help="gold file (default: the packaged one)")
    parser.add_argument("--extra", type=Path,
                        help="extra development cases (default: the packaged ones)")
    args = parser.parse_args(argv)
    cases = development_cases(args.gold, args.extra)  # never the test half
    print(f"development cases: {len(cases)} ({sum(c.decisions for c in cases)} decisions)")
    weights = {}
    for backend in ("embedding", "lexical"):
        weights[backend], cv, _ = train(backend, cases)
        print(f"{backend}: penalty {weights[backend]['l2']}, threshold "
              f"{weights[backend]['threshold']}, cross-validated: "
              + ", ".join(f"{k} {v:.3f}" for k, v in cv.items()))
    if not args.check:
        products = weights["embedding"].pop("products")
        learned = weights["embedding"].pop("direction")
        OUT.write_text(render(weights))
        PRODUCTS_FILE.write_text(json.dumps({"weights": products}) + "\n")
        direction.FILE.write_text(json.dumps(learned) + "\n")
        print(f"wrote {OUT}, {PRODUCTS_FILE} and {direction.FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
