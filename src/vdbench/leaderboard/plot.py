"""leaderboard/plot.png: the closed and open averages with their 95% intervals.

One panel per mode and dataset, stacked: no axis holds numbers of two datasets, so a run on
the bundled mini benchmark is never drawn beside the paper's full-benchmark rows. Each row's
label and value sit on a line of their own above its marker, so the data spans the whole
width and the figure stays readable when a phone shrinks it; each axis fits its data (with the
50% chance line in closed mode), and each legend sits below its axes, off the data.

Drawn with matplotlib's Agg canvas directly (no pyplot, so no global state), and saved
without the Software tag, so that the same rows give the same bytes."""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vdbench.data.viddiffbench_facts import HUB_ID
from vdbench.leaderboard.records import Row
from vdbench.leaderboard.table import MODES, Leaderboard, Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MODE_TITLES = {"closed": "Closed: accuracy (%)", "open": "Open: recall (%)"}
LEGEND_CHARS = 50  # a longer legend entry (a judge's settings) wraps onto more lines
PAPER_COLOR = "#8a8a8a"
PER_TABLE = 12  # the plot is an overview: the best rows of each table; the tables have them all
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
CHANCE = 50.0  # closed mode: a coin flip per difference

WIDTH_IN = 4.8  # WIDTH_IN * CSS_DPI CSS pixels wide; a phone shows it at 3/4 of that
CSS_DPI = 100
DPI = 200  # twice CSS_DPI: sharp on high-density screens
ROW_IN = 0.42  # one row: its label line and its marker
TICK_PT = 9.5
LABEL_CHARS = 50  # what fits the width at 10 pt; the tables give the whole label


@dataclass
class Panel:
    """One axis: the rows of one mode on one dataset, in one block per table."""

    mode: str
    dataset: str
    tables: list[Table] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.mode}:{self.dataset}"

    @property
    def title(self) -> str:
        return f"{MODE_TITLES[self.mode]}, {dataset_text(self.dataset)}"

    @property
    def n_rows(self) -> int:
        return sum(len(plotted(t)) for t in self.tables)


def dataset_text(dataset: str) -> str:
    if dataset == HUB_ID:
        return "full benchmark"
    if dataset == "mini":
        return "mini benchmark (smoke test, not comparable)"
    return dataset  # another hub id, or "local folder"


def plotted(table: Table) -> list[Row]:
    rows = [r for r in table.rows if r.average is not None and r.subset is None]
    return sorted(rows, key=lambda r: (-r.average.value, r.label, r.id))[:PER_TABLE]  # type: ignore[union-attr]


def panels(board: Leaderboard) -> list[Panel]:
    """The plot's panels, top to bottom: closed then open, the full benchmark first and the
    mini benchmark last. A panel never holds two datasets."""
    found: dict[tuple[str, str], Panel] = {}
    for t in board.tables:
        if plotted(t):
            found.setdefault((t.mode, t.dataset), Panel(t.mode, t.dataset)).tables.append(t)
    return sorted(found.values(), key=lambda p: (
        MODES.index(p.mode), p.dataset != HUB_ID, p.dataset == "mini", p.dataset))


def x_range(mode: str, rows: list[Row]) -> tuple[float, float]:
    """The axis range in percent: the values and intervals with a margin, in steps of 5;
    closed mode keeps the 50% chance line in view; at least 20 points wide."""
    lows, highs = [], []
    for r in rows:
        assert r.average is not None
        lo, hi = r.average.ci95 or (r.average.value, r.average.value)
        lows.append(100 * min(lo, r.average.value))
        highs.append(100 * max(hi, r.average.value))
    lo, hi = (min(lows), max(highs)) if rows else (CHANCE, CHANCE)
    if mode == "closed":
        lo, hi = min(lo, CHANCE), max(hi, CHANCE)
    pad = max(2.0, 0.05 * (hi - lo))
    lo = max(0.0, 5 * math.floor((lo - pad) / 5))
    hi = min(100.0, 5 * math.ceil((hi + pad) / 5))
    while hi - lo < 20:
        lo, hi = max(0.0, lo - 5), min(100.0, hi + 5)
    return lo, hi


def render_plot(board: Leaderboard, modes: tuple[str, ...] = MODES) -> bytes | None:
    """PNG bytes of the panels of these modes, or None when matplotlib (the `plot` extra) is
    not installed."""
    fig = draw(board, modes)
    if fig is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def draw(board: Leaderboard, modes: tuple[str, ...] = MODES) -> Figure | None:
    """The figure, or None without matplotlib. Each axes' gid is its panel's key."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import ConstrainedLayoutEngine
    except ImportError:
        return None
    shown = [p for p in panels(board) if p.mode in modes]
    heights = [_panel_height(p) for p in shown] or [1.6]
    fig = Figure(figsize=(WIDTH_IN, sum(heights)), dpi=CSS_DPI,
                 layout=ConstrainedLayoutEngine(h_pad=0.06, w_pad=0.06))
    FigureCanvasAgg(fig)
    if not shown:
        fig.text(0.5, 0.5, "no row with all three splits", ha="center", va="center",
                 color="#666666")
        return fig
    subfigs = fig.subfigures(len(shown), 1, height_ratios=heights, squeeze=False)[:, 0]
    for sub, panel in zip(subfigs, shown):
        _panel(sub.add_subplot(), panel)
    return fig


def _legend_rows(panel: Panel) -> int:
    return sum(len(_table_legend(t).splitlines()) for t in panel.tables) + (panel.mode == "closed")


def _panel_height(panel: Panel) -> float:
    # title, tick labels, legend and margins, then the rows
    return 0.95 + 0.2 * _legend_rows(panel) + ROW_IN * (panel.n_rows + 0.3)


def _table_legend(table: Table) -> str:
    if table.reported:
        return "reported in the paper (hollow; no interval given)"
    text = f"vdbench, revision {table.revision}"
    text += f", judge {table.judge}" if table.judge else ""
    return textwrap.fill(_short(text, 3 * LEGEND_CHARS), LEGEND_CHARS, break_long_words=True)


def _panel(ax: Any, panel: Panel) -> None:
    from matplotlib.transforms import offset_copy

    ax.set_gid(panel.key)
    ax.set_title(_short(panel.title, 52), fontsize=11, loc="left")
    points: list[tuple[Row, str, str]] = []
    bounds = []
    n_reproduced = 0
    for t in panel.tables:
        color = PAPER_COLOR if t.reported else COLORS[n_reproduced % len(COLORS)]
        n_reproduced += not t.reported
        points += [(r, color, _table_legend(t)) for r in plotted(t)]
        bounds.append(len(points))
    lo, hi = x_range(panel.mode, [p[0] for p in points])
    ax.set_xlim(lo, hi)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", labelsize=TICK_PT)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if panel.mode == "closed" and lo < CHANCE < hi:
        ax.axvline(CHANCE, color="#444444", linestyle="--", linewidth=0.8,
                   label="chance (50%)")
    n = len(points)
    for b in bounds[:-1]:  # one block per table: tables are not ranked together
        ax.axhline(n - b - 0.5, color="#b0b0b0", linewidth=0.6)
    labelled: set[str] = set()
    for i, (row, color, label) in enumerate(points):
        avg = row.average
        assert avg is not None
        y = n - 1 - i
        err = None
        if avg.ci95:
            err = [[100 * (avg.value - avg.ci95[0])], [100 * (avg.ci95[1] - avg.value)]]
        ax.errorbar(100 * avg.value, y - 0.12, xerr=err, fmt="o", color=color, capsize=3,
                    markersize=5, markerfacecolor="white" if row.source == "paper" else color,
                    label=None if label in labelled else label)
        labelled.add(label)
        ax.text(0.005, y + 0.02, f"{_middle(row.label, LABEL_CHARS)}  {100 * avg.value:.1f}",
                transform=ax.get_yaxis_transform(), fontsize=10, va="bottom", ha="left",
                color="#1d2330", bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                       "edgecolor": "none", "alpha": 0.85})
    ax.set_ylim(-0.55, n - 0.25)
    # below the tick labels, whatever the axes' size: an offset in points from its bottom
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-(TICK_PT + 3.5 + 3.5 + 6),
                        units="points")
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below, fontsize=9,
              frameon=False, borderaxespad=0, handlelength=1.6, ncol=1)


def _middle(label: str, limit: int) -> str:
    """A long label loses its middle: the method's name starts it, and what tells rows of one
    method apart (the options, the seed) ends it."""
    if len(label) <= limit:
        return label
    head = (2 * limit) // 5
    return label[:head] + "\u2026" + label[len(label) - (limit - head - 1):]


def _short(title: str, limit: int = 48) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "\u2026"
