"""The readable end-of-run summary: the headline metric per split with its 95% interval."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, get_benchmark
from vdbench.core.results import Results
from vdbench.data.viddiffbench_facts import SPLITS


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _ci(ci: list[float] | None) -> str:
    return "-" if not ci else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _p(p: float | None) -> str:
    return "-" if p is None else (f"{p:.3f}" if p >= 0.001 else "<0.001")


def _judge_text(judge: dict | None) -> str:
    """The judge in a few words: its name, models and measured agreement."""
    from vdbench.scoring.judge.select import judge_heading, measured_text

    heading = judge_heading(judge) or "none"
    measured = measured_text((judge or {}).get("measured"))
    return f"{heading}, {measured}" if measured else heading


def source_line(typed: Results) -> str:
    """Which data, protocol and judge produced the number."""
    from vdbench.data.loader import MINI_NOTE, is_mini

    prov = typed.provenance
    dataset, revision = str(prov.get("dataset", "?")), str(prov.get("revision", "?"))
    data = f"{dataset} @ {revision}, {typed.n_samples} pairs"
    if is_mini(dataset, revision):
        data = f"mini @ {revision}, {typed.n_samples} pairs: {MINI_NOTE}"
    protocol = (prov.get("protocol") or {}).get("name", "?")
    line = f"data {data} · protocol {protocol}"
    if typed.judge:
        line += f" · judge {_judge_text(typed.judge)}"
    return line


def print_summary(typed: Results, console: Console | None = None) -> None:
    console = console or Console()
    results = typed.to_json()
    m = results["metrics"]
    closed = "p_vs_chance" in m  # else VidDiffBench's open mode: how often nothing matched
    metric = typed.headline_metric
    epochs = typed.epochs
    title = f"{results['model']} · {results['mode']} · split={results['split']}"
    if typed.benchmark != DEFAULT_BENCHMARK:
        title = f"{get_benchmark(typed.benchmark).title} · {title}"
    if epochs:
        title += f" · mean of {epochs['n']} epochs"
    table = Table(title=title)
    axis, rows = _summary_rows(typed)
    last = ("p vs chance", "right") if closed else ("no match %", "right")
    for col, justify in [(axis, "left"), ("pairs", "right"), ("scored", "right"),
                         (f"{metric} %", "right"), ("95% CI", "right"), last]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]

    def tail(block: dict) -> str:
        return _p(block.get("p_vs_chance")) if closed else _pct(block.get("err_nomatch"))

    for name, b in rows.items():
        table.add_row(name, str(b["n_samples"]), _count(b["n_scored"]), _pct(b[metric]),
                      _ci(b["ci95"]), tail(b))
    by_split = results.get("by_split", {})
    if len(rows) != 1:  # one row: it is the whole
        table.add_row("all", str(results["n_samples"]), str(results["n_scored"]),
                      _pct(m[metric]), _ci(m["ci95"]), tail(m), style="bold")
    console.print(table)
    if epochs:
        values = ", ".join(_pct(v) for v in epochs["values"])
        console.print(f"  {metric} {_pct(epochs['mean'])}% ± {_pct(epochs['sd'])} (mean ± sd "
                      f"over {epochs['n']} epochs, seeds {epochs['seeds'][0]}.."
                      f"{epochs['seeds'][-1]}: {values}); each epoch's files are in the run "
                      "folder", highlight=False)
    console.print(f"  {escape(source_line(typed))}", highlight=False)
    notes = [f"coverage: {100 * results['coverage']:.1f}%",
             "samples: " + ", ".join(f"{n} {status}" for status, n
                                     in results.get("status_counts", {}).items())]
    if len(by_split) > 1:
        notes.insert(0, f"average of splits: {_pct(m.get('split_average'))}%")
    if "cost_usd" in results:
        notes.append(f"cost: ${results['cost_usd']:.4f}")
    if "requests" in results:
        notes.append(f"requests sent {results['requests']['sent']}, "
                     f"cached {results['requests']['cached']}")
    console.print("  " + " · ".join(notes))
    if loc := results.get("localization"):
        console.print(f"  localization: hit rate {_pct(loc['hit_rate'])}% within "
                      f"{loc['tolerance_s']:g} s, mean error {loc['mae_s']:.2f} s (n={loc['n']})")
    if swap := results.get("swap"):
        console.print(f"  position bias: {metric} {_pct(swap['original_order'])}% as given, "
                      f"{_pct(swap['swapped_order'])}% swapped, mean {_pct(swap['mean'])}%, "
                      f"consistent answers {_pct(swap['consistency'])}%")


def _summary_rows(typed: Results) -> tuple[str, dict[str, dict]]:
    """The rows above "all": VidDiffBench's splits, or the benchmark's summary breakdown
    (ViDiC-1K: difference and similarity items)."""
    if typed.by_split is not None:
        return "split", {s: typed.by_split[s] for s in SPLITS if s in typed.by_split}
    name = get_benchmark(typed.benchmark).summary_breakdown
    return name or "all", dict((typed.breakdowns or {}).get(name, {}))


def _count(n: float | int) -> str:
    return f"{n:g}" if isinstance(n, float) else str(n)


def print_comparison(c: dict, console: Console | None = None) -> None:
    console = console or Console()
    metric = c["metric"]
    console.print(f"{metric} on {c['n']} paired scored items")
    for side in ("a", "b"):
        console.print(f"  {side}: {c[side]['model']} ({c[side]['run']}): {_pct(c[side][metric])}%")
    console.print(f"  a - b: {_pct(c['difference'])} points, 95% CI {_ci(c['ci95'])}, "
                  f"paired bootstrap p = {_p(c['p_paired_bootstrap'])}")
    if mc := c.get("mcnemar"):
        console.print(f"  McNemar: a right/b wrong {mc['a_right_b_wrong']}, "
                      f"b right/a wrong {mc['b_right_a_wrong']}, exact p = {_p(mc['p_exact'])}")


def incomplete_message(results: Results, out: object) -> str:
    """Why a run is not a score, what failed first, and how to finish it."""
    f = results.failures or {}
    by_status = ", ".join(f"{n} {status}" for status, n in sorted(f.get("by_status", {}).items()))
    lines = [f"incomplete: {f.get('failed_samples', '?')} of {results.n_samples} samples failed "
             f"({by_status}; --max-failures allows {f.get('allowed', 0)}). {out}/results.json "
             "says complete: false and is never ranked."]
    lines += [f"  {e['sample_key']}: {e['status']}: {e['error']}"
              for e in f.get("first_errors", [])]
    lines.append("Fix the cause and run the same command again: finished calls come from the "
                 "cache, so only the failed samples are sent again. To accept failures as "
                 "wrong answers instead, pass --max-failures N or P%.")
    return "\n".join(lines)
