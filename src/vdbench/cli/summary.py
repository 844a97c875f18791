"""The readable end-of-run summary: accuracy per split with its 95% interval."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..data.splits import SPLITS


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _ci(ci: list[float] | None) -> str:
    return "-" if not ci else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _p(p: float | None) -> str:
    return "-" if p is None else (f"{p:.3f}" if p >= 0.001 else "<0.001")


def print_summary(results: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"{results['model']} · {results['mode']} · split={results['split']}")
    for col, justify in [("split", "left"), ("pairs", "right"), ("scored", "right"),
                         ("accuracy %", "right"), ("95% CI", "right"), ("p vs chance", "right")]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    by_split = results.get("by_split", {})
    for split in SPLITS:
        if split in by_split:
            b = by_split[split]
            table.add_row(split, str(b["n_samples"]), str(b["n_scored"]), _pct(b["accuracy"]),
                          _ci(b["ci95"]), _p(b["p_vs_chance"]))
    m = results["metrics"]
    table.add_row("all", str(results["n_samples"]), str(results["n_scored"]),
                  _pct(m["accuracy"]), _ci(m["ci95"]), _p(m["p_vs_chance"]), style="bold")
    console.print(table)
    notes = [f"average of splits: {_pct(m.get('split_average'))}%",
             f"coverage: {100 * results['coverage']:.1f}% of scored differences answered",
             f"sample status: {results.get('status_counts', {})}"]
    if "cost_usd" in results:
        notes.append(f"cost: ${results['cost_usd']:.4f}")
    console.print("  " + " · ".join(notes))
