"""`vdbench judge-eval`: measure a judge against the gold set of human matching decisions.

main.py adds the command with add_commands(sub) and dispatches through COMMANDS; InputError
becomes exit 2 there like for every other command."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vdbench.benchmarks.catalog import DEFAULT_BENCHMARK, benchmark_names, get_benchmark
from vdbench.core import defaults
from vdbench.core.errors import InputError
from vdbench.scoring.judge.evaluate import Figure, JudgeReport
from vdbench.scoring.judge.select import DEFAULT_JUDGE, JUDGE_HELP

SPLITS = ("dev", "test", "all")
# (figure, column title); recall_bias is shown in points, the others in percent
# "match recall" is the judge's share of the human matches; the benchmark recall it shifts is
# the footer's, so the two are never both called "recall"
COLUMNS = [("agreement", "agreement %"), ("match_precision", "match precision %"),
           ("match_recall", "match recall %"), ("direction_accuracy", "direction %"),
           ("recall_bias", "benchmark recall bias (pts)")]
MIN_WIDTH = 150  # the table with its intervals, uncut when piped (rich's default is 80)


def add_commands(sub: argparse._SubParsersAction) -> None:
    je = sub.add_parser("judge-eval", help="measure a judge against the gold matching decisions")
    je.add_argument("--judge", default=DEFAULT_JUDGE, metavar="JUDGE",
                    help=JUDGE_HELP.replace("open mode: ", "").split(". Default")[0]
                    + f" (default: {DEFAULT_JUDGE}, as for eval, score and submit)")
    je.add_argument("--benchmark", default=DEFAULT_BENCHMARK, metavar="NAME",
                    help=f"whose judge: {', '.join(benchmark_names())} (default "
                         f"{DEFAULT_BENCHMARK}); each is measured on its own gold set")
    je.add_argument("--gold", type=Path, help="gold file (default: the benchmark's packaged "
                                              "gold set)")
    je.add_argument("--split", default="test", choices=SPLITS,
                    help="which part of the gold set (default: test; tune on dev)")
    je.add_argument("--out", type=Path, help="write the figures and disagreements as JSON")
    je.add_argument("--cache-dir", type=Path, help="default: $VDBENCH_CACHE or ~/.cache/vdbench")
    je.add_argument("--concurrency", type=int, default=defaults.CONCURRENCY, metavar="N",
                    help=f"judge requests in flight at once (default {defaults.CONCURRENCY})")
    je.add_argument("--base-url", help="endpoint for OpenAI-compatible / provider APIs")


def run_judge_eval(judge_spec: str, *, gold: Path | None = None, split: str = "test",
                   cache_dir: Path | None = None, concurrency: int = defaults.CONCURRENCY,
                   base_url: str | None = None) -> JudgeReport:
    """Evaluate `judge_spec` on one part of the gold set, with the run context a pipeline
    run builds (the same runtime, so LLM judge calls are cached and limited as usual)."""
    from vdbench.core.config import resolve_cache_dir
    from vdbench.llm.context import CallContext
    from vdbench.llm.runtime import Runtime, RuntimeSettings
    from vdbench.scoring.judge.evaluate import evaluate_judge
    from vdbench.scoring.judge.gold import load_gold, split_gold
    from vdbench.scoring.judge.select import get_judge

    if split not in SPLITS:
        raise InputError(f"--split: expected one of {list(SPLITS)}, got {split!r}")
    if concurrency < 1:
        raise InputError(f"--concurrency must be at least 1, got {concurrency}")
    cases = load_gold(gold)
    if split != "all":
        cases = split_gold(cases, seed=0)[split]
    cache = resolve_cache_dir(cache_dir).resolve()
    runtime = Runtime.open(RuntimeSettings(cache, concurrency=concurrency))
    try:
        judge = get_judge(judge_spec, CallContext(runtime, cache, 0, base_url))

        async def go() -> JudgeReport:
            try:
                await judge.preflight()  # as a scoring run does: the models must be there
                return await evaluate_judge(judge, cases, concurrency=concurrency)
            finally:
                await judge.aclose()

        return asyncio.run(go())
    finally:
        runtime.close()


def _cell(name: str, f: Figure, interval: bool = True) -> str:
    if f.value is None:
        return "-"
    text = f"{100 * f.value:+.1f}" if name == "recall_bias" else f"{100 * f.value:.1f}"
    if interval and f.low is not None and f.high is not None:
        text += f" [{100 * f.low:.1f}, {100 * f.high:.1f}]"
    return text


def print_report(report: JudgeReport, split: str, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=MIN_WIDTH)
    n_decisions = report.overall["agreement"].n
    title = (f"judge {report.judge.get('name', '?')} · gold {split} · {report.n_cases} cases, "
             f"{n_decisions} decisions")
    table = Table(title=escape(title))
    table.add_column("domain")
    table.add_column("decisions", justify="right")
    for _, head in COLUMNS:
        table.add_column(head, justify="right")
    table.add_row("all (95% CI)", str(n_decisions),
                  *(_cell(name, report.overall[name]) for name, _ in COLUMNS), style="bold")
    for domain, figures in report.per_domain.items():
        table.add_row(domain, str(figures["agreement"].n),
                      *(_cell(name, figures[name], interval=False) for name, _ in COLUMNS))
    console.print(table)
    o = report.overall
    console.print(f"  benchmark recall under the judge {_cell('judge_recall', o['judge_recall'])}"
                  f" vs under the human decisions {_cell('gold_recall', o['gold_recall'])} · "
                  f"{len(report.disagreements)} disagreements"
                  + (f" · judge errors in {len(report.judge_errors)} cases"
                     if report.judge_errors else ""), highlight=False)


def measure_spec_judge(benchmark: str, judge_spec: str, *, gold: Path | None = None,
                       cache_dir: Path | None = None,
                       concurrency: int = defaults.CONCURRENCY,
                       base_url: str | None = None) -> dict[str, Any]:
    """A benchmark's judge measured on its gold set, through a runtime as a run makes one."""
    from vdbench.core.config import resolve_cache_dir
    from vdbench.core.protocol import get_protocol
    from vdbench.llm.context import CallContext
    from vdbench.llm.runtime import Runtime, RuntimeSettings

    spec = get_benchmark(benchmark)
    cache = resolve_cache_dir(cache_dir).resolve()
    runtime = Runtime.open(RuntimeSettings(cache, concurrency=concurrency))
    try:
        protocol = spec.adapt_protocol(get_protocol(defaults.PROTOCOL))
        judge = spec.make_judge(judge_spec, CallContext(runtime, cache, 0, base_url, protocol))

        async def go() -> dict[str, Any]:
            try:
                await judge.preflight()
                return await spec.measure_judge(judge, gold, concurrency)
            finally:
                await judge.aclose()

        return asyncio.run(go())
    finally:
        runtime.close()


def print_measured(measured: dict[str, Any], console: Console | None = None) -> None:
    """The figures of a benchmark's own measurement: every top-level number, and each group."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=MIN_WIDTH)
    judge = measured.get("judge") or {}
    table = Table(title=escape(f"judge {judge.get('name', '?')} · {measured.get('gold', '?')}"))
    groups = {"all": measured} | {k: v for k, v in measured.items()
                                  if isinstance(v, dict) and k != "judge"}
    names = [k for k, v in measured.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool)]
    table.add_column("items")
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    for group, figures in groups.items():
        table.add_row(group, *(_figure(figures.get(name), figures.get(f"{name}_ci95"))
                               for name in names))
    console.print(table)
    console.print(f"  {len(measured.get('disagreements') or [])} disagreements", highlight=False)


def _figure(value: Any, ci: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = f"{value:.3f}"
    if isinstance(ci, list) and len(ci) == 2:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def cmd_judge_eval(args: argparse.Namespace) -> int:
    from vdbench.core.io import write_json_atomic

    if args.benchmark != DEFAULT_BENCHMARK:
        measured = measure_spec_judge(args.benchmark, args.judge, gold=args.gold,
                                      cache_dir=args.cache_dir,
                                      concurrency=args.concurrency, base_url=args.base_url)
        print_measured(measured)
        if args.out:
            write_json_atomic(args.out, measured)
            Console().print(f"  wrote {args.out}", highlight=False)
        return 0
    report = run_judge_eval(args.judge, gold=args.gold, split=args.split,
                            cache_dir=args.cache_dir, concurrency=args.concurrency,
                            base_url=args.base_url)
    print_report(report, args.split)
    if args.out:
        write_json_atomic(args.out, {"split": args.split,
                                     "gold": str(args.gold) if args.gold else "packaged",
                                     **report.to_json()})
        Console().print(f"  wrote {args.out}", highlight=False)
    return 0


COMMANDS = {"judge-eval": cmd_judge_eval}
