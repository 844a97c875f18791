"""The leaderboard, in layers: rows read from records (records.py, reported.py), grouped and
ranked into tables (table.py, build.py), shown cell by cell (view.py), rendered (render_md,
render_html, plot) and written (publish.py)."""
