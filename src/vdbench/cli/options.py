"""Command-line options shared by several commands, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data.splits import SPLITS
from ..scoring.localization import DEFAULT_TOLERANCE_S


def add_source_options(p: argparse.ArgumentParser) -> None:
    """Which benchmark: the data source, the split and where its videos and caches live."""
    p.add_argument("--data", default="mini", help="mini (bundled), a hub id, or a local folder")
    p.add_argument("--split", default="all", choices=[*SPLITS, "all"])
    p.add_argument("--video-root", type=Path)
    p.add_argument("--cache-dir", type=Path, help="default: $VDBENCH_CACHE or ~/.cache/vdbench")


def add_selection_options(p: argparse.ArgumentParser) -> None:
    """Which samples, in which mode, and where the outputs go."""
    p.add_argument("--mode", default="closed", choices=["closed", "open"])
    p.add_argument("--domain")
    p.add_argument("--action")
    p.add_argument("--per-action", type=int, metavar="N", help="first N pairs of each action")
    p.add_argument("--limit", type=int, metavar="N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path)


def add_scoring_options(p: argparse.ArgumentParser) -> None:
    """How open-mode answers are judged and localization is scored."""
    p.add_argument("--judge", default="paper",
                   help="open mode: paper (gpt-4o + gpt-4o-mini), offline, or MODEL[,MODEL]; "
                        "judge calls are cached, so a re-score costs nothing")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S,
                   help="localization hit tolerance in seconds")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--base-url", help="endpoint for OpenAI-compatible / provider APIs")
