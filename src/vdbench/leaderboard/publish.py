"""Write the leaderboard's files. Outputs hold no timestamps and no absolute paths, and are
written with sorted keys, so the same records always give byte-identical files."""

from __future__ import annotations

import json
from pathlib import Path

from vdbench.core.io import write_bytes_atomic, write_text_atomic
from vdbench.leaderboard.plot import render_plot
from vdbench.leaderboard.render_html import render_html
from vdbench.leaderboard.render_md import render_md
from vdbench.leaderboard.table import MODES, Leaderboard
from vdbench.leaderboard.view import relative_link


def write(board: Leaderboard, out: Path) -> dict[str, Path]:
    """leaderboard.json, leaderboard.md, index.html and (with matplotlib) plot.png."""
    out.mkdir(parents=True, exist_ok=True)
    for table in board.tables:  # links to the runs' viewer pages, relative to `out`
        for row in table.rows:
            row.viewer = relative_link(row.view_file, out) if row.view_file else ""
    png = render_plot(board)
    paths = {name: out / name for name in ("leaderboard.json", "leaderboard.md", "index.html")}
    write_text_atomic(paths["leaderboard.json"],
                      json.dumps(board.to_json(), indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n")
    write_text_atomic(paths["leaderboard.md"], render_md(board, png is not None))
    # the page shows one image per mode: side by side on a wide screen, stacked on a phone
    per_mode = {m: render_plot(board, (m,)) for m in MODES} if png is not None else None
    write_text_atomic(paths["index.html"], render_html(board, per_mode))
    plot = out / "plot.png"
    if png is not None:
        write_bytes_atomic(plot, png)
        paths["plot.png"] = plot
    else:
        plot.unlink(missing_ok=True)  # a stale plot would contradict the tables
    return paths
