"""`vdbench data check SRC`: check a copy of the benchmark as a maintainer would, and print
the counts beside the paper's, the videos, and which reading of retrieval_frames the copy is
consistent with (frames/datacheck.py says what is checked).

main.py adds the command with add_commands(sub) and dispatches through COMMANDS; the
InputError raised for a copy with problems becomes exit 2 there like for every other command.
Exit 0: the copy is consistent with the reading vdbench uses and every video it has is usable
with its trim inside it (missing videos and a partial copy are reported, not errors)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.core.errors import InputError
from vdbench.data.viddiffbench_facts import (
    DOMAINS,
    PAPER_DOMAIN_COUNTS,
    PAPER_SPLIT_COUNTS,
    PAPER_TOTALS,
    SPLIT_ACTIONS,
    SPLITS,
    VIDEO_SOURCES,
    split_of_action,
)
from vdbench.frames.datacheck import READINGS, USED_READING, Counts, DataCheck

MAX_LISTED = 100  # problems listed in the error; --out FILE has them all


def add_commands(sub: argparse._SubParsersAction) -> None:
    dp = sub.add_parser("data", help="look after a copy of the benchmark: data check SRC")
    dsub = dp.add_subparsers(dest="data_command", required=True, metavar="{check}")
    ck = dsub.add_parser(
        "check", help="counts beside the paper's, videos and trims, retrieval_frames readings")
    ck.add_argument("src", metavar="SRC",
                    help="mini, a local folder in the hub layout, or a hub id (jmhb/VidDiffBench)")
    ck.add_argument("--video-root", type=Path,
                    help="where the videos are, if not with the data")
    ck.add_argument("--cache-dir", type=Path,
                    help="hub downloads (default: $VDBENCH_CACHE or ~/.cache/vdbench)")
    ck.add_argument("--out", type=Path, metavar="FILE", help="also write the report as JSON")


def run_data_check(src: str, *, video_root: Path | None = None,
                   cache_dir: Path | None = None) -> DataCheck:
    """Load `src` without requiring its videos, then check it (frames.datacheck.check_data)."""
    from vdbench.data.loader import load_benchmark
    from vdbench.frames.datacheck import check_data

    bench = load_benchmark(src, check_videos=False, video_root=video_root, cache_dir=cache_dir)
    return check_data(bench.samples, bench.video_root, source=bench.source,
                      revision=bench.revision)


def cmd_data(args: argparse.Namespace) -> int:
    if args.data_command == "check":
        return cmd_data_check(args)
    raise InputError(f"data: unknown subcommand {args.data_command!r}; known: check")


def cmd_data_check(args: argparse.Namespace) -> int:
    from vdbench.core.io import write_json_atomic

    report = run_data_check(args.src, video_root=args.video_root, cache_dir=args.cache_dir)
    console = Console()
    if not console.is_terminal:  # piped or captured: wide enough for the tables
        console = Console(width=200)
    print_report(report, console)
    if args.out:
        write_json_atomic(args.out, report.to_json())
        console.print(f"  wrote {escape(str(args.out))}", highlight=False)
    if report.problems:
        shown = report.problems[:MAX_LISTED]
        if len(report.problems) > MAX_LISTED:
            shown.append(f"... and {len(report.problems) - MAX_LISTED} more"
                         + (f" (all in {args.out})" if args.out else " (--out FILE lists all)"))
        raise InputError(f"data check {args.src}: {len(report.problems)} problem(s)",
                         problems=shown)
    return 0


COMMANDS = {"data": cmd_data}


# --- the report ------------------------------------------------------------------------------

def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _abc(c: Counts | None) -> str:
    return "-" if c is None else f"{c.a}/{c.b}/{c.c}"


def print_report(report: DataCheck, console: Console | None = None) -> None:
    console = console or Console()
    head = (f"data check: {report.source} (revision {report.revision}) · "
            f"{report.total.pairs:,} pairs, {report.total.labelled:,} labelled differences · "
            f"videos under {report.video_root}")
    console.print(escape(head), highlight=False)
    if report.partial:
        absent = report.absent_domains
        console.print("  partial copy: fewer pairs than the paper"
                      + (f"; absent domains: {', '.join(absent)}" if absent else ""),
                      highlight=False)
    console.print(_domain_table(report))
    console.print(_split_table(report))
    console.print(_action_table(report))
    console.print(_video_table(report))
    console.print(_readings_table(report))
    _print_verdict(report, console)


def _domain_table(report: DataCheck) -> Table:
    t = Table(title="Pairs and labelled differences per domain, beside the paper's Table 1",
              title_justify="left")
    for col in ("domain", "pairs", "paper", "labelled", "a/b/c", "paper", "with frames",
                "paper timestamps"):
        t.add_column(col, justify="left" if col == "domain" else "right")
    domains = list(dict.fromkeys([*DOMAINS, *report.by_domain]))
    for d in domains:
        c = report.by_domain.get(d)
        paper = PAPER_DOMAIN_COUNTS.get(d, {})
        t.add_row(escape(d), _n(c.pairs if c else 0), _n(paper.get("pairs")),
                  _n(c.labelled if c else 0), _abc(c), _n(paper.get("differences")),
                  _n(c.with_frames if c else 0), _n(paper.get("timestamps")))
    c = report.total
    t.add_row("total", _n(c.pairs), _n(PAPER_TOTALS["pairs"]), _n(c.labelled), _abc(c),
              _n(PAPER_TOTALS["differences"]), _n(c.with_frames), _n(PAPER_TOTALS["timestamps"]),
              style="bold")
    return t


def _split_table(report: DataCheck) -> Table:
    t = Table(title="Per split, beside the paper's Table 8 (it counts an earlier version: "
                    "557 pairs)", title_justify="left")
    for col in ("split", "pairs", "paper", "labelled", "a/b/c", "paper", "paper a/b/c"):
        t.add_column(col, justify="left" if col == "split" else "right")
    for s in dict.fromkeys([*SPLITS, *report.by_split]):
        c = report.by_split.get(s)
        paper = PAPER_SPLIT_COUNTS.get(s)
        t.add_row(escape(s), _n(c.pairs if c else 0), _n(paper["pairs"] if paper else None),
                  _n(c.labelled if c else 0), _abc(c),
                  _n(paper["differences"] if paper else None),
                  f"{paper['a']}/{paper['b']}/{paper['c']}" if paper else "-")
    return t


def _action_table(report: DataCheck) -> Table:
    t = Table(title="Per action (the paper's Table 6 gives each action's split, no counts)",
              title_justify="left")
    for col in ("action", "split", "pairs", "labelled", "a/b/c"):
        t.add_column(col, justify="left" if col in ("action", "split") else "right")
    paper_actions = [a for s in SPLITS for a in SPLIT_ACTIONS[s]]
    order = list(report.by_action) + [a for a in paper_actions if a not in report.by_action]
    for action in order:
        c = report.by_action.get(action)
        paper_split = split_of_action(action)
        splits = report.action_splits.get(action) or ([paper_split] if paper_split else [])
        split = ", ".join(splits)
        if c is not None and (paper_split is None or splits != [paper_split]):
            split += f" (Table 6: {paper_split or 'absent'})"
        t.add_row(escape(action), escape(split), _n(c.pairs if c else 0),
                  _n(c.labelled if c else 0), _abc(c),
                  style=None if c else "dim")
    return t


def _video_table(report: DataCheck) -> Table:
    t = Table(title="Videos (two per pair): probed, and each trim checked against its frames",
              title_justify="left", caption="--out FILE lists the missing paths",
              caption_justify="left")
    for col in ("domain", "videos", "usable", "missing", "unusable", "missing ones come from"):
        t.add_column(col, justify="right" if col in ("videos", "usable", "missing", "unusable")
                     else "left")
    for d, v in report.videos.items():
        where = VIDEO_SOURCES.get(d, "unknown domain") if v.missing else ""
        t.add_row(escape(d), _n(v.videos), _n(v.usable), _n(v.missing), _n(v.unusable),
                  escape(where))
    return t


def _readings_table(report: DataCheck) -> Table:
    t = Table(title="retrieval_frames: indices each reading keeps inside their clip",
              title_justify="left",
              caption="; ".join(f"{r}: {escape(text)}" for r, text in READINGS.items()),
              caption_justify="left")
    for col in ("domain", "A inside", "A outside", "B inside", "B outside", "undecided",
                "consistent"):
        t.add_column(col, justify="left" if col in ("domain", "consistent") else "right")
    rows = list(report.readings.items()) + [("all", report.overall_readings())]
    for d, tallies in rows:
        a, b = tallies["A"], tallies["B"]
        if d == "all":
            consistent = [r for r, x in tallies.items() if x.verdict == "consistent"]
        else:
            consistent = report.consistent_readings(d)
        t.add_row(escape(d), _n(a.inside), _n(a.outside), _n(b.inside), _n(b.outside),
                  _n(max(a.undecided, b.undecided)),
                  " and ".join(consistent) or ("undecided" if a.undecided else "none"),
                  style="bold" if d == "all" else None)
    return t


def _print_verdict(report: DataCheck, console: Console) -> None:
    used = report.overall_readings()[USED_READING]
    if used.outside:
        reading = (f"reading {USED_READING} (vdbench's) is contradicted: {used.outside:,} "
                   "index(es) outside their clip")
    elif used.inside:
        reading = f"reading {USED_READING} (vdbench's) keeps every decided index inside its clip"
        if used.undecided:
            reading += f" ({used.undecided:,} undecided: their videos are missing)"
    else:
        reading = f"reading {USED_READING} (vdbench's): no index could be checked"
    console.print(f"  {escape(reading)}", highlight=False)
    for note in report.notes:
        console.print(f"  note: {escape(note)}", highlight=False)
    if report.ok:
        console.print("  [bold green]ok[/]: consistent with vdbench's reading; every video "
                      "present is usable and holds its trim", highlight=False)
    else:
        console.print(f"  [bold red]{len(report.problems)} problem(s)[/] (listed below)",
                      highlight=False)
