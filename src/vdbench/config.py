"""Run-wide defaults shared by every stage."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """--cache-dir default: $VDBENCH_CACHE, else ~/.cache/vdbench."""
    return Path(os.environ.get("VDBENCH_CACHE") or Path.home() / ".cache" / "vdbench")
