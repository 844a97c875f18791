"""Uncertainty: cluster bootstrap over pairs (differences within a pair are correlated)
and an exact binomial test against chance."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

N_BOOTSTRAP = 2000


def cluster_bootstrap(
    totals: Sequence[float], sizes: Sequence[int], seed: int = 0, n_boot: int = N_BOOTSTRAP
) -> np.ndarray:
    """Resampled values of sum(totals) / sum(sizes), drawing pairs with replacement."""
    t, n = np.asarray(totals, dtype=float), np.asarray(sizes, dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(t), size=(n_boot, len(t)))
    return t[idx].sum(axis=1) / n[idx].sum(axis=1)


def bootstrap_ci(
    correct_per_pair: list[list[bool]], seed: int = 0, n_boot: int = N_BOOTSTRAP
) -> tuple[float, float] | None:
    """95% percentile interval of accuracy, resampling pairs with replacement.

    The seed is fixed, not the run's --seed: the interval is a property of the predictions,
    so the same predictions get the same interval however they were produced."""
    pairs = [p for p in correct_per_pair if p]
    if not pairs:
        return None
    acc = cluster_bootstrap([sum(p) for p in pairs], [len(p) for p in pairs], seed, n_boot)
    lo, hi = np.percentile(acc, [2.5, 97.5])
    return float(lo), float(hi)


def binomial_test(k: int, n: int, p: float = 0.5) -> float | None:
    """Exact two-sided p-value of k successes in n trials (sums outcomes no likelier than k)."""
    if n == 0:
        return None
    logpmf = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        + i * math.log(p) + (n - i) * math.log1p(-p)
        for i in range(n + 1)
    ]
    cutoff = logpmf[k] + 1e-7
    # rounded: a float sum of 1.0 reads 0.9999999999999996, a precision the test lacks
    return min(1.0, round(sum(math.exp(v) for v in logpmf if v <= cutoff), 10))
