"""Run-wide defaults shared by every stage."""

from __future__ import annotations

import os
from pathlib import Path


def resolve_cache_dir(explicit: Path | None = None) -> Path:
    """--cache-dir if given, else $VDBENCH_CACHE, else ~/.cache/vdbench."""
    if explicit is not None:
        return Path(explicit).expanduser()
    return Path(os.environ.get("VDBENCH_CACHE") or Path.home() / ".cache" / "vdbench").expanduser()
