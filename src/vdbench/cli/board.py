"""`vdbench submit` and `vdbench leaderboard`, and the submission checks of `vdbench validate`.

main.py adds these with add_commands(sub) and dispatches through COMMANDS; InputError
becomes exit 2 there like for every other command."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK
from vdbench.cli.options import add_scoring_options, add_source_options
from vdbench.core.errors import InputError
from vdbench.submissions import DEFAULT_MAX_MB, SIDECAR_SUFFIX


def add_validate_options(p: argparse.ArgumentParser) -> None:
    """The submission options of `vdbench validate` (on top of main.py's data options)."""
    p.add_argument("--metadata", type=Path,
                   help=f"sidecar metadata file (default: FILE{SIDECAR_SUFFIX} if it exists)")
    p.add_argument("--require-metadata", action="store_true",
                   help="fail when the file has no metadata (as `submit` does)")
    p.add_argument("--max-size-mb", type=float, default=DEFAULT_MAX_MB,
                   help=f"file size limit (default {DEFAULT_MAX_MB:g})")


def add_commands(sub: argparse._SubParsersAction) -> None:
    sp = sub.add_parser("submit", help="validate, score and record a prediction file")
    sp.add_argument("predictions", type=Path, help="the prediction file to record")
    sp.add_argument("--name", required=True,
                    help="record name: lowercase letters, digits, '.', '_', '-' (max 64)")
    sp.add_argument("--replace", action="store_true", help="overwrite a recorded submission")
    sp.add_argument("--submissions", type=Path, default=Path("submissions"), metavar="DIR",
                    help="where submissions are recorded (default submissions/)")
    add_source_options(sp)
    add_scoring_options(sp)
    add_validate_options(sp)

    lb = sub.add_parser("leaderboard", help="rebuild the leaderboard from every record")
    lb.add_argument("--submissions", type=Path, default=Path("submissions"), metavar="DIR",
                    help="recorded submissions (default submissions/)")
    lb.add_argument("--runs", type=Path, default=Path("runs"), metavar="DIR",
                    help="local runs of `vdbench eval` (default runs/)")
    lb.add_argument("--no-runs", action="store_true",
                    help="leave local runs out (the published leaderboard)")
    lb.add_argument("--out", type=Path, default=Path("leaderboard"), metavar="DIR",
                    help="where the pages go (default leaderboard/)")


def benchmark_of(args: argparse.Namespace) -> str:
    """--benchmark; when it was not given (nor recorded in a run.json beside the file), the
    benchmark the submission's metadata names, else the default."""
    from vdbench.submissions.validate import claimed_benchmark

    if "benchmark" in getattr(args, "defaulted", []):
        named = claimed_benchmark(args.predictions, args.metadata, args.max_size_mb)
        if named is not None:
            args.benchmark = named
            args.defaulted.remove("benchmark")
    return str(args.benchmark)


def cmd_validate(args: argparse.Namespace) -> int:
    from vdbench.benchmarks.catalog import get_benchmark
    from vdbench.data.loader import Selection
    from vdbench.submissions.validate import validate_submission

    spec = get_benchmark(benchmark_of(args))
    selection = Selection(args.split, args.domain, args.action, args.per_action, args.limit)
    bench = spec.load(args.data, selection, video_root=args.video_root,
                      cache_dir=args.cache_dir, skip_missing=False, check_videos=False,
                      revision=args.data_revision)
    checked = validate_submission(args.predictions, bench.samples, args.mode,
                                  metadata_path=args.metadata,
                                  require_metadata=args.require_metadata,
                                  max_mb=args.max_size_mb, benchmark=spec)
    loaded = checked.predictions
    meta = (f"; metadata ({checked.metadata_source}): {checked.metadata.method!r}"
            if checked.metadata else "; no metadata")
    if all(isinstance(v, dict) for v in loaded.predictions.values()):  # per difference
        n = sum(len(v) for v in loaded.predictions.values())
        counted = f"{len(loaded.predictions)} samples, {n} predictions"
    else:  # one answer per sample (ViDiC-1K's texts)
        counted = f"{len(loaded.predictions)} samples"
    where = "" if spec.name == DEFAULT_BENCHMARK else f"{spec.title}, "
    Console().print(f"{args.predictions}: valid ({where}{loaded.format} format, "
                    f"{counted}{meta})", highlight=False)
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from vdbench.cli.summary import print_summary
    from vdbench.data.loader import Selection
    from vdbench.leaderboard.build import build
    from vdbench.pipeline.config import EvalConfig
    from vdbench.submissions.record import submit

    cfg = EvalConfig(data=args.data, selection=Selection(args.split), cache_dir=args.cache_dir,
                     video_root=args.video_root, judge=args.judge, tolerance_s=args.tolerance,
                     concurrency=args.concurrency, base_url=args.base_url,
                     protocol_name=args.protocol, prompts_dir=args.prompts,
                     benchmark=benchmark_of(args), data_revision=args.data_revision)
    rec = submit(args.predictions, args.name, cfg, submissions_dir=args.submissions,
                 replace=args.replace, metadata_path=args.metadata, max_mb=args.max_size_mb)
    console = Console()
    for note in rec.repaired:
        Console(stderr=True).print(f"note: {note}", highlight=False)
    print_summary(rec.results, console)
    if rec.results.provenance.get("dataset") == "mini":
        why = " (no --data given)" if "data" in getattr(args, "defaulted", []) else ""
        from vdbench.leaderboard.reported import reported_dataset

        hub = reported_dataset(rec.results.benchmark)
        console.print(f"  scored against the bundled mini benchmark{why}: a smoke test of the "
                      f"file, not a score to compare; pass --data {hub} for the "
                      "benchmark", highlight=False)
    files = ", ".join(sorted(p.name for p in rec.folder.iterdir()))
    console.print(f"  recorded {rec.folder}/ ({files})", highlight=False)
    board = build(args.submissions, None)
    for table in board.tables:
        for row in table.rows:
            if row.id == f"submission:{rec.name}":
                ranked = sum(r.rank is not None for r in table.rows)
                whole = ("rows with all three splits of the whole benchmark"
                         if table.benchmark == DEFAULT_BENCHMARK
                         else "complete rows of the whole benchmark")
                where = (f"rank {row.rank} of {ranked}" if row.rank
                         else f"not ranked (only {whole} are)")
                console.print(f"  {where} among submissions in {table.mode} mode, "
                              f"{table.title}; run `make leaderboard` to rebuild the page",
                              highlight=False)
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from vdbench.leaderboard.build import build
    from vdbench.leaderboard.publish import write
    from vdbench.submissions.record import repair

    if args.out.resolve() in (args.submissions.resolve(), args.runs.resolve()):
        raise InputError(f"--out {args.out}: must not be a folder of records")
    err = Console(stderr=True)
    for done in repair(args.submissions):  # what a killed `vdbench submit` left behind
        err.print(f"note: {done}", highlight=False, soft_wrap=True)
    start = time.perf_counter()
    board = build(args.submissions, None if args.no_runs else args.runs)
    paths = write(board, args.out)
    seconds = time.perf_counter() - start
    for s in board.skipped:
        err.print(f"warning: skipped {s['record']}: {s['reason']}", highlight=False)
    n_rows = sum(len(t.rows) for t in board.tables)
    Console().print(f"wrote {', '.join(str(p) for p in paths.values())} "
                    f"({n_rows} rows in {len(board.tables)} tables, {seconds:.2f} s)",
                    highlight=False)
    if "plot.png" not in paths:
        err.print("note: plot not drawn: install matplotlib (pip install 'vdbench[plot]')")
    return 0


COMMANDS = {"submit": cmd_submit, "leaderboard": cmd_leaderboard}
