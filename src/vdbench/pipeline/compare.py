"""`vdbench compare RUN_A RUN_B`: a paired test between two runs on the same scored items
(differences, or checklist items). Above the benchmarks: each run's samples.jsonl is read
through its benchmark's record type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vdbench.benchmarks.records import read_scored
from vdbench.core import runfiles
from vdbench.core.errors import InputError
from vdbench.core.results import Results, load_results
from vdbench.scoring.stats import N_BOOTSTRAP, binomial_test, cluster_bootstrap


def _load_run(path: Path) -> tuple[Results, dict[tuple[str, str], bool], Path]:
    run = path if path.is_dir() else path.parent
    results_path, rows_path = run / runfiles.RESULTS, run / runfiles.SAMPLES
    for p in (results_path, rows_path):
        if not p.exists():
            raise InputError(f"{p}: not found (give a run folder holding results.json and "
                             f"samples.jsonl)")
    results = load_results(results_path)
    rows = read_scored(rows_path, results.benchmark)  # the benchmark's typed records
    return results, {(r.sample_key, r.item): r.correct for r in rows}, run


def _comparability(a: Results, b: Results) -> list[str]:
    problems = []
    if a.benchmark != b.benchmark:
        problems.append(f"benchmarks differ: {a.benchmark} vs {b.benchmark}")
    if a.mode != b.mode:
        problems.append(f"modes differ: {a.mode} vs {b.mode}")
    rev_a, rev_b = a.provenance.get("revision"), b.provenance.get("revision")
    if rev_a != rev_b:
        problems.append(f"dataset revisions differ: {rev_a} vs {rev_b}")
    if a.judge != b.judge:
        problems.append("scored by different judges")
    return problems


def paired_bootstrap(
    a: dict[tuple[str, str], bool], b: dict[tuple[str, str], bool], seed: int = 0,
    n_boot: int = N_BOOTSTRAP,
) -> tuple[float, tuple[float, float], float]:
    """Difference of means (a - b), its 95% interval and a two-sided p-value, resampling pairs."""
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    for key in a:
        pairs.setdefault(key[0], []).append((a[key], b[key]))
    diffs = [sum(x - y for x, y in g) for g in pairs.values()]
    sizes = [len(g) for g in pairs.values()]
    boot = cluster_bootstrap(diffs, sizes, seed, n_boot)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    p = min(1.0, 2 * min((boot <= 0).mean(), (boot >= 0).mean()))
    return sum(diffs) / sum(sizes), (float(lo), float(hi)), float(p)


def compare_runs(path_a: Path, path_b: Path) -> dict[str, Any]:
    res_a, rows_a, run_a = _load_run(Path(path_a))
    res_b, rows_b, run_b = _load_run(Path(path_b))
    problems = _comparability(res_a, res_b)
    if set(rows_a) != set(rows_b):
        only_a, only_b = len(set(rows_a) - set(rows_b)), len(set(rows_b) - set(rows_a))
        problems.append(f"scored differences differ ({only_a} only in {run_a}, "
                        f"{only_b} only in {run_b})")
    if problems:
        raise InputError(f"cannot compare {run_a} and {run_b}", problems=problems)
    metric = res_a.headline_metric
    delta, ci, p_boot = paired_bootstrap(rows_a, rows_b)
    out: dict[str, Any] = {
        "metric": metric, "n": len(rows_a),
        "a": {"run": str(run_a), "model": res_a.model, metric: res_a.headline},
        "b": {"run": str(run_b), "model": res_b.model, metric: res_b.headline},
        "difference": delta, "ci95": list(ci), "p_paired_bootstrap": p_boot,
    }
    if metric == "accuracy":
        only_a = sum(rows_a[k] and not rows_b[k] for k in rows_a)
        only_b = sum(rows_b[k] and not rows_a[k] for k in rows_a)
        out["mcnemar"] = {"a_right_b_wrong": only_a, "b_right_a_wrong": only_b,
                          # no discordant pair: no evidence of any difference
                          "p_exact": binomial_test(only_a, only_a + only_b) if only_a + only_b
                          else 1.0}
    return out
