"""`vdbench view RUN`: main.py adds the command with add_commands(sub) and dispatches through
COMMANDS; an InputError becomes exit 2 there like for every other command."""

from __future__ import annotations

import argparse
from pathlib import Path

from vdbench.viewer.thumbs import DEFAULT_THUMB_PX


def add_commands(sub: argparse._SubParsersAction) -> None:
    vp = sub.add_parser("view", help="write RUN/view/index.html: every sample of a run, its "
                                     "frames, the answers and the judge's matching")
    vp.add_argument("run", type=Path, metavar="RUN", help="a run folder of `eval` or `score`")
    vp.add_argument("--cache-dir", type=Path,
                    help="frame cache (default: $VDBENCH_CACHE or ~/.cache/vdbench)")
    vp.add_argument("--video-root", type=Path, help="where the videos are, if not with the data")
    vp.add_argument("--thumb-px", type=int, default=DEFAULT_THUMB_PX,
                    help=f"thumbnail size, long side in pixels (default {DEFAULT_THUMB_PX})")


def cmd_view(args: argparse.Namespace) -> int:
    from vdbench.viewer.build import build_view

    path = build_view(args.run, cache_dir=args.cache_dir, video_root=args.video_root,
                      thumb_px=args.thumb_px)
    print(path)
    return 0


COMMANDS = {"view": cmd_view}
