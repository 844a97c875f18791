"""leaderboard/leaderboard.md: the same tables as the page, as GitHub-flavoured markdown."""

from __future__ import annotations

from vdbench.leaderboard.table import MODES, Leaderboard
from vdbench.leaderboard.view import columns

NOT_COMPARABLE = ("> These tables differ in dataset, dataset revision or judge: their rows are "
                  "not comparable across tables.")
MODE_TITLES = {"closed": "Closed mode: accuracy (%)", "open": "Open mode: recall (%)"}


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_md(board: Leaderboard, with_plot: bool) -> str:
    n = board.n_records
    lines = [
        "# VidDiffBench leaderboard",
        "",
        (f"Rebuilt by `vdbench leaderboard` from {n['submissions']} submission(s) and "
         f"{n['runs']} run(s) recorded with vdbench, and the numbers reported in the paper. "
         "Open `index.html` for sortable tables."),
        "",
    ]
    if with_plot:
        lines += ["![Averages with 95% intervals, one panel per mode and dataset](plot.png)", ""]
    for mode in MODES:
        tables = [t for t in board.tables if t.mode == mode]
        lines += [f"## {MODE_TITLES[mode]}", ""]
        if not any(not t.reported for t in tables):
            lines += ["No vdbench result recorded in this mode yet.", ""]
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
    lines += ["## Notes", ""] + [f"- {note}" for note in board.notes] + [""]
    return "\n".join(lines)
