"""Optimal one-to-one assignment (Hungarian method) for small similarity matrices."""

from __future__ import annotations

import math


def max_weight_assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Row/column pairs maximizing the total weight; each row and column used at most once."""
    n_rows = len(weights)
    n_cols = len(weights[0]) if weights else 0
    if not n_rows or not n_cols:
        return []
    n = max(n_rows, n_cols)
    top = max(max(r) for r in weights)
    # minimize cost on a square matrix; padding cells cost as much as the worst real one
    cost = [[(top - weights[i][j]) if i < n_rows and j < n_cols else top + 1.0
             for j in range(n)] for i in range(n)]
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    owner = [0] * (n + 1)  # owner[j]: row (1-based) assigned to column j
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        min_slack, prev = [math.inf] * (n + 1), [0] * (n + 1)
        used = [False] * (n + 1)
        while owner[j0]:
            used[j0] = True
            i0, delta, j1 = owner[j0], math.inf, 0
            for j in range(1, n + 1):
                if used[j]:
                    continue
                cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if cur < min_slack[j]:
                    min_slack[j], prev[j] = cur, j0
                if min_slack[j] < delta:
                    delta, j1 = min_slack[j], j
            for j in range(n + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    min_slack[j] -= delta
            j0 = j1
        while j0:
            j1 = prev[j0]
            owner[j0] = owner[j1]
            j0 = j1
    return sorted((owner[j] - 1, j - 1) for j in range(1, n + 1)
                  if owner[j] and owner[j] - 1 < n_rows and j - 1 < n_cols)
