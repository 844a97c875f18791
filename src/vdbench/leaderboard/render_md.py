"""leaderboard/leaderboard.md: the same tables as the page, as GitHub-flavoured markdown: one
section per VidDiffBench mode, then one per other benchmark."""

from __future__ import annotations

from vdbench.core.results import VIDDIFFBENCH
from vdbench.leaderboard.layout import layout_of
from vdbench.leaderboard.table import MODES, Leaderboard, Table, benchmark_title
from vdbench.leaderboard.view import columns

NOT_COMPARABLE = ("> These tables differ in dataset, dataset revision or judge: their rows are "
                  "not comparable across tables.")
MODE_TITLES = {"closed": "Closed mode: accuracy (%)", "open": "Open mode: recall (%)"}
TITLE = "vdbench leaderboard"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def other_benchmarks(board: Leaderboard) -> list[str]:
    """The benchmarks besides VidDiffBench with a table, in the board's order."""
    found: list[str] = []
    for t in board.tables:
        if t.benchmark != VIDDIFFBENCH and t.benchmark not in found:
            found.append(t.benchmark)
    return found


def section_title(benchmark: str, tables: list[Table]) -> str:
    """"ViDiC-1K: accuracy (%)"; the mode too where the benchmark has several."""
    modes = sorted({t.mode for t in tables})
    metric = tables[0].metric.replace("_", " ") if tables else "results"
    what = f" ({', '.join(modes)})" if len(modes) > 1 else ""
    return f"{benchmark_title(benchmark)}{what}: {metric} (%)"


def render_md(board: Leaderboard, with_plot: bool) -> str:
    n = board.n_records
    lines = [
        f"# {TITLE}",
        "",
        (f"Rebuilt by `vdbench leaderboard` from {n['submissions']} submission(s) and "
         f"{n['runs']} run(s) recorded with vdbench, and the numbers reported in the paper. "
         "Open `index.html` for sortable tables."),
        "",
    ]
    if with_plot:
        lines += ["![Averages with 95% intervals, one panel per mode and dataset](plot.png)", ""]
    for mode in MODES:
        tables = [t for t in board.tables if t.mode == mode and t.benchmark == VIDDIFFBENCH]
        lines += [f"## {MODE_TITLES[mode]}", ""]
        lines += _tables(tables, "No vdbench result recorded in this mode yet.")
    for benchmark in other_benchmarks(board):
        tables = [t for t in board.tables if t.benchmark == benchmark]
        lines += [f"## {_escape(section_title(benchmark, tables))}", ""]
        for note in layout_of(benchmark).notes:
            lines += [f"_{_escape(note)}_", ""]
        lines += _tables(tables, f"No vdbench result recorded for {benchmark_title(benchmark)} "
                                 "yet.")
    lines += ["## Notes", ""] + [f"- {note}" for note in board.notes] + [""]
    return "\n".join(lines)


def _tables(tables: list[Table], empty: str) -> list[str]:
    lines: list[str] = []
    if not any(not t.reported for t in tables):
        lines += [empty, ""]
    elif len(tables) > 1:
        lines += [NOT_COMPARABLE, ""]
    for i, t in enumerate(tables):
        cols = columns(t)
        if i:
            lines += [f"> {t.differs_from(tables[i - 1])}", ""]
        lines += [f"### {_escape(t.title)}", ""]
        if t.smoke:
            lines += [f"_Smoke test: {_escape('; '.join(t.smoke))}._", ""]
        if t.judge_quality:
            lines += [f"_{_escape(t.judge_quality)}_", ""]
        if t.benchmark != VIDDIFFBENCH and t.chance is not None and not t.reported:
            lines += [f"_Chance: {_escape(chance_text(t))}._", ""]
        lines.append("| " + " | ".join(c.title for c in cols) + " |")
        lines.append("|" + "|".join("---:" if c.numeric else "---" for c in cols) + "|")
        for r in t.rows:
            cells = []
            for c in cols:
                shown = c.show(r)
                text = f"[{shown.text}]({shown.link})" if shown.link else shown.text
                cells.append(_escape(text + (f" {shown.detail}" if shown.detail else "")))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def chance_text(table: Table) -> str:
    assert table.chance is not None
    return (f"{layout_of(table.benchmark).chance_text} {100 * table.chance:.1f}% "
            f"{table.metric.replace('_', ' ')} on these pairs")
