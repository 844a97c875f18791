"""leaderboard/plot.png: the closed and open averages with their 95% intervals.

Drawn with matplotlib's Agg canvas directly (no pyplot, so no global state), and saved
without the Software tag, so that the same rows give the same bytes."""

from __future__ import annotations

import io

from .build import MODES, Leaderboard, Table
from .records import Row

PANEL_TITLES = {"closed": "Closed: accuracy, average of splits (%)",
                "open": "Open: recall, average of splits (%)"}
PAPER_COLOR = "#8a8a8a"
PER_TABLE = 12  # the plot is an overview: the best rows of each table; the tables have them all
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def _plotted(table: Table) -> list[Row]:
    rows = [r for r in table.rows if r.average is not None and r.subset is None]
    return sorted(rows, key=lambda r: (-r.average.value, r.method, r.id))[:PER_TABLE]  # type: ignore[union-attr]


def render_plot(board: Leaderboard) -> bytes | None:
    """PNG bytes, or None when matplotlib (the `plot` extra) is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    per_mode = {m: [t for t in board.tables if t.mode == m and _plotted(t)] for m in MODES}
    n_max = max([sum(len(_plotted(t)) for t in ts) for ts in per_mode.values()] + [3])
    fig = Figure(figsize=(12, 1.6 + 0.3 * n_max), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for ax, mode in zip(axes, MODES):
        _panel(ax, mode, per_mode[mode])
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _panel(ax, mode: str, tables: list[Table]) -> None:
    ax.set_title(PANEL_TITLES[mode], fontsize=11)
    ax.set_xlim(0, 100)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if mode == "closed":
        ax.axvline(50, color="#444444", linestyle="--", linewidth=0.8, label="chance (50%)")
    # one block per table, top to bottom in the page's order: tables are not ranked together
    points = []
    bounds = []
    n_reproduced = 0
    for t in tables:
        color = PAPER_COLOR if t.reported else COLORS[n_reproduced % len(COLORS)]
        n_reproduced += not t.reported
        label = "reported in the paper" if t.reported else _short(t.title)
        points += [(r, color, label) for r in _plotted(t)]
        bounds.append(len(points))
    n = len(points)
    for b in bounds[:-1]:
        ax.axhline(n - b - 0.5, color="#999999", linewidth=0.6)
    labelled: set[str] = set()
    for i, (row, color, label) in enumerate(points):
        avg = row.average
        assert avg is not None
        err = None
        if avg.ci95:
            err = [[100 * (avg.value - avg.ci95[0])], [100 * (avg.ci95[1] - avg.value)]]
        ax.errorbar(100 * avg.value, n - 1 - i, xerr=err, fmt="o", color=color, capsize=3,
                    markerfacecolor="white" if row.source == "paper" else color,
                    label=None if label in labelled else label)
        labelled.add(label)
    ax.set_yticks(range(n))
    ax.set_yticklabels([p[0].method for p in reversed(points)], fontsize=9)
    ax.set_ylim(-0.7, max(n, 1) - 0.3)
    if not points:
        ax.text(50, 0, "no row with all three splits", ha="center", va="center",
                color="#666666")
    if labelled or mode == "closed":
        ax.legend(loc="lower right", fontsize=8, frameon=True)


def _short(title: str, limit: int = 48) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "\u2026"
