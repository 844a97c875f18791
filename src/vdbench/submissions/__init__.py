"""Submissions: validate prediction files made elsewhere (validate.py) and record them under
submissions/NAME/ (record.py)."""

# Here rather than in validate.py so that the CLI can offer them without importing it.
DEFAULT_MAX_MB = 50.0
SIDECAR_SUFFIX = ".meta.json"
