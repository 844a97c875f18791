"""Submissions and the leaderboard: validate and record prediction files made elsewhere, and
rebuild the leaderboard (json, markdown, html, plot) from every recorded result."""

# Here rather than in submission.py so that the CLI can offer them without importing it.
DEFAULT_MAX_MB = 50.0
SIDECAR_SUFFIX = ".meta.json"
