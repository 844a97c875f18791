"""Where a result was made: vdbench's version and commit, the versions of the packages that
shape what a model is sent or how it is scored, Python and the platform."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from vdbench.core.version import __version__

PACKAGES = ("openai", "anthropic", "google-genai", "torch", "av", "numpy", "pillow", "pyarrow",
            "sentence-transformers", "open_clip_torch", "huggingface_hub")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the vdbench checkout in use, with "+dirty" for local changes; None for
    an installed wheel."""
    source = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=source, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty.strip() else "") if head else None


def environment() -> dict[str, Any]:
    return {
        "vdbench_version": __version__,
        "vdbench_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: v for name in PACKAGES if (v := _version(name)) is not None},
    }
