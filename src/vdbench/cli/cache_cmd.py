"""`vdbench cache info|prune|clear`: what the response and frame caches hold, and removing
entries by age or model. Pruning and clearing wait for no one: while a run uses the cache
folder they change nothing and exit 2 (core.cachelock)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.core.cachelock import exclusive
from vdbench.core.config import resolve_cache_dir
from vdbench.core.errors import InputError

DAY_S = 86_400.0


def add_commands(sub: argparse._SubParsersAction) -> None:
    ca = sub.add_parser("cache", help="what the response and frame caches hold; prune or clear")
    actions = ca.add_subparsers(dest="cache_action", required=True)
    for name, text in (("info", "entries and size, responses by model"),
                       ("prune", "remove entries older than --older-than DAYS, or of --model"),
                       ("clear", "remove every cached response and frame")):
        p = actions.add_parser(name, help=text)
        p.add_argument("--cache-dir", type=Path,
                       help="default: $VDBENCH_CACHE or ~/.cache/vdbench")
        if name == "prune":
            p.add_argument("--older-than", type=float, metavar="DAYS",
                           help="entries stored (responses) or last used (frames) this many "
                                "days ago or more")
            p.add_argument("--model", help="responses of this model id (frames are kept)")


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} GB"


def cmd_cache(args: argparse.Namespace, console: Console | None = None) -> int:
    from vdbench.frames.store import frame_summary, prune_frames
    from vdbench.llm.cache import CACHE_FILE, prune_responses, response_summary

    console = console or Console()
    folder = resolve_cache_dir(args.cache_dir)
    responses, frames = folder / CACHE_FILE, folder / "frames"
    if args.cache_action == "info":
        table = Table(title=escape(f"cache {folder}"))
        for col, justify in (("what", "left"), ("entries", "right"), ("size", "right")):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for model, n, nbytes in response_summary(responses):
            table.add_row(escape(f"responses: {model}"), f"{n:,}", _size(nbytes or 0))
        file_size = responses.stat().st_size if responses.exists() else 0
        table.add_row("responses (file)", "", _size(file_size))
        n_frames, frame_bytes = frame_summary(frames)
        table.add_row("frames", f"{n_frames:,}", _size(frame_bytes))
        console.print(table)
        return 0
    if args.cache_action == "prune" and args.older_than is None and args.model is None:
        raise InputError("cache prune: give --older-than DAYS, --model ID, or both "
                         "(`vdbench cache clear` removes everything)")
    if args.cache_action == "prune" and args.older_than is not None and args.older_than < 0:
        raise InputError(f"--older-than: must be at least 0 days, got {args.older_than:g}")
    if not folder.is_dir():
        console.print(f"nothing cached in {escape(str(folder))}", highlight=False)
        return 0
    before = (time.time() - args.older_than * DAY_S
              if args.cache_action == "prune" and args.older_than is not None else None)
    only_model: str | None = args.model if args.cache_action == "prune" else None
    fd = exclusive(folder)
    try:
        n_responses = prune_responses(responses, before=before, model=only_model)
        n_frames = prune_frames(frames, before=before) if only_model is None else 0
    finally:
        os.close(fd)
    console.print(f"removed {n_responses:,} responses and {n_frames:,} frame clips from "
                  f"{escape(str(folder))}", highlight=False)
    return 0


COMMANDS = {"cache": cmd_cache}
