"""`vdbench batches [list|cancel]`: the Batch API jobs recorded in the cache folder by runs
with --batch.

main.py adds the command with add_commands(sub) and dispatches through COMMANDS; InputError
becomes exit 2 there like for every other command."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.core.config import resolve_cache_dir
from vdbench.llm.batch.manage import cancel_jobs, list_jobs
from vdbench.llm.batch.store import JobRecord


def add_commands(sub: argparse._SubParsersAction) -> None:
    ba = sub.add_parser("batches", help="list or cancel the Batch API jobs of --batch runs")
    actions = ba.add_subparsers(dest="batches_action")
    ls = actions.add_parser("list", help="the jobs in the cache folder (default)")
    ls.add_argument("--pending", action="store_true", help="only jobs not finished")
    ca = actions.add_parser("cancel", help="cancel pending jobs (needs the API keys)")
    ca.add_argument("job_ids", nargs="*", metavar="JOB_ID", help="default: every pending job")
    for p in (ba, ls, ca):
        p.add_argument("--cache-dir", type=Path, default=argparse.SUPPRESS,
                       help="default: $VDBENCH_CACHE or ~/.cache/vdbench")


def age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def jobs_table(jobs: list[JobRecord], now: float | None = None) -> Table:
    now = time.time() if now is None else now
    table = Table(title="batch jobs")
    for column in ("job", "provider", "model", "state", "status", "requests", "done",
                   "failed", "age"):
        table.add_column(column, justify="right" if column in (
            "requests", "done", "failed", "age") else "left")
    for job in jobs:
        table.add_row(escape(job.job_id), job.provider, escape(job.model), escape(job.state),
                      job.phase, str(job.n_requests),
                      "" if job.n_succeeded is None else str(job.n_succeeded),
                      "" if job.n_failed is None else str(job.n_failed),
                      age(now - job.created_at))
    return table


def cmd_batches(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console()
    cache_dir = resolve_cache_dir(getattr(args, "cache_dir", None))
    if getattr(args, "batches_action", None) == "cancel":
        results = asyncio.run(cancel_jobs(cache_dir, args.job_ids))
        if not results:
            console.print("no pending batch job to cancel")
        for result in results:
            verdict = "cancelled" if result.ok else "[red]could not cancel[/]"
            console.print(f"{verdict} {escape(result.job.job_id)} ({result.job.provider} "
                          f"{escape(result.job.model)}): {escape(result.state)}")
        return 0 if all(r.ok for r in results) else 1
    jobs = list_jobs(cache_dir, "pending" if getattr(args, "pending", False) else None)
    if not jobs:
        console.print(f"no batch jobs in {cache_dir}")
        return 0
    console.print(jobs_table(jobs))
    return 0


COMMANDS = {"batches": cmd_batches}
