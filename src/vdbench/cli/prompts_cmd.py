"""`vdbench prompts import-reference PATH --out DIR`: the authors' prompts as a `--prompts`
folder (tasks.reference_prompts). main.py adds the command with add_commands(sub)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from vdbench.core.errors import InputError


def add_commands(sub: argparse._SubParsersAction) -> None:
    pr = sub.add_parser("prompts", help="prompt folders for --prompts")
    actions = pr.add_subparsers(dest="prompts_action", required=True)
    im = actions.add_parser(
        "import-reference", help="write the reference code's prompts (a checkout of "
                                 "jmhb0/viddiff) as a --prompts folder")
    im.add_argument("path", type=Path, help="the checkout's root folder")
    im.add_argument("--out", type=Path, required=True, help="the folder to write")


def cmd_prompts(args: argparse.Namespace, console: Console | None = None) -> int:
    from vdbench.tasks.reference_prompts import import_reference

    console = console or Console()
    if args.prompts_action != "import-reference":  # argparse allows no other
        raise InputError(f"prompts: unknown action {args.prompts_action!r}")
    origin = import_reference(args.path, args.out)
    for name, where in origin.items():
        console.print(f"  {name}.txt  <- {escape(where)}", highlight=False, soft_wrap=True)
    console.print(f"wrote {len(origin)} templates to {escape(str(args.out))}; use them with "
                  f"--protocol paper --prompts {escape(str(args.out))}", highlight=False,
                  soft_wrap=True)
    return 0


COMMANDS = {"prompts": cmd_prompts}
