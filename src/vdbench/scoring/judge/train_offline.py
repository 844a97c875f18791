"""Fit the offline judge's match model on development data, and only on it.

    python -m vdbench.scoring.judge.train_offline [--check] [--gold FILE] [--extra FILE]

Development data is the dev half of the gold set (`split_gold(..., seed=0)["dev"]`) and the
extra development cases (gold/dev_extra_v1.json); the test half is never read here. The
model is an L2-penalized logistic regression over the pair features (offline.FEATURES), one
per backend. Cases are dealt into FOLDS folds (within each domain, in id order), and every
case is decided by weights fitted on the other folds: the penalty and the threshold applied
after the optimal assignment are the ones with the best cross-validated `_objective`
(agreement with the gold decisions, less the size of the recall bias and any shortfall of
match precision). The final weights are fitted on all development cases. Writes
offline_weights.py; --check only prints the cross-validated figures.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vdbench.scoring.judge.assign import max_weight_assignment
from vdbench.scoring.judge.gold import GoldCase, development_cases
from vdbench.scoring.judge.offline import NEVER, OfflineJudge, is_opposite

PENALTIES = (0.3, 1.0, 3.0, 10.0)
FOLDS = 5
THRESHOLDS = [round(float(t), 2) for t in np.arange(-6.0, 1.01, 0.25)]
MIN_PRECISION = 0.92  # cross-validated match precision below this counts against a threshold
OUT = Path(__file__).with_name("offline_weights.py")


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
        flips = [[is_opposite(a, b) for b in pred] for a in gt]
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
                            right, direction_ok, gold_right, scored))
    return out


def fit(data: list[CaseData], l2: float) -> dict:
    x = np.concatenate([d.features[d.allowed] for d in data])
    y = np.concatenate([d.labels[d.allowed] for d in data])
    w, b = fit_logistic(x, y, l2)
    return {"weights": [round(float(v), 4) for v in w], "bias": round(b, 4)}


def _decide(d: CaseData, weights: dict, threshold: float) -> dict[int, int]:
    s = np.where(d.allowed, d.features @ np.array(weights["weights"]) + weights["bias"], NEVER)
    return {i: j for i, j in max_weight_assignment(s.tolist()) if s[i, j] >= threshold}


def folds(data: list[CaseData], k: int = FOLDS) -> list[int]:
    """The fold of each case: cases are dealt round-robin within each domain in id order,
    so that every fold holds whole cases and all domains."""
    by_domain: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(data):
        by_domain[d.case.domain].append(i)
    out = [0] * len(data)
    n = 0
    for domain in sorted(by_domain):
        for i in sorted(by_domain[domain], key=lambda i: data[i].case.id):
            out[i] = n % k
            n += 1
    return out


def cross_validate(data: list[CaseData], l2: float,
                   k: int = FOLDS) -> dict[float, dict[str, float]]:
    """Agreement, match precision and recall, direction accuracy and recall bias per
    threshold, each case decided by weights fitted without its fold."""
    # agree, decisions, right pairs, judge pairs, judge-correct minus gold-correct, scored,
    # direction right
    counts = {t: np.zeros(7) for t in THRESHOLDS}
    fold = folds(data, k)
    for f in range(k):
        weights = fit([d for i, d in enumerate(data) if fold[i] != f], l2)
        for d in (d for i, d in enumerate(data) if fold[i] == f):
            gold = {i: int(j) for i, j in zip(*np.nonzero(d.labels))}
            for t in THRESHOLDS:
                mine = _decide(d, weights, t)
                right = sum(gold.get(i) == j for i, j in mine.items())
                agree = sum(mine.get(i) == gold.get(i) for i in range(d.labels.shape[0]))
                bias = sum(d.right[i, j] for i, j in mine.items()) - d.gold_right
                direction = sum(d.direction_ok[i, j] for i, j in mine.items()
                                if gold.get(i) == j)
                counts[t] += (agree, d.labels.shape[0], right, len(mine), bias, d.scored,
                              direction)
    gold_pairs = sum(int(d.labels.sum()) for d in data)
    return {t: {"agreement": float(c[0] / c[1]), "precision": float(c[2] / max(c[3], 1)),
                "recall": float(c[2] / max(gold_pairs, 1)),
                "direction": float(c[6] / max(c[2], 1)), "recall_bias": float(c[4] / c[5])}
            for t, c in counts.items()}


def _objective(cv: dict[str, float]) -> float:
    """Agreement matters most, but a judge that misses matches biases recall downwards and
    one that matches too eagerly is imprecise: the threshold balances the three."""
    return cv["agreement"] - abs(cv["recall_bias"]) - max(0.0, MIN_PRECISION - cv["precision"])


def train(backend: str, cases: list[GoldCase]
          ) -> tuple[dict, dict[str, float], dict[tuple[float, float], dict[str, float]]]:
    """The weights fitted on all `cases`, the chosen setting's cross-validated figures, and
    the figures of every (penalty, threshold) tried."""
    data = case_data(OfflineJudge(backend), cases)
    table = {(l2, t): figs for l2 in PENALTIES for t, figs in cross_validate(data, l2).items()}
    best = max(table, key=lambda key: (round(_objective(table[key]), 3),
                                       table[key]["precision"], -key[0]))
    l2, threshold = best
    return {**fit(data, l2), "threshold": threshold, "l2": l2}, table[best], table


def render(weights: dict[str, dict]) -> str:
    """offline_weights.py, as train_offline writes it."""
    lines = ['"""Weights of the offline judge\'s match model (offline.FEATURES), fitted on '
             'development data', '(the dev half of the gold set and gold/dev_extra_v1.json) '
             'by `python -m', 'vdbench.scoring.judge.train_offline` (do not edit by hand)."""',
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
        OUT.write_text(render(weights))
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
